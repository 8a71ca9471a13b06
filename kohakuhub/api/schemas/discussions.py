"""JSON of discussions and pull requests, as ``huggingface_hub``'s ``Discussion*`` classes parse them
(community.py, hf_api.py), plus what a page of the web UI needs. The shapes are documented in
kohakuhub/api/routes/discussions.py."""

from __future__ import annotations

from typing import Any

from kohakuhub.api.schemas.history import file_change
from kohakuhub.lib.markdown import render_markdown
from kohakuhub.lib.timefmt import iso_z
from kohakuhub.services.diffs import ChangeView
from kohakuhub.services.discussions import DiscussionDetails
from kohakuhub.services.repos import RepoRef
from kohakuhub.types import DiscussionEventInfo, DiscussionInfo, Person, pull_request_ref


def person(who: Person) -> dict[str, Any]:
    """An author. A deleted account has no object at all: the client then says "deleted"."""
    return {"name": who.username, "fullname": who.fullname or who.username, "type": "user"}


def _with_author(body: dict[str, Any], who: Person | None, key: str = "author") -> dict[str, Any]:
    if who is not None:
        body[key] = person(who)
    return body


def discussion_item(info: DiscussionInfo, repo: RepoRef) -> dict[str, Any]:
    """A discussion as listings show it (``Discussion``)."""
    item = {
        "num": info.num,
        "title": info.title,
        "status": info.status,
        "isPullRequest": info.is_pull_request,
        "createdAt": iso_z(info.created_at),
        "lastActivityAt": iso_z(info.updated_at),
        "repo": {"name": repo.id, "type": repo.type.value},
        "numComments": info.num_comments,
    }
    if info.is_pull_request:
        item["gitReference"] = pull_request_ref(info.num)
        item["targetBranch"] = info.target_branch
    return _with_author(item, info.author)


def event(found: DiscussionEventInfo) -> dict[str, Any]:
    """One event (``deserialize_event``): comment, status-change, title-change or commit."""
    body: dict[str, Any] = {"id": found.public_id, "type": found.kind, "createdAt": iso_z(found.created_at)}
    _with_author(body, found.author)
    if found.kind == "comment":
        body["data"] = _comment_data(found)
    elif found.kind == "status-change":
        body["data"] = {"status": found.new_status}
    elif found.kind == "title-change":
        body["data"] = {"from": found.old_title, "to": found.new_title}
    elif found.kind == "commit" and found.commit is not None:
        body["data"] = {"subject": found.commit.title, "oid": found.commit.id}
    return body


def _comment_data(found: DiscussionEventInfo) -> dict[str, Any]:
    raw = found.content or ""
    latest: dict[str, Any] = {"raw": raw, "html": render_markdown(raw) if raw else "",
                              "updatedAt": iso_z(found.edited_at or found.created_at)}
    _with_author(latest, found.edited_by if found.edited_at else found.author)
    history = [_with_author({"raw": v.content, "html": render_markdown(v.content), "updatedAt": iso_z(v.written_at)},
                            v.author) for v in found.history]
    data: dict[str, Any] = {
        "edited": found.edited_at is not None,
        "hidden": found.hidden,
        "latest": latest,
        "history": history,
        "numEdits": len(history),
        "editors": sorted({v.author.username for v in found.history if v.author}
                          | ({found.edited_by.username} if found.edited_by else set())),
    }
    if found.hidden:
        _with_author(data, found.hidden_by, "hiddenBy")
    return data


def details(found: DiscussionDetails, repo: RepoRef, *, with_diff: bool) -> dict[str, Any]:
    """A discussion with every event (``DiscussionWithDetails``); pull requests add their git state."""
    info = found.info
    body = discussion_item(info, repo)
    body["events"] = [event(e) for e in found.events]
    state = found.pull_request
    if state is None:
        return body
    changes: dict[str, Any] = {"base": f"refs/heads/{info.target_branch}", "head": pull_request_ref(info.num),
                               "targetCommitId": state.target_head, "headCommitId": state.head}
    if info.merge_commit:
        changes["mergeCommitId"] = info.merge_commit
    body["changes"] = changes
    body["filesWithConflicts"] = state.conflicts
    comparison = state.comparison
    body["mergeBase"] = comparison.base if comparison else None
    body["files"] = [file_change(f) for f in comparison.diff.files] if comparison else []
    body["filesChanged"] = comparison.diff.total_files if comparison else 0
    body["truncated"] = comparison.diff.truncated if comparison else False
    if with_diff:
        body["diff"] = unified_diff(comparison.diff.files) if comparison else ""
    return body


def unified_diff(files: list[ChangeView]) -> str:
    """A ``git diff``-style text of the changed files (text hunks as the compare view cuts them; LFS and
    binary files as one line each)."""
    parts = []
    for view in files:
        change = view.change
        old, new = change.old_path or change.new_path, change.new_path or change.old_path
        lines = [f"diff --git a/{old} b/{new}"]
        if change.status == "added":
            lines.append(f"new file mode {change.new_mode:06o}" if change.new_mode else "new file")
        elif change.status == "deleted":
            lines.append(f"deleted file mode {change.old_mode:06o}" if change.old_mode else "deleted file")
        elif change.status == "renamed":
            lines += [f"rename from {old}", f"rename to {new}"]
        if view.old_lfs or view.new_lfs:
            lines.append(f"LFS file: {_lfs_side(view.old_lfs)} -> {_lfs_side(view.new_lfs)}")
        elif change.binary:
            lines.append(f"Binary files a/{old} and b/{new} differ")
        elif change.patch:
            lines += [f"--- {'/dev/null' if change.status == 'added' else 'a/' + old}",
                      f"+++ {'/dev/null' if change.status == 'deleted' else 'b/' + new}",
                      change.patch.rstrip("\n")]
        parts.append("\n".join(lines))
    return "\n".join(parts) + ("\n" if parts else "")


def _lfs_side(pointer) -> str:
    return "(none)" if pointer is None else f"sha256:{pointer.oid} ({pointer.size} bytes)"

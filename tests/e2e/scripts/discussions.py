"""Discussions and pull requests through the stock client (HfApi's community methods, create_pr uploads)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from huggingface_hub import (
    CommitOperationAdd,
    CommitOperationDelete,
    DiscussionComment,
    DiscussionCommit,
    DiscussionStatusChange,
    DiscussionTitleChange,
    HfApi,
    HfFileSystem,
    hf_hub_download,
)

from tests.e2e.scripts.common import file_sha256, http_error_of, random_file, sha256, workdir


def _event_row(event: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"class": type(event).__name__, "type": event.type, "author": event.author}
    if isinstance(event, DiscussionComment):
        row.update(content=event.content, edited=event.edited, hidden=event.hidden, edits=event.number_of_edits)
    elif isinstance(event, DiscussionStatusChange):
        row["new_status"] = event.new_status
    elif isinstance(event, DiscussionTitleChange):
        row.update(old=event.old_title, new=event.new_title)
    elif isinstance(event, DiscussionCommit):
        row.update(summary=event.summary, oid=event.oid)
    return row


def _nums(found) -> list[int]:
    return [d.num for d in found]


def discussions(ctx: Any, repo_id: str, repo_type: str, other_username: str) -> dict:
    """Every discussion method, by the repo's owner and by another user who may only read it."""
    owner, other = HfApi(), HfApi(token=ctx.other_token)
    owner.create_repo(repo_id, repo_type=repo_type, space_sdk="static" if repo_type == "space" else None)
    asked = other.create_discussion(repo_id, " Is it cased?  ", description="Asking for a friend", repo_type=repo_type)
    pr = owner.create_pull_request(repo_id, "A pull request", repo_type=repo_type)
    third = owner.create_discussion(repo_id, "Another one", repo_type=repo_type)
    comment = owner.comment_discussion(repo_id, asked.num, "Yes, **cased**.", repo_type=repo_type)
    edited = owner.edit_discussion_comment(repo_id, asked.num, comment.id, "Yes, it is cased.", repo_type=repo_type)
    renamed = other.rename_discussion(repo_id, asked.num, "Is the model cased?", repo_type=repo_type)
    closed = other.change_discussion_status(repo_id, asked.num, "closed", comment="Thanks", repo_type=repo_type)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Hidden comments' content cannot be retrieved anymore"
        hidden = owner.hide_discussion_comment(repo_id, third.num, third.events[0].id, repo_type=repo_type)
    details = owner.get_discussion_details(repo_id, asked.num, repo_type=repo_type)
    pr_details = other.get_discussion_details(repo_id, pr.num, repo_type=repo_type)
    listing = owner.get_repo_discussions(repo_id, repo_type=repo_type)
    return {
        "created": {"num": asked.num, "title": asked.title, "author": asked.author, "status": asked.status,
                    "is_pr": asked.is_pull_request, "url": asked.url, "events": [_event_row(e) for e in asked.events]},
        "pr": {"num": pr.num, "status": pr.status, "is_pr": pr.is_pull_request, "git_reference": pr.git_reference,
               "target_branch": pr.target_branch, "conflicts": pr.conflicting_files,
               "merge_commit": pr.merge_commit_oid, "same_as_details": pr == pr_details},
        "comment": {"content": comment.content, "rendered": comment.rendered, "author": comment.author},
        "edited": {"id_kept": edited.id == comment.id, "content": edited.content, "edited": edited.edited,
                   "history": [h["raw"] for h in edited.edit_history], "last_edited_by": edited.last_edited_by},
        "renamed": _event_row(renamed),
        "closed": _event_row(closed),
        "hidden": _event_row(hidden),
        "details": {"title": details.title, "status": details.status,
                    "events": [_event_row(e) for e in details.events]},
        "listing": [{"num": d.num, "title": d.title, "status": d.status, "is_pr": d.is_pull_request,
                     "author": d.author, "repo_id": d.repo_id, "repo_type": d.repo_type} for d in listing],
        "filtered": {
            "pull_requests": _nums(owner.get_repo_discussions(repo_id, discussion_type="pull_request",
                                                              repo_type=repo_type)),
            "discussions": _nums(owner.get_repo_discussions(repo_id, discussion_type="discussion",
                                                            repo_type=repo_type)),
            "open": _nums(owner.get_repo_discussions(repo_id, discussion_status="open", repo_type=repo_type)),
            "closed": _nums(owner.get_repo_discussions(repo_id, discussion_status="closed", repo_type=repo_type)),
            "by_other": _nums(owner.get_repo_discussions(repo_id, author=other_username, repo_type=repo_type)),
            "by_nobody": _nums(owner.get_repo_discussions(repo_id, author="nobody", repo_type=repo_type)),
        },
        "refused": {
            "edit_by_other": http_error_of(other.edit_discussion_comment, repo_id, asked.num, comment.id, "mine now",
                                           repo_type=repo_type),
            "rename_by_other": http_error_of(other.rename_discussion, repo_id, third.num, "Not mine",
                                             repo_type=repo_type),
            "merge_by_other": http_error_of(other.merge_pull_request, repo_id, pr.num, repo_type=repo_type),
            "anonymous": http_error_of(HfApi(token=False).create_discussion, repo_id, "anonymous", repo_type=repo_type),
            "missing": http_error_of(owner.get_discussion_details, repo_id, 99, repo_type=repo_type),
        },
        "after_refusals": {"title": owner.get_discussion_details(repo_id, third.num, repo_type=repo_type).title,
                           "comment": owner.get_discussion_details(repo_id, asked.num, repo_type=repo_type)
                           .events[1].content},
    }


def many_discussions(ctx: Any, repo_id: str, count: int) -> dict:
    """More than one page (the Hub's 50): the client follows ``start``/``count``."""
    api = HfApi()
    api.create_repo(repo_id)
    for i in range(count):
        api.create_discussion(repo_id, f"question {i:03d}", description="")
    return {"nums": _nums(api.get_repo_discussions(repo_id))}


def pull_request_uploads(ctx: Any, repo_id: str, big_size: int) -> dict:
    """A user who may only read the repo proposes changes: upload_file, create_commit (a big file: LFS or
    Xet) and upload_folder with create_pr=True, then commits more to the pull request; everything reads
    back at refs/pr/N; the owner merges."""
    owner, other = HfApi(), HfApi(token=ctx.other_token)
    owner.create_repo(repo_id)
    owner.upload_file(path_or_fileobj=b"v1\n", path_in_repo="README.md", repo_id=repo_id)
    main_before = owner.repo_info(repo_id).sha
    small = other.upload_file(path_or_fileobj=b"proposed\n", path_in_repo="docs/proposed.txt", repo_id=repo_id,
                              create_pr=True, commit_message="Propose a doc")
    big_path = workdir(ctx, "pr") / "weights.bin"
    big = random_file(big_path, big_size)
    with_big = other.create_commit(repo_id, create_pr=True, commit_message="Add weights", commit_description="Big",
                                   operations=[CommitOperationAdd("weights.bin", str(big_path)),
                                               CommitOperationDelete("README.md")])
    folder = workdir(ctx, "pr-folder")
    (folder / "a.txt").write_text("a\n")
    random_file(folder / "sub" / "b.bin", big_size)
    from_folder = other.upload_folder(folder_path=str(folder), path_in_repo="folder", repo_id=repo_id,
                                      create_pr=True, commit_message="Upload a folder")
    more = other.upload_file(path_or_fileobj=b"more\n", path_in_repo="more.txt", repo_id=repo_id,
                             revision=with_big.pr_revision, commit_message="One more")
    cache = f"{ctx.workdir}/cache-pr"
    rev = with_big.pr_revision
    fs = HfFileSystem()
    result = {
        "main_unchanged": owner.repo_info(repo_id).sha == main_before,
        "pr_urls": [small.pr_url, with_big.pr_url, from_folder.pr_url],
        "pr_revisions": [small.pr_revision, with_big.pr_revision, from_folder.pr_revision],
        "pr_nums": [small.pr_num, with_big.pr_num, from_folder.pr_num],
        "big_sha256": sha256(big),
        "downloads": {
            "small": Path(hf_hub_download(repo_id, "docs/proposed.txt", revision=small.pr_revision,
                                          cache_dir=cache)).read_text(),
            "big": file_sha256(hf_hub_download(repo_id, "weights.bin", revision=rev, cache_dir=cache)),
            "folder_big": file_sha256(hf_hub_download(repo_id, "folder/sub/b.bin", revision=from_folder.pr_revision,
                                                      cache_dir=cache)),
        },
        "files_at_pr": sorted(other.list_repo_files(repo_id, revision=rev)),
        "tree_big": [{"lfs": e.lfs.sha256, "xet": e.xet_hash is not None}
                     for e in other.list_repo_tree(repo_id, revision=rev) if e.path == "weights.bin"],
        "paths_info": sorted(p.path for p in other.get_paths_info(repo_id, ["weights.bin", "README.md"], revision=rev)),
        "commits_at_pr": [c.title for c in other.list_repo_commits(repo_id, revision=rev)],
        "commit_ids": {"big": with_big.oid, "more": more.oid},
        "pr_info_sha": other.repo_info(repo_id, revision=rev).sha,
        "fs": {
            "ls": sorted(Path(p).name for p in fs.ls(f"{repo_id}@{rev.replace('/', '%2F')}", detail=False)),
            "read_big": sha256(fs.read_bytes(f"{repo_id}@{rev.replace('/', '%2F')}/weights.bin")),
        },
        "refs": [(r.name, r.ref, r.target_commit) for r in other.list_repo_refs(repo_id, include_pull_requests=True)
                 .pull_requests],
        "refs_without": other.list_repo_refs(repo_id).pull_requests,
        "refused": {
            "push_to_main": http_error_of(other.upload_file, path_or_fileobj=b"x", path_in_repo="x.txt",
                                          repo_id=repo_id),
            "merge_by_author": http_error_of(other.merge_pull_request, repo_id, with_big.pr_num),
        },
    }
    details = owner.get_discussion_details(repo_id, with_big.pr_num)
    result["details"] = {"title": details.title, "status": details.status, "target": details.target_branch,
                         "conflicts": details.conflicting_files, "author": details.author,
                         "events": [_event_row(e) for e in details.events], "diff_has_weights": "weights.bin" in (details.diff or "")}
    owner.merge_pull_request(repo_id, with_big.pr_num, comment="Merging, thanks")
    merged = owner.get_discussion_details(repo_id, with_big.pr_num)
    result["merged"] = {"status": merged.status, "merge_commit": merged.merge_commit_oid,
                        "main": owner.repo_info(repo_id).sha,
                        "main_files": sorted(owner.list_repo_files(repo_id)),
                        "big_on_main": file_sha256(hf_hub_download(repo_id, "weights.bin", cache_dir=cache)),
                        "last_events": [_event_row(e) for e in merged.events[-2:]]}
    return result


def merge_flows(ctx: Any, repo_id: str) -> dict:
    """The Hub's own test flow (create_pull_request, commit to its ref, publish, merge), a merge commit, a
    conflict, and an empty commit on a pull request."""
    api = HfApi()
    api.create_repo(repo_id)
    api.upload_file(path_or_fileobj=b"one\ntwo\nthree\n", path_in_repo="c.txt", repo_id=repo_id)
    draft = api.create_pull_request(repo_id, title="Test Pull Request")
    api.create_commit(repo_id, commit_message="Commit some file", revision=draft.git_reference,
                      operations=[CommitOperationAdd("file.test", b"Content")])
    empty = api.create_commit(repo_id, commit_message="Empty commit", operations=[], revision=draft.git_reference)
    commits_on_draft = [c.commit_id for c in api.list_repo_commits(repo_id, revision=draft.git_reference)]
    draft_merge = http_error_of(api.merge_pull_request, repo_id, draft.num)
    api.change_discussion_status(repo_id, draft.num, "open")
    api.merge_pull_request(repo_id, draft.num)
    first = api.get_discussion_details(repo_id, draft.num)
    # Both sides move: a merge commit.
    side = api.upload_file(path_or_fileobj=b"ONE\ntwo\nthree\n", path_in_repo="c.txt", repo_id=repo_id,
                           create_pr=True)
    api.upload_file(path_or_fileobj=b"one\ntwo\nTHREE\n", path_in_repo="c.txt", repo_id=repo_id)
    api.merge_pull_request(repo_id, side.pr_num)
    second = api.get_discussion_details(repo_id, side.pr_num)
    merged_commit = api.list_repo_commits(repo_id)[0]
    merged_text = Path(hf_hub_download(repo_id, "c.txt", cache_dir=f"{ctx.workdir}/c2")).read_text()
    # Same lines on both sides: a conflict, nothing changes.
    clash = api.upload_file(path_or_fileobj=b"theirs\n", path_in_repo="c.txt", repo_id=repo_id, create_pr=True)
    api.upload_file(path_or_fileobj=b"ours\n", path_in_repo="c.txt", repo_id=repo_id)
    main_before = api.repo_info(repo_id).sha
    conflicting = api.get_discussion_details(repo_id, clash.pr_num)
    return {
        "draft": {"status": draft.status, "empty_commit_is_head": empty.oid == commits_on_draft[0],
                  "commits": len(commits_on_draft), "merge_error": draft_merge},
        "first": {"status": first.status, "merge_commit": first.merge_commit_oid,
                  "file": Path(hf_hub_download(repo_id, "file.test", cache_dir=f"{ctx.workdir}/c")).read_text()},
        "second": {"status": second.status, "merge_commit": second.merge_commit_oid,
                   "head": merged_commit.commit_id, "title": merged_commit.title,
                   "content": merged_text},
        "conflict": {"files": conflicting.conflicting_files,
                     "error": http_error_of(api.merge_pull_request, repo_id, clash.pr_num),
                     "main_unchanged": api.repo_info(repo_id).sha == main_before,
                     "status": api.get_discussion_details(repo_id, clash.pr_num).status},
    }


def gated_pull_requests(ctx: Any, repo_id: str, big_size: int) -> dict:
    """A gated repo's Community tab: a reader without access takes part in discussions but gets
    GatedRepoError for a pull request's details and for opening one; once granted access they open one
    with a big file (through Xet or LFS) and read the diffs."""
    owner, bob = HfApi(), HfApi(token=ctx.other_token)
    owner.create_repo(repo_id)
    owner.upload_file(path_or_fileobj=b"a\n", path_in_repo="a.txt", repo_id=repo_id)
    owner.update_repo_settings(repo_id, gated="manual")
    owners = owner.upload_file(path_or_fileobj=b"secret\n", path_in_repo="secret.txt", repo_id=repo_id,
                               create_pr=True)
    big_path = workdir(ctx, "gated-pr") / "big.bin"
    big = random_file(big_path, big_size)
    before = {
        "listed": _nums(bob.get_repo_discussions(repo_id)),
        "asked": bob.create_discussion(repo_id, "How do I get access?").num,
        "commented": bob.comment_discussion(repo_id, owners.pr_num, "Looks useful").content,
        "details": http_error_of(bob.get_discussion_details, repo_id, owners.pr_num),
        "upload": http_error_of(bob.upload_file, path_or_fileobj=str(big_path), path_in_repo="big.bin",
                                repo_id=repo_id, create_pr=True),
        "create_pull_request": http_error_of(bob.create_pull_request, repo_id, "An empty one"),
    }
    before["nums_after_refusals"] = _nums(owner.get_repo_discussions(repo_id))
    owner.grant_access(repo_id, bob.whoami()["name"])
    opened = bob.upload_file(path_or_fileobj=str(big_path), path_in_repo="big.bin", repo_id=repo_id, create_pr=True)
    details = bob.get_discussion_details(repo_id, opened.pr_num)
    downloaded = hf_hub_download(repo_id, "big.bin", revision=opened.pr_revision, token=ctx.other_token,
                                 cache_dir=f"{ctx.workdir}/cache-gated-pr")
    after = {
        "num": opened.pr_num,
        "diff_names_big": "big.bin" in (details.diff or ""),
        "owners_diff_names_secret": "secret.txt" in (bob.get_discussion_details(repo_id, owners.pr_num).diff or ""),
        "big_matches": file_sha256(downloaded) == sha256(big),
    }
    return {"before": before, "after": after}

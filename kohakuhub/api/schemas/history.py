"""JSON of commit diffs and comparisons (the Hub has no public shape for these; ours is documented
in kohakuhub/api/routes/history.py)."""

from __future__ import annotations

from typing import Any

from kohakuhub.api.schemas.repos import commit_item
from kohakuhub.lib.lfs_pointer import LfsPointer
from kohakuhub.services.diffs import ChangeView, CommitDiff, Comparison, DiffView


def _mode(mode: int | None) -> str | None:
    return None if mode is None else f"{mode:06o}"


def _lfs(pointer: LfsPointer | None) -> dict[str, Any] | None:
    return None if pointer is None else {"oid": pointer.oid, "size": pointer.size}


def file_change(view: ChangeView) -> dict[str, Any]:
    """One changed file."""
    change = view.change
    return {
        "status": change.status,
        "oldPath": change.old_path,
        "newPath": change.new_path,
        "oldOid": change.old_oid,
        "newOid": change.new_oid,
        "oldSize": view.old_size,
        "newSize": view.new_size,
        "oldMode": _mode(change.old_mode),
        "newMode": _mode(change.new_mode),
        "lfs": {"old": _lfs(view.old_lfs), "new": _lfs(view.new_lfs)} if view.old_lfs or view.new_lfs else None,
        "binary": change.binary,
        "additions": change.additions,
        "deletions": change.deletions,
        "diff": change.patch,
        "truncated": change.truncated,
    }


def _diff(diff: DiffView) -> dict[str, Any]:
    return {"files": [file_change(f) for f in diff.files], "filesChanged": diff.total_files,
            "truncated": diff.truncated}


def commit_diff(found: CommitDiff) -> dict[str, Any]:
    """A commit with its parents and the files it changed against its first parent."""
    info = found.info
    return {
        **commit_item(info, formatted=False),
        "parents": list(info.parents),
        "base": info.parents[0] if info.parents else None,
        **_diff(found.diff),
    }


def comparison(found: Comparison) -> dict[str, Any]:
    """``base...head``: resolved ids, the commits head adds, and the changes since the merge base."""
    return {
        "base": found.base,
        "head": found.head,
        "mergeBase": found.merge_base,
        "commits": [commit_item(c, formatted=False) for c in found.commits],
        "commitsTruncated": found.commits_truncated,
        **_diff(found.diff),
    }

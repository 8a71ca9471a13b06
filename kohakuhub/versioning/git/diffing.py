"""Tree-to-tree diffs with libgit2, bounded by ``DiffLimits``.

Only the first ``max_files`` deltas are looked at closely: their sizes come from object headers, and a
text patch is generated (which loads both blobs) only when both sides are below ``max_blob_bytes`` and
the answer's patch budget is not spent. Renames are found by exact content match only (an id
comparison), never by similarity, which would read every added and deleted blob.
"""

from __future__ import annotations

from itertools import islice

import pygit2

from kohakuhub.lib.unified_diff import cut_patch, hunks_only
from kohakuhub.types import DiffLimits, FileChange, TreeDiff

_STATUS = {
    pygit2.GIT_DELTA_ADDED: "added",
    pygit2.GIT_DELTA_DELETED: "deleted",
    pygit2.GIT_DELTA_MODIFIED: "modified",
    pygit2.GIT_DELTA_RENAMED: "renamed",
    pygit2.GIT_DELTA_TYPECHANGE: "typechange",
}
# Rename detection costs a pass over all deltas; above this many it is skipped.
MAX_RENAME_DELTAS = 5000
_ZERO = "0" * 40


def diff_trees(repo: pygit2.Repository, old: pygit2.Tree | None, new: pygit2.Tree, limits: DiffLimits) -> TreeDiff:
    """The changes from ``old`` (None: the empty tree) to ``new``, newest side on the right."""
    diff = new.diff_to_tree(swap=True) if old is None else old.diff_to_tree(new)
    if len(diff) <= MAX_RENAME_DELTAS:
        diff.find_similar(flags=pygit2.GIT_DIFF_FIND_RENAMES | pygit2.GIT_DIFF_FIND_EXACT_MATCH_ONLY)
    total = len(diff)
    budget = limits.max_total_patch_bytes
    files: list[FileChange] = []
    truncated = total > limits.max_files
    for index, delta in enumerate(islice(diff.deltas, limits.max_files)):
        change, used = _change(repo, diff, index, delta, limits, budget)
        budget -= used
        truncated = truncated or change.truncated
        files.append(change)
    return TreeDiff(tuple(files), total, truncated)


def _change(repo: pygit2.Repository, diff: pygit2.Diff, index: int, delta: pygit2.DiffDelta,
            limits: DiffLimits, budget: int) -> tuple[FileChange, int]:
    """Delta ``index`` as a FileChange, and how many bytes of the patch budget it used."""
    status = _STATUS.get(delta.status, "modified")
    old_present = status != "added"
    new_present = status != "deleted"
    old_size = _blob_size(repo, delta.old_file) if old_present else None
    new_size = _blob_size(repo, delta.new_file) if new_present else None
    base = {
        "status": status,
        "old_path": delta.old_file.path if old_present else None,
        "new_path": delta.new_file.path if new_present else None,
        "old_oid": str(delta.old_file.id) if old_present else None,
        "new_oid": str(delta.new_file.id) if new_present else None,
        "old_size": old_size,
        "new_size": new_size,
        "old_mode": delta.old_file.mode if old_present else None,
        "new_mode": delta.new_file.mode if new_present else None,
    }
    blobs = [s for s in (old_size, new_size) if s is not None]
    if (old_present and old_size is None) or (new_present and new_size is None):
        return FileChange(**base), 0  # a submodule or a missing object: nothing to diff
    if any(size > limits.max_blob_bytes for size in blobs) or budget <= 0:
        return FileChange(**base, truncated=True), 0
    patch = diff[index]
    if patch is None or patch.delta.is_binary:
        return FileChange(**base, binary=patch is not None), 0
    _context, additions, deletions = patch.line_stats
    text = hunks_only(patch.data.decode("utf-8", errors="replace"))
    if not text:
        return FileChange(**base), 0  # mode-only change, or identical content renamed
    cap = min(limits.max_file_patch_bytes, budget)
    text, cut = cut_patch(text, cap)
    if not text:  # the budget left could not hold one line
        return FileChange(**base, additions=additions, deletions=deletions, truncated=True), 0
    return (FileChange(**base, additions=additions, deletions=deletions, patch=text, truncated=cut),
            len(text.encode("utf-8")))


def _blob_size(repo: pygit2.Repository, file: pygit2.DiffFile) -> int | None:
    """Size of a blob from its object header, None for a gitlink (submodule) or a missing object."""
    oid = str(file.id)
    if oid == _ZERO or file.mode == pygit2.GIT_FILEMODE_COMMIT:
        return None
    try:
        obj_type, size = repo.odb.read_header(oid)
    except (KeyError, ValueError):
        return None
    return size if obj_type == pygit2.GIT_OBJECT_BLOB else None

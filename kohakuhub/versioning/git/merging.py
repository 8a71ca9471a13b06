"""Merging a commit into a branch with libgit2: fast-forward, or a merge commit of a three-way tree merge.

Callers hold the repo lock. The merge is computed in memory (an index that is never written to disk); only
a clean result becomes objects, and the branch moves by compare-and-swap, so a conflict writes nothing.
"""

from __future__ import annotations

import pygit2

from kohakuhub.errors import MergeConflictError
from kohakuhub.types import MergeOutcome
from kohakuhub.versioning.git.refs_writer import move_ref

# Enough conflicting paths to act on without an enormous error message.
MAX_LISTED_CONFLICTS = 20


def contains(repo: pygit2.Repository, descendant: pygit2.Oid, ancestor: pygit2.Oid) -> bool:
    """True when ``descendant`` is ``ancestor`` or has it in its history."""
    return descendant == ancestor or repo.descendant_of(descendant, ancestor)


def conflicting_paths(repo: pygit2.Repository, ours: pygit2.Oid, theirs: pygit2.Oid) -> list[str] | None:
    """The paths a three-way merge would conflict on (sorted), or None when the two commits share no
    history (nothing to merge against)."""
    if repo.merge_base(ours, theirs) is None:
        return None
    index = repo.merge_commits(ours, theirs)
    return _conflicts(index)


def _conflicts(index: pygit2.Index) -> list[str]:
    if index.conflicts is None:
        return []
    paths = set()
    for ancestor, mine, other in index.conflicts:
        entry = mine or other or ancestor
        paths.add(entry.path)
    return sorted(paths)


def merge_into(repo: pygit2.Repository, ref_name: str, head: pygit2.Oid, source: pygit2.Oid,
               signature: pygit2.Signature, message: str) -> MergeOutcome:
    """Merge ``source`` into the branch ``ref_name`` whose head is ``head``.

    Raises:
        MergeConflictError: the merge conflicts, or the two share no history; nothing was written.
        StaleParentError: the branch moved under us (a writer ignoring the repo lock).
    """
    if contains(repo, head, source):
        return MergeOutcome(str(head), True)
    if contains(repo, source, head):
        move_ref(repo, ref_name, head, source)
        return MergeOutcome(str(source), True)
    branch = ref_name.removeprefix("refs/heads/")
    if repo.merge_base(head, source) is None:
        raise MergeConflictError(f"The changes and {branch} share no history (was {branch} squashed or "
                                 "rewritten?); nothing was merged", paths=[])
    index = repo.merge_commits(head, source)
    paths = _conflicts(index)
    if paths:
        listed = ", ".join(paths[:MAX_LISTED_CONFLICTS]) + (" ..." if len(paths) > MAX_LISTED_CONFLICTS else "")
        raise MergeConflictError(f"Merge conflict with {branch} in {len(paths)} file(s): {listed}; "
                                 "nothing was merged", paths=paths)
    tree = index.write_tree(repo)
    new = repo.create_commit(None, signature, signature, message, tree, [head, source])
    move_ref(repo, ref_name, head, new)
    return MergeOutcome(str(new), False)

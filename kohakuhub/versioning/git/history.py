"""Reading history: commit metadata, first-parent logs and the last commit that touched each path.

History is read along first parents only (the branch's own line, as ``git log --first-parent``), so a
merged side branch does not interleave with it and ``log`` pages are stable.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from itertools import islice

import pygit2

from kohakuhub.types import CommitInfo
from kohakuhub.versioning.git.naming import split_read_path

# (entry id, file mode) of a path in some commit; a mode-only change (chmod +x) is a change too.
_EntryState = tuple[pygit2.Oid, int]


def commit_info(commit: pygit2.Commit) -> CommitInfo:
    """The API view of a commit: title is the first line of the message, date the author date in UTC."""
    message = commit.message
    return CommitInfo(
        id=str(commit.id),
        title=message.split("\n", 1)[0].strip(),
        message=message,
        date=datetime.fromtimestamp(commit.author.time, tz=UTC),
        author_name=commit.author.name,
        author_email=commit.author.email,
        parents=tuple(str(parent) for parent in commit.parent_ids),
    )


def first_parent_chain(repo: pygit2.Repository, commit: pygit2.Commit) -> Iterator[pygit2.Commit]:
    """``commit`` then its first parent, and so on back to the root.

    A missing parent (a shallow or damaged repository) ends the chain instead of failing the read.
    """
    current: pygit2.Commit | None = commit
    while current is not None:
        yield current
        if not current.parent_ids:
            return
        parent = repo.get(current.parent_ids[0])
        current = parent if isinstance(parent, pygit2.Commit) else None


def log(repo: pygit2.Repository, commit: pygit2.Commit, *, skip: int, limit: int) -> list[CommitInfo]:
    """``limit`` commits of the first-parent chain after skipping ``skip``, newest first."""
    if limit <= 0:
        return []
    chain = first_parent_chain(repo, commit)
    return [commit_info(c) for c in islice(chain, max(skip, 0), max(skip, 0) + limit)]


def count_commits(repo: pygit2.Repository, commit: pygit2.Commit) -> int:
    """Length of the first-parent chain (so it matches what ``log`` pages through)."""
    return sum(1 for _ in first_parent_chain(repo, commit))


def last_commits(
    repo: pygit2.Repository, commit: pygit2.Commit, paths: Sequence[str]
) -> dict[str, CommitInfo]:
    """For each path present in ``commit``, the newest first-parent commit that changed it.

    One walk serves every path: at each step a path whose entry differs from the one in the first
    parent is settled, and the walk stops as soon as none is left. Steps whose root tree did not change
    (empty commits) are skipped without any lookup. Paths absent from ``commit`` are left out.
    """
    pending: dict[str, _EntryState] = {}
    for path in dict.fromkeys(paths):
        state = _entry_state(commit.tree, path)
        if state is not None:
            pending[path] = state
    found: dict[str, CommitInfo] = {}
    chain = first_parent_chain(repo, commit)
    current = next(chain)
    for parent in chain:
        if not pending:
            break
        if parent.tree_id != current.tree_id:
            _settle_changed(current, parent.tree, pending, found)
        current = parent
    if pending:  # what is left was added by the oldest commit reached
        info = commit_info(current)
        found.update(dict.fromkeys(pending, info))
    return found


def _settle_changed(
    commit: pygit2.Commit,
    parent_tree: pygit2.Tree,
    pending: dict[str, _EntryState],
    found: dict[str, CommitInfo],
) -> None:
    info: CommitInfo | None = None
    for path, state in list(pending.items()):
        if _entry_state(parent_tree, path) != state:
            info = info or commit_info(commit)
            found[path] = info
            del pending[path]


def _entry_state(tree: pygit2.Tree, path: str) -> _EntryState | None:
    parts = split_read_path(path)
    if parts is None:
        return None
    if not parts:
        return tree.id, int(pygit2.GIT_FILEMODE_TREE)
    try:
        obj = tree["/".join(parts)]
    except KeyError:
        return None
    return obj.id, int(obj.filemode)

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
    (empty commits) cost no lookup, and a path is compared top-down so that an unchanged parent
    directory settles it without reading the (possibly huge) directory itself. Paths absent from
    ``commit`` are left out.
    """
    pending: dict[str, list[str]] = {}
    for path in dict.fromkeys(paths):
        parts = split_read_path(path)
        if parts is not None and (not parts or _lookup(commit.tree, parts) is not None):
            pending[path] = parts
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
    pending: dict[str, list[str]],
    found: dict[str, CommitInfo],
) -> None:
    info: CommitInfo | None = None
    tree = commit.tree
    for path, parts in list(pending.items()):
        if _path_changed(tree, parent_tree, parts):
            info = info or commit_info(commit)
            found[path] = info
            del pending[path]


def _path_changed(new: pygit2.Tree, old: pygit2.Tree, parts: list[str]) -> bool:
    """Whether the entry at ``parts`` differs between two different root trees.

    A mode-only change (chmod +x) counts; so does an entry appearing, vanishing or changing type.
    """
    if not parts:  # the root itself: the trees differ, that is why we were called
        return True
    last = len(parts) - 1
    for depth, name in enumerate(parts):
        new_entry, old_entry = _child(new, name), _child(old, name)
        if new_entry is None or old_entry is None:
            return new_entry is not old_entry
        if new_entry.id == old_entry.id:
            # Same id, same content below; only the leaf's own mode can still differ.
            return depth == last and new_entry.filemode != old_entry.filemode
        if depth == last:
            return True
        if not (isinstance(new_entry, pygit2.Tree) and isinstance(old_entry, pygit2.Tree)):
            return True
        new, old = new_entry, old_entry
    return False


def _lookup(tree: pygit2.Tree, parts: list[str]) -> pygit2.Object | None:
    try:
        return tree["/".join(parts)]
    except KeyError:
        return None


def _child(tree: pygit2.Tree, name: str) -> pygit2.Object | None:
    try:
        return tree[name]
    except KeyError:
        return None


def commits_between(repo: pygit2.Repository, base: pygit2.Commit, head: pygit2.Commit,
                    limit: int) -> tuple[list[CommitInfo], bool]:
    """Commits reachable from ``head`` but not from ``base`` (``git log base..head``), newest first.

    At most ``limit`` of them, and whether more were left out.
    """
    # Time order streams; a topological sort would first read the whole history.
    walker = repo.walk(head.id, pygit2.GIT_SORT_TIME)
    walker.hide(base.id)
    commits = [commit_info(c) for c in islice(walker, limit + 1)]
    return commits[:limit], len(commits) > limit


def merge_base(repo: pygit2.Repository, one: pygit2.Commit, other: pygit2.Commit) -> pygit2.Commit | None:
    """The best common ancestor of two commits, None for unrelated histories."""
    oid = repo.merge_base(one.id, other.id)
    found = repo.get(oid) if oid is not None else None
    return found if isinstance(found, pygit2.Commit) else None

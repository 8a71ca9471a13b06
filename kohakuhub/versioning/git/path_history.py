"""History of one path (file or directory), simplified as ``git log -- <path>`` does by default.

A commit is listed when the path's entry (id and mode, or absence) differs from the one in every
parent. A commit whose entry equals a parent's is "TREESAME": only that parent is followed, so a merge
that took the path from one side does not bring in the other side's unrelated history. Commits are
visited newest first by committer time, as git does.

The walk stops as soon as the page is full (plus one, to know whether more follow), so page ``p`` costs
the commits down to its last entry; a path that changed rarely still needs the history down to there.
That is also why no total is counted: it would always cost the whole history.
"""

from __future__ import annotations

import heapq

import pygit2

from kohakuhub.types import CommitInfo
from kohakuhub.versioning.git.history import commit_info

_Entry = tuple[str, int] | None  # (object id, filemode) of the path, None when absent


def path_log(repo: pygit2.Repository, tip: pygit2.Commit, parts: list[str], *, skip: int,
             limit: int) -> list[CommitInfo]:
    """Commits from ``tip`` back that changed the path ``parts``, newest first, ``limit`` after ``skip``."""
    path = "/".join(parts)
    found: list[CommitInfo] = []
    queue: list[tuple[int, int, pygit2.Commit]] = []
    queued: set[str] = set()
    entries: dict[str, _Entry] = {}
    counter = 0

    def push(commit: pygit2.Commit) -> None:
        nonlocal counter
        key = str(commit.id)
        if key not in queued:
            queued.add(key)
            counter += 1  # ties in time keep insertion order (a child's parents in order)
            heapq.heappush(queue, (-commit.commit_time, counter, commit))

    push(tip)
    seen = 0
    while queue and len(found) < limit:
        _time, _order, commit = heapq.heappop(queue)
        entry = _entry_of(commit, path, entries)
        entries.pop(str(commit.id), None)  # visited once: only its parents' entries are needed again
        parents = [p for p in (repo.get(pid) for pid in commit.parent_ids) if isinstance(p, pygit2.Commit)]
        same = next((p for p in parents if _entry_of(p, path, entries) == entry), None)
        if same is not None:
            push(same)
            continue
        if parents or entry is not None:  # a root commit is listed only if it has the path
            if seen >= skip:
                found.append(commit_info(commit))
            seen += 1
        for parent in parents:
            push(parent)
    return found


def _entry_of(commit: pygit2.Commit, path: str, cache: dict[str, _Entry]) -> _Entry:
    key = str(commit.id)
    if key not in cache:
        try:
            entry = commit.tree[path]
            cache[key] = (str(entry.id), entry.filemode)
        except KeyError:
            cache[key] = None
    return cache[key]

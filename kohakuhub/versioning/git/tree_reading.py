"""Reading a commit's tree: single entries and paginated listings.

Listing order is git tree order (siblings sorted bytewise by name, a directory comparing as if its name
ended with ``/``, exactly as git stores them) in a pre-order walk. Because every tree is stored sorted,
resuming after a cursor is a binary search per level of the cursor path: the subtrees before the cursor
are never read, so any page costs about the same as the first one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pygit2

from kohakuhub.errors import BadRequestError, EntryNotFoundError
from kohakuhub.types import TreeEntry
from kohakuhub.versioning.git.naming import split_read_path

_TREE = int(pygit2.GIT_FILEMODE_TREE)
_GITLINK = int(pygit2.GIT_FILEMODE_COMMIT)


def get_entry(repo: pygit2.Repository, commit: pygit2.Commit, path: str) -> TreeEntry | None:
    """The file or directory at ``path`` (``""`` is the root), or None when absent or unreadable."""
    parts = split_read_path(path)
    if parts is None:
        return None
    if not parts:
        return TreeEntry(path="", type="directory", oid=str(commit.tree_id), size=0, mode=_TREE)
    clean = "/".join(parts)
    try:
        obj = commit.tree[clean]
    except KeyError:
        return None
    return to_entry(repo, clean, obj)


def to_entry(repo: pygit2.Repository, path: str, obj: pygit2.Object) -> TreeEntry | None:
    """Convert a tree entry; None for submodules (gitlinks), whose commit is not in this repo.

    File sizes come from the object header, so listing never inflates blob contents.
    """
    mode = int(obj.filemode)
    if mode == _TREE:
        return TreeEntry(path=path, type="directory", oid=str(obj.id), size=0, mode=mode)
    if mode == _GITLINK:
        return None
    _type, size = repo.odb.read_header(obj.id)
    # Symlinks (0o120000) are listed as files with their mode; their blob is the link target.
    return TreeEntry(path=path, type="file", oid=str(obj.id), size=size, mode=mode)


def list_tree(
    repo: pygit2.Repository,
    commit: pygit2.Commit,
    path: str,
    *,
    recursive: bool,
    start_after: str | None,
) -> Iterator[TreeEntry]:
    """Entries below directory ``path`` in pre-order git tree order, resuming after ``start_after``.

    Validation happens now; the returned iterator reads trees lazily as it is consumed.

    Raises:
        EntryNotFoundError: ``path`` does not exist or is not a directory.
        BadRequestError: ``start_after`` is not a path inside ``path``.
    """
    parts = split_read_path(path)
    tree = _directory(commit, parts)
    if tree is None:
        raise EntryNotFoundError(f"Entry not found: {path}", commit=str(commit.id))
    prefix = "".join(part + "/" for part in parts or [])
    cursor = _cursor_parts(prefix, start_after)
    return _walk(repo, tree, prefix, recursive, cursor)


def _directory(commit: pygit2.Commit, parts: list[str] | None) -> pygit2.Tree | None:
    if parts is None:
        return None
    if not parts:
        return commit.tree
    try:
        obj = commit.tree["/".join(parts)]
    except KeyError:
        return None
    return obj if isinstance(obj, pygit2.Tree) else None


def _cursor_parts(prefix: str, start_after: str | None) -> list[str]:
    """The cursor relative to the listed directory, as components ([] means from the start)."""
    if start_after is None or start_after == "":
        return []
    if not isinstance(start_after, str) or "\0" in start_after:
        raise BadRequestError(f"Invalid start_after cursor: {start_after!r}")
    cursor = start_after.strip("/")
    if cursor == prefix.rstrip("/"):
        return []  # resuming right after the listed directory itself: its contents come next
    if not cursor.startswith(prefix):
        raise BadRequestError(f"start_after {start_after!r} is not inside {prefix.rstrip('/')!r}")
    return cursor[len(prefix) :].split("/")


def _walk(
    repo: pygit2.Repository, tree: pygit2.Tree, prefix: str, recursive: bool, cursor: list[str]
) -> Iterator[TreeEntry]:
    start = 0
    if cursor:
        start, hit = _seek(tree, cursor[0], descend=len(cursor) > 1)
        if hit is not None:
            start += 1  # the cursor entry itself was already yielded
            if recursive and isinstance(hit, pygit2.Tree):
                # Pre-order: everything left inside the cursor's directory comes before its siblings.
                yield from _walk(repo, hit, f"{prefix}{cursor[0]}/", True, cursor[1:])
    for index in range(start, len(tree)):
        obj = tree[index]
        entry = to_entry(repo, prefix + obj.name, obj)
        if entry is None:
            continue
        yield entry
        if recursive and entry.type == "directory":
            yield from _walk(repo, obj, entry.path + "/", True, [])


def _seek(tree: pygit2.Tree, name: str, *, descend: bool) -> tuple[int, pygit2.Object | None]:
    """Locate cursor component ``name`` in ``tree``.

    Returns the index of the entry named ``name`` and that entry, or, when no such entry exists (it
    was deleted since the previous page), the index of the first entry that sorts after it and None.
    A cursor that continues below ``name`` must have been a directory; otherwise we try both kinds.
    """
    raw = name.encode("utf-8", "surrogateescape")
    kinds = (True,) if descend else (False, True)
    first_index = None
    for is_dir in kinds:
        index = _lower_bound(tree, _sort_key(raw, is_dir))
        if first_index is None:
            first_index = index
        if index < len(tree):
            obj = tree[index]
            if obj.raw_name == raw and (int(obj.filemode) == _TREE) == is_dir:
                return index, obj
    return first_index, None


def _sort_key(raw_name: bytes, is_dir: bool) -> bytes:
    # git's tree order: a directory sorts as if its name ended with "/" ("a.txt" < "a/" < "a0").
    return raw_name + b"/" if is_dir else raw_name


def _lower_bound(tree: pygit2.Tree, key: bytes) -> int:
    """Index of the first entry whose sort key is >= ``key`` (trees are stored sorted)."""
    low, high = 0, len(tree)
    while low < high:
        mid = (low + high) // 2
        obj = tree[mid]
        if _sort_key(obj.raw_name, int(obj.filemode) == _TREE) < key:
            low = mid + 1
        else:
            high = mid
    return low

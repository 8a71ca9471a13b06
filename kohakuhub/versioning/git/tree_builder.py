"""Apply commit operations to a git tree without a work tree or an index.

The edit is an overlay on the parent commit's tree: only directories on the paths of the operations are
visited and rewritten (with libgit2 TreeBuilders); untouched subtrees are reused by id. A one-file
commit into a 100,000-file repo therefore costs a few tree writes, not a walk of the whole tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pygit2

from kohakuhub.errors import EntryNotFoundError, NotFoundError
from kohakuhub.types import CommitOperation, DeleteFile, DeleteFolder, PutFile
from kohakuhub.versioning.git.naming import is_full_hex, split_write_path

_TREE = int(pygit2.GIT_FILEMODE_TREE)
_BLOB = int(pygit2.GIT_FILEMODE_BLOB)
_EXECUTABLE = int(pygit2.GIT_FILEMODE_BLOB_EXECUTABLE)


@dataclass(frozen=True)
class _File:
    oid: pygit2.Oid
    mode: int


@dataclass
class _Dir:
    """A directory being edited: its original tree (None if new) plus the changed children.

    A child maps to a ``_Dir`` (descended into), a ``_File`` (written) or None (deleted).
    """

    base: pygit2.Tree | None
    changes: dict[str, _Dir | _File | None] = field(default_factory=dict)


def apply_operations(
    repo: pygit2.Repository, base: pygit2.Tree | None, operations: Sequence[CommitOperation]
) -> pygit2.Oid:
    """Apply ``operations`` in order to ``base`` (None for an empty tree) and write the new root tree.

    Raises:
        InvalidPathError: an operation's path is malformed.
        NotFoundError: a PutFile names a blob that is not in the repository.
        EntryNotFoundError: a DeleteFile path is not a file, or a DeleteFolder path is not a directory.
        TypeError: an operation of an unknown type.
    """
    root = _Dir(base)
    for op in operations:
        if isinstance(op, PutFile):
            _put(repo, root, op)
        elif isinstance(op, DeleteFile):
            _delete(root, op.path, want_dir=False)
        elif isinstance(op, DeleteFolder):
            _delete(root, op.path, want_dir=True)
        else:
            raise TypeError(f"unknown commit operation: {op!r}")
    tree_id = _write(repo, root)
    if tree_id is None:  # everything deleted: the commit holds the empty tree
        tree_id = repo.TreeBuilder().write()
    return tree_id


def _put(repo: pygit2.Repository, root: _Dir, op: PutFile) -> None:
    parts = split_write_path(op.path)
    oid = _existing_blob(repo, op.blob_oid)
    node = root
    for name in parts[:-1]:
        node = _descend(node, name, create=True)
    # Assigning the leaf replaces whatever was there, a directory included (dir -> file replacement).
    node.changes[parts[-1]] = _File(oid, _EXECUTABLE if op.executable else _BLOB)


def _delete(root: _Dir, path: str, *, want_dir: bool) -> None:
    parts = split_write_path(path)
    kind = "folder" if want_dir else "file"
    missing = EntryNotFoundError(f"A {kind} with this name doesn't exist: {path}")
    node = root
    for name in parts[:-1]:
        node = _descend(node, name, create=False)
        if node is None:
            raise missing
    child = _child(node, parts[-1])
    if child is None or isinstance(child, _Dir) != want_dir:
        raise missing
    node.changes[parts[-1]] = None


def _existing_blob(repo: pygit2.Repository, blob_oid: str) -> pygit2.Oid:
    """Check that ``blob_oid`` is a blob already stored: a tree must never point at a missing object."""
    if not isinstance(blob_oid, str) or not is_full_hex(blob_oid):
        raise NotFoundError(f"Blob not found: {blob_oid!r}")
    oid = pygit2.Oid(hex=blob_oid.lower())
    try:
        obj_type, _size = repo.odb.read_header(oid)
    except KeyError as exc:
        raise NotFoundError(f"Blob not found: {blob_oid}") from exc
    if obj_type != pygit2.GIT_OBJECT_BLOB:
        raise NotFoundError(f"Blob not found: {blob_oid}")
    return oid


def _child(node: _Dir, name: str) -> _Dir | _File | None:
    """The current state of ``node``'s child ``name``: an edited dir, a file, or None if absent."""
    if name in node.changes:
        return node.changes[name]
    if node.base is None:
        return None
    entry = _base_entry(node.base, name)
    if entry is None:
        return None
    if int(entry.filemode) == _TREE:
        return _Dir(entry)
    return _File(entry.id, int(entry.filemode))


def _base_entry(tree: pygit2.Tree, name: str) -> pygit2.Object | None:
    # Names are validated (no "/"), so this is a single-level lookup, not a path walk.
    try:
        return tree[name]
    except KeyError:
        return None


def _descend(node: _Dir, name: str, *, create: bool) -> _Dir | None:
    """Return the edited child directory ``name``, registering it in ``node.changes``.

    With ``create``, a missing child or a file in the way is replaced by a new empty directory
    (file -> dir replacement); otherwise those give None.
    """
    child = _child(node, name)
    if not isinstance(child, _Dir):
        if not create:
            return None
        child = _Dir(None)
    node.changes[name] = child
    return child


def _write(repo: pygit2.Repository, node: _Dir) -> pygit2.Oid | None:
    """Write ``node`` bottom-up; None when it ends up empty (git does not store empty directories)."""
    if not node.changes and node.base is not None:
        return node.base.id
    builder = repo.TreeBuilder(node.base) if node.base is not None else repo.TreeBuilder()
    for name, child in node.changes.items():
        if isinstance(child, _Dir):
            sub = _write(repo, child)
            if sub is None:
                _remove(builder, name)
            else:
                builder.insert(name, sub, _TREE)
        elif isinstance(child, _File):
            builder.insert(name, child.oid, child.mode)
        else:
            _remove(builder, name)
    if len(builder) == 0:
        return None
    return builder.write()


def _remove(builder: pygit2.TreeBuilder, name: str) -> None:
    if builder.get(name) is not None:
        builder.remove(name)

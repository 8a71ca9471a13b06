"""A repo's LFS files, as the Hub lists them (``list_lfs_files``) and deletes them for good
(``permanently_delete_lfs_files``), for those who may write to the repo.

The list is the objects the repo counts against its quota (``RepoLfsObject``), newest first, each with a
path and the ref where history holds a pointer to it (found by scanning the history's small blobs: the
default branch first). Deleting, as on the Hub (its docs: "storage-limits", and huggingface_hub's own test):

- objects still pointed to at a branch head may be deleted too;
- with ``rewriteHistory`` (the client's default) every ref's history is rewritten without the pointer
  files, so the files disappear from the branches; without it the pointers stay and their downloads fail;
- the repo stops counting the objects (quota updated); an object another repo references stays readable
  there; one that nothing references any more is forgotten and its bytes deleted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kohakuhub.db.lfs_files import forget_unreferenced, linked_oids, repo_lfs_page, unlink
from kohakuhub.errors import BadRequestError
from kohakuhub.lib.hashing import is_sha256_hex
from kohakuhub.lib.lfs_pointer import MAX_POINTER_SIZE, make_pointer, parse_pointer
from kohakuhub.services.auth import Access
from kohakuhub.services.lfs import LfsService
from kohakuhub.services.quotas import QuotaService
from kohakuhub.services.repos import RepoRef, RepoService
from kohakuhub.versioning.base import VersioningBackend


MAX_DELETIONS = 1000  # per request, as the client batches them


@dataclass(frozen=True)
class LfsFile:
    """One LFS object of a repo: where history points to it (if it still does) and when it was added."""

    oid: str
    size: int
    pushed_at: datetime
    filename: str
    ref: str | None


@dataclass
class _Pointers:
    """Where history holds pointers to some objects: oid -> (path, ref) of the first, and every blob id."""

    first: dict[str, tuple[str, str]]
    blobs: dict[str, set[str]]


class LfsFilesService:
    """Listing and permanent deletion of a repo's LFS objects."""

    def __init__(self, versioning: VersioningBackend, lfs: LfsService, quotas: QuotaService,
                 repos: RepoService) -> None:
        self._git = versioning
        self._lfs = lfs
        self._quotas = quotas
        self._repos = repos

    def list_lfs_files(self, repo: RepoRef, *, offset: int, limit: int) -> tuple[list[LfsFile], bool]:
        """A page of the repo's LFS objects, newest first, and whether more follow.

        Raises:
            ForbiddenError: ``repo`` was not authorized for writing.
        """
        repo.require(Access.WRITE)
        rows = repo_lfs_page(repo.row.id, offset=offset, limit=limit)
        more = len(rows) > limit
        rows = rows[:limit]
        found = self._pointers(repo, {oid for oid, _, _ in rows}, stop_when_found=True)
        return [LfsFile(oid, size, at, *found.first.get(oid, ("", None))) for oid, size, at in rows], more

    def permanently_delete_lfs_files(self, repo: RepoRef, oids: Any, *, rewrite_history: Any = True) -> int:
        """Delete LFS objects from the repo for good; returns how many it referenced (others are ignored,
        so a repeated request is harmless).

        Raises:
            ForbiddenError: ``repo`` was not authorized for writing.
            BadRequestError: ``oids`` is not a list of at most MAX_DELETIONS sha256 ids, or
                ``rewrite_history`` is not a boolean.
        """
        repo.require(Access.WRITE)
        wanted = _checked_oids(oids)
        if not isinstance(rewrite_history, bool):
            raise BadRequestError("'rewriteHistory' must be true or false")
        with self._git.repo_lock(repo.key):
            targets = sorted(linked_oids(repo.row.id, wanted))
            if not targets:
                return 0
            if rewrite_history:
                self._drop_pointers(repo, set(targets))
            unlink(repo.row.id, targets)
            self._quotas.remeasure_lfs(repo.row)
            keys = {oid: self._lfs.object_key(oid) for oid in targets}
            forgotten = forget_unreferenced(targets)
        for oid in sorted(forgotten):  # after the rows: a crash here leaves bytes nobody can reach, never a row
            self._lfs.forget(oid, keys[oid])
        self._repos.touch(repo)
        return len(targets)

    def _drop_pointers(self, repo: RepoRef, oids: set[str]) -> None:
        """Rewrite every ref without the pointer files of ``oids`` (under the caller's repo lock)."""
        found = self._pointers(repo, oids, stop_when_found=False)
        blob_ids = {blob for blobs in found.blobs.values() for blob in blobs}
        sizes = {oid: size for oid, size in self._lfs.object_sizes(sorted(oids)).items()}
        blob_ids |= {_blob_id(make_pointer(oid, size)) for oid, size in sizes.items()}  # the canonical form
        if blob_ids and self._git.drop_blobs(repo.key, sorted(blob_ids)):
            self._quotas.remeasure_git(repo.row, lock=False)

    def _pointers(self, repo: RepoRef, oids: set[str], *, stop_when_found: bool) -> _Pointers:
        found = _Pointers({}, {})
        if not oids:
            return found
        for ref, path, blob in self._git.small_blobs(repo.key, MAX_POINTER_SIZE):
            pointer = parse_pointer(self._git.read_blob(repo.key, blob))
            if pointer is None or pointer.oid not in oids:
                continue
            found.first.setdefault(pointer.oid, (path, ref))
            found.blobs.setdefault(pointer.oid, set()).add(blob)
            if stop_when_found and len(found.first) == len(oids):
                break
        return found


def _checked_oids(oids: Any) -> list[str]:
    if (not isinstance(oids, list) or len(oids) > MAX_DELETIONS
            or not all(isinstance(oid, str) and is_sha256_hex(oid) for oid in oids)):
        raise BadRequestError(f"'deletions.sha' must be a list of at most {MAX_DELETIONS} sha256 object ids "
                              "(64 lowercase hex digits)")
    return list(dict.fromkeys(oids))


def _blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()

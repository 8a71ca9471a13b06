"""LFS objects: verified storage, who may reach them, and the batch API's decisions.

An object enters the blob store only after its sha256 and size were checked, and is reachable only
through a repo whose history references it (RepoLfsObject) or by the user who uploaded it (LfsGrant).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from peewee import JOIN, Database, fn

from kohakuhub.config import Settings
from kohakuhub.db.database import write_transaction
from kohakuhub.db.lfs_files import is_linked
from kohakuhub.db.models import LfsGrant, LfsObject, RepoLfsObject, XetFile
from kohakuhub.errors import IntegrityError, NotFoundError
from kohakuhub.lib.hashing import is_sha256_hex, sha256_file
from kohakuhub.services.auth import Access, Caller
from kohakuhub.services.lfs_direct import DirectUploads
from kohakuhub.services.quotas import QuotaService, charged_size
from kohakuhub.services.repos import RepoRef
from kohakuhub.storage.base import BlobStore, lfs_key

S3_MAX_PARTS = 10_000
OBJECT_KEY_CACHE_SIZE = 65_536


@dataclass(frozen=True)
class BatchDecision:
    """What the batch API answers for one object.

    ``action`` is "none" (already stored and reachable), "upload", "download" or "error".
    For multipart uploads ``parts`` > 0 and ``chunk_size`` is set.
    """

    oid: str
    size: int
    action: str
    parts: int = 0
    chunk_size: int = 0
    error_code: int = 0
    error_message: str = ""


class LfsService:
    """Stores verified LFS objects and decides who may reach them."""

    def __init__(self, db: Database, store: BlobStore, settings: Settings, quotas: QuotaService) -> None:
        self._db = db
        self._quotas = quotas
        self._store = store
        self._multipart_threshold = settings.lfs_multipart_threshold_bytes
        self._chunk_size = settings.lfs_multipart_chunk_size_bytes
        self._max_size = settings.max_lfs_object_bytes
        # With S3 (``store.direct_uploads``) clients upload to staging keys through presigned URLs.
        self._keys: dict[str, str] = {}  # see object_key
        self.direct = DirectUploads(
            store, self, url_ttl=settings.lfs_url_ttl_seconds,
            abandon_after_seconds=settings.s3_multipart_abandon_hours * 3600,
        ) if store.direct_uploads else None

    @property
    def store(self) -> BlobStore:
        return self._store

    def direct_or_fail(self) -> DirectUploads:
        """The direct-upload service (S3).

        Raises:
            NotFoundError: this hub stores objects locally (a URL from an S3-configured hub).
        """
        if self.direct is None:
            raise NotFoundError("This hub does not take uploads through the blob store; request a new URL")
        return self.direct

    # --- storing ---------------------------------------------------------------------------------

    def store_file(self, src: Path, *, oid: str | None = None, size: int | None = None,
                   uploader: Caller | None = None, hashed: tuple[str, int] | None = None) -> tuple[str, int]:
        """Check ``src`` against the announced oid/size and publish it as an LFS object.

        ``src`` is consumed. The uploader (if any) is granted the object. ``hashed`` is the
        (sha256, size) already computed while the bytes were received, to avoid reading them twice.

        Raises:
            IntegrityError: the bytes do not match ``oid`` or ``size`` (nothing is stored).
        """
        try:
            actual_oid, actual_size = hashed or sha256_file(src)
            if size is not None and actual_size != size:
                raise IntegrityError(f"Size mismatch for {oid}: expected {size} bytes, received {actual_size}")
            if oid is not None and actual_oid != oid:
                raise IntegrityError(f"sha256 mismatch: expected {oid}, received bytes hash to {actual_oid}")
            if self._store.stat(lfs_key(actual_oid)) != actual_size:
                self._store.put_file(lfs_key(actual_oid), src)
        finally:
            src.unlink(missing_ok=True)
        self.record(actual_oid, actual_size, uploader.user_id if uploader is not None else None)
        return actual_oid, actual_size

    def record(self, oid: str, size: int, uploader_id: int | None, storage_key: str | None = None) -> str | None:
        """Record a verified object (its bytes are already stored) and the uploader's grant.

        ``storage_key`` is where the bytes are when not under ``lfs_key(oid)``. Returns the storage key of
        the recorded object: another one than ``storage_key`` when the object was recorded before.
        """
        with write_transaction(self._db):
            LfsObject.insert(oid=oid, size=size, storage_key=storage_key).on_conflict_ignore().execute()
            if uploader_id is not None:
                LfsGrant.insert(user=uploader_id, oid=oid).on_conflict_ignore().execute()
            return LfsObject.select(LfsObject.storage_key).where(LfsObject.oid == oid).scalar()

    def object_key(self, oid: str) -> str:
        """Where the bytes of a verified object are in the blob store.

        Cached in the process: a recorded object's key never changes, and a download asks for it.
        """
        key = self._keys.get(oid)
        if key is not None:
            return key
        row = LfsObject.select(LfsObject.storage_key).where(LfsObject.oid == oid).first()
        key = (row.storage_key if row is not None else None) or lfs_key(oid)
        if row is not None:
            if len(self._keys) >= OBJECT_KEY_CACHE_SIZE:
                self._keys.clear()  # one atomic call, safe across threads; refilling costs a query per oid
            self._keys[oid] = key
        return key

    def forget(self, oid: str, key: str) -> None:
        """Delete the bytes of an object whose rows are gone (``db/lfs_files.forget_unreferenced``).

        A Xet file has no bytes of its own under ``key`` (they are in shared xorbs), so nothing is there
        to delete; a missing key is not an error.
        """
        self._keys.pop(oid, None)
        self._store.delete(key)

    # --- reachability ----------------------------------------------------------------------------

    def object_size(self, oid: str) -> int | None:
        """Size of a verified object, or None."""
        row = LfsObject.get_or_none(LfsObject.oid == oid)
        return None if row is None else row.size

    @staticmethod
    def object_sizes(oids: list[str]) -> dict[str, int]:
        """Sizes of the verified objects among ``oids``."""
        sizes: dict[str, int] = {}
        for start in range(0, len(oids), 500):
            sizes.update((row.oid, row.size) for row in LfsObject.select(LfsObject.oid, LfsObject.size).where(
                LfsObject.oid.in_(oids[start:start + 500])))
        return sizes

    @staticmethod
    def linked_to(repo: RepoRef, oid: str) -> bool:
        """Whether ``repo`` still references the object: its content is served through that repo only then
        (a permanently deleted object is not, even by an old commit id)."""
        return is_linked(repo.row.id, oid)

    def reachable(self, caller: Caller | None, repo: RepoRef, oid: str) -> bool:
        """True when the object is verified and reachable through ``repo`` or uploaded by the caller."""
        return self.reachable_by(caller.user_id if caller is not None else None, repo.row.id, oid)

    @staticmethod
    def reachable_by(user_id: int | None, repo_id: int, oid: str) -> bool:
        """``reachable`` by ids: the object is verified and linked to the repo or granted to the user."""
        if not LfsObject.select().where(LfsObject.oid == oid).exists():
            return False
        if RepoLfsObject.select().where((RepoLfsObject.repo == repo_id) & (RepoLfsObject.oid == oid)).exists():
            return True
        return user_id is not None and LfsGrant.select().where(
            (LfsGrant.user == user_id) & (LfsGrant.oid == oid)).exists()

    def link(self, repo: RepoRef, oids: Iterable[str]) -> int:
        """Record that the repo's history references these objects; return the bytes newly linked.

        Only rows this call inserted count (RETURNING), so concurrent links of one object count once.
        Raises ForbiddenError when ``repo`` was not authorized for writing (a pull request's commit
        links too: the repo's history then holds the objects, on ``refs/pr/<num>``).
        """
        repo.require_upload()
        rows = [{"repo": repo.row.id, "oid": oid} for oid in dict.fromkeys(oids)]
        if not rows:
            return 0
        added: list[str] = []
        with write_transaction(self._db):
            for start in range(0, len(rows), 500):
                query = RepoLfsObject.insert_many(rows[start:start + 500]).on_conflict_ignore()
                added += [row.oid for row in query.returning(RepoLfsObject.oid).execute()]
        return self.total_size(added)

    def total_size(self, oids: Iterable[str]) -> int:
        """What quotas charge for these verified objects (unknown ones count 0): see ``charged_size``."""
        wanted = list(dict.fromkeys(oids))
        total = 0
        for start in range(0, len(wanted), 500):
            total += int(LfsObject.select(fn.COALESCE(fn.SUM(charged_size()), 0))
                         .join(XetFile, JOIN.LEFT_OUTER, on=(XetFile.oid == LfsObject.oid))
                         .where(LfsObject.oid.in_(wanted[start:start + 500])).scalar() or 0)
        return total

    def new_to_repo(self, repo: RepoRef, sizes: dict[str, int]) -> int:
        """Bytes of the objects (oid -> size) that the repo does not reference yet."""
        oids = list(sizes)
        linked: set[str] = set()
        for start in range(0, len(oids), 500):
            linked.update(row.oid for row in RepoLfsObject.select(RepoLfsObject.oid).where(
                (RepoLfsObject.repo == repo.row.id) & RepoLfsObject.oid.in_(oids[start:start + 500])))
        return sum(size for oid, size in sizes.items() if oid not in linked)

    # --- batch API -------------------------------------------------------------------------------

    def batch(self, caller: Caller | None, repo: RepoRef, operation: str,
              objects: list[tuple[str, int]]) -> list[BatchDecision]:
        """Decide, per object, what the client must do.

        Raises:
            ForbiddenError: an upload through a ref not authorized for writing (or for a pull request).
            QuotaExceededError: an upload whose objects (those new to this repo) would not fit the quota.
        """
        if operation == "upload":
            repo.require_upload()
        else:
            repo.require(Access.DOWNLOAD)
        decisions = [self._decide(caller, repo, operation, oid, size) for oid, size in objects]
        if operation == "upload":
            sizes = {d.oid: d.size for d in decisions if d.action != "error"}
            self._quotas.check(repo.row, self.new_to_repo(repo, sizes), "this upload")
        return decisions

    def _decide(self, caller: Caller | None, repo: RepoRef, operation: str, oid: str,
                size: int) -> BatchDecision:
        if not is_sha256_hex(oid) or size < 0:
            return BatchDecision(oid, size, "error", error_code=422,
                                 error_message="Invalid object: oid must be 64 hex sha256, size >= 0")
        if operation == "download":
            if not self.reachable(caller, repo, oid):
                return BatchDecision(oid, size, "error", error_code=404, error_message="Object does not exist")
            return BatchDecision(oid, self.object_size(oid) or size, "download")
        if size > self._max_size:
            return BatchDecision(oid, size, "error", error_code=422,
                                 error_message=f"Object of {size} bytes exceeds the limit of {self._max_size}")
        # Existing bytes count as "present" only when this caller may already reach them; otherwise
        # the caller must upload (prove possession), so no one can claim another tenant's object by oid.
        if self.object_size(oid) == size and self.reachable(caller, repo, oid):
            return BatchDecision(oid, size, "none")
        if size >= self._multipart_threshold:
            chunk = self._chunk_size
            if self.direct is not None:
                chunk = max(chunk, math.ceil(size / S3_MAX_PARTS))  # S3 takes at most 10,000 parts
            parts = max(1, math.ceil(size / chunk))
            return BatchDecision(oid, size, "upload", parts=parts, chunk_size=chunk)
        return BatchDecision(oid, size, "upload")

    def verify(self, oid: str, size: int) -> None:
        """Confirm an upload landed.

        Raises:
            NotFoundError: no verified object with that oid.
            IntegrityError: stored with another size.
        """
        stored = self.object_size(oid)
        if stored is None:
            raise NotFoundError(f"Object {oid} was not uploaded")
        if stored != size:
            raise IntegrityError(f"Object {oid} has size {stored}, not {size}")

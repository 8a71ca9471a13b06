"""LFS uploads that go straight from the client to the blob store (S3) through presigned URLs.

The client never writes the final key, and nothing it uploaded is recorded before the hub read it back
and checked its size and sha256. A wrong upload is deleted and never becomes visible.

- A single PUT goes to its own staging key (``staging/<unix time>-<oid>-<random>``). Its presigned URL
  stays valid after verification, so the bytes could still change there: once verified they are copied
  to ``lfs/aa/bb/<oid>``.
- A multipart upload goes to its own key ``uploads/<unix time>-<oid>-<random>``. The hub completes it;
  after that nobody can write the key again (the part URLs name an upload id that no longer exists, and
  the hub presigns nothing else for it), so a verified multipart upload is kept where it is and the
  LfsObject records its key. This saves a server-side copy of every large object.

The creation time in the key (not S3's own ``Initiated``, which some servers do not keep) lets a sweep
abort multipart uploads and delete staged objects abandoned for longer than the configured time. Every
multipart upload the hub starts is also recorded in the database until it is completed or aborted: MinIO
lists multipart uploads only for an exact key, so the bucket's listing alone would never find them there.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from kohakuhub.db.open_uploads import forget_open_upload, open_uploads_started_before, record_open_upload
from kohakuhub.errors import IntegrityError, NotFoundError, StorageUnavailableError
from kohakuhub.storage.base import BlobStore, lfs_key

log = logging.getLogger("kohakuhub.lfs")

STAGING_PREFIX = "staging/"  # single PUTs, until verified and copied
UPLOAD_PREFIX = "uploads/"  # multipart uploads, kept in place once verified
_STAGING_RE = re.compile(r"(?:staging|uploads)/([0-9]{1,12})-([0-9a-f]{64})-[0-9a-f]{16}")
SWEEP_INTERVAL_SECONDS = 600


def new_staging_key(oid: str, prefix: str = STAGING_PREFIX) -> str:
    """A fresh key for one upload of ``oid``."""
    return f"{prefix}{int(time.time())}-{oid}-{secrets.token_hex(8)}"


def is_staging_key(key: str, oid: str) -> bool:
    """True when ``key`` is an upload key made for ``oid`` (keys come back from clients inside signed URLs)."""
    match = _STAGING_RE.fullmatch(key)
    return match is not None and match.group(2) == oid


class ObjectRecords(Protocol):
    """The metadata of verified objects, as DirectUploads needs it."""

    def record(self, oid: str, size: int, uploader_id: int | None, storage_key: str | None) -> str | None:
        """Record a verified object and the uploader's grant; the recorded object's storage key."""

    def object_size(self, oid: str) -> int | None:
        """Size of the recorded object, or None."""

    def object_key(self, oid: str) -> str:
        """Where the recorded object's bytes are."""


@dataclass(frozen=True)
class DirectUpload:
    """Where the client sends the bytes of one object."""

    key: str
    put_url: str = ""  # single upload
    upload_id: str = ""  # multipart upload
    part_urls: list[str] = field(default_factory=list)


class DirectUploads:
    """Presigned uploads, completion, verification and publication of staged objects.

    ``records`` writes and reads the metadata of verified objects (LfsService).
    """

    def __init__(self, store: BlobStore, records: ObjectRecords, *, url_ttl: int,
                 abandon_after_seconds: float) -> None:
        self._store = store
        self._records = records
        self._ttl = url_ttl
        self._abandon_after = abandon_after_seconds
        self._last_sweep = 0.0
        self._sweep_lock = threading.Lock()

    # --- starting -----------------------------------------------------------------------------------

    def start(self, oid: str, size: int, parts: int = 0, chunk_size: int = 0) -> DirectUpload:
        """Presigned URL(s) for one upload of ``size`` bytes, each accepting only the bytes it is for.

        A single PUT (``parts`` 0), or ``parts`` part URLs of ``chunk_size`` bytes (the last one the rest).

        Raises:
            StorageUnavailableError: S3 cannot be reached to start a multipart upload.
        """
        self.maybe_sweep()
        if not parts:
            key = new_staging_key(oid)
            return DirectUpload(key, put_url=self._store.presigned_put_url(key, size=size, expires_in=self._ttl))
        key = new_staging_key(oid, UPLOAD_PREFIX)
        upload_id = self._store.create_multipart_upload(key)
        record_open_upload(key, upload_id, _naive_utc(time.time()))
        urls = [self._store.presigned_part_url(key, upload_id, n, expires_in=self._ttl,
                                               size=min(chunk_size, size - (n - 1) * chunk_size))
                for n in range(1, parts + 1)]
        return DirectUpload(key, upload_id=upload_id, part_urls=urls)

    # --- finishing ----------------------------------------------------------------------------------

    def complete(self, key: str, upload_id: str, oid: str, size: int, parts: list[tuple[int, str]],
                 uploader_id: int | None) -> None:
        """Complete a multipart upload, then verify and publish the object. Calling it again is harmless.

        Raises:
            IntegrityError: a part is missing or its etag does not match; or the assembled object's size
                or sha256 is wrong (it is then deleted).
            NotFoundError: the upload does not exist (aborted, or rejected at an earlier completion).
            StorageUnavailableError: S3 cannot be reached; nothing is recorded, the client may retry.
        """
        if self._store.head(key) is None:  # not completed yet (or completed and already published)
            try:
                self._store.complete_multipart_upload(key, upload_id, parts)
            except NotFoundError:
                forget_open_upload(key)
                self._gone(key, oid, size)
        forget_open_upload(key)  # completed: the sweep has nothing to abort any more
        self.publish(key, oid, size, uploader_id)

    def _gone(self, key: str, oid: str, size: int) -> None:
        """The multipart upload is finished or aborted: go on to publish only if its object exists.

        Raises:
            NotFoundError: neither the staged object (completed by a concurrent call) nor the published
                one exists: the upload was rejected or aborted.
        """
        if self._store.head(key) is None and not self._published(oid, size):
            raise NotFoundError(
                "This upload does not exist any more (rejected, abandoned or aborted); upload again")

    def publish(self, key: str, oid: str, size: int, uploader_id: int | None) -> None:
        """Verify the uploaded object (size, then sha256) and record it: a single PUT copied to its final
        key, a completed multipart upload where it is.

        Raises:
            NotFoundError: nothing was uploaded to ``key`` (and the object is not already published).
            IntegrityError: the size or sha256 is wrong; the staged object is deleted.
            StorageUnavailableError: S3 cannot be reached; nothing is recorded.
        """
        in_place = key.startswith(UPLOAD_PREFIX)  # a completed multipart upload: nobody can write it again
        if in_place and self._records.object_key(oid) == key:
            return  # verified and recorded by an earlier call (the completion, then the client's verify)
        found = self._store.head(key)
        if found is None:
            if self._published(oid, size):
                return  # verified by an earlier call for this same upload (a retried verify/completion)
            raise NotFoundError(f"Object {oid} was not uploaded")
        actual_size, tag = found
        try:
            if actual_size != size:
                raise IntegrityError(f"Size mismatch for {oid}: expected {size} bytes, received {actual_size}")
            actual_oid = self._store.sha256(key, if_match=tag)
            if actual_oid != oid:
                raise IntegrityError(f"sha256 mismatch: expected {oid}, received bytes hash to {actual_oid}")
            if in_place:
                if self._records.record(oid, size, uploader_id, key) != key:
                    self._store.delete(key)  # the object was stored before, by another upload
                return
            if self._records.object_size(oid) != size:
                self._store.copy(key, lfs_key(oid), if_match=tag)
        except IntegrityError:
            self._store.delete(key)
            raise
        except NotFoundError:
            # A concurrent call for the same upload published and removed it meanwhile.
            if self._published(oid, size):
                return
            raise
        self._records.record(oid, size, uploader_id, None)
        self._store.delete(key)

    def _published(self, oid: str, size: int) -> bool:
        return self._records.object_size(oid) == size

    # --- abandoned uploads --------------------------------------------------------------------------

    def maybe_sweep(self) -> None:
        """Start a sweep in the background when the last one is older than SWEEP_INTERVAL_SECONDS."""
        now = time.monotonic()
        with self._sweep_lock:
            if self._last_sweep and now - self._last_sweep < SWEEP_INTERVAL_SECONDS:
                return
            self._last_sweep = now
        threading.Thread(target=self._sweep_quietly, name="lfs-staging-sweep", daemon=True).start()

    def _sweep_quietly(self) -> None:
        try:
            self.sweep()
        except StorageUnavailableError:
            log.warning("sweep of abandoned uploads skipped: storage unavailable")
        except Exception:
            log.exception("sweep of abandoned uploads failed")

    def sweep(self, now: float | None = None) -> int:
        """Abort multipart uploads and delete staged objects older than the abandon time.

        Returns:
            How many uploads and objects were removed.
        """
        cutoff = (now if now is not None else time.time()) - self._abandon_after
        abandoned = dict(open_uploads_started_before(_naive_utc(cutoff)))
        for prefix in (UPLOAD_PREFIX, STAGING_PREFIX):  # multipart uploads started before version 6: staging/
            for pending in list(self._store.list_multipart_uploads(prefix)):  # empty on MinIO
                if _created(pending.key, pending.initiated.timestamp()) < cutoff:
                    abandoned[pending.key] = pending.upload_id
        removed = 0
        for key, upload_id in abandoned.items():
            self._store.abort_multipart_upload(key, upload_id)
            forget_open_upload(key)
            removed += 1
        for key in list(self._store.list_objects_older_than(
                STAGING_PREFIX, datetime.fromtimestamp(cutoff, UTC))):
            self._store.delete(key)  # staged by a single PUT but never verified
            removed += 1
        if removed:
            log.info("removed %d abandoned upload(s)", removed)
        return removed


def _naive_utc(timestamp: float) -> datetime:
    """A Unix time as the database stores times (naive UTC)."""
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)


def _created(key: str, default: float) -> float:
    match = re.match(r"(?:staging|uploads)/([0-9]{1,12})-", key)
    return float(match.group(1)) if match else default

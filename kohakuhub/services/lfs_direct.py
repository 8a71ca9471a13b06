"""LFS uploads that go straight from the client to the blob store (S3) through presigned URLs.

The client never writes the final key. Every upload gets its own staging key
(``staging/<unix time>-<oid>-<random>``): a presigned PUT for single uploads, or a multipart upload whose
part URLs are presigned. The hub completes the multipart upload, then reads the staged object back,
checks its size and sha256, and only then copies it to ``lfs/aa/bb/<oid>`` and records the LfsObject.
A wrong upload is deleted and never becomes visible.

The creation time in the staging key (not S3's own ``Initiated``, which some servers do not keep)
lets a sweep abort multipart uploads and delete staged objects abandoned for longer than the configured
time.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kohakuhub.errors import IntegrityError, NotFoundError, StorageUnavailableError
from kohakuhub.storage.base import BlobStore, lfs_key

log = logging.getLogger("kohakuhub.lfs")

STAGING_PREFIX = "staging/"
_STAGING_RE = re.compile(r"staging/([0-9]{1,12})-([0-9a-f]{64})-[0-9a-f]{16}")
SWEEP_INTERVAL_SECONDS = 600


def new_staging_key(oid: str) -> str:
    """A fresh staging key for one upload of ``oid``."""
    return f"{STAGING_PREFIX}{int(time.time())}-{oid}-{secrets.token_hex(8)}"


def is_staging_key(key: str, oid: str) -> bool:
    """True when ``key`` is a staging key made for ``oid`` (keys come back from clients inside signed URLs)."""
    match = _STAGING_RE.fullmatch(key)
    return match is not None and match.group(2) == oid


@dataclass(frozen=True)
class DirectUpload:
    """Where the client sends the bytes of one object."""

    key: str
    put_url: str = ""  # single upload
    upload_id: str = ""  # multipart upload
    part_urls: list[str] = field(default_factory=list)


class DirectUploads:
    """Presigned uploads, completion, verification and publication of staged objects.

    ``record(oid, size, uploader_id)`` writes the metadata of a verified object (LfsService does it).
    """

    def __init__(self, store: BlobStore, record: Callable[[str, int, int | None], None], *,
                 url_ttl: int, abandon_after_seconds: float) -> None:
        self._store = store
        self._record = record
        self._ttl = url_ttl
        self._abandon_after = abandon_after_seconds
        self._last_sweep = 0.0
        self._sweep_lock = threading.Lock()

    # --- starting -----------------------------------------------------------------------------------

    def start(self, oid: str, parts: int) -> DirectUpload:
        """Presigned URL(s) for one upload: a single PUT (``parts`` 0) or ``parts`` part URLs.

        Raises:
            StorageUnavailableError: S3 cannot be reached to start a multipart upload.
        """
        self.maybe_sweep()
        key = new_staging_key(oid)
        if not parts:
            return DirectUpload(key, put_url=self._store.presigned_put_url(key, expires_in=self._ttl))
        upload_id = self._store.create_multipart_upload(key)
        urls = [self._store.presigned_part_url(key, upload_id, n, expires_in=self._ttl)
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
                self._gone(key, oid, size)
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
        """Verify the staged object (size, then sha256) and copy it to its final key.

        Raises:
            NotFoundError: nothing was uploaded to ``key`` (and the object is not already published).
            IntegrityError: the size or sha256 is wrong; the staged object is deleted.
            StorageUnavailableError: S3 cannot be reached; nothing is recorded.
        """
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
            final = lfs_key(oid)
            if self._store.stat(final) != size:
                self._store.copy(key, final, if_match=tag)
        except IntegrityError:
            self._store.delete(key)
            raise
        except NotFoundError:
            # A concurrent call for the same upload published and removed it meanwhile.
            if self._published(oid, size):
                return
            raise
        self._record(oid, size, uploader_id)
        self._store.delete(key)

    def _published(self, oid: str, size: int) -> bool:
        return self._store.stat(lfs_key(oid)) == size

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
        removed = 0
        for pending in list(self._store.list_multipart_uploads(STAGING_PREFIX)):
            if _created(pending.key, pending.initiated.timestamp()) < cutoff:
                self._store.abort_multipart_upload(pending.key, pending.upload_id)
                removed += 1
        for key in list(self._store.list_objects_older_than(
                STAGING_PREFIX, datetime.fromtimestamp(cutoff, UTC))):
            self._store.delete(key)  # staged by a single PUT but never verified
            removed += 1
        if removed:
            log.info("removed %d abandoned upload(s)", removed)
        return removed


def _created(key: str, default: float) -> float:
    match = re.match(r"staging/([0-9]{1,12})-", key)
    return float(match.group(1)) if match else default

"""The BlobStore port: a key/value store for large file bytes.

Keys are relative slash-separated strings such as ``lfs/aa/bb/<sha256>``. A key is either absent or holds
complete bytes: writers publish atomically, so a reader never sees a partial object.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class PendingUpload:
    """A multipart upload started in the store and neither completed nor aborted."""

    key: str
    upload_id: str
    initiated: datetime


class BlobStore(ABC):
    """Stores and serves immutable byte objects by key."""

    @abstractmethod
    def stat(self, key: str) -> int | None:
        """Return the object's size in bytes, or None when the key is absent."""

    def exists(self, key: str) -> bool:
        """True when the key holds an object."""
        return self.stat(key) is not None

    @abstractmethod
    def read_range(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = 1 << 20
    ) -> Iterator[bytes]:
        """Yield the bytes ``[start, end)`` of an object (``end=None``: to the end) in chunks.

        Raises:
            NotFoundError: the key is absent (raised on the first ``next``).
        """

    @abstractmethod
    def put_file(self, key: str, src: Path) -> None:
        """Publish the content of local file ``src`` under ``key`` atomically.

        ``src`` is consumed: it may be moved into place, and callers must not use it afterwards.
        Overwriting an existing key is allowed (content-addressed keys hold the same bytes).
        """

    @abstractmethod
    def put_bytes(self, key: str, data: bytes) -> None:
        """Publish ``data`` under ``key`` atomically."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove an object; a missing key is not an error."""

    @abstractmethod
    def list_keys(self, prefix: str = "") -> Iterator[str]:
        """Yield every key starting with ``prefix``, in no particular order."""

    def local_path(self, key: str) -> Path | None:
        """Path of the object on this machine's disk, for zero-copy serving; None if not local."""
        return None

    def presigned_get_url(self, key: str, *, expires_in: int, disposition: str | None = None,
                          media_type: str | None = None) -> str | None:
        """A URL a client can GET directly without the hub's help, or None when the hub must serve it.

        ``disposition`` and ``media_type``: the Content-Disposition and Content-Type it is answered with.
        """
        return None

    def direct_origin(self) -> str | None:
        """The origin (``scheme://host[:port]``) of the presigned URLs clients are sent to, or None when
        every byte goes through the hub. The web UI's Content-Security-Policy must allow it."""
        return None

    # --- direct (presigned) uploads: only stores with ``direct_uploads`` implement these ---------------

    #: True when clients upload straight to the store through presigned URLs (S3); the hub then only
    #: verifies the staged object and copies it to its final key.
    direct_uploads: bool = False

    def head(self, key: str) -> tuple[int, str] | None:
        """(size, version tag) of an object, or None when absent; the tag changes when the object does."""
        raise NotImplementedError

    def sha256(self, key: str, *, if_match: str) -> str:
        """sha256 hex of the object's bytes, read only while its version tag is ``if_match``.

        Raises:
            NotFoundError: the key is absent.
            IntegrityError: the object changed (another tag) while it was read.
        """
        raise NotImplementedError

    def copy(self, src: str, dst: str, *, if_match: str | None = None) -> None:
        """Copy object ``src`` to ``dst`` inside the store (server-side), only if ``src`` has tag ``if_match``.

        Raises:
            NotFoundError: ``src`` is absent.
            IntegrityError: ``src`` has another tag.
        """
        raise NotImplementedError

    def presigned_put_url(self, key: str, *, size: int, expires_in: int) -> str:
        """A URL a client can PUT the whole object of exactly ``size`` bytes to, without credentials."""
        raise NotImplementedError

    def create_multipart_upload(self, key: str) -> str:
        """Start a multipart upload to ``key``; returns the store's upload id."""
        raise NotImplementedError

    def presigned_part_url(self, key: str, upload_id: str, part_number: int, *, size: int,
                           expires_in: int) -> str:
        """A URL a client can PUT part ``part_number`` (1-based) of a multipart upload, ``size`` bytes, to."""
        raise NotImplementedError

    def complete_multipart_upload(self, key: str, upload_id: str, parts: list[tuple[int, str]]) -> None:
        """Assemble the parts ``[(number, etag), ...]`` into the object ``key``.

        Raises:
            NotFoundError: no such upload (never started, aborted or already completed).
            IntegrityError: a part is missing, or an etag does not match the part received.
        """
        raise NotImplementedError

    def abort_multipart_upload(self, key: str, upload_id: str) -> None:
        """Discard a multipart upload and its parts; an unknown upload is not an error."""
        raise NotImplementedError

    def list_multipart_uploads(self, prefix: str = "") -> Iterator[PendingUpload]:
        """Yield the multipart uploads in progress under ``prefix``.

        MinIO answers only for an exact key, never for a shorter prefix: callers that must find every
        upload keep their own record of the ones they started (services/lfs_direct.py).
        """
        raise NotImplementedError

    def list_objects_older_than(self, prefix: str, cutoff: datetime) -> Iterator[str]:
        """Yield the keys under ``prefix`` last written before ``cutoff`` (timezone-aware)."""
        raise NotImplementedError


def lfs_key(oid: str) -> str:
    """Blob-store key of an LFS object: ``lfs/aa/bb/<sha256>``."""
    return f"lfs/{oid[:2]}/{oid[2:4]}/{oid}"

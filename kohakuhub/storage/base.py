"""The BlobStore port: a key/value store for large file bytes.

Keys are relative slash-separated strings such as ``lfs/aa/bb/<sha256>``. A key is either absent or holds
complete bytes: writers publish atomically, so a reader never sees a partial object.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path


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

    def presigned_get_url(self, key: str, *, expires_in: int, filename: str | None = None) -> str | None:
        """A URL a client can GET directly without the hub's help, or None when the hub must serve it."""
        return None


def lfs_key(oid: str) -> str:
    """Blob-store key of an LFS object: ``lfs/aa/bb/<sha256>``."""
    return f"lfs/{oid[:2]}/{oid[2:4]}/{oid}"

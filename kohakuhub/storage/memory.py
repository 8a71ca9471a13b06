"""BlobStore held in a dict: the real in-memory fake for tests and throwaway servers.

It follows the LocalBlobStore semantics (same key rules, same range clamping, lazy NotFoundError), so code
tested against it behaves the same on disk.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from kohakuhub.errors import NotFoundError
from kohakuhub.storage.base import BlobStore
from kohakuhub.storage.local import validate_key, validate_range


class MemoryBlobStore(BlobStore):
    """Thread-safe dict of key -> immutable bytes.

    Values are ``bytes`` and replaced whole under a lock, so publishing is atomic and a reader that took a
    value keeps a consistent snapshot even if the key is overwritten or deleted meanwhile.
    """

    def __init__(self) -> None:
        self._objects: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def _get(self, key: str) -> bytes | None:
        with self._lock:
            return self._objects.get(key)

    def stat(self, key: str) -> int | None:
        """Return the object's size in bytes, or None when the key is absent.

        Raises:
            ValueError: the key is invalid.
        """
        data = self._get(validate_key(key))
        return None if data is None else len(data)

    def read_range(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = 1 << 20
    ) -> Iterator[bytes]:
        """Yield bytes ``[start, end)`` in chunks; ``end`` is clamped to the size.

        Raises:
            ValueError: the key or range arguments are invalid (raised at call time).
            NotFoundError: the key is absent (raised on the first ``next``).
        """
        validate_key(key)
        validate_range(start, end, chunk_size)
        return self._iter_object(key, start, end, chunk_size)

    def _iter_object(self, key: str, start: int, end: int | None, chunk_size: int) -> Iterator[bytes]:
        # Looked up on first next(), like opening a file, so NotFoundError is lazy in both adapters.
        data = self._get(key)
        if data is None:
            raise NotFoundError(f"blob {key!r} not found")
        stop = len(data) if end is None else min(end, len(data))
        view = memoryview(data)
        for offset in range(start, stop, chunk_size):
            yield bytes(view[offset : min(offset + chunk_size, stop)])

    def put_bytes(self, key: str, data: bytes) -> None:
        """Publish ``data`` under ``key`` atomically.

        Raises:
            ValueError: the key is invalid.
        """
        validate_key(key)
        snapshot = bytes(data)  # a caller's bytearray must not change the stored object later
        with self._lock:
            self._objects[key] = snapshot

    def put_file(self, key: str, src: Path) -> None:
        """Publish the content of ``src`` under ``key``, then delete ``src``.

        Raises:
            ValueError: the key is invalid.
            FileNotFoundError: ``src`` does not exist.
        """
        validate_key(key)
        src = Path(src)
        self.put_bytes(key, src.read_bytes())
        src.unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        """Remove an object; a missing key is not an error.

        Raises:
            ValueError: the key is invalid.
        """
        validate_key(key)
        with self._lock:
            self._objects.pop(key, None)

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        """Yield every key starting with ``prefix`` (a snapshot taken on first ``next``)."""
        with self._lock:
            keys = [k for k in self._objects if k.startswith(prefix)]
        yield from keys

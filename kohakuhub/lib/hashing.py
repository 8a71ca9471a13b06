"""Hash helpers: git blob SHA-1 (preupload ``oid``, tree ``oid``) and streamed SHA-256 (LFS oids).

The client compares preupload's ``oid`` with ``sha1(b"blob <len>\\0" + data)`` to detect no-op uploads
(hf-client-protocol.md section 8), and LFS oids are lowercase sha256 hex. Always lowercase.
"""

from __future__ import annotations

import hashlib
import os
import re

from kohakuhub.errors import IntegrityError

__all__ = [
    "CHUNK_SIZE",
    "GitBlobHasher",
    "git_blob_sha1",
    "is_sha1_hex",
    "is_sha256_hex",
    "sha256_file",
]

CHUNK_SIZE = 1 << 20

_SHA1_RE = re.compile(r"[0-9a-f]{40}")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")


def git_blob_sha1(data: bytes) -> str:
    """Return the git object id of a blob holding ``data`` (40 lowercase hex)."""
    h = hashlib.sha1(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


class GitBlobHasher:
    """Incremental git blob SHA-1; git puts the size in the header, so it must be known up front.

    Raises:
        IntegrityError: From :meth:`update` when more than ``size`` bytes are fed, from
            :meth:`hexdigest` when fewer were.
    """

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError(f"size must be non-negative, got {size}")
        self.size = size
        self.received = 0
        self._hash = hashlib.sha1(b"blob %d\0" % size)

    def update(self, chunk: bytes) -> None:
        """Feed the next part of the blob."""
        self.received += len(chunk)
        if self.received > self.size:
            raise IntegrityError(f"Blob is larger than the announced {self.size} bytes")
        self._hash.update(chunk)

    def hexdigest(self) -> str:
        """Return the 40-hex object id once exactly ``size`` bytes were fed."""
        if self.received != self.size:
            raise IntegrityError(f"Blob has {self.received} bytes, expected {self.size}")
        return self._hash.hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> tuple[str, int]:
    """Hash a file in 1 MiB chunks.

    Args:
        path: The file to read.

    Returns:
        ``(sha256 lowercase hex, size in bytes)``.

    Raises:
        OSError: The file cannot be read.
    """
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def is_sha256_hex(value: object) -> bool:
    """True for exactly 64 lowercase hex characters."""
    return isinstance(value, str) and _SHA256_RE.fullmatch(value) is not None


def is_sha1_hex(value: object) -> bool:
    """True for exactly 40 lowercase hex characters."""
    return isinstance(value, str) and _SHA1_RE.fullmatch(value) is not None

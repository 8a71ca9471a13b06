"""git-lfs pointer files: the small text blobs git stores in place of large files.

Format (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md, hf-client-protocol.md section 10)::

    version https://git-lfs.github.com/spec/v1
    oid sha256:<64 lowercase hex>
    size <bytes>

The tree's ``lfs.pointerSize`` is the byte length of this text and the tree ``oid`` is its git blob sha1,
so :func:`make_pointer` must be byte-exact. :func:`parse_pointer` is deliberately strict: a blob is only
treated as a pointer when it is the canonical three-line form (pointer extensions and unknown keys are
rejected), because a false positive would hide a regular file behind an object that does not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MAX_POINTER_SIZE", "POINTER_SIZES", "LfsPointer", "make_pointer", "parse_pointer"]

MAX_POINTER_SIZE = 1024

_VERSION = b"https://git-lfs.github.com/spec/v1"
_LEGACY_VERSION = b"https://hawser.github.com/spec/v1"

_POINTER_RE = re.compile(
    rb"version (?P<version>\S+)\n"
    rb"oid sha256:(?P<oid>[0-9a-f]{64})\n"
    rb"size (?P<size>0|[1-9][0-9]{0,19})\n?"  # sizes fit in 64 bits: 20 digits at most
)


@dataclass(frozen=True)
class LfsPointer:
    """An LFS object reference: its sha256 (lowercase hex) and its size in bytes."""

    oid: str
    size: int


def make_pointer(oid: str, size: int) -> bytes:
    """Return the canonical pointer text for an object.

    Raises:
        ValueError: ``oid`` is not 64 lowercase hex or ``size`` is negative.
    """
    if not re.fullmatch(r"[0-9a-f]{64}", oid or ""):
        raise ValueError(f"Invalid LFS oid {oid!r}: expected 64 lowercase hex characters")
    if size < 0:
        raise ValueError(f"Invalid LFS size {size}: must be non-negative")
    return b"version %s\noid sha256:%s\nsize %d\n" % (_VERSION, oid.encode("ascii"), size)


def parse_pointer(data: bytes) -> LfsPointer | None:
    """Recognize a pointer file.

    Args:
        data: The content of a git blob.

    Returns:
        The pointer, or ``None`` when ``data`` is not a canonical pointer (too large, wrong version,
        missing/extra keys, bad oid or size). The final newline may be missing, as git-lfs tolerates.
    """
    if len(data) > MAX_POINTER_SIZE or not data.startswith(b"version "):
        return None
    match = _POINTER_RE.fullmatch(data)
    if match is None or match["version"] not in (_VERSION, _LEGACY_VERSION):
        return None
    return LfsPointer(oid=match["oid"].decode("ascii"), size=int(match["size"]))


def _pointer_sizes() -> range:
    oid = "0" * 64
    shortest = make_pointer(oid, 0).replace(_VERSION, _LEGACY_VERSION)[:-1]  # final newline is optional
    longest = make_pointer(oid, 10**20 - 1)
    return range(len(shortest), len(longest) + 1)


#: Every length a blob ``parse_pointer`` accepts can have: other blobs need not be read to be ruled out.
POINTER_SIZES = _pointer_sizes()

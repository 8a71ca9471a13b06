"""``Range`` request header parsing for ``/resolve`` and LFS blob downloads (206 responses).

Only a single byte range is honoured. Multi-range requests and other units are answered with the whole
file (200), which RFC 9110 permits and every client handles; a malformed or unsatisfiable ``bytes=``
range gets 416 with ``Content-Range: bytes */<size>``.
"""

from __future__ import annotations

import re

from kohakuhub.errors import RangeNotSatisfiableError

__all__ = ["parse_range"]

_SPEC_RE = re.compile(r"(?P<start>[0-9]*)[ \t]*-[ \t]*(?P<end>[0-9]*)")


def _unsatisfiable(header: str, size: int, why: str) -> RangeNotSatisfiableError:
    return RangeNotSatisfiableError(f"Range {header!r} not satisfiable for {size} bytes: {why}", size=size)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Parse a ``Range`` header against a file of ``size`` bytes.

    Args:
        header: The raw header value, or None.
        size: The full length of the file.

    Returns:
        ``(start, end_exclusive)`` for a single ``bytes=a-b``, ``bytes=a-`` or ``bytes=-n`` range, with
        the end clamped to ``size``; None to serve the whole file (no header, another unit, several
        ranges).

    Raises:
        RangeNotSatisfiableError: A ``bytes=`` range is malformed, starts at or past the end of the file,
            is an empty suffix (``-0``), or the file is empty.
    """
    if not header or not header.strip():
        return None
    unit, eq, ranges = header.strip().partition("=")
    if not eq or unit.strip().lower() != "bytes":
        return None
    specs = [spec.strip() for spec in ranges.split(",") if spec.strip()]
    if len(specs) > 1:
        return None
    match = _SPEC_RE.fullmatch(specs[0]) if specs else None
    if match is None or not (match["start"] or match["end"]):
        raise _unsatisfiable(header, size, "malformed range")
    if match["start"]:
        start = int(match["start"])
        end = int(match["end"]) + 1 if match["end"] else size
        if end <= start:
            raise _unsatisfiable(header, size, "last byte before first byte")
        if start >= size:
            raise _unsatisfiable(header, size, "starts past the end of the file")
        return start, min(end, size)
    suffix = int(match["end"])
    if suffix == 0 or size == 0:
        raise _unsatisfiable(header, size, "empty suffix range")
    return max(size - suffix, 0), size

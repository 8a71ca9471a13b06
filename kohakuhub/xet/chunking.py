"""Content-defined chunking (spec: chunking.md, "Gearhash-based CDC").

Pure Python; fast enough for tests and benchmarks on modest sizes. Boundaries must be
bit-for-bit those of every other Xet client, or deduplication breaks.
"""

from __future__ import annotations

from kohakuhub.xet._gear_table import GEAR_TABLE

TARGET_CHUNK_SIZE = 64 * 1024
MIN_CHUNK_SIZE = 8 * 1024
MAX_CHUNK_SIZE = 128 * 1024
# 16 one-bits: a boundary is expected once per 2**16 bytes (chunking.md "MASK").
BOUNDARY_MASK = 0xFFFF000000000000

_U64 = (1 << 64) - 1
# chunking.md "Minimum-size Skip-ahead": with a 64-bit shift-and-add hash, only the last
# 64 bytes influence h, so hashing may start MIN - 64 - 1 bytes into a chunk (from h = 0)
# and the first admissible test (at size MIN) sees exactly the unskipped value.
_SKIP = MIN_CHUNK_SIZE - 64 - 1


class Chunker:
    """Streaming chunker: ``feed`` returns the chunks completed so far, ``finish`` the rest.

    Boundary decisions depend only on bytes inside the current chunk, so the output
    is identical however the input is split across ``feed`` calls."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pos = 0  # next byte of _buf to hash
        self._h = 0

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        return self._cut_complete_chunks()

    def finish(self) -> list[bytes]:
        chunks = self._cut_complete_chunks()
        if self._buf:
            chunks.append(bytes(self._buf))
        self._buf = bytearray()
        self._pos = 0
        self._h = 0
        return chunks

    def _cut_complete_chunks(self) -> list[bytes]:
        table = GEAR_TABLE
        buf = self._buf
        n = len(buf)
        out: list[bytes] = []
        start, pos, h = 0, self._pos, self._h
        while True:
            if pos < start + _SKIP:
                pos, h = start + _SKIP, 0
            first_test = start + MIN_CHUNK_SIZE - 1  # index of the byte making size == MIN
            # Hash-only stretch: no boundary may be taken before MIN_CHUNK_SIZE.
            stop = min(first_test, n)
            if pos < stop:
                for b in buf[pos:stop]:
                    h = ((h << 1) + table[b]) & _U64
                pos = stop
            if pos < first_test:
                break  # need more data
            # Test stretch: boundary after the first byte leaving the mask bits zero,
            # forced once the chunk reaches MAX_CHUNK_SIZE.
            forced_end = start + MAX_CHUNK_SIZE
            stop = min(forced_end, n)
            cut = -1
            j = pos
            for b in buf[pos:stop]:
                h = ((h << 1) + table[b]) & _U64
                j += 1
                if not h & BOUNDARY_MASK:
                    cut = j
                    break
            pos = j
            if cut < 0:
                if stop < forced_end:
                    break  # need more data
                cut = forced_end
            out.append(bytes(buf[start:cut]))
            start, pos, h = cut, cut, 0
        del buf[:start]
        self._pos, self._h = pos - start, h
        return out


def split_chunks(data: bytes) -> list[bytes]:
    """The chunks of ``data`` (none for empty input)."""
    chunker = Chunker()
    return chunker.feed(data) + chunker.finish()


def chunk_boundaries(data: bytes) -> list[int]:
    """End offsets of the chunks of ``data``, in order (the last equals ``len(data)``)."""
    ends, offset = [], 0
    for chunk in split_chunks(data):
        offset += len(chunk)
        ends.append(offset)
    return ends

"""Xorb serialization (spec: xorb.md).

A xorb is a sequence of chunks, each an 8-byte header plus compressed bytes, optionally
followed by a metadata footer (``XorbObjectInfo``) whose length is the xorb's last 4
bytes. The reference client (hf_xet 1.8) uploads xorbs *without* the footer; the spec
describes it, so a footer is accepted when present and checked against the chunks.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Iterator, Sequence

import lz4.frame

from kohakuhub.xet.chunking import MAX_CHUNK_SIZE
from kohakuhub.xet.hashing import chunk_hash, hash_to_hex, xorb_hash

CHUNK_HEADER_SIZE = 8
CHUNK_HEADER_VERSION = 0

COMPRESSION_NONE = 0
COMPRESSION_LZ4 = 1
COMPRESSION_BG4_LZ4 = 2
COMPRESSION_NAMES = {"none": COMPRESSION_NONE, "lz4": COMPRESSION_LZ4, "bg4-lz4": COMPRESSION_BG4_LZ4}

# xorb.md: the server rejects xorbs over 64 MiB serialized. The reference client cuts a
# xorb once its *uncompressed* chunk bytes reach 64 MiB, so an incompressible full xorb
# serializes slightly larger (8-byte headers, footer): the raw-data cap is exact, the
# serialized cap leaves room for that overhead.
MAX_XORB_DATA_BYTES = 64 * 1024 * 1024
MAX_XORB_SERIALIZED_BYTES = MAX_XORB_DATA_BYTES + 2 * 1024 * 1024
# xorb.md: 8192 chunks is a producer-side cap (a reader MUST NOT assume it).
MAX_XORB_CHUNKS_WRITTEN = 8192

# xorb.md "Xorb Footer": fixed tail of XorbObjectInfo = num_chunks u32,
# hashes_section_offset_from_end u32, boundary_section_offset_from_end u32, 16-byte
# buffer (nonce + reserved, ignored by readers), then info_length u32 (not counted in
# info_length itself).
_FOOTER_TAIL = struct.Struct("<III16sI")


class XorbFormatError(ValueError):
    """A serialized xorb is malformed or does not match its hash."""


@dataclass(frozen=True)
class XorbChunk:
    hash: bytes
    offset: int  # byte offset of the chunk header in the serialized xorb
    length: int  # header + compressed bytes
    uncompressed_size: int


@dataclass(frozen=True)
class ParsedXorb:
    hash: bytes
    chunks: list[XorbChunk]
    data_length: int  # bytes of the chunk section; a footer, if any, starts here
    has_footer: bool

    @property
    def uncompressed_size(self) -> int:
        return sum(c.uncompressed_size for c in self.chunks)


# --- byte grouping (xorb.md "Byte Grouping LZ4 Compression") -------------------------

def bg4_group(data: bytes) -> bytes:
    """Byte i goes to group i % 4; groups concatenated in order 0..3. A tail that is not a
    multiple of 4 lands one byte each in the first groups, which slicing does naturally."""
    return b"".join(data[g::4] for g in range(4))


def bg4_ungroup(grouped: bytes) -> bytes:
    n = len(grouped)
    base, extra = divmod(n, 4)
    out = bytearray(n)
    pos = 0
    for g in range(4):
        size = base + (1 if g < extra else 0)
        out[g::4] = grouped[pos:pos + size]
        pos += size
    return bytes(out)


# --- chunk codec ----------------------------------------------------------------------

def _decompress(scheme: int, payload: bytes, expected_size: int, where: str) -> bytes:
    if scheme == COMPRESSION_NONE:
        raw = payload
    elif scheme in (COMPRESSION_LZ4, COMPRESSION_BG4_LZ4):
        # The reference client writes LZ4 *frames* (magic 04 22 4D 18), not raw blocks. Output is
        # capped one byte past the declared size: a 16 MiB frame of zeros would otherwise inflate to GiBs.
        try:
            decompressor = lz4.frame.LZ4FrameDecompressor()
            raw = decompressor.decompress(payload, max_length=expected_size + 1)
        except Exception as exc:  # lz4 raises RuntimeError and friends on bad input
            raise XorbFormatError(f"{where}: LZ4 data is corrupt ({exc})") from None
        if len(raw) > expected_size:
            raise XorbFormatError(f"{where}: decompresses to more than the {expected_size} bytes its header says")
        if not decompressor.eof:
            raise XorbFormatError(f"{where}: LZ4 data is corrupt (the frame is truncated or damaged)")
        if scheme == COMPRESSION_BG4_LZ4:
            raw = bg4_ungroup(raw)
    else:
        raise XorbFormatError(f"{where}: unknown compression scheme {scheme}")
    if len(raw) != expected_size:
        raise XorbFormatError(
            f"{where}: decompressed to {len(raw)} bytes, header says {expected_size}"
        )
    return raw


def _read_chunk_header(data: bytes, offset: int, index: int) -> tuple[int, int, int]:
    """(compressed_size, scheme, uncompressed_size) of the chunk header at ``offset``."""
    if offset + CHUNK_HEADER_SIZE > len(data):
        raise XorbFormatError(f"chunk {index}: truncated chunk header at byte {offset}")
    version = data[offset]
    if version != CHUNK_HEADER_VERSION:
        raise XorbFormatError(f"chunk {index}: unknown chunk header version {version} at byte {offset}")
    compressed = int.from_bytes(data[offset + 1:offset + 4], "little")
    scheme = data[offset + 4]
    uncompressed = int.from_bytes(data[offset + 5:offset + 8], "little")
    if scheme not in COMPRESSION_NAMES.values():
        raise XorbFormatError(f"chunk {index}: unknown compression scheme {scheme}")
    if uncompressed == 0:
        raise XorbFormatError(f"chunk {index}: empty chunk")
    if uncompressed > MAX_CHUNK_SIZE:
        raise XorbFormatError(
            f"chunk {index}: uncompressed size {uncompressed} exceeds the {MAX_CHUNK_SIZE}-byte maximum"
        )
    if scheme == COMPRESSION_NONE and compressed != uncompressed:
        raise XorbFormatError(
            f"chunk {index}: uncompressed chunk stores {compressed} bytes, header says {uncompressed}"
        )
    end = offset + CHUNK_HEADER_SIZE + compressed
    if end > len(data):
        raise XorbFormatError(
            f"chunk {index}: truncated chunk data at byte {offset} "
            f"(needs {compressed} bytes, {len(data) - offset - CHUNK_HEADER_SIZE} left)"
        )
    return compressed, scheme, uncompressed


def decode_chunks(data: bytes) -> Iterator[bytes]:
    """Decompressed bytes of each of the consecutive serialized chunks in ``data`` (e.g. a
    byte range of a stored xorb). ``data`` must hold whole chunks only, no footer."""
    offset, index = 0, 0
    view = memoryview(data)
    while offset < len(data):
        compressed, scheme, uncompressed = _read_chunk_header(data, offset, index)
        start = offset + CHUNK_HEADER_SIZE
        yield _decompress(scheme, bytes(view[start:start + compressed]), uncompressed, f"chunk {index}")
        offset = start + compressed
        index += 1


# --- footer ---------------------------------------------------------------------------

def _footer_start(data: bytes) -> int | None:
    """Where a footer would start per the trailing info_length, or None if implausible."""
    if len(data) < _FOOTER_TAIL.size:
        return None
    info_length = struct.unpack_from("<I", data, len(data) - 4)[0]
    if info_length < _FOOTER_TAIL.size - 4 or info_length + 4 > len(data):
        return None
    return len(data) - 4 - info_length


def _check_footer(data: bytes, start: int, chunks: list[XorbChunk], expected_hash: bytes) -> None:
    """xorb.md "Xorb Footer": the footer holds the xorb hash, every chunk hash and the
    chunk boundary offsets. The spec fixes only the tail's layout, so the checks are:
    tail fields consistent, section offsets inside the footer, the xorb hash present, and
    the chunk hashes present in order inside the hashes section."""
    footer = data[start:]
    num_chunks, hashes_from_end, boundary_from_end, _buffer, _info_length = _FOOTER_TAIL.unpack_from(
        data, len(data) - _FOOTER_TAIL.size
    )
    if num_chunks != len(chunks):
        raise XorbFormatError(f"xorb footer: says {num_chunks} chunks, xorb has {len(chunks)}")
    for name, from_end in (("hashes", hashes_from_end), ("boundary", boundary_from_end)):
        if not _FOOTER_TAIL.size < from_end <= len(footer):
            raise XorbFormatError(f"xorb footer: {name} section offset {from_end} outside the footer")
    hashes_start = len(data) - hashes_from_end
    if hashes_from_end <= boundary_from_end:
        raise XorbFormatError("xorb footer: hashes section does not precede the boundary section")
    if expected_hash not in data[start:hashes_start]:
        raise XorbFormatError("xorb footer: does not carry the xorb hash")
    all_hashes = b"".join(c.hash for c in chunks)
    hashes_end = len(data) - boundary_from_end
    found = data.find(all_hashes, hashes_start, hashes_end)
    if found < 0 or found - hashes_start > 64:
        raise XorbFormatError("xorb footer: chunk hashes disagree with the chunks")


# --- parse / build --------------------------------------------------------------------

def parse_xorb(data: bytes, expected_hash: bytes) -> ParsedXorb:
    """Validate a serialized xorb completely (every header, every chunk decompressed and
    hashed, the xorb hash, the footer if present). Raises XorbFormatError on any problem."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise XorbFormatError("xorb body must be bytes")
    data = bytes(data)
    if len(data) > MAX_XORB_SERIALIZED_BYTES:
        raise XorbFormatError(f"xorb is {len(data)} bytes, over the {MAX_XORB_SERIALIZED_BYTES}-byte limit")
    if not data:
        raise XorbFormatError("xorb is empty")
    footer_at = _footer_start(data)
    chunks: list[XorbChunk] = []
    pairs: list[tuple[bytes, int]] = []
    total = 0
    offset = 0
    has_footer = False
    view = memoryview(data)
    while offset < len(data):
        if offset == footer_at and chunks and _FOOTER_TAIL.unpack_from(data, len(data) - _FOOTER_TAIL.size)[0] == len(chunks):
            has_footer = True
            break
        index = len(chunks)
        compressed, scheme, uncompressed = _read_chunk_header(data, offset, index)
        start = offset + CHUNK_HEADER_SIZE
        raw = _decompress(scheme, bytes(view[start:start + compressed]), uncompressed, f"chunk {index}")
        total += uncompressed
        if total > MAX_XORB_DATA_BYTES:
            raise XorbFormatError(f"xorb holds more than {MAX_XORB_DATA_BYTES} bytes of chunk data")
        h = chunk_hash(raw)
        chunks.append(XorbChunk(hash=h, offset=offset, length=CHUNK_HEADER_SIZE + compressed,
                                uncompressed_size=uncompressed))
        pairs.append((h, uncompressed))
        offset = start + compressed
    if not chunks:
        raise XorbFormatError("xorb has no chunks")
    actual = xorb_hash(pairs)
    if actual != expected_hash:
        raise XorbFormatError(
            f"xorb hash mismatch: expected {hash_to_hex(expected_hash)}, got {hash_to_hex(actual)}"
        )
    if has_footer:
        _check_footer(data, offset, chunks, actual)
    return ParsedXorb(hash=actual, chunks=chunks, data_length=offset, has_footer=has_footer)


def encode_chunk(raw: bytes, compression: str = "lz4") -> bytes:
    """Header + payload of one chunk. Falls back to no compression when compressing does
    not shrink the chunk (xorb.md: the chunk SHOULD then be stored uncompressed)."""
    if not 0 < len(raw) <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk size {len(raw)} outside 1..{MAX_CHUNK_SIZE}")
    try:
        scheme = COMPRESSION_NAMES[compression]
    except KeyError:
        raise ValueError(f"unknown compression {compression!r}; one of {sorted(COMPRESSION_NAMES)}") from None
    payload = raw
    if scheme == COMPRESSION_LZ4:
        payload = lz4.frame.compress(raw)
    elif scheme == COMPRESSION_BG4_LZ4:
        payload = lz4.frame.compress(bg4_group(raw))
    if scheme != COMPRESSION_NONE and len(payload) >= len(raw):
        scheme, payload = COMPRESSION_NONE, raw
    header = (bytes([CHUNK_HEADER_VERSION]) + len(payload).to_bytes(3, "little")
              + bytes([scheme]) + len(raw).to_bytes(3, "little"))
    return header + payload


def build_xorb(chunks: Sequence[bytes], compression: str = "lz4", *, footer: bool = False) -> tuple[bytes, bytes]:
    """Serialize ``chunks`` (raw bytes each) into a xorb; returns (bytes, xorb hash).

    ``footer=False`` matches what the reference client uploads. ``footer=True`` appends
    a XorbObjectInfo whose tail follows xorb.md; its body (not laid out by the spec) is:
    xorb hash, then the hashes section (chunk hashes), then the boundary section (u32
    end offset of each chunk in the serialized xorb, then u32 cumulative uncompressed end
    offset of each chunk)."""
    if not chunks:
        raise ValueError("a xorb holds at least one chunk")
    body = bytearray()
    hashes, pairs, ends, raw_ends = [], [], [], []
    raw_total = 0
    for raw in chunks:
        body += encode_chunk(raw, compression)
        h = chunk_hash(raw)
        hashes.append(h)
        pairs.append((h, len(raw)))
        raw_total += len(raw)
        ends.append(len(body))
        raw_ends.append(raw_total)
    xh = xorb_hash(pairs)
    if footer:
        n = len(chunks)
        hashes_section = b"".join(hashes)
        boundary_section = struct.pack(f"<{n}I", *ends) + struct.pack(f"<{n}I", *raw_ends)
        # offsets "from end" are measured from the end of the whole xorb
        boundary_from_end = len(boundary_section) + _FOOTER_TAIL.size
        hashes_from_end = boundary_from_end + len(hashes_section)
        info = xh + hashes_section + boundary_section
        info_length = len(info) + _FOOTER_TAIL.size - 4
        info += _FOOTER_TAIL.pack(n, hashes_from_end, boundary_from_end, bytes(16), info_length)
        body += info
    return bytes(body), xh

"""MDB shard format (spec: shard.md) and checking a file reconstruction against stored
xorb metadata (hashing.md "Term Verification Hashes").

Layout: 48-byte header, file info section (ends with a bookend), CAS info section (ends
with a bookend), then a 200-byte footer, omitted in uploaded shards (footer_size 0). Every
structure is 48 bytes, little-endian.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Callable, Sequence

from kohakuhub.xet.hashing import HASH_LEN, ZERO_HASH, file_hash, hash_to_hex, verification_hash

# shard.md names the 32-byte MDB_SHARD_HEADER_TAG without printing it; these are the
# bytes the reference client (hf_xet 1.8) writes ("HFRepoMetaData\0" + 17 fixed bytes).
SHARD_HEADER_TAG = bytes([
    72, 70, 82, 101, 112, 111, 77, 101, 116, 97, 68, 97, 116, 97, 0, 85,
    105, 103, 69, 106, 123, 129, 87, 131, 165, 189, 217, 92, 205, 209, 74, 169,
])
SHARD_HEADER_VERSION = 2
SHARD_FOOTER_VERSION = 1
HEADER_SIZE = 48
ENTRY_SIZE = 48
FOOTER_SIZE = 200
# Lookup tables between the CAS info bookend and the footer, each sorted by key, the key
# being a hash's first 8 bytes as a little-endian u64: file (key, file index u32),
# xorb (key, xorb index u32), chunk (key, xorb index u32, chunk index u32).
_FILE_LOOKUP = struct.Struct("<QI")
_XORB_LOOKUP = struct.Struct("<QI")
_CHUNK_LOOKUP = struct.Struct("<QII")
# deduplication.md: shards are at most 64 MB.
MAX_SHARD_BYTES = 64 * 1024 * 1024

FLAG_WITH_VERIFICATION = 1 << 31
FLAG_WITH_METADATA_EXT = 1 << 30
_KNOWN_FILE_FLAGS = FLAG_WITH_VERIFICATION | FLAG_WITH_METADATA_EXT

BOOKEND = b"\xff" * HASH_LEN + bytes(16)

_HEADER = struct.Struct("<32sQQ")
_FILE_HEADER = struct.Struct("<32sII8s")       # file_hash, file_flags, num_entries, unused
_FILE_ENTRY = struct.Struct("<32sIIII")        # cas_hash, cas_flags, unpacked, chunk start, end
_HASH_PLUS_16 = struct.Struct("<32s16s")       # verification entry / metadata ext
_CAS_HEADER = struct.Struct("<32sIIII")        # cas_hash, cas_flags, num_entries, bytes_in_cas, on_disk
_CAS_ENTRY = struct.Struct("<32sII8s")         # chunk_hash, byte_range_start, unpacked, unused
# shard.md "Footer": version, file_info_offset, cas_info_offset, a 48-byte block, the
# HMAC key, creation time, key expiry, a 72-byte block, footer_offset. The spec calls
# the two blocks reserved, but the reference client reads them: the first holds the
# three lookup tables' (offset, entry count) pairs (file, xorb, chunk) and the second six
# reserved u64s then stored_bytes_on_disk, materialized_bytes, stored_bytes. A footer
# with zeros there crashes hf_xet 1.8 (it sizes tables from them), so we write them.
_FOOTER = struct.Struct("<QQQ" "QQQQQQ" "32sQQ" "48sQQQ" "Q")
assert _FOOTER.size == FOOTER_SIZE
_U32_MAX = 0xFFFFFFFF


class ShardFormatError(ValueError):
    """A shard is malformed, or a file reconstruction in it does not check out."""


@dataclass
class FileSegment:
    """One term of a file reconstruction: chunks [chunk_start, chunk_end) of a xorb."""

    xorb_hash: bytes
    unpacked_bytes: int
    chunk_start: int
    chunk_end: int  # exclusive


@dataclass
class FileEntry:
    file_hash: bytes
    segments: list[FileSegment]
    verification: list[bytes] | None = None  # one range hash per segment
    # FileMetadataExt: the file's real SHA-256 digest (as git LFS uses it). On the wire
    # the reference client stores it like a Xet hash: bytes such that the spec's
    # hash-to-string of them is the sha256 hex, i.e. each 8-byte word byte-reversed
    # (observed in hf_xet 1.8 upload shards); parse/build convert.
    sha256: bytes | None = None

    @property
    def size(self) -> int:
        return sum(s.unpacked_bytes for s in self.segments)


@dataclass
class XorbChunkEntry:
    chunk_hash: bytes  # keyed with the footer's chunk_hash_hmac_key when that is non-zero
    # Start of the chunk within the xorb's *uncompressed* data: the reference client
    # writes the running sum of unpacked sizes here (0, len0, len0+len1, ...).
    byte_offset: int
    unpacked_bytes: int


@dataclass
class XorbEntry:
    xorb_hash: bytes
    chunks: list[XorbChunkEntry]
    unpacked_bytes: int  # num_bytes_in_cas: sum of the chunks' unpacked sizes
    bytes_on_disk: int  # serialized xorb length (the reference client may write 0)


@dataclass
class Shard:
    files: list[FileEntry] = field(default_factory=list)
    xorbs: list[XorbEntry] = field(default_factory=list)
    # Footer fields; meaningful only when the shard has a footer.
    chunk_hash_hmac_key: bytes = ZERO_HASH
    creation_timestamp: int = 0
    key_expiry: int = 0
    has_footer: bool = False


def _swap_words(h: bytes) -> bytes:
    """Byte-reverse each 8-byte word (its own inverse): between a SHA-256 digest and
    the form a shard stores it in."""
    if len(h) != HASH_LEN:
        raise ValueError("sha256 must be 32 bytes")
    return b"".join(h[i:i + 8][::-1] for i in range(0, HASH_LEN, 8))


# --- parsing --------------------------------------------------------------------------

class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, st: struct.Struct, what: str) -> tuple:
        if self.pos + st.size > len(self.data):
            raise ShardFormatError(f"truncated {what} at byte {self.pos}")
        values = st.unpack_from(self.data, self.pos)
        self.pos += st.size
        return values

    def need(self, count: int, size: int, what: str) -> None:
        # Checked before looping so a huge count cannot make us spin or allocate.
        if count * size > len(self.data) - self.pos:
            raise ShardFormatError(f"truncated {what}: {count} entries at byte {self.pos} exceed the shard")

    def at_bookend(self) -> bool:
        return self.data[self.pos:self.pos + HASH_LEN] == BOOKEND[:HASH_LEN]

    def skip_bookend(self, section: str) -> None:
        if self.data[self.pos:self.pos + ENTRY_SIZE] != BOOKEND:
            raise ShardFormatError(f"malformed {section} bookend at byte {self.pos}")
        self.pos += ENTRY_SIZE


def _read_files(r: _Reader) -> list[FileEntry]:
    files: list[FileEntry] = []
    while True:
        if r.pos + ENTRY_SIZE > len(r.data):
            raise ShardFormatError(f"truncated file info section at byte {r.pos} (no bookend)")
        if r.at_bookend():
            r.skip_bookend("file info")
            return files
        index = len(files)
        fhash, flags, num_entries, _ = r.take(_FILE_HEADER, f"file {index} header")
        if flags & ~_KNOWN_FILE_FLAGS:
            raise ShardFormatError(f"file {index}: unknown file flags {flags:#010x}")
        per_segment = 2 if flags & FLAG_WITH_VERIFICATION else 1
        r.need(num_entries * per_segment + bool(flags & FLAG_WITH_METADATA_EXT), ENTRY_SIZE, f"file {index}")
        segments = []
        for _ in range(num_entries):
            xh, _cas_flags, unpacked, start, end = r.take(_FILE_ENTRY, f"file {index} entry")
            segments.append(FileSegment(xh, unpacked, start, end))
        verification = None
        if flags & FLAG_WITH_VERIFICATION:
            verification = [r.take(_HASH_PLUS_16, f"file {index} verification")[0] for _ in range(num_entries)]
        sha256 = None
        if flags & FLAG_WITH_METADATA_EXT:
            sha256 = _swap_words(r.take(_HASH_PLUS_16, f"file {index} metadata")[0])
        files.append(FileEntry(fhash, segments, verification, sha256))


def _read_xorbs(r: _Reader) -> list[XorbEntry]:
    xorbs: list[XorbEntry] = []
    while True:
        if r.pos + ENTRY_SIZE > len(r.data):
            raise ShardFormatError(f"truncated CAS info section at byte {r.pos} (no bookend)")
        if r.at_bookend():
            r.skip_bookend("CAS info")
            return xorbs
        index = len(xorbs)
        xh, _cas_flags, num_entries, in_cas, on_disk = r.take(_CAS_HEADER, f"xorb {index} header")
        r.need(num_entries, ENTRY_SIZE, f"xorb {index}")
        chunks = []
        for _ in range(num_entries):
            ch, start, unpacked, _ = r.take(_CAS_ENTRY, f"xorb {index} chunk entry")
            chunks.append(XorbChunkEntry(ch, start, unpacked))
        total = sum(c.unpacked_bytes for c in chunks)
        if total != in_cas:
            raise ShardFormatError(
                f"xorb {hash_to_hex(xh)}: header says {in_cas} unpacked bytes, its chunks sum to {total}"
            )
        xorbs.append(XorbEntry(xh, chunks, in_cas, on_disk))


def parse_shard(data: bytes) -> Shard:
    """Parse and structurally validate a shard (with or without footer). Raises
    ShardFormatError naming the first problem; never reads past the data."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ShardFormatError("shard body must be bytes")
    data = bytes(data)
    if len(data) > MAX_SHARD_BYTES:
        raise ShardFormatError(f"shard is {len(data)} bytes, over the {MAX_SHARD_BYTES}-byte limit")
    r = _Reader(data)
    tag, version, footer_size = r.take(_HEADER, "shard header")
    if tag != SHARD_HEADER_TAG:
        raise ShardFormatError("not a shard: bad header tag")
    if version != SHARD_HEADER_VERSION:
        raise ShardFormatError(f"unsupported shard header version {version}")
    if footer_size not in (0, FOOTER_SIZE):
        raise ShardFormatError(f"footer size {footer_size}, expected 0 or {FOOTER_SIZE}")
    files = _read_files(r)
    verified = {f.verification is not None for f in files}
    if len(verified) > 1:
        # shard.md "FileVerificationEntry": all files or none.
        raise ShardFormatError("only some files carry verification entries")
    cas_info_offset = r.pos
    xorbs = _read_xorbs(r)
    footer_offset = r.pos
    shard = Shard(files=files, xorbs=xorbs)
    if footer_size == 0:
        if footer_offset != len(data):
            raise ShardFormatError(f"{len(data) - footer_offset} trailing bytes after the CAS info section")
        return shard
    if len(data) - footer_offset < FOOTER_SIZE:
        raise ShardFormatError(
            f"footer at byte {footer_offset} should be {FOOTER_SIZE} bytes, found {len(data) - footer_offset}"
        )
    r.pos = len(data) - FOOTER_SIZE
    (fversion, file_off, cas_off, fl_off, fl_n, xl_off, xl_n, cl_off, cl_n, key, created, expiry,
     _reserved, _on_disk, _materialized, _stored, foot_off) = r.take(_FOOTER, "footer")
    if fversion != SHARD_FOOTER_VERSION:
        raise ShardFormatError(f"unsupported shard footer version {fversion}")
    for name, got, want in (("file_info_offset", file_off, HEADER_SIZE),
                            ("cas_info_offset", cas_off, cas_info_offset),
                            ("footer_offset", foot_off, len(data) - FOOTER_SIZE)):
        if got != want:
            raise ShardFormatError(f"footer {name} is {got}, the sections put it at {want}")
    # The lookup tables must tile [end of CAS info, footer) exactly; their content is an
    # index we do not need (we parse the sections linearly). A footer with the block
    # zeroed, as the spec's "reserved" wording allows, has no tables.
    expected = footer_offset
    lookups = (fl_off, fl_n, xl_off, xl_n, cl_off, cl_n)
    for name, off, count, st in (("file lookup", fl_off, fl_n, _FILE_LOOKUP),
                                 ("xorb lookup", xl_off, xl_n, _XORB_LOOKUP),
                                 ("chunk lookup", cl_off, cl_n, _CHUNK_LOOKUP)):
        if not any(lookups):
            break
        if off != expected or count > (foot_off - off) // st.size:
            raise ShardFormatError(f"footer: {name} table ({count} entries at {off}) is not where the sections end ({expected})")
        expected = off + count * st.size
    if expected != foot_off:
        raise ShardFormatError(f"footer: {foot_off - expected} unaccounted bytes before the footer")
    shard.chunk_hash_hmac_key = key
    shard.creation_timestamp = created
    shard.key_expiry = expiry
    shard.has_footer = True
    return shard


# --- building -------------------------------------------------------------------------

def _u32(value: int, what: str) -> int:
    if not 0 <= value <= _U32_MAX:
        raise ValueError(f"{what} {value} does not fit in u32")
    return value


def build_shard(shard: Shard, *, footer: bool | None = None) -> bytes:
    """Serialize ``shard``. ``footer`` defaults to ``shard.has_footer``; upload shards
    MUST NOT carry it (shard.md), global-dedup responses carry it for the HMAC key and
    the key expiry."""
    with_footer = shard.has_footer if footer is None else footer
    out = bytearray(_HEADER.pack(SHARD_HEADER_TAG, SHARD_HEADER_VERSION, FOOTER_SIZE if with_footer else 0))
    verified = {f.verification is not None for f in shard.files}
    if len(verified) > 1:
        raise ValueError("either every file or none carries verification entries")
    for f in shard.files:
        flags = 0
        if f.verification is not None:
            if len(f.verification) != len(f.segments):
                raise ValueError("one verification hash per segment")
            flags |= FLAG_WITH_VERIFICATION
        if f.sha256 is not None:
            flags |= FLAG_WITH_METADATA_EXT
        out += _FILE_HEADER.pack(f.file_hash, flags, _u32(len(f.segments), "segment count"), bytes(8))
        for s in f.segments:
            out += _FILE_ENTRY.pack(s.xorb_hash, 0, _u32(s.unpacked_bytes, "unpacked_bytes"),
                                    _u32(s.chunk_start, "chunk_start"), _u32(s.chunk_end, "chunk_end"))
        for v in f.verification or ():
            out += _HASH_PLUS_16.pack(v, bytes(16))
        if f.sha256 is not None:
            out += _HASH_PLUS_16.pack(_swap_words(f.sha256), bytes(16))
    out += BOOKEND
    cas_info_offset = len(out)
    for x in shard.xorbs:
        out += _CAS_HEADER.pack(x.xorb_hash, 0, _u32(len(x.chunks), "chunk count"),
                                _u32(x.unpacked_bytes, "unpacked_bytes"), _u32(x.bytes_on_disk, "bytes_on_disk"))
        for c in x.chunks:
            out += _CAS_ENTRY.pack(c.chunk_hash, _u32(c.byte_offset, "byte_offset"),
                                   _u32(c.unpacked_bytes, "unpacked_bytes"), bytes(8))
    out += BOOKEND
    if with_footer:
        out += _lookup_tables_and_footer(shard, cas_info_offset, len(out))
    return bytes(out)


def _key(h: bytes) -> int:
    return struct.unpack_from("<Q", h, 0)[0]


def _lookup_tables_and_footer(shard: Shard, cas_info_offset: int, tables_offset: int) -> bytes:
    out = bytearray()
    offsets = []
    file_rows = sorted((_key(f.file_hash), i) for i, f in enumerate(shard.files))
    xorb_rows = sorted((_key(x.xorb_hash), i) for i, x in enumerate(shard.xorbs))
    chunk_rows = sorted((_key(c.chunk_hash), xi, ci)
                        for xi, x in enumerate(shard.xorbs) for ci, c in enumerate(x.chunks))
    for rows, st in ((file_rows, _FILE_LOOKUP), (xorb_rows, _XORB_LOOKUP), (chunk_rows, _CHUNK_LOOKUP)):
        offsets += [tables_offset + len(out), len(rows)]
        for row in rows:
            out += st.pack(*row)
    footer_offset = tables_offset + len(out)
    out += _FOOTER.pack(
        SHARD_FOOTER_VERSION, HEADER_SIZE, cas_info_offset, *offsets,
        shard.chunk_hash_hmac_key, shard.creation_timestamp, shard.key_expiry, bytes(48),
        sum(x.bytes_on_disk for x in shard.xorbs),  # stored_bytes_on_disk
        sum(f.size for f in shard.files),  # materialized_bytes
        sum(x.unpacked_bytes for x in shard.xorbs),  # stored_bytes
        footer_offset,
    )
    return bytes(out)


def xorb_entry_for(xorb_hash: bytes, chunks: Sequence[tuple[bytes, int]], bytes_on_disk: int) -> XorbEntry:
    """A CAS info block for a xorb from its (chunk_hash, size) list, with byte offsets
    laid out as the reference client does (running sum of unpacked sizes)."""
    entries, offset = [], 0
    for h, size in chunks:
        entries.append(XorbChunkEntry(h, offset, size))
        offset += size
    return XorbEntry(xorb_hash, entries, offset, bytes_on_disk)


# --- checking a file reconstruction -------------------------------------------------

def check_file_entry(
    entry: FileEntry,
    chunks_of_xorb: Callable[[bytes], Sequence[tuple[bytes, int]] | None],
    *,
    require_verification: bool = True,
) -> None:
    """Check one uploaded file reconstruction against the stored xorbs' chunk lists
    (``chunks_of_xorb(xorb_hash)`` -> [(chunk_hash, size)], or None if unknown).

    Verification entries MUST be present in upload shards (shard.md,
    "FileVerificationEntry"); pass ``require_verification=False`` to accept their absence.
    Raises ShardFormatError naming the first problem."""
    name = hash_to_hex(entry.file_hash)
    if entry.verification is None:
        if require_verification and entry.segments:
            raise ShardFormatError(f"file {name}: no verification entries")
    elif len(entry.verification) != len(entry.segments):
        raise ShardFormatError(f"file {name}: {len(entry.verification)} verification entries "
                               f"for {len(entry.segments)} segments")
    all_chunks: list[tuple[bytes, int]] = []
    for i, seg in enumerate(entry.segments):
        where = f"file {name} segment {i}"
        chunks = chunks_of_xorb(seg.xorb_hash)
        if chunks is None:
            raise ShardFormatError(f"{where}: unknown xorb {hash_to_hex(seg.xorb_hash)}")
        if not 0 <= seg.chunk_start < seg.chunk_end <= len(chunks):
            raise ShardFormatError(f"{where}: chunk range [{seg.chunk_start}, {seg.chunk_end}) "
                                   f"out of bounds for xorb with {len(chunks)} chunks")
        piece = list(chunks[seg.chunk_start:seg.chunk_end])
        size = sum(s for _, s in piece)
        if size != seg.unpacked_bytes:
            raise ShardFormatError(f"{where}: says {seg.unpacked_bytes} bytes, its chunks hold {size}")
        if entry.verification is not None and entry.verification[i] != verification_hash([h for h, _ in piece]):
            raise ShardFormatError(f"{where}: verification hash mismatch")
        all_chunks.extend(piece)
    actual = file_hash(all_chunks)
    if actual != entry.file_hash:
        raise ShardFormatError(f"file hash mismatch: shard says {name}, chunks give {hash_to_hex(actual)}")

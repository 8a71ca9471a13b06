"""Shard format (shard.md) and file reconstruction checks: the real client's upload
shard, round trips, and bad input."""

from __future__ import annotations

import hashlib
import random
import struct

import pytest

from kohakuhub.xet.chunking import split_chunks
from kohakuhub.xet.hashing import chunk_hash, file_hash, hash_to_hex, hex_to_hash, verification_hash
from kohakuhub.xet.shard import (
    BOOKEND,
    FOOTER_SIZE,
    SHARD_HEADER_TAG,
    FileEntry,
    FileSegment,
    Shard,
    ShardFormatError,
    XorbChunkEntry,
    XorbEntry,
    build_shard,
    check_file_entry,
    parse_shard,
    xorb_entry_for,
)
from kohakuhub.xet.xorb import build_xorb, parse_xorb
from tests.unit.xet_fixtures import CLIENT_FILE1, CLIENT_FILE2, client_shard, client_upload_files, client_xorb


def _client_chunks_lookup():
    data, hs = client_xorb()
    parsed = parse_xorb(data, hex_to_hash(hs))
    table = {parsed.hash: [(c.hash, c.uncompressed_size) for c in parsed.chunks]}
    return table.get


# --- the real client's upload shard ---------------------------------------------------

def test_parses_the_client_upload_shard():
    data = client_shard()
    assert data[:32] == SHARD_HEADER_TAG
    shard = parse_shard(data)
    assert shard.has_footer is False  # upload shards omit the footer (shard.md)
    by_hash = {hash_to_hex(f.file_hash): f for f in shard.files}
    assert set(by_hash) == {CLIENT_FILE1[0], CLIENT_FILE2[0]}
    for expected_hash, size, sha in (CLIENT_FILE1, CLIENT_FILE2):
        f = by_hash[expected_hash]
        assert f.size == size
        assert f.sha256.hex() == sha  # the real digest, after undoing the wire word order
        assert f.verification is not None and len(f.verification) == len(f.segments)
    (xorb,) = shard.xorbs
    assert hash_to_hex(xorb.xorb_hash) == client_xorb()[1]
    assert xorb.unpacked_bytes == CLIENT_FILE1[1] + CLIENT_FILE2[1]
    # byte_offset is the running sum of unpacked sizes
    running = 0
    for c in xorb.chunks:
        assert c.byte_offset == running
        running += c.unpacked_bytes
    assert build_shard(shard) == data


def test_client_shard_file_entries_check_out_against_the_client_xorb():
    shard = parse_shard(client_shard())
    lookup = _client_chunks_lookup()
    for f in shard.files:
        check_file_entry(f, lookup)
    file1, file2 = client_upload_files()
    for f in shard.files:
        content = file1 if f.size == len(file1) else file2
        assert f.sha256 == hashlib.sha256(content).digest()


def test_client_shard_chunk_hashes_match_the_xorb():
    shard = parse_shard(client_shard())
    lookup = _client_chunks_lookup()
    x = shard.xorbs[0]
    assert [(c.chunk_hash, c.unpacked_bytes) for c in x.chunks] == lookup(x.xorb_hash)


# --- round trips ----------------------------------------------------------------------

def _sample_shard() -> tuple[Shard, dict]:
    r = random.Random(3)
    content = r.randbytes(40000) + b"x" * 30000
    chunks = split_chunks(content)
    xdata, xh = build_xorb(chunks)
    pairs = [(chunk_hash(c), len(c)) for c in chunks]
    segs = [FileSegment(xh, sum(s for _, s in pairs), 0, len(pairs))]
    f = FileEntry(file_hash(pairs), segs, [verification_hash([h for h, _ in pairs])],
                  hashlib.sha256(content).digest())
    shard = Shard(files=[f], xorbs=[xorb_entry_for(xh, pairs, len(xdata))])
    return shard, {xh: pairs}


def test_upload_shard_round_trip():
    shard, table = _sample_shard()
    data = build_shard(shard)
    assert struct.unpack_from("<Q", data, 40)[0] == 0  # footer_size 0
    parsed = parse_shard(data)
    assert parsed == shard
    check_file_entry(parsed.files[0], table.get)


def test_dedup_response_shard_with_footer_round_trip():
    key = bytes(range(32))
    x = XorbEntry(b"\x01" * 32, [XorbChunkEntry(b"\x02" * 32, 0, 100), XorbChunkEntry(b"\x03" * 32, 100, 50)], 150, 999)
    shard = Shard(files=[], xorbs=[x], chunk_hash_hmac_key=key, creation_timestamp=1_700_000_000,
                  key_expiry=1_700_086_400, has_footer=True)
    data = build_shard(shard)
    assert struct.unpack_from("<Q", data, 40)[0] == FOOTER_SIZE
    footer = data[-FOOTER_SIZE:]
    version, file_off, cas_off = struct.unpack_from("<QQQ", footer)
    assert (version, file_off, cas_off) == (1, 48, 48 + 48)
    assert footer[72:104] == key
    assert struct.unpack_from("<Q", footer, 192)[0] == len(data) - FOOTER_SIZE
    assert parse_shard(data) == shard
    # the same shard without footer
    assert parse_shard(build_shard(shard, footer=False)).has_footer is False


def test_empty_shard_round_trip():
    data = build_shard(Shard())
    assert data == SHARD_HEADER_TAG + struct.pack("<QQ", 2, 0) + BOOKEND + BOOKEND
    assert parse_shard(data) == Shard()


def test_file_without_verification_or_sha():
    f = FileEntry(b"\x05" * 32, [FileSegment(b"\x06" * 32, 10, 0, 1)])
    parsed = parse_shard(build_shard(Shard(files=[f])))
    assert parsed.files == [f]


def test_build_rejects_mixed_verification_and_overflow():
    a = FileEntry(b"\x05" * 32, [FileSegment(b"\x06" * 32, 10, 0, 1)], [b"\x07" * 32])
    b = FileEntry(b"\x08" * 32, [FileSegment(b"\x06" * 32, 10, 0, 1)])
    with pytest.raises(ValueError):
        build_shard(Shard(files=[a, b]))
    with pytest.raises(ValueError):
        build_shard(Shard(files=[FileEntry(b"\x05" * 32, [FileSegment(b"\x06" * 32, 1 << 32, 0, 1)])]))


# --- bad shards -----------------------------------------------------------------------

def _expect(data: bytes, match: str | None = None):
    with pytest.raises(ShardFormatError, match=match):
        parse_shard(data)


def test_every_truncation_is_rejected():
    for data in (client_shard(), build_shard(_sample_shard()[0], footer=True)):
        for cut in range(len(data)):
            _expect(data[:cut])


def test_bad_header():
    data = client_shard()
    _expect(b"X" + data[1:], "bad header tag")
    _expect(data[:32] + struct.pack("<Q", 3) + data[40:], "header version 3")
    _expect(data[:40] + struct.pack("<Q", 7) + data[48:], "footer size 7")


def test_trailing_bytes_rejected():
    _expect(client_shard() + b"\0", "trailing bytes")


def test_footer_inconsistencies_rejected():
    shard, _ = _sample_shard()
    data = build_shard(shard, footer=True)
    foot = len(data) - FOOTER_SIZE
    for field_offset, match in ((0, "footer version"), (8, "file_info_offset"), (16, "cas_info_offset"),
                                (192, "footer_offset")):
        bad = bytearray(data)
        struct.pack_into("<Q", bad, foot + field_offset, 12345)
        _expect(bytes(bad), match)
    # footer_size says 0 but a footer is there
    _expect(data[:40] + struct.pack("<Q", 0) + data[48:], "trailing bytes")


def test_huge_counts_rejected_without_reading_past_the_end():
    shard, _ = _sample_shard()
    data = bytearray(build_shard(shard))
    struct.pack_into("<I", data, 48 + 36, 0xFFFFFFFF)  # file 0 num_entries
    _expect(bytes(data), "exceed the shard")
    data = bytearray(build_shard(Shard(xorbs=shard.xorbs)))
    struct.pack_into("<I", data, 96 + 36, 0x7FFFFFFF)  # xorb 0 num_entries
    _expect(bytes(data), "exceed the shard")


def test_unknown_file_flags_rejected():
    shard, _ = _sample_shard()
    data = bytearray(build_shard(shard))
    flags = struct.unpack_from("<I", data, 48 + 32)[0]
    struct.pack_into("<I", data, 48 + 32, flags | 1)
    _expect(bytes(data), "unknown file flags")


def test_mixed_verification_rejected():
    a = FileEntry(b"\x05" * 32, [FileSegment(b"\x06" * 32, 10, 0, 1)], [b"\x07" * 32])
    b = FileEntry(b"\x08" * 32, [FileSegment(b"\x06" * 32, 10, 0, 1)])
    data = build_shard(Shard(files=[a])) [:-96] + build_shard(Shard(files=[b]))[48:]
    _expect(data, "only some files")


def test_bookend_must_be_exact():
    data = bytearray(build_shard(Shard()))
    data[48 + 40] = 1  # inside the zero half of the file info bookend
    _expect(bytes(data), "bookend")


def test_xorb_unpacked_total_must_match():
    x = XorbEntry(b"\x01" * 32, [XorbChunkEntry(b"\x02" * 32, 0, 100)], 101, 0)
    _expect(build_shard(Shard(xorbs=[x])), "sum to 100")


def test_garbage_and_fuzz_raise_only_shard_format_errors():
    r = random.Random(77)
    for n in (0, 1, 47, 48, 100, 1000):
        _expect(r.randbytes(n))
    base = client_shard()
    for _ in range(400):
        data = bytearray(base)
        pos = r.randrange(len(data))
        if r.random() < 0.5:
            data[pos] = r.randrange(256)
        else:
            del data[pos:pos + r.randint(1, 60)]
        try:
            parse_shard(bytes(data))
        except ShardFormatError:
            pass


# --- check_file_entry -----------------------------------------------------------------

def _check_error(entry: FileEntry, table: dict, match: str, **kw):
    with pytest.raises(ShardFormatError, match=match):
        check_file_entry(entry, table.get, **kw)


def _multi_segment_case():
    """A file made of chunk ranges from two xorbs."""
    r = random.Random(8)
    a = [r.randbytes(1000 + i) for i in range(5)]
    b = [r.randbytes(2000 + i) for i in range(4)]
    _, ha = build_xorb(a)
    _, hb = build_xorb(b)
    pa = [(chunk_hash(c), len(c)) for c in a]
    pb = [(chunk_hash(c), len(c)) for c in b]
    table = {ha: pa, hb: pb}
    used = pa[1:4] + pb[0:2]
    segs = [FileSegment(ha, sum(s for _, s in pa[1:4]), 1, 4), FileSegment(hb, sum(s for _, s in pb[0:2]), 0, 2)]
    ver = [verification_hash([h for h, _ in pa[1:4]]), verification_hash([h for h, _ in pb[0:2]])]
    entry = FileEntry(file_hash(used), segs, ver, None)
    return entry, table


def test_check_multi_segment_file_passes():
    entry, table = _multi_segment_case()
    check_file_entry(entry, table.get)


def test_check_unknown_xorb():
    entry, table = _multi_segment_case()
    missing = entry.segments[1].xorb_hash
    del table[missing]
    _check_error(entry, table, f"unknown xorb {hash_to_hex(missing)}")


@pytest.mark.parametrize("start,end", [(0, 0), (3, 2), (4, 6), (5, 6), (-1, 2)])
def test_check_out_of_range_segment(start, end):
    entry, table = _multi_segment_case()
    entry.segments[0].chunk_start, entry.segments[0].chunk_end = start, end
    _check_error(entry, table, "out of bounds")


def test_check_unpacked_bytes_mismatch():
    entry, table = _multi_segment_case()
    entry.segments[1].unpacked_bytes += 1
    _check_error(entry, table, "segment 1: says")


def test_check_wrong_verification():
    entry, table = _multi_segment_case()
    entry.verification[1] = entry.verification[0]
    _check_error(entry, table, "segment 1: verification hash mismatch")


def test_check_verification_required_by_default():
    entry, table = _multi_segment_case()
    entry.verification = None
    _check_error(entry, table, "no verification entries")
    entry.verification = None
    check_file_entry(entry, table.get, require_verification=False)
    entry.verification = [entry.segments[0].xorb_hash]
    _check_error(entry, table, "1 verification entries for 2 segments")


def test_check_file_hash_mismatch():
    entry, table = _multi_segment_case()
    entry.file_hash = bytes(32)
    _check_error(entry, table, "file hash mismatch")


def test_check_empty_file():
    check_file_entry(FileEntry(bytes(32), [], None, None), {}.get)
    _check_error(FileEntry(b"\x01" * 32, [], None, None), {}, "file hash mismatch")


def test_footer_lookup_tables():
    """The footer's lookup tables (which the reference client reads) tile the space
    between the CAS info bookend and the footer and are sorted by key."""
    shard, _ = _sample_shard()
    shard.has_footer = True
    data = build_shard(shard)
    foot = len(data) - FOOTER_SIZE
    fl_off, fl_n, xl_off, xl_n, cl_off, cl_n = struct.unpack_from("<6Q", data, foot + 24)
    n_chunks = sum(len(x.chunks) for x in shard.xorbs)
    assert (fl_n, xl_n, cl_n) == (len(shard.files), len(shard.xorbs), n_chunks)
    assert xl_off == fl_off + 12 * fl_n and cl_off == xl_off + 12 * xl_n and foot == cl_off + 16 * cl_n
    keys = [struct.unpack_from("<Q", data, cl_off + 16 * i)[0] for i in range(cl_n)]
    assert keys == sorted(keys)
    for i in range(cl_n):
        key, xi, ci = struct.unpack_from("<QII", data, cl_off + 16 * i)
        assert key == struct.unpack_from("<Q", shard.xorbs[xi].chunks[ci].chunk_hash)[0]
    on_disk, materialized, stored = struct.unpack_from("<3Q", data, foot + 168)
    assert (on_disk, materialized, stored) == (shard.xorbs[0].bytes_on_disk, shard.files[0].size,
                                               shard.xorbs[0].unpacked_bytes)
    bad = bytearray(data)
    struct.pack_into("<Q", bad, foot + 24 + 40, cl_n + 1)  # chunk lookup count off by one
    _expect(bytes(bad), "chunk lookup")


def test_footer_without_lookup_tables_is_accepted():
    # shard.md calls the lookup block reserved; a producer may leave it zero.
    x = XorbEntry(b"\x01" * 32, [XorbChunkEntry(b"\x02" * 32, 0, 100)], 100, 0)
    body = build_shard(Shard(xorbs=[x]))
    body = body[:40] + struct.pack("<Q", FOOTER_SIZE) + body[48:]
    footer = struct.pack("<QQQ", 1, 48, 96) + bytes(48) + b"\x09" * 32 + struct.pack("<QQ", 5, 6) + bytes(72)
    footer += struct.pack("<Q", len(body))
    parsed = parse_shard(body + footer)
    assert parsed.has_footer and parsed.chunk_hash_hmac_key == b"\x09" * 32
    assert (parsed.creation_timestamp, parsed.key_expiry) == (5, 6)

"""Xorb format (xorb.md): the real client's xorb, round trips, and bad input."""

from __future__ import annotations

import random
import struct

import lz4.frame
import pytest

from kohakuhub.xet.chunking import MAX_CHUNK_SIZE, split_chunks
from kohakuhub.xet.hashing import chunk_hash, hash_to_hex, hex_to_hash, xorb_hash
from kohakuhub.xet.xorb import (
    CHUNK_HEADER_SIZE,
    XorbChunk,
    XorbFormatError,
    bg4_group,
    bg4_ungroup,
    build_xorb,
    decode_chunks,
    encode_chunk,
    parse_xorb,
)
from tests.unit.xet_fixtures import client_upload_files, client_xorb


def _header(compressed: int, scheme: int, uncompressed: int, version: int = 0) -> bytes:
    return bytes([version]) + compressed.to_bytes(3, "little") + bytes([scheme]) + uncompressed.to_bytes(3, "little")


def _sample_chunks() -> list[bytes]:
    r = random.Random(11)
    return [r.randbytes(3000), b"ab" * 4000, bytes(range(256)) * 40, b"z", r.randbytes(70000)]


# --- the real client's xorb ---------------------------------------------------------

def test_parses_the_client_xorb():
    data, hash_str = client_xorb()
    parsed = parse_xorb(data, hex_to_hash(hash_str))
    assert hash_to_hex(parsed.hash) == hash_str
    assert parsed.has_footer is False  # hf_xet 1.8 uploads xorbs without the footer
    assert parsed.data_length == len(data)
    file1, file2 = client_upload_files()
    decoded = list(decode_chunks(data))
    # chunk 0 is "tiny" (the second file), the rest are file1 in order
    assert decoded[0] == file2
    assert b"".join(decoded[1:]) == file1
    assert [c.uncompressed_size for c in parsed.chunks] == [len(d) for d in decoded]
    assert [c.hash for c in parsed.chunks] == [chunk_hash(d) for d in decoded]
    assert [len(c) for c in split_chunks(file1)] == [len(d) for d in decoded[1:]]
    # offsets/lengths tile the xorb
    pos = 0
    for c in parsed.chunks:
        assert c.offset == pos
        pos += c.length
    assert pos == len(data)
    # the client used byte-grouping (scheme 2) and no compression (scheme 0)
    assert {data[c.offset + 4] for c in parsed.chunks} == {0, 2}


def test_client_xorb_chunk_ranges_decode_independently():
    data, _ = client_xorb()
    parsed = parse_xorb(data, hex_to_hash(client_xorb()[1]))
    c2, c4 = parsed.chunks[2], parsed.chunks[4]
    part = data[c2.offset:c4.offset + c4.length]
    assert b"".join(decode_chunks(part)) == b"".join(list(decode_chunks(data))[2:5])


# --- round trips ----------------------------------------------------------------------

@pytest.mark.parametrize("compression", ["none", "lz4", "bg4-lz4"])
@pytest.mark.parametrize("footer", [False, True])
def test_build_parse_round_trip(compression, footer):
    chunks = _sample_chunks()
    data, xh = build_xorb(chunks, compression, footer=footer)
    assert xh == xorb_hash([(chunk_hash(c), len(c)) for c in chunks])
    parsed = parse_xorb(data, xh)
    assert parsed.has_footer is footer
    assert [c.hash for c in parsed.chunks] == [chunk_hash(c) for c in chunks]
    assert [c.uncompressed_size for c in parsed.chunks] == [len(c) for c in chunks]
    assert list(decode_chunks(data[:parsed.data_length])) == chunks
    if not footer:
        assert parsed.data_length == len(data)
    else:
        assert parsed.data_length < len(data)


def test_lz4_chunks_are_lz4_frames_and_fall_back_to_none():
    compressible = encode_chunk(b"a" * 10000, "lz4")
    assert compressible[4] == 1 and compressible[8:12] == b"\x04\x22\x4d\x18"
    incompressible = encode_chunk(random.Random(1).randbytes(5000), "lz4")
    assert incompressible[4] == 0 and len(incompressible) == 5000 + CHUNK_HEADER_SIZE


@pytest.mark.parametrize("n", range(0, 13))
def test_bg4_group_round_trip(n):
    data = bytes(range(100, 100 + n))
    assert bg4_ungroup(bg4_group(data)) == data


def test_bg4_group_layout_from_spec():
    # xorb.md: [A1 A2 A3 A4 B1 B2 B3 B4 C1 C2] -> [A1 B1 C1 A2 B2 C2 A3 B3 A4 B4]
    assert bg4_group(b"ABCDabcd12") == b"Aa1Bb2CcDd"


def test_build_rejects_bad_input():
    with pytest.raises(ValueError):
        build_xorb([])
    with pytest.raises(ValueError):
        build_xorb([b""])
    with pytest.raises(ValueError):
        build_xorb([b"x" * (MAX_CHUNK_SIZE + 1)])
    with pytest.raises(ValueError):
        build_xorb([b"x"], "zstd")


# --- bad input ------------------------------------------------------------------------

def _expect_error(data: bytes, expected_hash: bytes, match: str | None = None) -> XorbFormatError:
    with pytest.raises(XorbFormatError, match=match) as info:
        parse_xorb(data, expected_hash)
    return info.value


def test_hash_mismatch_names_both_hashes():
    data, xh = build_xorb(_sample_chunks())
    wrong = bytes(32)
    err = _expect_error(data, wrong, "xorb hash mismatch")
    assert hash_to_hex(wrong) in str(err) and hash_to_hex(xh) in str(err)


def test_every_truncation_is_rejected():
    data, xh = build_xorb([b"hello" * 100, b"world" * 50, b"!"], "lz4")
    for cut in range(len(data)):
        _expect_error(data[:cut], xh)


def test_truncation_of_client_xorb_is_rejected():
    data, hs = client_xorb()
    for cut in (0, 3, 8, 12, 100, len(data) // 2, len(data) - 1):
        _expect_error(data[:cut], hex_to_hash(hs))


def test_bit_flips_are_rejected():
    r = random.Random(5)
    for compression in ("none", "lz4", "bg4-lz4"):
        data, xh = build_xorb([b"hello" * 100, r.randbytes(2000), b"!"], compression)
        for _ in range(150):
            pos = r.randrange(len(data))
            flipped = bytearray(data)
            flipped[pos] ^= 1 << r.randrange(8)
            _expect_error(bytes(flipped), xh)


def test_garbage_is_rejected():
    r = random.Random(9)
    for n in (1, 7, 8, 9, 64, 5000):
        _expect_error(r.randbytes(n), bytes(32))
    _expect_error(b"", bytes(32), "empty")


def test_unknown_compression_scheme():
    _expect_error(_header(1, 7, 1) + b"x", chunk_hash(b"x"), "unknown compression scheme 7")


def test_unknown_header_version():
    _expect_error(_header(1, 0, 1, version=1) + b"x", chunk_hash(b"x"), "version 1")


def test_chunk_hash_changes_are_hash_mismatches():
    data, xh = build_xorb([b"abc", b"def"], "none")
    tampered = data.replace(b"def", b"deg")
    _expect_error(tampered, xh, "xorb hash mismatch")


def test_decompressed_size_must_match_header():
    payload = lz4.frame.compress(b"a" * 1000)
    bad = _header(len(payload), 1, 999) + payload
    _expect_error(bad, bytes(32), "decompresses to more than the 999 bytes its header says")
    short = _header(len(payload), 1, 1001) + payload
    _expect_error(short, bytes(32), "decompressed to 1000 bytes, header says 1001")


def test_uncompressed_chunk_sizes_must_agree():
    _expect_error(_header(3, 0, 2) + b"abc", bytes(32), "stores 3 bytes")


def test_oversized_chunk_rejected():
    size = MAX_CHUNK_SIZE + 1
    _expect_error(_header(size, 0, size) + b"a" * size, bytes(32), "exceeds")


def test_empty_chunk_rejected():
    _expect_error(_header(0, 0, 0) + _header(1, 0, 1) + b"x", bytes(32), "empty chunk")


def test_corrupt_lz4_rejected():
    _expect_error(_header(5, 1, 10) + b"\x00\x01\x02\x03\x04", bytes(32), "LZ4")


def test_xorb_size_limit(monkeypatch):
    from kohakuhub.xet import xorb as xorb_module

    data, xh = build_xorb([b"a" * 1000, b"b" * 1000], "none")
    monkeypatch.setattr(xorb_module, "MAX_XORB_SERIALIZED_BYTES", len(data) - 1)
    _expect_error(data, xh, "over the")
    monkeypatch.setattr(xorb_module, "MAX_XORB_SERIALIZED_BYTES", 1 << 30)
    monkeypatch.setattr(xorb_module, "MAX_XORB_DATA_BYTES", 1500)
    _expect_error(data, xh, "more than 1500 bytes")


def test_footer_inconsistencies_rejected():
    chunks = [b"abc" * 10, b"def" * 10, b"ghi" * 10]
    data, xh = build_xorb(chunks, "none", footer=True)
    parsed = parse_xorb(data, xh)
    footer_at = parsed.data_length
    # a chunk hash inside the footer altered
    h1 = chunk_hash(chunks[1])
    bad = data[:footer_at] + data[footer_at:].replace(h1, bytes(32))
    _expect_error(bad, xh, "chunk hashes disagree")
    # the xorb hash inside the footer altered
    bad = data[:footer_at] + data[footer_at:].replace(xh, b"\x01" * 32, 1)
    _expect_error(bad, xh, "xorb hash")
    # a section offset pointing outside the footer
    tail = len(data) - 32
    bad = bytearray(data)
    struct.pack_into("<I", bad, tail + 4, len(data))
    _expect_error(bytes(bad), xh, "outside the footer")
    # nonce/reserved bytes are ignored (xorb.md: readers MUST ignore them)
    ok = bytearray(data)
    ok[tail + 12:tail + 28] = b"\xaa" * 16
    assert parse_xorb(bytes(ok), xh).has_footer


def test_only_xorb_format_errors_escape():
    """Fuzz: random mutations of a valid xorb raise XorbFormatError or parse cleanly."""
    r = random.Random(1234)
    base, xh = build_xorb([b"hello" * 300, r.randbytes(500), bytes(4000)], "lz4", footer=True)
    for _ in range(300):
        data = bytearray(base)
        for _ in range(r.randint(1, 4)):
            op = r.randrange(3)
            if op == 0 and data:
                data[r.randrange(len(data))] = r.randrange(256)
            elif op == 1:
                pos = r.randrange(len(data) + 1)
                del data[pos:pos + r.randint(1, 50)]
            else:
                pos = r.randrange(len(data) + 1)
                data[pos:pos] = r.randbytes(r.randint(1, 20))
        try:
            parsed = parse_xorb(bytes(data), xh)
        except XorbFormatError:
            continue
        assert isinstance(parsed.chunks[0], XorbChunk)

"""Content-defined chunking (chunking.md), cross-checked bit for bit with the real
client: hf_xet.hash_files chunks a file and reports its Xet file hash, which covers
every boundary, every chunk hash and the merkle tree."""

from __future__ import annotations

import random

import pytest

from kohakuhub.xet.chunking import (
    MAX_CHUNK_SIZE,
    MIN_CHUNK_SIZE,
    BOUNDARY_MASK,
    Chunker,
    chunk_boundaries,
    split_chunks,
)
from kohakuhub.xet._gear_table import GEAR_TABLE
from kohakuhub.xet.hashing import chunk_hash, file_hash, hash_to_hex

hf_xet = pytest.importorskip("hf_xet")


def _reference_boundaries(data: bytes) -> list[int]:
    """chunking.md pseudocode, byte by byte, no skip-ahead."""
    h, start, ends = 0, 0, []
    for i, b in enumerate(data):
        h = ((h << 1) + GEAR_TABLE[b]) & 0xFFFFFFFFFFFFFFFF
        size = i + 1 - start
        if size < MIN_CHUNK_SIZE:
            continue
        if size >= MAX_CHUNK_SIZE or (h & BOUNDARY_MASK) == 0:
            ends.append(i + 1)
            start, h = i + 1, 0
    if start < len(data):
        ends.append(len(data))
    return ends


def _xet_file_hash(data: bytes) -> str:
    return hash_to_hex(file_hash([(chunk_hash(c), len(c)) for c in split_chunks(data)]))


def _cases() -> dict[str, bytes]:
    r = random.Random(2024)
    return {
        "empty": b"",
        "one-byte": b"\x00",
        "below-min": r.randbytes(MIN_CHUNK_SIZE - 1),
        "100KiB-random": r.randbytes(100 * 1024),
        "3MiB-random": r.randbytes(3 * 1024 * 1024),
        "long-zero-run": r.randbytes(70_000) + bytes(1_500_000) + r.randbytes(90_000),
        "repetitive-text": b"The quick brown fox jumps over the lazy dog. " * 40_000,
    }


@pytest.mark.parametrize("name", list(_cases()))
def test_file_hash_matches_hf_xet(name, tmp_path):
    data = _cases()[name]
    path = tmp_path / name
    path.write_bytes(data)
    (info,) = hf_xet.hash_files([str(path)])
    assert info.file_size == len(data)
    assert _xet_file_hash(data) == info.hash


def test_skip_ahead_matches_the_byte_by_byte_pseudocode():
    r = random.Random(99)
    data = r.randbytes(600_000) + bytes(300_000) + r.randbytes(50_000)
    assert chunk_boundaries(data) == _reference_boundaries(data)


def test_size_bounds():
    data = random.Random(4).randbytes(2_000_000) + bytes(1_000_000)
    chunks = split_chunks(data)
    assert b"".join(chunks) == data
    assert all(MIN_CHUNK_SIZE <= len(c) <= MAX_CHUNK_SIZE for c in chunks[:-1])
    assert 0 < len(chunks[-1]) <= MAX_CHUNK_SIZE
    # zeros never match the mask (TABLE[0] has high bits set), so the cut is forced
    assert len(split_chunks(bytes(5 * MAX_CHUNK_SIZE))) == 5


def test_small_inputs():
    assert split_chunks(b"") == [] and chunk_boundaries(b"") == []
    assert split_chunks(b"abc") == [b"abc"]
    assert chunk_boundaries(b"x" * (MIN_CHUNK_SIZE - 1)) == [MIN_CHUNK_SIZE - 1]


def test_streaming_is_split_independent():
    r = random.Random(12)
    data = r.randbytes(900_000)
    expected = split_chunks(data)
    for piece in (777, 8191, 65536, 200_000):
        c = Chunker()
        out = []
        for i in range(0, len(data), piece):
            out += c.feed(data[i:i + piece])
        out += c.finish()
        assert out == expected
    c, out, i = Chunker(), [], 0
    while i < len(data):  # random split points
        step = r.randint(1, 150_000)
        out += c.feed(data[i:i + step])
        i += step
    assert out + c.finish() == expected
    assert Chunker().finish() == []


def test_edit_only_changes_nearby_chunks():
    r = random.Random(21)
    data = r.randbytes(2_000_000)
    edited = data[:1_000_000] + b"EDIT" + data[1_000_004:]
    a, b = split_chunks(data), split_chunks(edited)
    changed = len(set(b) - set(a))
    assert 1 <= changed <= 3

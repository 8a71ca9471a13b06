"""Xet hashes against the spec's examples (hashing.md, api.md, deduplication.md) and the
real client's output."""

from __future__ import annotations

import hashlib
import struct

import pytest
from blake3 import blake3

from kohakuhub.xet import hashing
from kohakuhub.xet.chunking import split_chunks
from kohakuhub.xet.hashing import (
    chunk_hash,
    file_hash,
    hash_to_hex,
    hex_to_hash,
    internal_node_text,
    is_global_dedup_eligible,
    keyed_chunk_hash,
    verification_hash,
    xorb_hash,
)
from tests.unit.xet_fixtures import CLIENT_FILE1, CLIENT_FILE2, client_upload_files


def test_hash_to_string_spec_example():
    # api.md "Converting Hashes to Strings", example. The spec's printed string drops the
    # "10" of the third word (62 characters); its reordered byte list, also in the spec,
    # gives the 64-character value below.
    h = bytes(range(32))
    reordered = [7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8,
                 23, 22, 21, 20, 19, 18, 17, 16, 31, 30, 29, 28, 27, 26, 25, 24]
    expected = "07060504030201000f0e0d0c0b0a0908" "1716151413121110" "1f1e1d1c1b1a1918"
    assert bytes(reordered).hex() == expected
    assert hash_to_hex(h) == expected
    assert hash_to_hex(h) != h.hex()
    assert hex_to_hash(expected) == h


def test_hash_string_round_trip():
    h = hashlib.sha256(b"x").digest()
    assert hex_to_hash(hash_to_hex(h)) == h
    assert hex_to_hash(hash_to_hex(h).upper()) == h


@pytest.mark.parametrize("bad", ["", "00" * 31, "00" * 33, "g" * 64, " " + "0" * 63, "0" * 63 + "\n", None, b"0" * 64])
def test_hex_to_hash_rejects(bad):
    with pytest.raises(ValueError):
        hex_to_hash(bad)


def test_hash_to_hex_rejects_wrong_length():
    with pytest.raises(ValueError):
        hash_to_hex(b"\0" * 31)


def test_internal_node_text_spec_example():
    # hashing.md "Example of data for internal node": the hashes are given as strings.
    rows = [
        ("1f6a2b8e9d3c4075a2e8c5fd4f0b763e6f3c1d7a9b2e6487de3f91ab7c6d5401", 10000),
        ("7c94fe2a38bdcf9b4d2a6f7e1e08ac35bc24a7903d6f5a0e7d1c2b93e5f748de", 20000),
        ("cfd18a92e0743bb09e56dbf76ea2c34d99b5a0cf271f8d429b6cd148203df061", 25000),
        ("e38d7c09a21b4cf8d0f92b3a85e6df19f7c20435e0b1c78a9d635f7b8c2e4da1", 64000),
    ]
    text = internal_node_text([(hex_to_hash(h), n) for h, n in rows])
    assert text == b"".join(f"{h} : {n}\n".encode() for h, n in rows)
    # A 4-leaf xorb hash below the branching cut is that node keyed with INTERNAL_NODE_KEY
    # (unless a cut falls inside; the third hash's last word % 4 decides).
    leaves = [(hex_to_hash(h), n) for h, n in rows]
    if all(struct.unpack_from("<Q", hex_to_hash(h), 24)[0] % 4 for h, _ in rows[2:3]):
        assert xorb_hash(leaves) == blake3(text, key=hashing.INTERNAL_NODE_KEY).digest()


def test_keys_are_the_spec_constants():
    assert hashing.DATA_KEY[:4] == bytes([102, 151, 245, 119]) and len(hashing.DATA_KEY) == 32
    assert hashing.INTERNAL_NODE_KEY[-4:] == bytes([74, 83, 113, 63])
    assert hashing.VERIFICATION_KEY[:4] == bytes([127, 24, 87, 214])


def test_chunk_hash_is_keyed_blake3():
    assert chunk_hash(b"abc") == blake3(b"abc", key=hashing.DATA_KEY).digest()
    assert chunk_hash(b"abc") != blake3(b"abc").digest()


def test_single_chunk_xorb_hash_is_the_node_over_one_leaf():
    h = chunk_hash(b"abc")
    assert xorb_hash([(h, 3)]) == h  # a one-node tree is its leaf
    assert file_hash([(h, 3)]) == blake3(h, key=bytes(32)).digest()


def test_two_chunk_xorb_hash():
    a, b = chunk_hash(b"a"), chunk_hash(b"b")
    text = f"{hash_to_hex(a)} : 1\n{hash_to_hex(b)} : 1\n".encode()
    assert xorb_hash([(a, 1), (b, 1)]) == blake3(text, key=hashing.INTERNAL_NODE_KEY).digest()


def test_empty_file_hash_is_zero():
    # What the reference client reports for a 0-byte file (see test_xet_chunking).
    assert file_hash([]) == bytes(32)


def test_file_hashes_of_the_client_fixture_files():
    for content, (expected, size, sha) in zip(client_upload_files(), (CLIENT_FILE1, CLIENT_FILE2)):
        assert len(content) == size and hashlib.sha256(content).hexdigest() == sha
        chunks = split_chunks(content)
        assert hash_to_hex(file_hash([(chunk_hash(c), len(c)) for c in chunks])) == expected


def test_merkle_tree_over_many_leaves_is_stable_and_order_sensitive():
    leaves = [(chunk_hash(i.to_bytes(4, "little")), 1000 + i) for i in range(300)]
    root = xorb_hash(leaves)
    assert root == xorb_hash(list(leaves))
    assert root != xorb_hash(leaves[::-1])
    assert root != xorb_hash(leaves[:-1])
    assert root != xorb_hash(leaves[:-1] + [(leaves[-1][0], leaves[-1][1] + 1)])


def test_verification_hash():
    hs = [chunk_hash(b"1"), chunk_hash(b"2")]
    assert verification_hash(hs) == blake3(hs[0] + hs[1], key=hashing.VERIFICATION_KEY).digest()
    assert verification_hash(hs) != verification_hash(hs[::-1])


def test_keyed_chunk_hash():
    key = bytes(range(32))
    h = chunk_hash(b"data")
    assert keyed_chunk_hash(key, h) == blake3(h, key=key).digest()
    assert keyed_chunk_hash(key, h) != keyed_chunk_hash(bytes(32), h)
    with pytest.raises(ValueError):
        keyed_chunk_hash(b"short", h)


def test_global_dedup_eligibility():
    # deduplication.md: last 8 bytes as little-endian u64, % 1024 == 0.
    eligible = bytes(24) + (1024 * 7).to_bytes(8, "little")
    not_eligible = bytes(24) + (1024 * 7 + 1).to_bytes(8, "little")
    high_bits_only = bytes(24) + bytes(7) + b"\x04"  # 2**58: divisible by 1024
    assert is_global_dedup_eligible(eligible)
    assert is_global_dedup_eligible(high_bits_only)
    assert not is_global_dedup_eligible(not_eligible)
    assert not is_global_dedup_eligible(bytes(24) + b"\x01" + bytes(7))
    assert not is_global_dedup_eligible(b"\xff" * 24 + bytes(1) + b"\x02" + bytes(6))  # 512
    assert is_global_dedup_eligible(not_eligible, first_chunk_of_file=True)

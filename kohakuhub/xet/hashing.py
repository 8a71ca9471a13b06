"""Xet hashes (spec: hashing.md, api.md "Converting Hashes to Strings", deduplication.md).

Every hash is a 32-byte ``bytes``. Strings appear only at the edges, via
:func:`hash_to_hex` / :func:`hex_to_hash`.
"""

from __future__ import annotations

import re
import struct
from typing import Sequence

from blake3 import blake3

HASH_LEN = 32

# hashing.md "DATA_KEY": key of the chunk hash.
DATA_KEY = bytes([
    102, 151, 245, 119, 91, 149, 80, 222, 49, 53, 203, 172, 165, 151, 24, 28,
    157, 228, 33, 16, 155, 235, 43, 88, 180, 208, 176, 75, 147, 173, 242, 41,
])
# hashing.md "INTERNAL_NODE_KEY": key of every merkle-tree internal node.
INTERNAL_NODE_KEY = bytes([
    1, 126, 197, 199, 165, 71, 41, 150, 253, 148, 102, 102, 180, 138, 2, 230,
    93, 221, 83, 111, 55, 199, 109, 210, 248, 99, 82, 230, 74, 83, 113, 63,
])
# hashing.md "VERIFICATION_KEY": key of the shard's term (range) verification hash.
VERIFICATION_KEY = bytes([
    127, 24, 87, 214, 206, 86, 237, 102, 18, 127, 249, 19, 231, 165, 195, 243,
    164, 205, 38, 213, 181, 219, 73, 230, 65, 36, 152, 127, 40, 251, 148, 195,
])
# hashing.md "File Hashes": the merkle root is re-hashed with an all-zero key.
FILE_HASH_KEY = bytes(32)

ZERO_HASH = bytes(32)

# The merkle tree groups nodes with a content-defined cut: a group closes after a
# node whose hash is 0 modulo this factor (at least 2 and at most 2 * factor + 1
# nodes per group). The spec names the tree but not its shape; this shape is the
# one the reference client produces (cross-checked against hf_xet in the tests).
_MERKLE_MEAN_BRANCHING = 4

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def _keyed(key: bytes, data: bytes) -> bytes:
    return blake3(data, key=key).digest()


def chunk_hash(data: bytes) -> bytes:
    """hashing.md "Chunk Hashes": blake3 keyed with DATA_KEY."""
    return _keyed(DATA_KEY, data)


def hash_to_hex(h: bytes) -> str:
    """api.md "Converting Hashes to Strings": each 8-byte word is a little-endian u64
    printed as 16 hex digits. Not ``h.hex()``."""
    if len(h) != HASH_LEN:
        raise ValueError(f"a hash is {HASH_LEN} bytes, got {len(h)}")
    return "".join(h[i:i + 8][::-1].hex() for i in range(0, HASH_LEN, 8))


def hex_to_hash(s: str) -> bytes:
    """Inverse of :func:`hash_to_hex`; raises ValueError unless ``s`` is 64 hex chars."""
    if not isinstance(s, str) or not _HEX64.fullmatch(s):
        raise ValueError(f"not a 64-hex-character Xet hash: {s!r:.80}")
    raw = bytes.fromhex(s)
    return b"".join(raw[i:i + 8][::-1] for i in range(0, HASH_LEN, 8))


def _hash_mod(h: bytes, n: int) -> int:
    # The hash as four little-endian u64 words; the modulus is taken on the last word.
    return struct.unpack_from("<Q", h, 24)[0] % n


def internal_node_text(children: Sequence[tuple[bytes, int]]) -> bytes:
    """hashing.md "Xorb Hashes": one line ``{hash:x} : {size}\\n`` per child, the hash
    in the spec's string form."""
    return "".join(f"{hash_to_hex(h)} : {size}\n" for h, size in children).encode("ascii")


def _internal_node(children: Sequence[tuple[bytes, int]]) -> tuple[bytes, int]:
    """An internal node: its text keyed with INTERNAL_NODE_KEY; its size is the sum of
    its children's."""
    return _keyed(INTERNAL_NODE_KEY, internal_node_text(children)), sum(size for _, size in children)


def _next_cut(nodes: Sequence[tuple[bytes, int]], start: int) -> int:
    remaining = len(nodes) - start
    if remaining <= 2:
        return len(nodes)
    end = start + min(2 * _MERKLE_MEAN_BRANCHING + 1, remaining)
    for i in range(start + 2, end):
        if _hash_mod(nodes[i][0], _MERKLE_MEAN_BRANCHING) == 0:
            return i + 1
    return end


def merkle_root(chunks: Sequence[tuple[bytes, int]]) -> bytes:
    """Root of the aggregated-hash tree over (hash, size) leaves; zero hash when empty."""
    level = [(bytes(h), int(size)) for h, size in chunks]
    if not level:
        return ZERO_HASH
    while len(level) > 1:
        merged = []
        start = 0
        while start < len(level):
            cut = _next_cut(level, start)
            merged.append(_internal_node(level[start:cut]))
            start = cut
        level = merged
    return level[0][0]


def xorb_hash(chunks: Sequence[tuple[bytes, int]]) -> bytes:
    """hashing.md "Xorb Hashes": merkle root over (chunk_hash, uncompressed_size)."""
    return merkle_root(chunks)


def file_hash(chunks: Sequence[tuple[bytes, int]]) -> bytes:
    """hashing.md "File Hashes": merkle root, then blake3 keyed with 32 zero bytes.

    An empty file has no chunks and its file hash is the all-zero hash, without the
    salting step (the spec is silent; this is what the reference client reports,
    checked against hf_xet.hash_files in the tests)."""
    if not chunks:
        return ZERO_HASH
    return _keyed(FILE_HASH_KEY, merkle_root(chunks))


def verification_hash(chunk_hashes: Sequence[bytes]) -> bytes:
    """hashing.md "Term Verification Hashes": raw chunk hashes of the term's range
    concatenated, keyed with VERIFICATION_KEY."""
    return _keyed(VERIFICATION_KEY, b"".join(chunk_hashes))


def keyed_chunk_hash(key: bytes, chunk_hash: bytes) -> bytes:
    """shard.md "HMAC Key Protection": what a global-dedup response shard stores in
    place of each chunk hash when its footer carries a non-zero chunk_hash_hmac_key.
    The keyed function is blake3 keyed with the 32-byte shard key (the protocol's
    hashes are all keyed blake3)."""
    if len(key) != HASH_LEN:
        raise ValueError("the chunk hash HMAC key is 32 bytes")
    return _keyed(key, chunk_hash)


# deduplication.md "Eligibility Criteria": hash's last 8 bytes as LE u64, % 1024 == 0.
GLOBAL_DEDUP_MODULUS = 1024


def is_global_dedup_eligible(chunk_hash: bytes, *, first_chunk_of_file: bool = False) -> bool:
    """Whether a client may ask the global-dedup API about this chunk (the first chunk
    of every file always is)."""
    return first_chunk_of_file or _hash_mod(chunk_hash, GLOBAL_DEDUP_MODULUS) == 0

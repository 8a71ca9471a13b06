"""Fuzzing the parsers of untrusted bodies: the NDJSON commit body and Xet's shards and xorbs.

Whatever bytes arrive, each parser either returns a result or raises its domain's error (which the API
turns into a 4xx); any other exception would be a 500. Inputs are arbitrary bytes and, more usefully,
mutations of valid bodies (the real client's shard and xorb, well-formed commit lines), so the search
reaches deep into each format instead of failing on the first header byte.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kohakuhub.errors import BadRequestError, PayloadTooLargeError
from kohakuhub.lib.ndjson_commit import iter_commit_lines
from kohakuhub.xet.hashing import hex_to_hash
from kohakuhub.xet.shard import ShardFormatError, check_file_entry, parse_shard
from kohakuhub.xet.xorb import XorbFormatError, build_xorb, parse_xorb
from tests.unit.xet_fixtures import client_shard, client_xorb

FUZZ = settings(max_examples=1000, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    """``seed`` with a few bytes overwritten, inserted or deleted, or cut short."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[at:at + 4] = draw(st.binary(min_size=1, max_size=4))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 16))]
        elif kind == "truncate":
            del data[at:]
    return bytes(data)


# --- NDJSON commit body -----------------------------------------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def commit_lines(draw) -> bytes:
    """A body of header/file/lfsFile/deletedFile lines, some of them damaged."""
    lines = []
    for _ in range(draw(st.integers(0, 5))):
        key = draw(st.sampled_from(["header", "file", "lfsFile", "deletedFile", "deletedFolder", "other"]))
        value: dict = {"path": draw(st.text(max_size=12))}
        if key == "file":
            content = draw(st.binary(max_size=300))
            value["content"] = draw(st.sampled_from([
                base64.b64encode(content).decode(),
                base64.b64encode(content).decode().replace("/", "\\/"),
                draw(st.text(max_size=40)),
            ]))
            value["encoding"] = draw(st.sampled_from(["base64", "base64", "utf-8", None]))
        for extra in draw(st.lists(st.text(max_size=6), max_size=2)):
            value[extra] = draw(_json_values)
        line = json.dumps({"key": key, "value": value})
        if draw(st.booleans()):
            line = draw(mutated(line.encode())).decode("utf-8", "replace")
        lines.append(line.encode())
    return b"\n".join(lines) + draw(st.sampled_from([b"", b"\n", b"\n\n"]))


def _parse_commit(data: bytes, spool: Path, chunk_size: int, max_line_bytes: int) -> None:
    try:
        lines = iter_commit_lines(data, spool, chunk_size=chunk_size, max_line_bytes=max_line_bytes,
                                  max_body_bytes=1 << 20, spool_threshold=64)
    except (BadRequestError, PayloadTooLargeError) as exc:
        assert str(exc)  # the 4xx names the problem
    else:
        for line in lines:
            assert isinstance(line.key, str) and isinstance(line.value, dict) and "content" not in line.value
            if line.content_file is not None:
                assert line.content_file.stat().st_size == line.content_size
                line.content_file.unlink()
    assert not list(spool.iterdir()), "a refused body left temporary files behind"


# A small max_line_bytes sends long lines through the streaming scanner, a small chunk size splits lines
# across reads: both paths of the parser get the same inputs.
_sizes = st.tuples(st.sampled_from([1, 7, 64, 1 << 16]), st.sampled_from([32, 256, 1 << 20]))


@FUZZ
@given(data=st.binary(max_size=2000), sizes=_sizes)
def test_commit_parser_on_arbitrary_bytes(tmp_path: Path, data: bytes, sizes: tuple[int, int]) -> None:
    _parse_commit(data, tmp_path, *sizes)


@FUZZ
@given(data=commit_lines(), sizes=_sizes)
def test_commit_parser_on_damaged_commit_lines(tmp_path: Path, data: bytes, sizes: tuple[int, int]) -> None:
    _parse_commit(data, tmp_path, *sizes)


@FUZZ
@given(content=st.binary(max_size=3000), sizes=_sizes)
def test_commit_parser_returns_what_was_sent(tmp_path: Path, content: bytes, sizes: tuple[int, int]) -> None:
    # The positive half: a valid file line decodes to its exact bytes on both paths.
    body = (json.dumps({"key": "header", "value": {"summary": "s"}}) + "\n"
            + json.dumps({"key": "file", "value": {"path": "a.bin", "encoding": "base64",
                                                   "content": base64.b64encode(content).decode()}}) + "\n")
    chunk_size, max_line_bytes = sizes
    max_line_bytes = max(max_line_bytes, 128)  # the skeleton of the line (all but content) must fit
    header, file_line = iter_commit_lines(body.encode(), tmp_path, chunk_size=chunk_size,
                                          max_line_bytes=max_line_bytes, spool_threshold=64)
    got = file_line.content if file_line.content_file is None else file_line.content_file.read_bytes()
    assert header.key == "header" and got == content and file_line.content_size == len(content)


# --- Xet shards -------------------------------------------------------------------------

_SHARD = client_shard()
_XORB, _XORB_HASH_HEX = client_xorb()
_XORB_HASH = hex_to_hash(_XORB_HASH_HEX)
_KNOWN_XORBS = {_XORB_HASH: [(c.hash, c.uncompressed_size) for c in parse_xorb(_XORB, _XORB_HASH).chunks]}


def _parse_shard(data: bytes) -> None:
    try:
        shard = parse_shard(data)
        for entry in shard.files:  # what the upload route does next with a parsed shard
            check_file_entry(entry, _KNOWN_XORBS.get)
    except ShardFormatError as exc:
        assert str(exc)


@FUZZ
@given(data=st.binary(max_size=1000))
def test_shard_parser_on_arbitrary_bytes(data: bytes) -> None:
    _parse_shard(data)


@FUZZ
@given(data=mutated(_SHARD))
def test_shard_parser_on_the_client_shard_damaged(data: bytes) -> None:
    _parse_shard(data)


# --- Xet xorbs --------------------------------------------------------------------------

def _parse_xorb(data: bytes, expected: bytes) -> None:
    try:
        parsed = parse_xorb(data, expected)
    except XorbFormatError as exc:
        assert str(exc)
    else:
        assert parsed.hash == expected  # accepted only when it hashes to its name


@FUZZ
@given(data=st.binary(max_size=1000))
def test_xorb_parser_on_arbitrary_bytes(data: bytes) -> None:
    _parse_xorb(data, _XORB_HASH)


@FUZZ
@given(data=mutated(_XORB))
def test_xorb_parser_on_the_client_xorb_damaged(data: bytes) -> None:
    _parse_xorb(data, _XORB_HASH)


@st.composite
def small_xorbs(draw) -> tuple[bytes, bytes]:
    chunks = draw(st.lists(st.binary(min_size=1, max_size=200), min_size=1, max_size=4))
    data, xorb_hash = build_xorb(chunks, draw(st.sampled_from(["none", "lz4", "bg4-lz4"])),
                                 footer=draw(st.booleans()))
    return draw(mutated(data)), xorb_hash


@FUZZ
@given(xorb=small_xorbs())
def test_xorb_parser_on_damaged_xorbs_of_every_compression(xorb: tuple[bytes, bytes]) -> None:
    _parse_xorb(*xorb)


@pytest.mark.parametrize("scheme", [1, 2], ids=["lz4", "bg4-lz4"])
def test_a_compression_bomb_is_refused_without_inflating_it(scheme: int) -> None:
    import lz4.frame

    # 1 MiB of zeros compresses to ~4 KiB; the header claims 100 bytes. The parser must stop after 101.
    payload = lz4.frame.compress(bytes(1 << 20))
    header = bytes([0]) + len(payload).to_bytes(3, "little") + bytes([scheme]) + (100).to_bytes(3, "little")
    with pytest.raises(XorbFormatError, match="decompresses to more than the 100 bytes its header says"):
        parse_xorb(header + payload, _XORB_HASH)

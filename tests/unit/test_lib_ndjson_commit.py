import asyncio
import base64
import itertools
import json
import os

from unittest import mock

import pytest

from kohakuhub.errors import BadRequestError, PayloadTooLargeError
from kohakuhub.lib import ndjson_commit
from kohakuhub.lib.ndjson_commit import CommitLine, iter_commit_lines, parse_commit_stream

HEADER = {"key": "header", "value": {"summary": "msg", "description": ""}}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def ndjson(*objs) -> bytes:
    return b"".join(json.dumps(o).encode() + b"\n" for o in objs)


def file_line(data: bytes, path="a.txt", **extra):
    return {"key": "file", "value": {"content": b64(data), "path": path, "encoding": "base64", **extra}}


async def _chunks(body: bytes, size: int):
    for i in range(0, len(body), size):
        yield body[i : i + size]


def parse(body: bytes, spool, chunk=65536, force_stream=False, **kwargs) -> list[CommitLine]:
    """Parse with asyncio.run; force_stream sends every line through the streaming scanner."""
    kwargs.setdefault("max_body_bytes", 1 << 40)

    async def run():
        return [line async for line in parse_commit_stream(_chunks(body, chunk), spool_dir=spool, **kwargs)]

    if not force_stream:
        return asyncio.run(run())
    # Streaming starts above max_line_bytes, which is also the scanner's budget outside the content;
    # a tiny limit plus a generous budget exercises the scanner on ordinary lines.
    kwargs["max_line_bytes"] = 16
    original = ndjson_commit._LineScanner.__init__

    def init(self, number, spool_dir, budget, spool_threshold):
        original(self, number, spool_dir, 1 << 20, spool_threshold)

    with mock.patch.object(ndjson_commit._LineScanner, "__init__", init):
        return asyncio.run(run())


def content_of(line: CommitLine) -> bytes:
    if line.content_file is not None:
        assert line.content is None
        return line.content_file.read_bytes()
    return line.content


def cleanup(lines):
    for line in lines:
        if line.content_file is not None:
            line.content_file.unlink()


# Each case runs through the json.loads path and through the streaming scanner (forced by a tiny
# max_line_bytes), with contents kept in memory and spooled to disk.
MODES = [
    pytest.param({}, id="small"),
    pytest.param({"force_stream": True}, id="streamed"),
    pytest.param({"force_stream": True, "spool_threshold": 1}, id="streamed-spooled"),
    pytest.param({"spool_threshold": 1}, id="small-spooled"),
]


@pytest.fixture
def spool(tmp_path):
    d = tmp_path / "spool"
    d.mkdir()
    yield d


def assert_spool_empty(spool):
    assert os.listdir(spool) == []


# --- happy paths ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_all_line_kinds(spool, mode):
    oid = "a" * 64
    body = ndjson(
        {"key": "header", "value": {"summary": "add", "description": "d", "parentCommit": "b" * 40}},
        file_line(b"hello world", "dir/a.txt"),
        {"key": "lfsFile", "value": {"path": "w.bin", "algo": "sha256", "oid": oid, "size": 123}},
        {"key": "deletedFile", "value": {"path": "x"}},
        {"key": "deletedFolder", "value": {"path": "dir/"}},
        {"key": "copyFile", "value": {"path": "c", "srcPath": "d", "srcRevision": "main"}},
        {"key": "somethingNew", "value": {}},
    )
    lines = parse(body, spool, **mode)
    assert [line.number for line in lines] == [1, 2, 3, 4, 5, 6, 7]
    assert [line.key for line in lines] == [
        "header", "file", "lfsFile", "deletedFile", "deletedFolder", "copyFile", "somethingNew",
    ]
    assert lines[0].value["parentCommit"] == "b" * 40
    assert lines[1].value == {"path": "dir/a.txt", "encoding": "base64"}
    assert content_of(lines[1]) == b"hello world"
    assert lines[1].content_size == 11
    assert lines[2].value == {"path": "w.bin", "algo": "sha256", "oid": oid, "size": 123}
    assert lines[2].content is None and lines[2].content_file is None and lines[2].content_size == 0
    assert lines[4].value == {"path": "dir/"}
    cleanup(lines)
    assert_spool_empty(spool)


@pytest.mark.parametrize("mode", MODES)
def test_empty_content(spool, mode):
    lines = parse(ndjson(file_line(b"")), spool, **mode)
    assert content_of(lines[0]) == b""
    assert lines[0].content_size == 0
    cleanup(lines)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("outer", list(itertools.permutations(["key", "value", "extra"])))
@pytest.mark.parametrize("inner", list(itertools.permutations(["content", "path", "encoding"])))
def test_keys_in_any_order(spool, mode, outer, inner):
    data = os.urandom(50)
    inner_values = {"content": b64(data), "path": "p/q.bin", "encoding": "base64"}
    outer_values = {"key": "file", "value": {k: inner_values[k] for k in inner}, "extra": [1, {"x": "y"}]}
    body = json.dumps({k: outer_values[k] for k in outer}).encode() + b"\n"
    lines = parse(body, spool, **mode)
    assert len(lines) == 1
    assert lines[0].key == "file"
    assert lines[0].value == {"path": "p/q.bin", "encoding": "base64"}
    assert content_of(lines[0]) == data
    cleanup(lines)


@pytest.mark.parametrize("mode", MODES)
def test_whitespace_and_nested_values(spool, mode):
    data = os.urandom(40)
    body = (
        b'  {  "value" : { "meta" : {"content": "not me", "a": [1, 2.5e3, true, null, "\\"}"]},'
        b' "content" : "' + b64(data).encode() + b'" , "path" : "x\\u00e9", "encoding":"base64" } ,'
        b' "key" : "file" }  \n'
    )
    lines = parse(body, spool, **mode)
    assert lines[0].value == {
        "meta": {"content": "not me", "a": [1, 2500.0, True, None, '"}']},
        "path": "xé",
        "encoding": "base64",
    }
    assert content_of(lines[0]) == data
    cleanup(lines)


@pytest.mark.parametrize("mode", MODES)
def test_crlf_blank_lines_and_numbering(spool, mode):
    body = b"\r\n" + ndjson(HEADER).replace(b"\n", b"\r\n") + b"\n   \n" + ndjson(file_line(b"abc"))
    body = body.replace(b"}}\n", b"}}\r\n")
    lines = parse(body, spool, **mode)
    assert [(line.number, line.key) for line in lines] == [(2, "header"), (5, "file")]
    assert content_of(lines[1]) == b"abc"
    cleanup(lines)


@pytest.mark.parametrize("mode", MODES)
def test_no_final_newline(spool, mode):
    body = ndjson(HEADER) + json.dumps(file_line(b"tail")).encode()
    lines = parse(body, spool, **mode)
    assert [line.key for line in lines] == ["header", "file"]
    assert content_of(lines[1]) == b"tail"
    cleanup(lines)


def test_empty_body(spool):
    assert parse(b"", spool) == []
    assert parse(b"\n\n", spool) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "escape",
    [
        lambda s: s.replace("/", "\\/"),
        lambda s: s.replace("/", "\\u002F").replace("+", "\\u002b"),
        lambda s: "\\n".join(s[i : i + 76] for i in range(0, len(s), 76)),
        lambda s: "\\r\\n".join(s[i : i + 76] for i in range(0, len(s), 76)).replace("/", "\\/"),
        lambda s: s.replace("A", "\\u0041"),
        lambda s: "\\u000a" + s + "\\u000D",
    ],
    ids=["slash", "unicode", "mime-n", "mime-crlf-slash", "unicode-letter", "unicode-newline"],
)
def test_json_escapes_in_base64(spool, mode, escape):
    data = bytes(range(256)) * 4 + b"\xff\xfe\xfb" * 50  # plenty of '/' and '+' in base64
    text = escape(b64(data))
    body = b'{"key":"file","value":{"content":"' + text.encode() + b'","path":"a","encoding":"base64"}}\n'
    for chunk in (1, 3, 65536):
        lines = parse(body, spool, chunk=chunk, **mode)
        assert content_of(lines[0]) == data
        cleanup(lines)


# --- huge lines ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [1, 3, 7, 65537])
def test_huge_line_streamed(spool, chunk):
    size = 300_000 if chunk < 10 else 3_000_001
    data = os.urandom(size)
    body = ndjson(HEADER, file_line(data, "big.bin"), {"key": "deletedFile", "value": {"path": "x"}})
    lines = parse(body, spool, chunk=chunk, max_line_bytes=4096, spool_threshold=65536)
    assert [line.key for line in lines] == ["header", "file", "deletedFile"]
    big = lines[1]
    assert big.content is None and big.content_file is not None
    assert big.content_file.parent == spool
    assert big.content_size == size
    assert big.content_file.read_bytes() == data
    assert big.value == {"path": "big.bin", "encoding": "base64"}
    cleanup(lines)
    assert_spool_empty(spool)


def test_streamed_content_under_threshold_stays_in_memory(spool):
    data = os.urandom(5000)
    lines = parse(ndjson(file_line(data)), spool, chunk=100, max_line_bytes=128, spool_threshold=5001)
    assert lines[0].content == data and lines[0].content_file is None
    assert_spool_empty(spool)


def test_small_line_content_over_threshold_spooled(spool):
    data = os.urandom(100)
    lines = parse(ndjson(file_line(data)), spool, spool_threshold=100)
    assert lines[0].content is None and lines[0].content_file.read_bytes() == data
    cleanup(lines)


def test_huge_line_sharing_chunks_with_neighbours(spool):
    data = os.urandom(200_000)
    body = ndjson(HEADER, file_line(data, "one"), file_line(b"x", "two"), file_line(data[::-1], "three"))
    for chunk in (len(body), 100_003):
        lines = parse(body, spool, chunk=chunk, max_line_bytes=1000, spool_threshold=1000)
        assert [content_of(line) for line in lines[1:]] == [data, b"x", data[::-1]]
        cleanup(lines)
    assert_spool_empty(spool)


def test_iter_commit_lines(spool):
    data = os.urandom(70_000)
    lines = iter_commit_lines(ndjson(HEADER, file_line(data)), spool, chunk_size=1000, max_line_bytes=512)
    assert content_of(lines[1]) == data
    cleanup(lines)


def test_iter_commit_lines_cleans_up_on_error(spool):
    body = ndjson(file_line(os.urandom(5000))) + b"{broken\n"
    with pytest.raises(BadRequestError, match="line 2"):
        iter_commit_lines(body, spool, spool_threshold=10)
    assert_spool_empty(spool)


# --- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (b"{not json}", "invalid JSON"),
        (b'{"key":"file","value":{}', "invalid JSON"),
        (b'{"key":"file","value":{}}}', "invalid JSON"),
        (b'{"key":"file","value":{}} {}', "invalid JSON"),
        (b"[1, 2, 3]", "expected a JSON object"),
        (b'"just a string"', "expected a JSON object"),
        (b"42", "expected a JSON object"),
        (b"null", "expected a JSON object"),
        (b'{"value":{}}', "'key'"),
        (b'{"key":5,"value":{}}', "'key'"),
        (b'{"key":"file"}', "'value'"),
        (b'{"key":"file","value":[]}', "'value'"),
        (b'{"key":"file","value":"x"}', "'value'"),
        (b'{"key":"file","value":{"content":5,"encoding":"base64"}}', "must be a string"),
        (b'{"key":"file","value":{"content":"AAAA"}}', "encoding"),
        (b'{"key":"file","value":{"content":"AAAA","encoding":"utf-8"}}', "encoding"),
        (b'{"key":"file","value":{"content":"AA!A","encoding":"base64"}}', "invalid base64"),
        (b'{"key":"file","value":{"content":"AA A","encoding":"base64"}}', "invalid base64"),
        (b'{"key":"file","value":{"content":"AAA","encoding":"base64"}}', "invalid base64"),
        (b'{"key":"file","value":{"content":"AAAAA","encoding":"base64"}}', "invalid base64"),
        (b'{"key":"file","value":{"content":"AA==AAAA","encoding":"base64"}}', "invalid base64"),
        (b'{"key":"file","value":{"content":"A===","encoding":"base64"}}', "invalid base64"),
        (b'{"key":"file","value":{"content":"=AAA","encoding":"base64"}}', "invalid base64"),
        (b'{"key":"file","value":{"content":"AAAA\\"AAA","encoding":"base64"}}', "invalid base64"),
        (b'{"key":"file","value":{"content":"AAAA\\\\AAA","encoding":"base64"}}', "invalid base64"),
        (b'{"key":"file","value":{"content":"AAAA\\tAAA","encoding":"base64"}}', "invalid base64"),
        (b'{"key":"file","value":{"content":"AA\\u00e9A","encoding":"base64"}}', "invalid base64"),
        (b'{"key":"file","value":{"content":"AA\\u0020A","encoding":"base64"}}', "invalid base64"),
        (b'{"key":"file","value":{"content":"AAAA\\q","encoding":"base64"}}', "invalid"),
        (b'{"key":"file","value":{"content":"AAAA\\u12G4","encoding":"base64"}}', "invalid"),
        (b'{"key":"file","value":{"content":"AA\xc3\xa9A","encoding":"base64"}}', "invalid base64"),
        (b'{"key":"file","value":{"content":"AA\tA","encoding":"base64"}}', "invalid"),
        (b'{"key":"file","value":{"content":"AAAA","content":"AAAA","encoding":"base64"}}', "duplicate"),
        (b'{"key":"file","value":{"path":"\xff"}}', "UTF-8"),
    ],
)
def test_malformed_lines(spool, mode, line, fragment):
    body = ndjson(HEADER) + line + b"\n" + ndjson(HEADER)
    with pytest.raises(BadRequestError) as exc:
        parse(body, spool, **mode)
    assert exc.value.message.startswith("Malformed commit payload: line 2: ")
    assert fragment in exc.value.message
    assert_spool_empty(spool)


@pytest.mark.parametrize("mode", MODES)
def test_invalid_base64_split_across_chunks(spool, mode):
    bad = b64(os.urandom(3000)) + "!" + b64(b"abc")
    body = b'{"key":"file","value":{"content":"' + bad.encode() + b'","encoding":"base64"}}\n'
    for chunk in (1, 7, 1000):
        with pytest.raises(BadRequestError, match="line 1: invalid base64"):
            parse(body, spool, chunk=chunk, **mode)
    assert_spool_empty(spool)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "tail",
    [
        b'{"key":"file","value":{"content":"AAAA',
        b'{"key":"file","value":{"content":"AAAA"',
        b'{"key":"file","value":{"content":"AAAA","encoding":"base64"',
        b'{"key":"file","val',
        b'{"key":"file","value":{"content":"AAAA\\',
        b'{"key":"file","value":{"content":"AAAA\\u00',
    ],
)
def test_truncated_body(spool, mode, tail):
    body = ndjson(HEADER) + tail
    with pytest.raises(BadRequestError, match="line 2"):
        parse(body, spool, **mode)
    assert_spool_empty(spool)


def test_truncated_huge_line_removes_temp_file(spool):
    body = ndjson(HEADER) + json.dumps(file_line(os.urandom(500_000))).encode()[:-100_000]
    with pytest.raises(BadRequestError, match="line 2: truncated"):
        parse(body, spool, max_line_bytes=1000, spool_threshold=1000)
    assert_spool_empty(spool)


@pytest.mark.parametrize(
    "value",
    [
        {"encoding": "utf-8"},  # encoding only known once the line ends
        {"encoding": "base64", "bad": float("nan")},
    ],
)
def test_errors_after_streamed_content_remove_temp_file(spool, value):
    obj = file_line(os.urandom(200_000))
    obj["value"].update(value)
    body = json.dumps(obj).encode().replace(b"NaN", b"nope") + b"\n"
    with pytest.raises(BadRequestError, match="line 1"):
        parse(body, spool, max_line_bytes=1000, spool_threshold=1000)
    assert_spool_empty(spool)


def test_duplicate_streamed_content(spool):
    body = b'{"key":"file","value":{"content":"' + b"A" * 4000 + b'","content":"AAAA","encoding":"base64"}}\n'
    with pytest.raises(BadRequestError, match="duplicate"):
        parse(body, spool, max_line_bytes=100, spool_threshold=10)
    assert_spool_empty(spool)


def test_body_over_limit(spool):
    body = ndjson(HEADER, file_line(os.urandom(10_000)))
    with pytest.raises(PayloadTooLargeError):
        parse(body, spool, max_body_bytes=len(body) - 1, chunk=1000, max_line_bytes=100, spool_threshold=10)
    assert_spool_empty(spool)
    assert len(parse(body, spool, max_body_bytes=len(body))) == 2


def test_line_too_long_outside_content(spool):
    long_path = {"key": "file", "value": {"path": "p" * 5000, "content": "AAAA", "encoding": "base64"}}
    with pytest.raises(PayloadTooLargeError, match="line 1"):
        parse(ndjson(long_path), spool, max_line_bytes=1000)
    with pytest.raises(PayloadTooLargeError, match="line 2"):
        parse(ndjson(HEADER, {"key": "x", "value": {"list": list(range(2000))}}), spool, max_line_bytes=1000)
    junk = b'{"key":"file","value":{"content":"AAAA"}}' + b" " * 5000 + b"\n"
    with pytest.raises(PayloadTooLargeError):
        parse(junk, spool, max_line_bytes=1000, chunk=100)
    assert_spool_empty(spool)


def test_source_failure_removes_temp_file(spool):
    body = json.dumps(file_line(os.urandom(300_000))).encode()

    async def failing():
        yield body[:200_000]
        raise ConnectionError("client went away")

    async def run():
        async for _ in parse_commit_stream(
            failing(), spool_dir=spool, max_body_bytes=1 << 30, max_line_bytes=1000, spool_threshold=1000
        ):
            pass

    with pytest.raises(ConnectionError):
        asyncio.run(run())
    assert_spool_empty(spool)


def test_early_close_leaves_yielded_files_to_caller(spool):
    body = ndjson(file_line(os.urandom(5000)), file_line(os.urandom(5000)))

    async def run():
        stream = parse_commit_stream(
            _chunks(body, 100), spool_dir=spool, max_body_bytes=1 << 30, spool_threshold=10
        )
        first = await stream.__anext__()
        await stream.aclose()
        return first

    first = asyncio.run(run())
    assert os.listdir(spool) == [first.content_file.name]
    first.content_file.unlink()

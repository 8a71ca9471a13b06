import base64
import os

import pytest

from kohakuhub.lib.base64_stream import Base64StreamError, JsonBase64Decoder


def decode_all(raw: bytes, spool, chunk: int, threshold: int = 1 << 20):
    """Feed raw (string body + closing quote + tail) in chunks; return (result, tail after quote)."""
    dec = JsonBase64Decoder(spool, threshold)
    for i in range(0, len(raw), chunk):
        piece = raw[i : i + chunk]
        end = dec.feed(piece)
        if end != -1:
            return dec.finish(), piece[end:] + raw[i + chunk :]
    raise AssertionError("closing quote not found")


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64, 1 << 16])
def test_plain_and_escaped(tmp_path, chunk):
    data = os.urandom(3000)
    text = base64.b64encode(data)
    for variant in (
        text,
        text.replace(b"/", b"\\/"),
        text.replace(b"+", b"\\u002B"),
        b"\\n".join(text[i : i + 76] for i in range(0, len(text), 76)),
        b"\\r\\n".join(text[i : i + 64] for i in range(0, len(text), 64)).replace(b"/", b"\\/"),
    ):
        (content, path, size), tail = decode_all(variant + b'","x":1}', tmp_path, chunk)
        assert content == data and path is None and size == 3000
        assert tail == b',"x":1}'


def test_spools_past_threshold(tmp_path):
    data = os.urandom(10_000)
    (content, path, size), _ = decode_all(base64.b64encode(data) + b'"', tmp_path, 333, threshold=1000)
    assert content is None and size == 10_000
    assert path.parent == tmp_path and path.read_bytes() == data
    path.unlink()


def test_empty_string(tmp_path):
    dec = JsonBase64Decoder(tmp_path, 10)
    assert dec.feed(b'"rest') == 1
    assert dec.finish() == (b"", None, 0)


@pytest.mark.parametrize(
    "raw",
    [
        b'AA!A"', b'AA A"', b'AAA"', b'AAAAA"', b'AA==AAAA"', b'AA==\\/AAA"', b'=AAA"', b'AAAA\\""',
        b'AAAA\\\\AAAA"', b'AAAA\\tAAA"', b'AAAA\\b"', b'AA\\u00e9A"', b'AA\\u0020A"', b'AAAA\\x"',
        b'AAAA\\u12G4"', b'A\xc3\xa9A"', b'A\x00AA"',
    ],
)
@pytest.mark.parametrize("chunk", [1, 3, 100])
def test_rejects(tmp_path, raw, chunk):
    with pytest.raises(Base64StreamError, match="invalid"):
        decode_all(raw, tmp_path, chunk)


def test_abort_removes_file(tmp_path):
    dec = JsonBase64Decoder(tmp_path, 10)
    assert dec.feed(base64.b64encode(os.urandom(300))) == -1
    assert len(os.listdir(tmp_path)) == 1
    dec.abort()
    assert os.listdir(tmp_path) == []

"""Streaming parser for the body of ``POST /api/{type}s/{ns}/{name}/commit/{rev}`` (NDJSON).

One JSON object per line (hf-client-protocol.md section 5.3)::

    {"key":"header","value":{"summary":"msg","description":""}}
    {"key":"file","value":{"content":"<base64>","path":"a.txt","encoding":"base64"}}

A ``file`` line carries the whole file as base64 and can exceed a gigabyte, so the body is never held in
memory. Lines up to ``max_line_bytes`` are parsed with :func:`json.loads`. A longer line must owe its size
to ``value.content``: it goes through :class:`_LineScanner`, a small streaming JSON tokenizer that keeps
everything except that string (the "skeleton", at most ``max_line_bytes``) and pipes the string through
:class:`~kohakuhub.lib.base64_stream.JsonBase64Decoder`, which base64-decodes it incrementally into a
temporary file.

Both paths accept the same input: JSON escapes inside the base64 are decoded (clients may escape ``/``
as ``\\/``), escaped line breaks (``\\n``, ``\\r``, as in MIME base64) are ignored, and any other
non-base64 character or misplaced padding is refused.

Key names and paths are not validated here; the commit service does that.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kohakuhub.errors import BadRequestError, PayloadTooLargeError
from kohakuhub.lib.base64_stream import Base64StreamError, JsonBase64Decoder

__all__ = ["CommitLine", "iter_commit_lines", "parse_commit_stream"]


@dataclass
class CommitLine:
    """One parsed NDJSON line.

    ``value`` never holds ``content``: the decoded bytes are in ``content`` (small) or in the temporary
    file ``content_file`` (large), which the caller must delete.
    """

    number: int
    key: str
    value: dict
    content: bytes | None = None
    content_file: Path | None = None
    content_size: int = 0


def _malformed(number: int, reason: str) -> BadRequestError:
    return BadRequestError(f"Malformed commit payload: line {number}: {reason}")


def _no_duplicate_content(pairs: list[tuple[str, Any]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs) and sum(key == "content" for key, _ in pairs) > 1:
        raise ValueError("duplicate 'content'")
    return obj


def _loads(number: int, raw: bytes | bytearray) -> Any:
    """json.loads that refuses a repeated "content" key (json.loads would keep the last one)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _malformed(number, "not valid UTF-8") from None
    try:
        if raw.count(b'"content"') > 1:
            return json.loads(text, object_pairs_hook=_no_duplicate_content)
        return json.loads(text)
    except ValueError as exc:
        raise _malformed(number, f"invalid JSON ({exc})") from None


def _check_object(number: int, obj: Any) -> tuple[str, dict]:
    if not isinstance(obj, dict):
        raise _malformed(number, "expected a JSON object")
    key = obj.get("key")
    if not isinstance(key, str):
        raise _malformed(number, "missing or non-string 'key'")
    value = obj.get("value")
    if not isinstance(value, dict):
        raise _malformed(number, "missing or non-object 'value'")
    return key, value


def _check_encoding(number: int, value: dict) -> None:
    if value.get("encoding") != "base64":
        encoding = value.get("encoding")
        raise _malformed(number, f"unsupported content encoding {encoding!r} (expected 'base64')")


def _spool(spool_dir: Path, data: bytes) -> Path:
    with tempfile.NamedTemporaryFile(dir=spool_dir, prefix="commit-", suffix=".bin", delete=False) as f:
        try:
            f.write(data)
        except BaseException:
            os.unlink(f.name)
            raise
    return Path(f.name)


def _small_line(number: int, raw: bytes | bytearray, spool_dir: Path, spool_threshold: int) -> CommitLine:
    key, value = _check_object(number, _loads(number, raw))
    if "content" not in value:
        return CommitLine(number, key, value)
    text = value.pop("content")
    if not isinstance(text, str):
        raise _malformed(number, "'content' must be a string")
    _check_encoding(number, value)
    try:
        data = text.encode("ascii")
        if b"\n" in data or b"\r" in data:
            data = data.replace(b"\n", b"").replace(b"\r", b"")
        decoded = base64.b64decode(data, validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise _malformed(number, f"invalid base64 ({exc}) in 'content'") from None
    if len(decoded) >= spool_threshold:
        return CommitLine(number, key, value, None, _spool(spool_dir, decoded), len(decoded))
    return CommitLine(number, key, value, decoded, None, len(decoded))


_WS_RE = re.compile(rb"[ \t\r\n]*")
_LITERAL_RE = re.compile(rb'[^ \t\r\n{}\[\],:"]+')


class _LineScanner:
    """Incremental tokenizer for one over-long line; streams ``value.content`` to a decoder.

    The tokenizer only tracks structure (containers, current keys, string boundaries) to find that one
    string; everything else is kept in ``skeleton``, where the content string is replaced by ``""``,
    and validated by :func:`json.loads` at the end.
    """

    def __init__(self, number: int, spool_dir: Path, budget: int, spool_threshold: int) -> None:
        self.number = number
        self.spool_dir = spool_dir
        self.budget = budget
        self.spool_threshold = spool_threshold
        self.skeleton = bytearray()
        self.pos = 0
        self.string_resume = -1  # where to resume looking for the end of a string cut by a chunk
        self.stack: list[list[Any]] = []  # frames: [is_object, current_key, expecting_key]
        self.sink: JsonBase64Decoder | None = None
        self.result: tuple[bytes | None, Path | None, int] | None = None

    def feed(self, data: bytes) -> None:
        """Consume the next bytes of the line (never containing the terminating newline)."""
        while data:
            if self.sink is not None and self.result is None:
                try:
                    end = self.sink.feed(data)
                    if end == -1:
                        return
                    self.result = self.sink.finish()
                except Base64StreamError as exc:
                    raise _malformed(self.number, f"{exc} in 'content'") from None
                self.skeleton += b'"'
                self.pos = len(self.skeleton)
                data = data[end:]
                continue
            self.skeleton += data
            data = self._tokenize()
            if len(self.skeleton) > self.budget:
                raise PayloadTooLargeError(
                    f"Commit payload line {self.number} has more than {self.budget} bytes outside"
                    " file content"
                )

    def _at_content(self) -> bool:
        stack = self.stack
        return (
            len(stack) == 2
            and stack[0][0]
            and stack[0][1] == "value"
            and stack[1][0]
            and stack[1][1] == "content"
            and not stack[1][2]
        )

    def _string_end(self, start: int) -> int:
        skeleton = self.skeleton
        p = self.string_resume if self.string_resume > start else start + 1
        while True:
            q = skeleton.find(b'"', p)
            if q == -1:
                self.string_resume = len(skeleton)
                return -1
            backslashes = 0
            while skeleton[q - 1 - backslashes] == 0x5C:
                backslashes += 1
            if backslashes % 2 == 0:
                self.string_resume = -1
                return q + 1
            p = q + 1

    def _tokenize(self) -> bytes:
        """Advance over complete tokens; return the bytes handed to a newly started content sink."""
        skeleton, stack = self.skeleton, self.stack
        while True:
            pos = _WS_RE.match(skeleton, self.pos).end()
            self.pos = pos
            if pos >= len(skeleton):
                return b""
            c = skeleton[pos]
            if c == 0x22:  # '"'
                if self._at_content():
                    if self.sink is not None:
                        raise _malformed(self.number, "duplicate 'content'")
                    self.sink = JsonBase64Decoder(self.spool_dir, self.spool_threshold)
                    rest = bytes(skeleton[pos + 1 :])
                    del skeleton[pos + 1 :]
                    return rest
                end = self._string_end(pos)
                if end == -1:
                    return b""
                if stack and stack[-1][0] and stack[-1][2]:
                    try:
                        stack[-1][1] = json.loads(skeleton[pos:end].decode("utf-8"))
                    except ValueError:
                        raise _malformed(self.number, "invalid JSON (bad object key)") from None
                    stack[-1][2] = False
                self.pos = end
            elif c in b"{[":
                stack.append([c == 0x7B, None, c == 0x7B])
                self.pos = pos + 1
            elif c in b"}]":
                if stack:
                    stack.pop()
                self.pos = pos + 1
            elif c == 0x2C:  # ','
                if stack and stack[-1][0]:
                    stack[-1][2] = True
                self.pos = pos + 1
            elif c == 0x3A:  # ':'
                self.pos = pos + 1
            else:
                end = _LITERAL_RE.match(skeleton, pos).end()
                if end == len(skeleton):
                    return b""  # may continue in the next chunk; json.loads judges it at the end
                self.pos = end

    def finish(self) -> CommitLine:
        """Validate the complete line and return it."""
        if self.sink is not None and self.result is None:
            raise _malformed(self.number, "truncated line (unterminated 'content' string)")
        key, value = _check_object(self.number, _loads(self.number, self.skeleton))
        if self.result is None:
            if "content" in value:
                raise _malformed(self.number, "'content' must be a string")
            return CommitLine(self.number, key, value)
        if value.pop("content", None) != "":
            raise _malformed(self.number, "duplicate 'content'")
        _check_encoding(self.number, value)
        content, content_file, size = self.result
        return CommitLine(self.number, key, value, content, content_file, size)

    def abort(self) -> None:
        """Delete the temporary file of this line, if any."""
        if self.sink is not None:
            self.sink.abort()


async def parse_commit_stream(
    chunks: AsyncIterator[bytes],
    *,
    spool_dir: Path,
    max_body_bytes: int,
    max_line_bytes: int = 1 << 20,
    spool_threshold: int = 1 << 20,
) -> AsyncIterator[CommitLine]:
    """Parse an NDJSON commit body as it arrives.

    Args:
        chunks: The request body.
        spool_dir: Directory for the temporary files of large contents.
        max_body_bytes: Limit on the whole body.
        max_line_bytes: Lines longer than this are streamed; outside ``value.content`` they may not
            exceed it.
        spool_threshold: Decoded contents of at least this many bytes go to a temporary file.

    Yields:
        One :class:`CommitLine` per non-blank line. The caller owns (and must delete) the
        ``content_file`` of every yielded line, also when it stops early.

    Raises:
        BadRequestError: A line is not valid JSON, not an object, lacks ``key``/``value``, has an
            unsupported encoding or invalid base64, or the body is truncated.
        PayloadTooLargeError: The body exceeds ``max_body_bytes``, or a line exceeds
            ``max_line_bytes`` outside its content.
    """
    buffer = bytearray()
    scanner: _LineScanner | None = None
    number = 0  # lines completed so far
    total = 0
    try:
        async for chunk in chunks:
            total += len(chunk)
            if total > max_body_bytes:
                raise PayloadTooLargeError(f"Commit payload is larger than {max_body_bytes} bytes")
            if scanner is not None:
                newline = chunk.find(b"\n")
                if newline == -1:
                    scanner.feed(chunk)
                    continue
                scanner.feed(chunk[:newline])
                number += 1
                line, scanner = scanner.finish(), None
                yield line
                chunk = chunk[newline + 1 :]
            buffer += chunk
            start = 0
            while (newline := buffer.find(b"\n", start)) != -1:
                number += 1
                raw = buffer[start:newline]
                start = newline + 1
                if len(raw) > max_line_bytes:
                    scanner = _LineScanner(number, spool_dir, max_line_bytes, spool_threshold)
                    scanner.feed(bytes(raw))
                    line, scanner = scanner.finish(), None
                    yield line
                elif raw.strip():
                    yield _small_line(number, raw, spool_dir, spool_threshold)
            del buffer[:start]
            if len(buffer) > max_line_bytes:
                scanner = _LineScanner(number + 1, spool_dir, max_line_bytes, spool_threshold)
                scanner.feed(bytes(buffer))
                buffer.clear()
        # The body may end without a final newline.
        if scanner is not None:
            number += 1
            line, scanner = scanner.finish(), None
            yield line
        elif buffer.strip():
            yield _small_line(number + 1, bytes(buffer), spool_dir, spool_threshold)
    except BaseException:
        if scanner is not None:
            scanner.abort()
        raise


def iter_commit_lines(
    data: bytes,
    spool_dir: Path,
    *,
    chunk_size: int = 1 << 16,
    max_body_bytes: int | None = None,
    max_line_bytes: int = 1 << 20,
    spool_threshold: int = 1 << 20,
) -> list[CommitLine]:
    """Parse an in-memory body synchronously (tests, tools); same rules as :func:`parse_commit_stream`.

    Temporary files of already parsed lines are deleted if a later line fails.

    Raises:
        BadRequestError: See :func:`parse_commit_stream`.
        PayloadTooLargeError: See :func:`parse_commit_stream`.
    """

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(data), chunk_size):
            yield data[i : i + chunk_size]

    stream = parse_commit_stream(
        chunks(),
        spool_dir=spool_dir,
        max_body_bytes=len(data) if max_body_bytes is None else max_body_bytes,
        max_line_bytes=max_line_bytes,
        spool_threshold=spool_threshold,
    )
    lines: list[CommitLine] = []
    try:
        while True:
            # The chunk source never suspends, so each step completes without an event loop.
            step = stream.__anext__()
            try:
                step.send(None)
            except StopIteration as done:
                lines.append(done.value)
            except StopAsyncIteration:
                return lines
            else:  # pragma: no cover - cannot happen with the source above
                step.close()
                raise RuntimeError("commit stream suspended unexpectedly")
    except BaseException:
        for line in lines:
            if line.content_file is not None:
                line.content_file.unlink(missing_ok=True)
        raise

"""Incremental decoding of a JSON string that holds base64, straight from the raw JSON bytes.

Used by :mod:`kohakuhub.lib.ndjson_commit` for the ``content`` of a commit ``file`` line, which may be
gigabytes long: the string is never buffered, the decoded bytes go to memory and then, past a threshold,
to a temporary file.

Accepted input matches ``base64.b64decode(json_string, validate=True)`` with one allowance: JSON escapes
are decoded first (``\\/`` and ``\\u002F`` are ``/``), and escaped line breaks (``\\n``, ``\\r``, as in
MIME base64) are skipped. Anything else that is not base64 (other escapes, raw spaces or control
characters, non-ASCII, padding in the middle) is an error.

Speed: the decoder runs at the speed of ``binascii.a2b_base64`` on plain base64; per-escape Python work
only happens for escapes other than ``\\/``, ``\\n`` and ``\\r``.
"""

from __future__ import annotations

import binascii
import re
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["Base64StreamError", "JsonBase64Decoder"]

# An escape that the C fast path cannot handle: not \/, \n or \r, or cut by the end of the chunk.
_HARD_ESCAPE_RE = re.compile(rb"\\(?:[^/nr]|\Z)")
_B64_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
_HEX_RE = re.compile(rb"[0-9a-fA-F]{4}")


class Base64StreamError(ValueError):
    """The string is not valid JSON or not valid base64; the message says which and why."""


class JsonBase64Decoder:
    """Feed the bytes that follow a JSON string's opening quote; get the decoded bytes.

    Args:
        spool_dir: Directory for the temporary file.
        spool_threshold: Once this many decoded bytes exist, they move to a temporary file.
    """

    def __init__(self, spool_dir: Path, spool_threshold: int) -> None:
        self.spool_dir = spool_dir
        self.spool_threshold = spool_threshold
        self.memory: bytearray | None = bytearray()
        self.file: Any = None
        self.path: Path | None = None
        self.size = 0
        self.carry = b""  # base64 characters not yet forming a quartet
        self.padded = False
        self.escape = b""  # an escape sequence cut by a chunk boundary

    def _write(self, out: bytes) -> None:
        self.size += len(out)
        if self.memory is None:
            self.file.write(out)
            return
        self.memory += out
        if len(self.memory) >= self.spool_threshold:
            self.file = tempfile.NamedTemporaryFile(
                dir=self.spool_dir, prefix="commit-", suffix=".bin", delete=False
            )
            self.path = Path(self.file.name)
            self.file.write(self.memory)
            self.memory = None

    def _decode(self, quartets: bytes | memoryview) -> None:
        try:
            self._write(binascii.a2b_base64(quartets, strict_mode=True))
        except binascii.Error as exc:
            raise Base64StreamError(f"invalid base64 ({exc})") from None
        self.padded = quartets[-1] == 0x3D  # '='

    def _b64(self, text: bytes) -> None:
        if not text:
            return
        if self.padded:
            raise Base64StreamError("invalid base64 (data after padding)")
        start = 0
        if self.carry:  # complete the pending quartet first, so the bulk is decoded without a copy
            start = 4 - len(self.carry)
            if len(text) < start:
                self.carry += text
                return
            self._decode(self.carry + text[:start])
            self.carry = b""
            if start == len(text):
                return
            if self.padded:
                raise Base64StreamError("invalid base64 (data after padding)")
        n = (len(text) - start) & ~3
        if n:
            self._decode(memoryview(text)[start : start + n] if n < len(text) else text)
        self.carry = text[start + n :]

    def _unescape(self, buf: bytes, i: int) -> int:
        """Handle the escape at ``buf[i] == '\\\\'``; return its length, or 0 if it is incomplete."""
        if i + 1 >= len(buf):
            return 0
        c = buf[i + 1]
        if c == 0x75:  # \uXXXX
            if i + 6 > len(buf):
                return 0
            if not _HEX_RE.fullmatch(buf, i + 2, i + 6):
                raise Base64StreamError("invalid JSON (bad \\u escape)")
            code = int(buf[i + 2 : i + 6], 16)
            if code not in (10, 13):
                if code not in _B64_CHARS:
                    raise Base64StreamError(f"invalid base64 (character U+{code:04X})")
                self._b64(bytes((code,)))
            return 6
        if c == 0x2F:  # \/
            self._b64(b"/")
        elif c not in b"nr":
            if c in b'"\\bft':
                raise Base64StreamError(f"invalid base64 (escaped {chr(c)!r})")
            raise Base64StreamError(f"invalid JSON (bad escape \\{chr(c)})")
        return 2

    def feed(self, data: bytes) -> int:
        """Consume string bytes.

        Returns:
            The index in ``data`` just past the closing quote, or -1 if the string goes on.

        Raises:
            Base64StreamError: Invalid base64 or JSON escape.
        """
        pos, n = 0, len(data)
        if self.escape:
            buf = self.escape + data[:6]
            used = self._unescape(buf, 0)
            if not used:
                self.escape = buf
                return -1
            pos = used - len(self.escape)
            self.escape = b""
        quote = data.find(b'"', pos)
        while True:
            if quote != -1 and quote < pos:  # the quote was part of an escape
                quote = data.find(b'"', pos)
            end = quote if quote != -1 else n
            hard = None if data.find(b"\\", pos, end) == -1 else _HARD_ESCAPE_RE.search(data, pos, end)
            stop = end if hard is None else hard.start()
            if stop > pos:
                segment = data[pos:stop]
                if b"\\" in segment:
                    # Every backslash here starts \/, \n or \r (no \\ pair), so plain replaces are exact.
                    if b"\\n" in segment or b"\\r" in segment:
                        segment = segment.replace(b"\\/", b"/").replace(b"\\n", b"").replace(b"\\r", b"")
                    else:
                        segment = segment.translate(None, b"\\")
                self._b64(segment)
            if hard is None:
                return -1 if quote == -1 else quote + 1
            used = self._unescape(data, stop)
            if not used:
                self.escape = data[stop:]
                return -1
            pos = stop + used

    def finish(self) -> tuple[bytes | None, Path | None, int]:
        """Close the decoder once :meth:`feed` saw the closing quote.

        Returns:
            ``(content, None, size)`` below the threshold, else ``(None, temp_file, size)``; the caller
            owns the file.

        Raises:
            Base64StreamError: The base64 text ends with an incomplete quartet.
        """
        if self.carry:
            raise Base64StreamError("invalid base64 (incorrect padding)")
        if self.file is not None:
            self.file.close()
            self.file = None
            return None, self.path, self.size
        return bytes(self.memory or b""), None, self.size

    def abort(self) -> None:
        """Drop the temporary file, if any."""
        if self.file is not None:
            self.file.close()
            self.file = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None

"""``.gitattributes`` handling: the Hub's default file, and "is this path stored in LFS?".

A file goes to LFS when the last ``.gitattributes`` line matching its path sets ``filter=lfs``. Matching
follows git (gitattributes(5), wildmatch with ``WM_PATHNAME``), because ``git clone`` applies the same
rules on checkout:

- a pattern without ``/`` matches the basename at any depth; with a ``/`` (a leading one included) it is
  anchored to the repo root;
- ``*``, ``?`` and ``[...]`` never match ``/``; a whole-segment ``**`` spans directories (``**/x``,
  ``a/**/b``, ``a/**``); any other ``**`` acts like ``*``;
- later lines override earlier ones; ``-filter`` unsets and ``!filter`` makes it unspecified;
- comments, ``[attr]`` macro definitions, negative (``!``) and trailing-slash (directory) patterns never
  match a file. Only the root ``.gitattributes`` is considered.
"""

from __future__ import annotations

import functools
import re

from kohakuhub.lib.paths import normalize_repo_path

__all__ = ["DEFAULT_GITATTRIBUTES", "LFS_ATTRIBUTES", "is_lfs_tracked", "lfs_patterns", "with_lfs_path"]

LFS_ATTRIBUTES = "filter=lfs diff=lfs merge=lfs -text"

_DEFAULT_PATTERNS = (
    "*.7z *.arrow *.bin *.bz2 *.ckpt *.ftz *.gz *.h5 *.joblib *.lfs.* *.mlmodel *.model *.msgpack *.npy "
    "*.npz *.onnx *.ot *.parquet *.pb *.pickle *.pkl *.pt *.pth *.rar *.safetensors saved_model/**/* "
    "*.tar.* *.tar *.tflite *.tgz *.wasm *.xz *.zip *.zst *tfevents*"
).split()

#: The ``.gitattributes`` the Hugging Face Hub seeds a new repo with (the initial commit's only file).
DEFAULT_GITATTRIBUTES = "".join(f"{pattern} {LFS_ATTRIBUTES}\n" for pattern in _DEFAULT_PATTERNS)

_BLANKS = " \t\r\n"
_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "\\x21-\\x7e",
    "lower": "a-z",
    "print": "\\x20-\\x7e",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9a-fA-F",
}
_C_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _unquote(line: str) -> tuple[str, str] | None:
    """Split a C-quoted pattern (``"a b" attr``) from the rest of the line; None if unterminated."""
    out: list[str] = []
    i = 1
    while i < len(line):
        c = line[i]
        if c == '"':
            return "".join(out), line[i + 1 :]
        if c == "\\" and i + 1 < len(line):
            nxt = line[i + 1]
            octal = re.match(r"[0-7]{3}", line[i + 1 : i + 4])
            if octal:
                out.append(chr(int(octal.group(), 8)))
                i += 4
                continue
            out.append(_C_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    return None


def _bracket(pattern: str, i: int) -> tuple[str, int] | None:
    """Translate the bracket expression starting at ``pattern[i] == "["``; None if unterminated."""
    j = i + 1
    negate = j < len(pattern) and pattern[j] in "!^"
    if negate:
        j += 1
    parts: list[str] = []
    first = True
    while j < len(pattern):
        c = pattern[j]
        if c == "]" and not first:
            body = "".join(parts) or "(?!)"
            return f"(?!/)[{'^' if negate else ''}{body}]", j + 1
        first = False
        if c == "[" and pattern.startswith("[:", j):
            end = pattern.find(":]", j + 2)
            if end != -1 and pattern[j + 2 : end] in _CLASSES:
                parts.append(_CLASSES[pattern[j + 2 : end]])
                j = end + 2
                continue
        if c == "\\" and j + 1 < len(pattern):
            j += 1
            c = pattern[j]
        if j + 2 < len(pattern) and pattern[j + 1] == "-" and pattern[j + 2] != "]":
            hi = pattern[j + 2]
            if hi == "\\" and j + 3 < len(pattern):
                hi = pattern[j + 3]
                j += 1
            if c <= hi:
                parts.append(f"{re.escape(c)}-{re.escape(hi)}")
            j += 3
            continue
        parts.append(re.escape(c))
        j += 1
    return None


def _translate(pattern: str) -> re.Pattern[str] | None:
    """Compile a gitattributes pattern to a regex over the full repo path; None if it can never match."""
    if not pattern or pattern.endswith("/"):
        return None
    anchored = "/" in pattern
    if pattern.startswith("/"):
        pattern = pattern[1:]
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            j = i
            while j < n and pattern[j] == "*":
                j += 1
            whole_segment = (i == 0 or pattern[i - 1] == "/") and (j == n or pattern[j] == "/")
            if j - i >= 2 and whole_segment:
                if j == n:
                    out.append(".*")
                else:
                    out.append("(?:.*/)?")
                    j += 1
            else:
                out.append("[^/]*")
            i = j
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            translated = _bracket(pattern, i)
            if translated is None:
                out.append(re.escape("["))
                i += 1
            else:
                out.append(translated[0])
                i = translated[1]
        elif c == "\\":
            if i + 1 >= n:
                return None  # a trailing backslash makes the pattern invalid in git
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(prefix + "".join(out), re.DOTALL)


def _parse_line(line: str) -> tuple[str, str | None] | None:
    """Return ``(pattern, filter state)`` for a line that mentions ``filter``, else None.

    The state is the filter driver name, or None when the line unsets it (``-filter``, ``!filter``, or a
    bare ``filter``, which sets it to "true": not a driver).
    """
    line = line.lstrip(_BLANKS)
    if not line or line.startswith("#") or line.startswith("[attr]"):
        return None
    if line.startswith('"'):
        split = _unquote(line)
        if split is None:
            return None
        pattern, rest = split
    else:
        match = re.search(r"[ \t\r\n]", line)
        end = match.start() if match else len(line)
        pattern, rest = line[:end], line[end:]
    if pattern.startswith("!"):
        return None  # negative patterns are forbidden in gitattributes; git ignores the line
    found = False
    state: str | None = None
    for token in rest.split():
        name, eq, value = token.partition("=")
        if name in ("-filter", "!filter") and not eq:
            found, state = True, None
        elif name == "filter":
            found, state = True, (value if eq else None)
    return (pattern, state) if found else None


@functools.lru_cache(maxsize=128)
def _rules(text: str) -> tuple[tuple[str, re.Pattern[str] | None, str | None], ...]:
    rules = []
    for line in text.splitlines():
        parsed = _parse_line(line)
        if parsed is not None:
            pattern, state = parsed
            rules.append((pattern, _translate(pattern), state))
    return tuple(rules)


def lfs_patterns(text: str) -> list[str]:
    """Return, in file order, the patterns whose line sets ``filter=lfs``."""
    return [pattern for pattern, _, state in _rules(text) if state == "lfs"]


def is_lfs_tracked(path: str, text: str) -> bool:
    """Tell whether ``path`` (relative to the repo root) has ``filter=lfs`` under ``text``."""
    for _, regex, state in reversed(_rules(text)):
        if regex is not None and regex.fullmatch(path):
            return state == "lfs"
    return False


def _escape_path(path: str) -> str:
    # Glob characters are escaped so the line matches this one path; spaces become [[:space:]] and a
    # leading '#', '!' or '"' would change the meaning of the line, as git-lfs track escapes them.
    escaped = re.sub(r"([*?\[\\#!\"])", r"\\\1", path).replace(" ", "[[:space:]]")
    return escaped if "/" in path else "/" + escaped


def with_lfs_path(text: str, path: str) -> str:
    """Return ``text`` with a line that puts exactly ``path`` in LFS appended.

    The text is returned unchanged when ``path`` is already LFS-tracked.

    Raises:
        InvalidPathError: ``path`` is not a valid repo file path.
    """
    normalize_repo_path(path)
    if is_lfs_tracked(path, text):
        return text
    if text and not text.endswith("\n"):
        text += "\n"
    return f"{text}{_escape_path(path)} {LFS_ATTRIBUTES}\n"

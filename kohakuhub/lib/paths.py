"""Validation of file paths inside a repo.

Every path a client sends (commit lines, preupload, paths-info, resolve, tree) goes through
:func:`normalize_repo_path` before it reaches git. The Hub answers a hostile path with 422, and the client
test suite commits ``..\\ddd`` expecting exactly that (hf-client-protocol.md section 5.3), so
:class:`InvalidPathError` is raised rather than a 400.

The functions do not rewrite paths (no case folding, no Unicode normalization): a valid path is returned
unchanged, anything doubtful is rejected with a message that names the path and the reason.

A backslash is an ordinary character of a file name for git and the Hub (``a\\b.txt`` is one file at the
root). What would escape the repo once a client writes the file on Windows, where ``\\`` separates
directories, is refused as the Hub refuses ``..\\ddd``: a ``..`` or ``.git`` piece between either kind of
separator, a leading backslash (a root, or a UNC share ``\\\\host``) and a drive prefix (``C:\\``).
"""

from __future__ import annotations

import re

from kohakuhub.errors import InvalidPathError

__all__ = ["MAX_PATH_BYTES", "MAX_SEGMENT_BYTES", "normalize_folder_path", "normalize_repo_path"]

MAX_PATH_BYTES = 1024
MAX_SEGMENT_BYTES = 255

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# A Windows drive prefix: "C:" alone or followed by a separator makes the path absolute there.
_DRIVE_RE = re.compile(r"[A-Za-z]:(?:[\\/]|$)")
_ANY_SEPARATOR_RE = re.compile(r"[\\/]")


def _fail(path: str, reason: str) -> InvalidPathError:
    return InvalidPathError(f"Invalid path {path!r}: {reason}")


def normalize_repo_path(path: str) -> str:
    """Validate the path of a file inside a repo.

    Args:
        path: A ``/``-separated relative path such as ``"sub/dir/model.bin"``.

    Returns:
        ``path`` unchanged.

    Raises:
        InvalidPathError: The path is empty, absolute (``/``, ``\\`` or a drive prefix), contains a control
            character, an empty, ``.``, ``..`` or ``.git`` segment (``..`` and ``.git`` between backslashes
            too), ends with ``/``, is not valid UTF-8, or is too long (more than 1024 bytes in total or 255
            bytes in one segment).
    """
    if not isinstance(path, str):
        raise InvalidPathError(f"Invalid path {path!r}: must be a string")
    if not path:
        raise _fail(path, "must not be empty")
    try:
        encoded = path.encode("utf-8")
    except UnicodeEncodeError:
        raise _fail(path, "is not valid UTF-8") from None
    if _CONTROL_RE.search(path):
        raise _fail(path, "must not contain control characters")
    if path.startswith(("/", "\\")) or _DRIVE_RE.match(path):
        raise _fail(path, "must be relative (no leading '/', '\\' or drive)")
    if path.endswith("/"):
        raise _fail(path, "must not end with '/'")
    if len(encoded) > MAX_PATH_BYTES:
        raise _fail(path, f"longer than {MAX_PATH_BYTES} bytes")
    for segment in path.split("/"):
        if not segment:
            raise _fail(path, "must not contain an empty segment ('//')")
        if segment in (".", ".."):
            raise _fail(path, f"must not contain a {segment!r} segment")
        if segment.lower() == ".git":
            raise _fail(path, "must not contain a '.git' segment")
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise _fail(path, f"a segment is longer than {MAX_SEGMENT_BYTES} bytes")
    _refuse_windows_escapes(path)
    return path


def _refuse_windows_escapes(path: str) -> None:
    """Refuse ``..`` and ``.git`` pieces a Windows client would see between backslashes (``..\\ddd``)."""
    if "\\" not in path:
        return
    for piece in _ANY_SEPARATOR_RE.split(path):
        if piece == "..":
            raise _fail(path, "must not contain a '..' segment (between '/' or '\\')")
        if piece.lower() == ".git":
            raise _fail(path, "must not contain a '.git' segment (between '/' or '\\')")


def normalize_folder_path(path: str) -> str:
    """Validate a folder path, as sent by ``deletedFolder`` (``"dir/"``) or tree listings.

    Args:
        path: A relative folder path, with or without one trailing ``/``.

    Returns:
        The path without its trailing ``/``.

    Raises:
        InvalidPathError: As :func:`normalize_repo_path`; the repo root (``""`` or ``"/"``) is rejected too.
    """
    if isinstance(path, str) and path.endswith("/"):
        stripped = path[:-1]
        if not stripped:
            raise _fail(path, "the repo root is not a folder path")
        if stripped.endswith("/"):
            raise _fail(path, "must not end with '//'")
        return normalize_repo_path(stripped)
    return normalize_repo_path(path)

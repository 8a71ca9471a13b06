"""Validation of the names the git backend accepts: repo keys, branch/tag names and file paths.

Everything here is pure (no repository access) so the rules can be tested and reused on their own.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pygit2

from kohakuhub.errors import BadRequestError, InvalidPathError, InvalidRevisionError
from kohakuhub.types import Signature

_KEY_RE = re.compile(r"[0-9a-z_-]{1,64}")
_FULL_HEX_RE = re.compile(r"[0-9a-fA-F]{40}")
_HEX_RE = re.compile(r"[0-9a-fA-F]+")

# Longer inputs are never valid revisions; refusing them early keeps libgit2 away from hostile input.
MAX_REVISION_LENGTH = 1024


def validate_key(key: str) -> str:
    """Check a repo key (the hub's immutable repo id, lowercase hex or uuid).

    Raises:
        ValueError: the key is not 1-64 characters of ``[0-9a-z_-]``. Keys are minted by the hub, so a
            bad one is a programming error rather than client input.
    """
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise ValueError(f"invalid repository key: {key!r}")
    return key


def is_full_hex(value: str) -> bool:
    """True for a 40-digit hex string (a full SHA-1), any case."""
    return bool(_FULL_HEX_RE.fullmatch(value))


def is_hex(value: str) -> bool:
    """True for a non-empty string of hex digits, any case."""
    return bool(_HEX_RE.fullmatch(value))


def validate_ref_name(name: str, kind: str) -> str:
    """Check a branch or tag short name against git's ref-name rules, and return the full ref name.

    On top of ``git check-ref-format`` we refuse names git itself refuses for branches (``HEAD``,
    ``-x``, ``@``), names starting with ``refs/`` (they would shadow full ref names in ``resolve``) and
    40-digit hex names (they would shadow commit ids).

    Args:
        name: short name, e.g. ``dev`` or ``v1.0``.
        kind: ``"heads"`` or ``"tags"``.

    Raises:
        InvalidRevisionError: the name is not acceptable.
    """
    label = "branch" if kind == "heads" else "tag"
    if (
        not isinstance(name, str)
        or not name
        or "\0" in name  # libgit2 sees a C string: "a\0b" would be validated as "a"
        or len(name) > 255
        or name in ("HEAD", "@")
        or name.startswith(("-", "refs/"))
        or is_full_hex(name)
        or not pygit2.reference_is_valid_name(f"refs/{kind}/{name}")
    ):
        raise InvalidRevisionError(f"Invalid reference for a {label}: {name!r}")  # the Hub's words
    return f"refs/{kind}/{name}"


def split_write_path(path: str) -> list[str]:
    """Split a file path of a commit operation into its components.

    Raises:
        InvalidPathError: empty, absolute, with empty/``.``/``..``/``.git`` components, or with NUL.
    """
    parts = path.split("/") if isinstance(path, str) else []
    if not parts or "\0" in path or any(not _valid_component(part) for part in parts):
        raise InvalidPathError(f"Invalid path in repository: {path!r}")
    return parts


def split_read_path(path: str) -> list[str] | None:
    """Split a path given to a read (surrounding slashes tolerated); None when it cannot exist.

    ``""`` (the root) gives an empty list.
    """
    if not isinstance(path, str) or "\0" in path:
        return None
    path = path.strip("/")
    if not path:
        return []
    parts = path.split("/")
    return parts if all(_valid_component(part) for part in parts) else None


def _valid_component(part: str) -> bool:
    # git refuses these as tree entry names (".git" in any case, as core.protectNTFS/HFS would).
    return part not in ("", ".", "..") and part.lower() != ".git"


def make_signature(person: Signature, when: datetime | None = None) -> pygit2.Signature:
    """Build a git signature in UTC; a naive ``when`` is taken as UTC, None means now.

    Raises:
        BadRequestError: the name or email is empty or contains ``<``, ``>``, a newline or NUL.
    """
    moment = when or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if any(ch in field for field in (person.name, person.email) for ch in "\0\n"):
        raise BadRequestError("Invalid author: name and email must be single lines")
    try:
        return pygit2.Signature(person.name, person.email, int(moment.timestamp()), 0)
    except (pygit2.GitError, ValueError) as exc:
        raise BadRequestError(f"Invalid author: {exc}") from exc


def check_message(message: str) -> str:
    """Return a commit or tag message after refusing NUL (libgit2 would silently truncate at it).

    Raises:
        BadRequestError: the message contains a NUL character.
    """
    if "\0" in message:
        raise BadRequestError("Commit message must not contain NUL characters")
    return message

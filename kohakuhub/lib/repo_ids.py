"""Repo-id rules shared by namespaces, repo names and usernames.

The official client checks each part of ``ns/name`` against ``[A-Za-z0-9._-]{1,96}``, no ``--``, no
``..`` and no trailing ``.git`` (hf-client-protocol.md section 1). The hub is slightly stricter: a part
must also start and end with an alphanumeric or ``_`` so that names never look like options (``-x``),
hidden files (``.x``) or relative paths.
"""

from __future__ import annotations

import re

from kohakuhub.errors import InvalidRepoIdError

__all__ = ["MAX_NAME_LENGTH", "NAME_RE", "split_repo_id", "validate_name"]

MAX_NAME_LENGTH = 96

#: One repo-id part: allowed characters only, first and last character alphanumeric or ``_``.
NAME_RE = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?")

_ALLOWED_RE = re.compile(r"[A-Za-z0-9._-]+")


def validate_name(value: str, what: str = "repo name") -> str:
    """Check one part of a repo id (a namespace, a repo name or a username).

    Args:
        value: The candidate name.
        what: What the value is, used in the error message ("namespace", "username"...).

    Returns:
        ``value`` unchanged.

    Raises:
        InvalidRepoIdError: The name breaks a rule; the message names ``what`` and the rule.
    """
    if not isinstance(value, str) or not value:
        raise InvalidRepoIdError(f"Invalid {what}: must not be empty")
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidRepoIdError(
            f"Invalid {what} {value[:MAX_NAME_LENGTH]!r}...: longer than {MAX_NAME_LENGTH} characters"
        )
    if not _ALLOWED_RE.fullmatch(value):
        raise InvalidRepoIdError(
            f"Invalid {what} {value!r}: only letters, digits, '.', '_' and '-' are allowed"
        )
    if "--" in value:
        raise InvalidRepoIdError(f"Invalid {what} {value!r}: '--' is not allowed")
    if ".." in value:
        raise InvalidRepoIdError(f"Invalid {what} {value!r}: '..' is not allowed")
    if value.lower().endswith(".git"):
        raise InvalidRepoIdError(f"Invalid {what} {value!r}: must not end with '.git'")
    if not NAME_RE.fullmatch(value):
        raise InvalidRepoIdError(
            f"Invalid {what} {value!r}: must start and end with a letter, a digit or '_'"
        )
    return value


def split_repo_id(repo_id: str) -> tuple[str, str]:
    """Split and validate a two-part repo id ``"namespace/name"``.

    Args:
        repo_id: The repo id as sent by a client.

    Returns:
        ``(namespace, name)``.

    Raises:
        InvalidRepoIdError: Not exactly one ``/``, or either part breaks :func:`validate_name`.
    """
    if not isinstance(repo_id, str) or repo_id.count("/") != 1:
        raise InvalidRepoIdError(f"Invalid repo id {repo_id!r}: expected 'namespace/name'")
    namespace, name = repo_id.split("/")
    validate_name(namespace, "namespace")
    validate_name(name, "repo name")
    return namespace, name

"""Who is calling, and the one authorization decision for repos."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Access(IntEnum):
    """What a caller may do with a repo; higher includes lower."""

    NONE = 0
    READ = 1
    WRITE = 2
    ADMIN = 3


@dataclass(frozen=True)
class Caller:
    """An authenticated user, as seen by the services.

    ``token_role`` is the role of the API token used ("read" or "write"), or None for a browser session,
    which carries the user's full rights. ``session_id`` is the login session's id for session callers.
    """

    user_id: int
    username: str
    is_admin: bool = False
    token_role: str | None = None
    token_name: str | None = None
    session_id: int | None = None

    @property
    def can_write(self) -> bool:
        """A read token never writes, whatever the user may do."""
        return self.token_role != "read"


def repo_access(caller: Caller | None, *, namespace: str, private: bool) -> Access:
    """The single permission decision for (caller, repo).

    Namespaces are users for now (organizations arrive later and extend this function only).
    """
    if caller is None:
        return Access.NONE if private else Access.READ
    owns = caller.is_admin or caller.username.lower() == namespace.lower()
    if owns:
        return Access.ADMIN if caller.can_write else Access.READ
    return Access.NONE if private else Access.READ


def may_create_in(caller: Caller, namespace: str) -> bool:
    """Whether the caller may create or move a repo into ``namespace``."""
    return caller.can_write and (caller.is_admin or caller.username.lower() == namespace.lower())

"""How users and organizations appear in answers: name, display name and avatar URL, as the client's
``User``, ``Organization`` and ``AccessRequest`` read them."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def avatar_url(base: str, name: str, digest: str | None, *, org: bool = False) -> str:
    """The absolute URL of the avatar of ``name`` ("" when it has none, as the client's default); the
    digest in the query changes with the picture, so caches never show an old one."""
    if not digest:
        return ""
    kind = "organizations" if org else "users"
    return f"{base}/api/{kind}/{quote(name, safe='')}/avatar?v={digest[:16]}"


def person(base: str, user_id: int, username: str, fullname: str, digest: str | None) -> dict[str, Any]:
    """A user as likers, members and access requests show them."""
    return {"_id": str(user_id), "user": username, "fullname": fullname or username,
            "avatarUrl": avatar_url(base, username, digest), "type": "user", "isPro": False}

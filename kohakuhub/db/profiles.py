"""A user's public profile fields."""

from __future__ import annotations

from kohakuhub.db.database import database_proxy, write_transaction
from kohakuhub.db.models import User


def set_fullname(user_id: int, fullname: str) -> None:
    """Store the display name the Hub calls ``fullname`` (empty: show the username)."""
    with write_transaction(database_proxy.obj):
        User.update(fullname=fullname).where(User.id == user_id).execute()

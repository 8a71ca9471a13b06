"""Avatars of users and organizations."""

from __future__ import annotations

from dataclasses import dataclass

from kohakuhub.db.database import database_proxy, write_transaction
from kohakuhub.db.models import Avatar, utcnow


@dataclass(frozen=True)
class AvatarImage:
    media_type: str
    data: bytes
    digest: str


def set_avatar(owner_id: int, media_type: str, data: bytes, digest: str) -> None:
    """Make ``data`` the avatar of user or organization ``owner_id`` (replacing any)."""
    values = {Avatar.media_type: media_type, Avatar.data: data, Avatar.digest: digest, Avatar.updated_at: utcnow()}
    with write_transaction(database_proxy.obj):
        Avatar.insert(owner=owner_id, media_type=media_type, data=data, digest=digest).on_conflict(
            conflict_target=[Avatar.owner], update=values).execute()


def delete_avatar(owner_id: int) -> bool:
    """Remove the avatar; False when there was none."""
    with write_transaction(database_proxy.obj):
        return Avatar.delete().where(Avatar.owner == owner_id).execute() == 1


def avatar_of(owner_id: int) -> AvatarImage | None:
    """The avatar's bytes, or None."""
    row = Avatar.get_or_none(Avatar.owner == owner_id)
    return None if row is None else AvatarImage(row.media_type, bytes(row.data), row.digest)


def avatar_digests(owner_ids: list[int]) -> dict[int, str]:
    """The digest (version) of the avatar of each owner that has one."""
    if not owner_ids:
        return {}
    query = Avatar.select(Avatar.owner, Avatar.digest).where(Avatar.owner.in_(set(owner_ids))).tuples()
    return dict(query)

"""Avatars: a user sets their own picture, an organization's admins the organization's.

An avatar is a small raster image, checked from its bytes (lib/images.py): PNG, JPEG, GIF or WebP, at most
MAX_AVATAR_BYTES and MAX_AVATAR_SIDE pixels a side. It is served with the type its bytes show, never as
SVG or HTML, so a picture can never run as a page of the hub.
"""

from __future__ import annotations

import hashlib

from kohakuhub.db.avatars import AvatarImage, avatar_digests, avatar_of, delete_avatar, set_avatar
from kohakuhub.errors import (
    BadRequestError,
    ForbiddenError,
    LoginRequiredError,
    NotFoundError,
    PayloadTooLargeError,
)
from kohakuhub.lib.images import recognise_image
from kohakuhub.services.accounts import AccountService
from kohakuhub.services.auth import Caller
from kohakuhub.services.orgs import OrgService

MAX_AVATAR_BYTES = 1 << 20
MAX_AVATAR_SIDE = 4096


def checked_image(data: bytes) -> str:
    """The media type of an acceptable avatar.

    Raises:
        PayloadTooLargeError: more than MAX_AVATAR_BYTES.
        BadRequestError: empty, not a PNG/JPEG/GIF/WebP image, or too many pixels a side.
    """
    if len(data) > MAX_AVATAR_BYTES:
        raise PayloadTooLargeError(f"An avatar is at most {MAX_AVATAR_BYTES} bytes; this one has {len(data)}")
    image = recognise_image(data)
    if image is None:
        raise BadRequestError("An avatar must be a PNG, JPEG, GIF or WebP image (SVG is not accepted)")
    if max(image.width, image.height) > MAX_AVATAR_SIDE:
        raise BadRequestError(f"An avatar is at most {MAX_AVATAR_SIDE} pixels a side; this one is "
                              f"{image.width}x{image.height}")
    return image.media_type


class AvatarService:
    """Pictures of users and organizations."""

    def __init__(self, accounts: AccountService, orgs: OrgService) -> None:
        self._accounts = accounts
        self._orgs = orgs

    def _own_user(self, caller: Caller | None, username: str):
        user = self._accounts.get_user(username)
        if caller is None:
            raise LoginRequiredError("You must be signed in to change an avatar")
        if not caller.can_write:
            raise ForbiddenError("A read token cannot change an avatar")
        if caller.user_id != user.id and not caller.is_admin:
            raise ForbiddenError(f"Only {user.username} (or a site admin) may change their avatar")
        return user

    def _managed_org(self, caller: Caller | None, name: str):
        org = self._orgs.get_org(name)
        if caller is None:
            raise LoginRequiredError("You must be signed in to change an avatar")
        self._orgs.require_org_admin(caller, org)
        return org

    def set_user_avatar(self, caller: Caller | None, username: str, data: bytes) -> tuple[str, str]:
        """Set a user's avatar (themselves or a site admin); return their name and the avatar's digest.

        Raises:
            NotFoundError: no such user. LoginRequiredError: anonymous.
            ForbiddenError: another user, or a read token.
            PayloadTooLargeError, BadRequestError: as checked_image (nothing changes).
        """
        user = self._own_user(caller, username)
        return user.username, self._store(user.id, data)

    def set_org_avatar(self, caller: Caller | None, org: str, data: bytes) -> tuple[str, str]:
        """Set an organization's avatar (its admins); raises as set_user_avatar."""
        row = self._managed_org(caller, org)
        return row.username, self._store(row.id, data)

    def remove_user_avatar(self, caller: Caller | None, username: str) -> None:
        """Remove a user's avatar (none: no change). Raises as set_user_avatar."""
        delete_avatar(self._own_user(caller, username).id)

    def remove_org_avatar(self, caller: Caller | None, org: str) -> None:
        """Remove an organization's avatar. Raises as set_org_avatar."""
        delete_avatar(self._managed_org(caller, org).id)

    @staticmethod
    def _store(owner_id: int, data: bytes) -> str:
        media_type = checked_image(data)
        digest = hashlib.sha256(data).hexdigest()
        set_avatar(owner_id, media_type, data, digest)
        return digest

    def user_avatar(self, username: str) -> AvatarImage:
        """Raises NotFoundError: no such user, or no avatar."""
        return self._image(self._accounts.get_user(username).id, username)

    def org_avatar(self, org: str) -> AvatarImage:
        """Raises NotFoundError: no such organization, or no avatar."""
        return self._image(self._orgs.get_org(org).id, org)

    @staticmethod
    def _image(owner_id: int, name: str) -> AvatarImage:
        image = avatar_of(owner_id)
        if image is None:
            raise NotFoundError(f"{name} has no avatar")
        return image

    @staticmethod
    def digests(owner_ids: list[int]) -> dict[int, str]:
        """The avatar version of each user or organization that has one (for their avatarUrl)."""
        return avatar_digests(owner_ids)

"""What users do with repos beyond reading and writing them: access requests to gated repos, likes,
counted downloads; and the avatars of users and organizations."""

from __future__ import annotations

from peewee import (
    AutoField,
    BlobField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from kohakuhub.db.models.accounts import User
from kohakuhub.db.models.base import BaseModel, utcnow
from kohakuhub.db.models.repos import Repo


class RepoAccessRequest(BaseModel):
    """A user's request to download a gated repo: pending, accepted or rejected (one per user and repo).

    ``fields`` holds the answers to the card's ``extra_gated_fields`` (JSON), ``shared_contact`` whether
    the user asked (sharing their email with the repo's authors, as on the Hub) rather than being granted.
    """

    id = AutoField()
    repo = ForeignKeyField(Repo, backref="access_requests", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="access_requests", on_delete="CASCADE")
    status = CharField(max_length=16)
    fields = TextField(null=True)
    shared_contact = BooleanField(default=False)
    rejection_reason = CharField(max_length=200, default="")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("repo", "user"), True), (("repo", "status"), False))


class RepoLike(BaseModel):
    """A user likes a repo (once)."""

    id = AutoField()
    repo = ForeignKeyField(Repo, backref="likes", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="likes", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = ((("repo", "user"), True), (("user", "created_at"), False))


class RepoDownloadDay(BaseModel):
    """How many downloads of a repo were counted on one day (UTC)."""

    id = AutoField()
    repo = ForeignKeyField(Repo, backref="download_days", on_delete="CASCADE")
    day = DateField()
    downloads = IntegerField(default=0)

    class Meta:
        indexes = ((("repo", "day"), True),)


class DownloadVisit(BaseModel):
    """One visitor's requests to one repo within one counting window: counted once (services/downloads.py).

    ``visitor`` is a digest of the user id or the client address, never the address itself. Rows of past
    windows are pruned as new ones arrive.
    """

    id = AutoField()
    repo = ForeignKeyField(Repo, backref="download_visits", on_delete="CASCADE")
    visitor = CharField(max_length=32)
    window = IntegerField(index=True)

    class Meta:
        indexes = ((("repo", "visitor", "window"), True),)


class Avatar(BaseModel):
    """The picture of a user or an organization: a small PNG, JPEG, GIF or WebP image, checked on upload."""

    owner = ForeignKeyField(User, primary_key=True, backref="avatar", on_delete="CASCADE")
    media_type = CharField(max_length=32)
    data = BlobField()
    digest = CharField(max_length=64)  # sha256 of ``data``: the ETag, and the version in its URL
    updated_at = DateTimeField(default=utcnow)

"""Repositories and the redirects left behind by moves."""

from __future__ import annotations

from peewee import AutoField, BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField

from kohakuhub.db.models.accounts import User
from kohakuhub.db.models.base import BaseModel, utcnow


class Repo(BaseModel):
    id = AutoField()
    # Immutable storage key of the git repository: moves and renames never touch history.
    key = CharField(max_length=64, unique=True)
    repo_type = CharField(max_length=16)
    namespace = CharField(max_length=96)
    name = CharField(max_length=96)
    # Lower-cased "type/ns/name": ids are unique case-insensitively, as on the Hub.
    full_key = CharField(max_length=256, unique=True)
    private = BooleanField(default=False)
    owner = ForeignKeyField(User, backref="repos", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    downloads = IntegerField(default=0)
    likes = IntegerField(default=0)


class RepoRedirect(BaseModel):
    """Where a moved repo went: its old id keeps working for downloads and API calls."""

    id = AutoField()
    full_key = CharField(max_length=256, unique=True)
    repo = ForeignKeyField(Repo, backref="redirects", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)

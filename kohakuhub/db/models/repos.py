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
    # Downloads counted since the repo was made (the last 30 days are summed from RepoDownloadDay).
    downloads = IntegerField(default=0)
    # "" (not gated), "auto" or "manual": who may download it (services/gating.py).
    gated = CharField(max_length=8, default="")


class RepoRedirect(BaseModel):
    """Where a moved repo went: its old id keeps working for downloads and API calls."""

    id = AutoField()
    full_key = CharField(max_length=256, unique=True)
    repo = ForeignKeyField(Repo, backref="redirects", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)


class RepoCardIndex(BaseModel):
    """Which README.md blob of the default branch the repo's tags were read from (re-read when it changes)."""

    repo = ForeignKeyField(Repo, primary_key=True, backref="card_index", on_delete="CASCADE")
    readme_oid = CharField(max_length=64, default="")  # "" when main has no README.md


class RepoTag(BaseModel):
    """A tag of the repo's card (main's README.md metadata), for the lists' ``filter=``: ``kind`` groups
    them as the Hub's tags-by-type does (library, license, language, pipeline_tag, dataset, other)."""

    id = AutoField()
    repo = ForeignKeyField(Repo, backref="card_tags", on_delete="CASCADE")
    kind = CharField(max_length=16)
    tag = CharField(max_length=255, index=True)

    class Meta:
        indexes = ((("repo", "tag"), True),)

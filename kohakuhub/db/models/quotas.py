"""Storage accounting: per-repo usage and per-namespace quotas, kept up to date incrementally."""

from __future__ import annotations

from peewee import BigIntegerField, CharField, ForeignKeyField

from kohakuhub.db.models.base import BaseModel
from kohakuhub.db.models.repos import Repo


class RepoUsage(BaseModel):
    """Bytes one repo counts against its namespace (see services/quotas.py for the definition)."""

    repo = ForeignKeyField(Repo, primary_key=True, backref="usage", on_delete="CASCADE")
    lfs_bytes = BigIntegerField(default=0)
    git_bytes = BigIntegerField(default=0)


class NamespaceQuota(BaseModel):
    """Usage and limits of one namespace (a user or an organization), keyed by its lower-cased name.

    A limit of NULL means "the setting's default"; -1 means unlimited. ``*_used`` also holds the
    reservations of writes in progress.
    """

    namespace = CharField(max_length=96, primary_key=True)
    private_used = BigIntegerField(default=0)
    public_used = BigIntegerField(default=0)
    private_limit = BigIntegerField(null=True)
    public_limit = BigIntegerField(null=True)

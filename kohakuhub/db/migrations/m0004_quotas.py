"""Migration 4: storage quotas (per-repo usage and per-namespace limits).

The tables are declared here as they are at version 4, independent of the live models. Usage of repos
that exist at upgrade is not computed here (that needs the git repositories, not only the database):
the quota service measures a namespace's repos the first time it needs the namespace's usage.
"""

from __future__ import annotations

from peewee import BigIntegerField, CharField, Database, ForeignKeyField, IntegerField, Model


class _V4(Model):
    class Meta:
        legacy_table_names = False


class Repo(_V4):
    """Only the key, for the foreign key (the table exists since version 1)."""

    id = IntegerField(primary_key=True)


class RepoUsage(_V4):
    repo = ForeignKeyField(Repo, primary_key=True, on_delete="CASCADE")
    lfs_bytes = BigIntegerField(default=0)
    git_bytes = BigIntegerField(default=0)


class NamespaceQuota(_V4):
    namespace = CharField(max_length=96, primary_key=True)
    private_used = BigIntegerField(default=0)
    public_used = BigIntegerField(default=0)
    private_limit = BigIntegerField(null=True)
    public_limit = BigIntegerField(null=True)


V4_TABLES = [RepoUsage, NamespaceQuota]


def apply(db: Database) -> None:
    with db.bind_ctx([Repo, *V4_TABLES]):
        db.create_tables(V4_TABLES)

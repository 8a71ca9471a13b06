"""Migration 3: organizations, org memberships, repo collaborators and invitation links.

Organizations are rows of ``user`` flagged ``is_org`` (one namespace for users and orgs). The new tables
are declared here as they are at version 3, not taken from the live models (see m0001). Columns are added
with plain ``ALTER TABLE``: peewee's migrator rebuilds ``user`` on SQLite to add a NOT NULL column, and
dropping the old copy cascades to every session and token (see m0002).
"""

from __future__ import annotations

from peewee import (
    AutoField,
    CharField,
    Database,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    PostgresqlDatabase,
)

from kohakuhub.db.models.base import utcnow


class _V3(Model):
    class Meta:
        legacy_table_names = False


class User(_V3):
    """Only the key the new tables reference; the table itself exists since version 1."""

    id = AutoField()


class Repo(_V3):
    id = AutoField()


class OrgMember(_V3):
    id = AutoField()
    org = ForeignKeyField(User, on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")
    role = CharField(max_length=16)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("org", "user"), True),)


class RepoCollaborator(_V3):
    id = AutoField()
    repo = ForeignKeyField(Repo, on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")
    role = CharField(max_length=16)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("repo", "user"), True),)


class Invitation(_V3):
    id = AutoField()
    token_hash = CharField(max_length=64, unique=True)
    kind = CharField(max_length=16)
    org = ForeignKeyField(User, on_delete="CASCADE", null=True)
    role = CharField(max_length=16, default="")
    created_by = ForeignKeyField(User, on_delete="CASCADE")
    max_uses = IntegerField(null=True)
    uses = IntegerField(default=0)
    expires_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)


V3_TABLES = [OrgMember, RepoCollaborator, Invitation]


def apply(db: Database) -> None:
    false = "FALSE" if isinstance(db, PostgresqlDatabase) else "0"
    db.execute_sql(f'ALTER TABLE "user" ADD COLUMN "is_org" BOOLEAN NOT NULL DEFAULT {false}')
    db.execute_sql('ALTER TABLE "user" ADD COLUMN "description" TEXT NOT NULL DEFAULT \'\'')
    with db.bind_ctx([User, Repo, *V3_TABLES]):
        db.create_tables(V3_TABLES)

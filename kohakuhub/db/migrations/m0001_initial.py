"""Migration 1: the initial tables.

The tables are declared here as they were at version 1, not taken from ``kohakuhub.db.models``: the live
models gain columns in later migrations, and a fresh database must be built as version 1 first, then
altered by each later migration exactly as an old one is.
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BigIntegerField,
    BooleanField,
    CharField,
    Database,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
)

from kohakuhub.db.models.base import utcnow


class _V1(Model):
    class Meta:
        legacy_table_names = False


class User(_V1):
    id = AutoField()
    username = CharField(max_length=96, unique=True)
    username_key = CharField(max_length=96, unique=True)
    email = CharField(max_length=254, unique=True)
    password_hash = CharField(max_length=255)
    fullname = CharField(max_length=255, default="")
    is_admin = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)


class Session(_V1):
    id = AutoField()
    user = ForeignKeyField(User, on_delete="CASCADE")
    token_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()


class Token(_V1):
    id = AutoField()
    user = ForeignKeyField(User, on_delete="CASCADE")
    name = CharField(max_length=255)
    token_hash = CharField(max_length=64, unique=True)
    role = CharField(max_length=16, default="write")
    created_at = DateTimeField(default=utcnow)
    last_used_at = DateTimeField(null=True)


class Repo(_V1):
    id = AutoField()
    key = CharField(max_length=64, unique=True)
    repo_type = CharField(max_length=16)
    namespace = CharField(max_length=96)
    name = CharField(max_length=96)
    full_key = CharField(max_length=256, unique=True)
    private = BooleanField(default=False)
    owner = ForeignKeyField(User, on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    downloads = IntegerField(default=0)
    likes = IntegerField(default=0)


class RepoRedirect(_V1):
    id = AutoField()
    full_key = CharField(max_length=256, unique=True)
    repo = ForeignKeyField(Repo, on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)


class LfsObject(_V1):
    oid = CharField(max_length=64, primary_key=True)
    size = BigIntegerField()
    created_at = DateTimeField(default=utcnow)


class RepoLfsObject(_V1):
    id = AutoField()
    repo = ForeignKeyField(Repo, on_delete="CASCADE")
    oid = CharField(max_length=64, index=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("repo", "oid"), True),)


class LfsGrant(_V1):
    id = AutoField()
    user = ForeignKeyField(User, on_delete="CASCADE")
    oid = CharField(max_length=64, index=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "oid"), True),)


V1_TABLES = [User, Session, Token, Repo, RepoRedirect, LfsObject, RepoLfsObject, LfsGrant]


def apply(db: Database) -> None:
    with db.bind_ctx(V1_TABLES):
        db.create_tables(V1_TABLES)

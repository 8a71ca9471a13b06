"""Migration 10: gated repos and their access requests, likes, counted downloads, avatars.

``repo.gated`` is added with a constant default (no table rebuild on SQLite, see migration 2).
``repo.likes`` goes: likes are rows of ``repo_like`` now, counted where they are shown, so a deleted user's
likes can never be left in a stale counter. ``repo.downloads`` stays and becomes the all-time count.
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BlobField,
    BooleanField,
    CharField,
    Database,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from kohakuhub.db.models.base import utcnow


class _Repo(Model):
    id = AutoField()

    class Meta:
        table_name = "repo"


class _User(Model):
    id = AutoField()

    class Meta:
        table_name = "user"


class RepoAccessRequest(Model):
    id = AutoField()
    repo = ForeignKeyField(_Repo, on_delete="CASCADE")
    user = ForeignKeyField(_User, on_delete="CASCADE")
    status = CharField(max_length=16)
    fields = TextField(null=True)
    shared_contact = BooleanField(default=False)
    rejection_reason = CharField(max_length=200, default="")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        legacy_table_names = False
        indexes = ((("repo", "user"), True), (("repo", "status"), False))


class RepoLike(Model):
    id = AutoField()
    repo = ForeignKeyField(_Repo, on_delete="CASCADE")
    user = ForeignKeyField(_User, on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        legacy_table_names = False
        indexes = ((("repo", "user"), True), (("user", "created_at"), False))


class RepoDownloadDay(Model):
    id = AutoField()
    repo = ForeignKeyField(_Repo, on_delete="CASCADE")
    day = DateField()
    downloads = IntegerField(default=0)

    class Meta:
        legacy_table_names = False
        indexes = ((("repo", "day"), True),)


class DownloadVisit(Model):
    id = AutoField()
    repo = ForeignKeyField(_Repo, on_delete="CASCADE")
    visitor = CharField(max_length=32)
    window = IntegerField(index=True)

    class Meta:
        legacy_table_names = False
        indexes = ((("repo", "visitor", "window"), True),)


class Avatar(Model):
    owner = ForeignKeyField(_User, primary_key=True, on_delete="CASCADE")
    media_type = CharField(max_length=32)
    data = BlobField()
    digest = CharField(max_length=64)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        legacy_table_names = False


_TABLES = [RepoAccessRequest, RepoLike, RepoDownloadDay, DownloadVisit, Avatar]


def apply(db: Database) -> None:
    db.execute_sql("ALTER TABLE \"repo\" ADD COLUMN \"gated\" VARCHAR(8) NOT NULL DEFAULT ''")
    db.execute_sql('ALTER TABLE "repo" DROP COLUMN "likes"')
    with db.bind_ctx([_Repo, _User, *_TABLES]):
        db.create_tables(_TABLES)

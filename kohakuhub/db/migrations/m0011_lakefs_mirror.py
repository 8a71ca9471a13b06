"""Migration 11: the lakeFS mirror's queue (``lakefs_mirror``) and its record of mirrored commits."""

from __future__ import annotations

from peewee import CharField, CompositeKey, Database, DateTimeField, IntegerField, Model, TextField


class LakefsMirror(Model):
    key = CharField(max_length=64, primary_key=True)
    requested = IntegerField(default=0)
    done = IntegerField(default=0)
    pending_since = DateTimeField(null=True)
    lease_owner = CharField(max_length=64, null=True)
    lease_until = DateTimeField(null=True)
    attempts = IntegerField(default=0)
    next_try_at = DateTimeField(null=True)
    last_error = TextField(null=True)
    last_error_at = DateTimeField(null=True)
    last_synced_at = DateTimeField(null=True)

    class Meta:
        table_name = "lakefs_mirror"


class LakefsMirroredCommit(Model):
    key = CharField(max_length=64)
    hub_commit = CharField(max_length=40)
    lakefs_commit = CharField(max_length=64)

    class Meta:
        table_name = "lakefs_mirrored_commit"
        primary_key = CompositeKey("key", "hub_commit")


def apply(db: Database) -> None:
    """Create both tables (frozen copies of the models, so later model changes do not alter this)."""
    with db.bind_ctx([LakefsMirror, LakefsMirroredCommit]):
        db.create_tables([LakefsMirror, LakefsMirroredCommit])

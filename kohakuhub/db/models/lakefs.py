"""The lakeFS mirror's durable queue: one row per hub repository whose refs changed, and the commits mirrored.

Rows are keyed by the repo's storage key (its immutable id), not by a foreign key: a deleted repo's row must
outlive the repo until its lakeFS repository has been deleted too.
"""

from __future__ import annotations

from peewee import CharField, CompositeKey, DateTimeField, IntegerField, TextField

from kohakuhub.db.models.base import BaseModel


class LakefsMirror(BaseModel):
    """A repo to mirror: ``requested`` counts ref changes, ``done`` the count already mirrored."""

    key = CharField(max_length=64, primary_key=True)
    requested = IntegerField(default=0)
    done = IntegerField(default=0)
    pending_since = DateTimeField(null=True)  # when the oldest change not yet mirrored was queued
    lease_owner = CharField(max_length=64, null=True)  # the drainer working on it, until lease_until
    lease_until = DateTimeField(null=True)
    attempts = IntegerField(default=0)  # failures in a row (backoff)
    next_try_at = DateTimeField(null=True)
    last_error = TextField(null=True)
    last_error_at = DateTimeField(null=True)
    last_synced_at = DateTimeField(null=True)

    class Meta:
        table_name = "lakefs_mirror"


class LakefsMirroredCommit(BaseModel):
    """A hub commit (git SHA-1) and the lakeFS commit it became."""

    key = CharField(max_length=64)
    hub_commit = CharField(max_length=40)
    lakefs_commit = CharField(max_length=64)

    class Meta:
        table_name = "lakefs_mirrored_commit"
        primary_key = CompositeKey("key", "hub_commit")

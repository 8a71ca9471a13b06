"""Base model: every table binds to the database proxy."""

from __future__ import annotations

from datetime import UTC, datetime

from peewee import Model

from kohakuhub.db.database import database_proxy


def utcnow() -> datetime:
    """Naive UTC now: stored the same way on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False

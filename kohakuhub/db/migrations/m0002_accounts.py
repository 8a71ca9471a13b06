"""Migration 2: account security (sessions, token expiry, disabled users, login rate limiting).

Columns are added with plain ``ALTER TABLE ... ADD COLUMN``: peewee's migrator adds NOT NULL columns by
rebuilding the table on SQLite, which would copy ``user`` while other tables reference it. A NOT NULL
column with a constant default needs no rebuild on either database.
"""

from __future__ import annotations

from peewee import AutoField, CharField, Database, DateTimeField, Model, PostgresqlDatabase

from kohakuhub.db.models.base import utcnow

# (table, column, SQLite type, PostgreSQL type)
_COLUMNS = [
    ("user", "disabled", "INTEGER NOT NULL DEFAULT 0", "BOOLEAN NOT NULL DEFAULT FALSE"),
    ("session", "last_seen_at", "DATETIME", "TIMESTAMP"),
    ("session", "user_agent", "VARCHAR(255) NOT NULL DEFAULT ''", "VARCHAR(255) NOT NULL DEFAULT ''"),
    ("session", "address", "VARCHAR(64) NOT NULL DEFAULT ''", "VARCHAR(64) NOT NULL DEFAULT ''"),
    ("token", "expires_at", "DATETIME", "TIMESTAMP"),
]


class LoginFailure(Model):
    """The table as it is at version 2 (not the live model, which may change later)."""

    id = AutoField()
    key = CharField(max_length=160, index=True)
    created_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        legacy_table_names = False


def apply(db: Database) -> None:
    postgres = isinstance(db, PostgresqlDatabase)
    for table, column, sqlite_type, pg_type in _COLUMNS:
        # Both databases quote identifiers with double quotes ("user" is reserved on PostgreSQL).
        db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {pg_type if postgres else sqlite_type}')
    with db.bind_ctx([LoginFailure]):
        db.create_tables([LoginFailure])

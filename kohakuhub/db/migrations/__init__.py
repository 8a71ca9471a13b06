"""Versioned schema migrations, the same on SQLite and PostgreSQL.

Each migration is ``(version, description, function(db))``; ``migrate`` applies the pending ones in order,
each in its own transaction, and records it in ``schema_version``. Running it again does nothing, and
several processes starting at once are serialized by a database lock.
"""

from __future__ import annotations

from collections.abc import Callable

from peewee import Database, PostgresqlDatabase

from kohakuhub.db.database import write_transaction
from kohakuhub.db.migrations import (
    m0001_initial,
    m0002_accounts,
    m0003_orgs,
    m0004_quotas,
    m0005_xet,
    m0006_lfs_storage_key,
    m0007_open_multipart_uploads,
    m0008_card_tags,
    m0009_discussions,
)

Migration = tuple[int, str, Callable[[Database], None]]

MIGRATIONS: list[Migration] = [
    (1, "initial schema", m0001_initial.apply),
    (2, "accounts: sessions, token expiry, disabled users, login failures", m0002_accounts.apply),
    (3, "organizations, repo collaborators, invitations", m0003_orgs.apply),
    (4, "storage quotas", m0004_quotas.apply),
    (5, "xet storage", m0005_xet.apply),
    (6, "lfs objects kept where they were uploaded", m0006_lfs_storage_key.apply),
    (7, "open s3 multipart uploads", m0007_open_multipart_uploads.apply),
    (8, "card tags of repos", m0008_card_tags.apply),
    (9, "discussions and pull requests", m0009_discussions.apply),
]

# Arbitrary constant identifying our advisory lock on PostgreSQL.
_PG_LOCK_ID = 0x4B6F6861


def current_version(db: Database) -> int:
    """Highest applied migration, 0 for an empty database."""
    db.execute_sql("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT)")
    row = db.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(db: Database) -> list[int]:
    """Apply pending migrations; return the versions applied now."""
    applied: list[int] = []
    for version, description, apply in MIGRATIONS:
        with write_transaction(db):
            if isinstance(db, PostgresqlDatabase):
                db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK_ID,))
            if current_version(db) >= version:
                continue
            apply(db)
            db.execute_sql(
                "INSERT INTO schema_version (version, description) VALUES (%s, %s)"
                if isinstance(db, PostgresqlDatabase)
                else "INSERT INTO schema_version (version, description) VALUES (?, ?)",
                (version, description),
            )
            applied.append(version)
    return applied

"""Versioned schema migrations, the same on SQLite and PostgreSQL.

Each migration is ``(version, description, function(db))``; ``migrate`` applies the ones not recorded in
``schema_version`` yet, in order of version, each in its own transaction, and records it. Running it again
does nothing, and several processes starting at once are serialized by a database lock. A migration is
skipped because it is recorded, not because a higher version is: versions are numbered by the branch that
adds them, so a database may hold 10 before 9 arrives in a merge, and 9 then still runs.
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
    m0010_gated_likes_downloads,
    m0011_lakefs_mirror,
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
    (10, "gated repos and access requests, likes, downloads, avatars", m0010_gated_likes_downloads.apply),
    (11, "lakefs mirror queue and mirrored commits", m0011_lakefs_mirror.apply),
]

# Arbitrary constant identifying our advisory lock on PostgreSQL.
_PG_LOCK_ID = 0x4B6F6861


def current_version(db: Database) -> int:
    """Highest applied migration, 0 for an empty database."""
    db.execute_sql("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT)")
    row = db.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def is_applied(db: Database, version: int) -> bool:
    """Whether migration ``version`` is recorded in ``schema_version``."""
    mark = "%s" if isinstance(db, PostgresqlDatabase) else "?"
    current_version(db)  # creates the table on an empty database
    return db.execute_sql(f"SELECT 1 FROM schema_version WHERE version = {mark}", (version,)).fetchone() is not None


def migrate(db: Database) -> list[int]:
    """Apply the migrations not applied yet, in order of version; return the versions applied now."""
    applied: list[int] = []
    mark = "%s" if isinstance(db, PostgresqlDatabase) else "?"
    for version, description, apply in sorted(MIGRATIONS, key=lambda migration: migration[0]):
        with write_transaction(db):
            if isinstance(db, PostgresqlDatabase):
                db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK_ID,))
            if is_applied(db, version):
                continue
            apply(db)
            db.execute_sql(f"INSERT INTO schema_version (version, description) VALUES ({mark}, {mark})",
                           (version, description))
            applied.append(version)
    return applied

"""Database connection: one Peewee database chosen by URL (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from pathlib import Path

from peewee import Database, DatabaseProxy, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import parse

# Models bind to this proxy; open_database() points it at the real database. One hub per process.
database_proxy = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",  # readers never block the writer; the CLI works while the hub runs
    "synchronous": "normal",  # safe with WAL: a crash loses at most the last transactions, never corrupts
    "foreign_keys": 1,
    "busy_timeout": 30_000,  # wait for other processes' write locks instead of failing at once
    "cache_size": -16_000,
}


def open_database(url: str) -> Database:
    """Create the database for ``url`` and bind the models to it.

    Raises:
        ValueError: the URL scheme is not sqlite or postgresql.
    """
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        db: Database = SqliteDatabase(str(path), pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    elif url.startswith(("postgresql://", "postgres://")):
        params = parse(url)
        name = params.pop("database")
        db = PostgresqlDatabase(name, autorollback=True, **params)
    else:
        raise ValueError(f"Unsupported database URL {url!r}: use sqlite:///path or postgresql://...")
    database_proxy.initialize(db)
    return db


def write_transaction(db: Database):
    """A transaction that takes the write lock at its start.

    SQLite's default deferred transactions fail with "database is locked" when two readers both try to
    upgrade to writers; taking the lock up front makes concurrent writers queue instead.
    """
    if isinstance(db, SqliteDatabase):
        return db.atomic("IMMEDIATE")
    return db.atomic()


def is_in_process(db: Database) -> bool:
    """True for SQLite: queries run in this process in microseconds, with no network round trip."""
    return isinstance(db, SqliteDatabase)

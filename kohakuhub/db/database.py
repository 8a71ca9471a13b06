"""Database connection: one Peewee database chosen by URL (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

from peewee import (
    Database,
    DatabaseProxy,
    InterfaceError,
    OperationalError,
    PostgresqlDatabase,
    SqliteDatabase,
)
from playhouse.db_url import parse

from kohakuhub.errors import ServiceUnavailableError

log = logging.getLogger("kohakuhub.db")

# Models bind to this proxy; open_database() points it at the real database. One hub per process.
database_proxy = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",  # readers never block the writer; the CLI works while the hub runs
    "synchronous": "normal",  # safe with WAL: a crash loses at most the last transactions, never corrupts
    "foreign_keys": 1,
    "busy_timeout": 30_000,  # wait for other processes' write locks instead of failing at once
    "cache_size": -16_000,
}


DB_UNAVAILABLE = "The metadata database is unavailable (connection lost); nothing was changed, retry the request"


class HubPostgresqlDatabase(PostgresqlDatabase):
    """PostgreSQL, one connection per thread, that survives the server dropping a connection.

    The server may close a connection at any time (restart, failover, ``pg_terminate_backend``, an idle
    timeout of a proxy); psycopg2 only notices at the connection's next use, and then marks it closed.
    - outside a transaction, a ``BEGIN`` or a ``SELECT`` that fails that way is retried once on a new
      connection: neither can have changed anything, so the caller never sees the stale connection;
    - any other statement (inside a transaction, or a lone write whose outcome is unknown) raises
      ServiceUnavailableError (503, retryable). The server rolled the open transaction back, so
      nothing it wrote is kept; the dead connection is discarded and the thread's next use reconnects.
    - a server that cannot be reached at all raises ServiceUnavailableError as well.
    """

    def _lost(self) -> bool:
        conn = self._state.conn
        return conn is not None and getattr(conn, "closed", 0) != 0

    def _discard(self) -> None:
        """Forget this thread's dead connection (the server already rolled back its transaction)."""
        conn = self._state.conn
        self._state.reset()
        with contextlib.suppress(Exception):  # it is dead already
            conn.close()

    def _connect(self):
        try:
            return super()._connect()
        except Exception as exc:
            log.warning("cannot connect to the metadata database: %s", exc)
            raise ServiceUnavailableError("The metadata database is unreachable; retry the request") from exc

    def _retrying(self, func, sql: str | None, *args):
        try:
            return func(*args)
        except (OperationalError, InterfaceError) as exc:
            if not self._lost():
                raise
            in_transaction = self.in_transaction()
            if in_transaction or not (sql is None or sql.lstrip()[:6].upper() == "SELECT"):
                if not in_transaction:
                    self._discard()
                raise ServiceUnavailableError(DB_UNAVAILABLE) from exc
            self._discard()
            return func(*args)

    def execute_sql(self, sql, params=None):
        return self._retrying(super().execute_sql, sql, sql, params)

    def begin(self, *args, **kwargs):
        return self._retrying(lambda: super(HubPostgresqlDatabase, self).begin(*args, **kwargs), None)

    def commit(self):
        try:
            return super().commit()
        except (OperationalError, InterfaceError) as exc:
            if not self._lost():
                raise
            raise ServiceUnavailableError(DB_UNAVAILABLE) from exc

    def rollback(self):
        if self._lost():
            # Nothing to roll back: the server aborted the transaction when the connection died.
            self._discard()
            return
        try:
            return super().rollback()
        except (OperationalError, InterfaceError):
            if not self._lost():
                raise
            self._discard()


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
        db = HubPostgresqlDatabase(name, **params)
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


def close_thread_connection(db: Database) -> None:
    """Close this thread's connection (the database keeps one per thread), for threads that are ending."""
    db.close()

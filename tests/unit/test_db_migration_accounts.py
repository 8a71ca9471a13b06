"""Migration 2 (accounts) on an existing version-1 database, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

import pytest
from peewee import Database, PostgresqlDatabase, SqliteDatabase

from kohakuhub.db.database import SQLITE_PRAGMAS, database_proxy
from kohakuhub.db.migrations import MIGRATIONS, current_version, m0001_initial, migrate
from kohakuhub.db.models import LfsObject, LoginFailure, Session, Token, User
from tests.databases import SERVER_URL_VARIABLE, create_database, drop_database
from tests.servers.postgres import INSTALL_HINT

V1_ROWS = [
    ('INSERT INTO "user" (username, username_key, email, password_hash, fullname, is_admin, created_at) '
     "VALUES ('old', 'old', 'old@example.com', 'x', '', {false}, '2024-01-01 00:00:00')"),
    ('INSERT INTO "session" (user_id, token_hash, created_at, expires_at) '
     "VALUES (1, 'h1', '2024-01-01 00:00:00', '2099-01-01 00:00:00')"),
    ('INSERT INTO "token" (user_id, name, token_hash, role, created_at) '
     "VALUES (1, 'ci', 'h2', 'read', '2024-01-01 00:00:00')"),
]


def _postgres() -> Iterator[Database]:
    if not os.environ.get(SERVER_URL_VARIABLE):  # the run started none: the server binaries are missing
        pytest.skip(f"PostgreSQL is not installed: {INSTALL_HINT}")
    url = create_database(empty=True)
    db = PostgresqlDatabase(url.rsplit("/", 1)[-1], dsn=url)
    try:
        yield db
    finally:
        db.close()
        drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def v1_database(request, tmp_path) -> Iterator[Database]:
    """A database at schema version 1 holding a user with a session and a token."""
    if request.param == "sqlite":
        db: Database = SqliteDatabase(str(tmp_path / "v1.db"), pragmas=SQLITE_PRAGMAS)
        gen = None
    else:
        gen = _postgres()
        db = next(gen)
    database_proxy.initialize(db)
    with db.atomic():
        m0001_initial.apply(db)
        current_version(db)
        db.execute_sql("INSERT INTO schema_version (version, description) VALUES (1, 'initial schema')")
        false = "FALSE" if isinstance(db, PostgresqlDatabase) else "0"
        for sql in V1_ROWS:
            db.execute_sql(sql.format(false=false))
    yield db
    if gen is not None:
        next(gen, None)
    else:
        db.close()


def test_upgrades_a_version_1_database(v1_database):
    db = v1_database
    assert current_version(db) == 1
    assert migrate(db) == [version for version, _, _ in MIGRATIONS if version > 1]
    assert current_version(db) >= 2

    user = User.get(User.username == "old")
    assert user.disabled is False
    session = Session.get(Session.token_hash == "h1")
    assert session.user_agent == "" and session.address == "" and session.last_seen_at is None
    token = Token.get(Token.token_hash == "h2")
    assert token.expires_at is None and token.role == "read"

    # The new columns and table take writes through the live models.
    User.update(disabled=True).execute()
    Token.update(expires_at=datetime(2030, 1, 1)).execute()
    Session.update(user_agent="ua", address="::1").execute()
    LoginFailure.create(key="user:old")
    assert User.get_by_id(user.id).disabled is True
    assert LoginFailure.select().count() == 1
    assert 2 not in migrate(db)  # idempotent


def test_fresh_database_matches_the_live_models(tmp_path):
    db = SqliteDatabase(str(tmp_path / "fresh.db"), pragmas=SQLITE_PRAGMAS)
    database_proxy.initialize(db)
    assert 2 in migrate(db)
    for model in (User, Session, Token, LoginFailure, LfsObject):
        columns = {c.name for c in db.get_columns(model._meta.table_name)}
        assert columns == {f.column_name for f in model._meta.sorted_fields}, model
    db.close()

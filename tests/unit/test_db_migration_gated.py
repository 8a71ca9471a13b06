"""Migration 10 (gated repos, likes, downloads, avatars) on a version-8 database, on SQLite and PostgreSQL;
and migrations that arrive out of order (versions are numbered by the branch that adds them): a database
that got 10 before 9 (discussions) was merged gets 9 applied."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from peewee import Database, PostgresqlDatabase, SqliteDatabase

from kohakuhub.db import migrations
from kohakuhub.db.database import SQLITE_PRAGMAS, database_proxy
from kohakuhub.db import discussions
from kohakuhub.db.models import Avatar, Repo, RepoAccessRequest, RepoDownloadDay, RepoLike, User, utcnow
from tests.databases import SERVER_URL_VARIABLE, create_database, drop_database
from tests.servers.postgres import INSTALL_HINT


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
def database(request, tmp_path) -> Iterator[Database]:
    if request.param == "sqlite":
        db: Database = SqliteDatabase(str(tmp_path / "v8.db"), pragmas=SQLITE_PRAGMAS)
        yield db
        db.close()
    else:
        yield from _postgres()


def _columns(db: Database, table: str) -> set[str]:
    return {column.name for column in db.get_columns(table)}


def test_upgrades_a_version_8_database(database, monkeypatch) -> None:
    db = database
    database_proxy.initialize(db)
    monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in migrations.MIGRATIONS if m[0] <= 8])
    assert migrations.migrate(db)[-1] == 8
    assert "likes" in _columns(db, "repo") and "gated" not in _columns(db, "repo")
    false = "FALSE" if isinstance(db, PostgresqlDatabase) else "0"
    db.execute_sql('INSERT INTO "user" (username, username_key, email, password_hash, fullname, is_admin, created_at,'
                   f" disabled, is_org, description) VALUES ('old', 'old', 'o@example.com', 'x', '', {false},"
                   f" '2024-01-01 00:00:00', {false}, {false}, '')")
    db.execute_sql("INSERT INTO repo (key, repo_type, namespace, name, full_key, private, owner_id, created_at,"
                   f" updated_at, downloads, likes) VALUES ('k1', 'model', 'old', 'm', 'model/old/m', {false}, 1,"
                   " '2024-01-01 00:00:00', '2024-01-01 00:00:00', 7, 3)")
    monkeypatch.undo()
    assert migrations.migrate(db) == [version for version, _, _ in migrations.MIGRATIONS if version > 8]
    assert "likes" not in _columns(db, "repo")
    repo = Repo.get(Repo.key == "k1")
    assert (repo.gated, repo.downloads) == ("", 7)  # the old count becomes the all-time count
    user = User.get(User.username == "old")
    RepoLike.create(repo=repo.id, user=user.id)
    RepoAccessRequest.create(repo=repo.id, user=user.id, status="pending", fields='{"a": 1}')
    RepoDownloadDay.create(repo=repo.id, day=utcnow().date(), downloads=2)
    Avatar.create(owner=user.id, media_type="image/png", data=b"\x89PNG", digest="0" * 64)
    assert bytes(Avatar.get_by_id(user.id).data) == b"\x89PNG"
    Repo.update(gated="manual").execute()
    assert migrations.migrate(db) == []  # idempotent


def test_a_migration_numbered_below_an_applied_one_still_runs(database, monkeypatch) -> None:
    """Branches number their migrations in parallel: a database may have 10 before 9 is merged."""
    db = database
    database_proxy.initialize(db)
    monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in migrations.MIGRATIONS if m[0] != 9])
    applied = migrations.migrate(db)
    assert {8, 10} <= set(applied) and 9 not in applied
    assert not migrations.is_applied(db, 9) and "discussion" not in db.get_tables()
    user = User.create(username="old", username_key="old", email="o@example.com", password_hash="x",
                       created_at=utcnow())
    repo = Repo.create(key="k9", repo_type="model", namespace="old", name="m", full_key="model/old/m",
                       owner=user.id, created_at=utcnow(), updated_at=utcnow())
    monkeypatch.undo()
    assert migrations.migrate(db) == [9] and migrations.is_applied(db, 9)
    opened = discussions.insert_discussion(repo.id, author_id=user.id, title="after the upgrade",
                                           is_pull_request=False, status="open", description="hello")
    assert opened.num == 1 and discussions.find_discussion(repo.id, 1).title == "after the upgrade"
    assert migrations.migrate(db) == []

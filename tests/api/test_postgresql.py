"""PostgreSQL specifics, run in both suite modes on a database of their own (on SQLite, skipped only when
PostgreSQL is not installed; the test command installs it):
idempotent and concurrent ``kohakuhub migrate``, commits from two server processes on one database and
data dir, and connections the server drops between and in the middle of requests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg2
import pygit2
import pytest
from fastapi.testclient import TestClient

from kohakuhub.app import create_app
from kohakuhub.config import load_settings
from kohakuhub.db.migrations import MIGRATIONS
from kohakuhub.db.models import Repo
from tests.api.helpers import NDJSON, file_op, ndjson
from tests.conftest import PASSWORD, HubClient, launch_server, start_server, stop_server
from tests.databases import SERVER_URL_VARIABLE, create_database, drop_database, pg_server_url
from tests.servers.postgres import INSTALL_HINT

ALL_VERSIONS = [version for version, _, _ in MIGRATIONS]

if not os.environ.get(SERVER_URL_VARIABLE):  # the run started none: the server binaries are missing
    pytest.skip(f"PostgreSQL is not installed: {INSTALL_HINT}", allow_module_level=True)


def _migrate(data_dir: Path, url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOHAKU_HUB_")}
    env["KOHAKU_HUB_DATABASE_URL"] = url
    return subprocess.run([sys.executable, "-m", "kohakuhub.cli.main", "migrate", "--data-dir", str(data_dir)],
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def _tables(url: str) -> list[str]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [row[0] for row in cur.fetchall()]
    conn.close()
    return tables


def _applied(stdout: str) -> list[int]:
    """The versions a ``kohakuhub migrate`` run says it applied."""
    match = re.search(r"applied migrations: \[([0-9, ]*)\]", stdout)
    return [int(v) for v in match.group(1).split(",")] if match else []


def test_migrate_is_idempotent_and_serialized(tmp_path: Path) -> None:
    url = create_database(empty=True)
    try:
        # Three processes at once on an empty database: the advisory lock lets one apply each migration.
        with ThreadPoolExecutor(3) as pool:
            runs = list(pool.map(lambda i: _migrate(tmp_path / f"d{i}", url), range(3)))
        assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
        # Each migration is its own locked transaction: the runs may share the work, never repeat it.
        applied = sorted(version for r in runs for version in _applied(r.stdout))
        assert applied == ALL_VERSIONS, [r.stdout for r in runs]
        tables = _tables(url)
        again = _migrate(tmp_path / "d0", url)
        assert again.returncode == 0, again.stderr
        assert f"applied migrations: none; schema version {ALL_VERSIONS[-1]}" in again.stdout
        assert _tables(url) == tables
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("SELECT version FROM schema_version ORDER BY version")
            assert [v for (v,) in cur.fetchall()] == ALL_VERSIONS
        conn.close()
    finally:
        drop_database(url)


def test_two_processes_serialize_commits_to_one_branch(tmp_path: Path) -> None:
    """Two uvicorn processes on one PostgreSQL database and data dir: 20 concurrent commits all land."""
    url = create_database()
    data_dir = tmp_path / "data"
    env = {"KOHAKU_HUB_DATABASE_URL": url}
    first = start_server(data_dir, env)
    second = launch_server(data_dir, env)
    try:
        auth = {"Authorization": f"Bearer {first.token}"}
        resp = httpx.post(f"{first.url}/api/repos/create", json={"name": "two-procs"}, headers=auth, timeout=30)
        assert resp.status_code == 200, resp.text
        base = httpx.get(f"{second.url}/api/models/alice/two-procs/revision/main", headers=auth).json()["sha"]
        barrier = threading.Barrier(20)

        def one(i: int) -> tuple[int, str]:
            server = (first, second)[i % 2]
            body = ndjson([file_op(f"p{i:02}.txt", f"from {i}\n".encode())], summary=f"commit {i}")
            with httpx.Client(timeout=60) as client:
                barrier.wait()
                r = client.post(f"{server.url}/api/models/alice/two-procs/commit/main", content=body,
                                headers={**auth, **NDJSON})
            return r.status_code, r.text

        with ThreadPoolExecutor(20) as pool:
            results = list(pool.map(one, range(20)))
        assert all(status == 200 for status, _ in results), results
        oids = {json.loads(text)["commitOid"] for _, text in results}
        assert len(oids) == 20

        [(key,)] = _repo_key(url, "model/alice/two-procs")
        repo = pygit2.Repository(str(data_dir / "repos" / key[:2] / f"{key}.git"))
        commit, chain = repo[repo.references["refs/heads/main"].target], []
        while commit.parents:
            assert len(commit.parents) == 1  # linear
            chain.append(str(commit.id))
            commit = commit.parents[0]
        assert str(commit.id) == base and set(chain) == oids
        tree = httpx.get(f"{second.url}/api/models/alice/two-procs/tree/main", headers=auth).json()
        assert {e["path"] for e in tree} == {".gitattributes"} | {f"p{i:02}.txt" for i in range(20)}
    finally:
        stop_server(second)
        stop_server(first)
        drop_database(url)


def _repo_key(url: str, full_key: str) -> list[tuple[str]]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT key FROM repo WHERE full_key = %s", (full_key,))
        rows = cur.fetchall()
    conn.close()
    return rows


@pytest.fixture
def pg_hub(tmp_path: Path) -> Iterator[HubClient]:
    """An in-process hub on a PostgreSQL database of its own, whatever the suite's mode."""
    url = create_database()
    settings = load_settings(data_dir=tmp_path / "data", database_url=url)
    app = create_app(settings)
    try:
        with TestClient(app, base_url="http://testserver") as client:
            accounts = app.state.hub.accounts
            user = accounts.create_user("alice", "alice@example.com", PASSWORD)
            yield HubClient(client, settings.data_dir, "alice", accounts.create_token(user.id, "test")[1])
    finally:
        drop_database(url)


def _terminate(url: str, pid: int | None = None) -> int:
    """Terminate the server processes of ``url``'s connections (or only ``pid``); return how many."""
    name = url.rsplit("/", 1)[1]
    with psycopg2.connect(f"{pg_server_url()}/postgres") as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s"
                    " AND pid <> pg_backend_pid() AND (%s IS NULL OR pid = %s)", (name, pid, pid))
        count = len(cur.fetchall())
    conn.close()
    return count


def test_connections_dropped_between_requests_reconnect(pg_hub: HubClient) -> None:
    client, url = pg_hub.client, pg_hub.hub.settings.database_url
    assert client.post("/api/repos/create", json={"name": "before"}, headers=pg_hub.auth()).status_code == 200
    assert _terminate(url) >= 1
    # The next requests, read and write, find the dead connection and retry on a new one.
    assert client.get("/api/models/alice/before", headers=pg_hub.auth()).status_code == 200
    assert _terminate(url) >= 1
    assert client.post("/api/repos/create", json={"name": "after"}, headers=pg_hub.auth()).status_code == 200
    assert client.get("/api/whoami-v2", headers=pg_hub.auth()).json()["name"] == "alice"


def test_connection_dropped_mid_request_fails_cleanly(pg_hub: HubClient, monkeypatch) -> None:
    client, hub = pg_hub.client, pg_hub.hub
    real_create = Repo.create.__func__
    calls = []

    def dying_create(cls, **fields):
        if not calls:  # the first insert loses its connection, inside the transaction
            calls.append(fields)
            _terminate(hub.settings.database_url, hub.db.connection().get_backend_pid())
        return real_create(cls, **fields)

    monkeypatch.setattr(Repo, "create", classmethod(dying_create))
    resp = client.post("/api/repos/create", json={"name": "mid"}, headers=pg_hub.auth())
    assert resp.status_code == 503, resp.text
    assert "retry" in resp.headers["x-error-message"] and resp.headers["retry-after"] == "1"
    # Nothing kept: no row, no bare repository on disk.
    assert client.get("/api/models/alice/mid", headers=pg_hub.auth()).status_code == 404
    repos_dir = pg_hub.data_dir / "repos"
    assert not [p for p in repos_dir.glob("*/*.git")], list(repos_dir.rglob("*.git"))
    # The next request succeeds.
    assert client.post("/api/repos/create", json={"name": "mid"}, headers=pg_hub.auth()).status_code == 200
    assert client.get("/api/models/alice/mid", headers=pg_hub.auth()).status_code == 200


def test_database_down_answers_503(tmp_path: Path) -> None:
    url = create_database()
    app = create_app(load_settings(data_dir=tmp_path / "data", database_url=url))
    try:
        with TestClient(app, base_url="http://testserver") as client:
            accounts = app.state.hub.accounts
            token = accounts.create_token(accounts.create_user("alice", "a@example.com", PASSWORD).id, "t")[1]
            # Refuse new connections to the database, then drop the existing ones.
            with psycopg2.connect(f"{pg_server_url()}/postgres") as conn, conn.cursor() as cur:
                conn.autocommit = True
                cur.execute(f'ALTER DATABASE "{url.rsplit("/", 1)[1]}" ALLOW_CONNECTIONS false')
            conn.close()
            _terminate(url)
            resp = client.get("/api/whoami-v2", headers={"Authorization": f"Bearer {token}"})
            assert resp.status_code == 503 and "retry" in resp.headers["x-error-message"]
            with psycopg2.connect(f"{pg_server_url()}/postgres") as conn, conn.cursor() as cur:
                conn.autocommit = True
                cur.execute(f'ALTER DATABASE "{url.rsplit("/", 1)[1]}" ALLOW_CONNECTIONS true')
            conn.close()
            resp = client.get("/api/whoami-v2", headers={"Authorization": f"Bearer {token}"})
            assert resp.status_code == 200, resp.text
    finally:
        drop_database(url)

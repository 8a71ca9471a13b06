"""Shared fixtures: an in-process hub for API tests and a real uvicorn server for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from kohakuhub.app import create_app
from kohakuhub.config import load_settings
from tests.databases import POSTGRES, SERVER_URL_VARIABLE, database_url_for, drop_all, drop_database_for
from tests.s3_support import S3_MODE, app_client, hub_env, hub_overrides
from tests.servers.minio import MIN_PART_SIZE, minio_binary
from tests.servers.postgres import PrivatePostgres, server_bindir

PASSWORD = "correct-horse-battery"
# LFS settings of the in-process test hubs: small files already take the LFS and multipart paths. S3 (MinIO,
# like AWS) refuses parts under 5 MiB, so on S3 parts are that size.
LFS_THRESHOLD = 1024
MULTIPART_THRESHOLD = 64 * 1024
CHUNK_SIZE = MIN_PART_SIZE if S3_MODE else 16 * 1024
TEST_HUB_LFS = {"lfs_threshold_bytes": LFS_THRESHOLD, "lfs_multipart_threshold_bytes": MULTIPART_THRESHOLD,
                "lfs_multipart_chunk_size_bytes": CHUNK_SIZE}


def pytest_configure(config: pytest.Config) -> None:
    """The controller (not an xdist worker) starts what the workers share before they start.

    A private PostgreSQL cluster unless ``KOHAKU_HUB_TEST_POSTGRES_URL`` names one (workers inherit the
    variable); on SQLite without PostgreSQL installed only tests/api/test_postgresql.py needs it, and it
    says what to install. And the MinIO binary, built once here rather than by every worker at once.
    """
    if hasattr(config, "workerinput"):
        return
    if not os.environ.get(SERVER_URL_VARIABLE) and (POSTGRES or server_bindir() is not None):
        cluster = PrivatePostgres()
        os.environ[SERVER_URL_VARIABLE] = cluster.start()
        config.add_cleanup(cluster.stop)
    minio_binary()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # With KOHAKU_HUB_TEST_S3=1 the hub-served transfer URLs of local storage do not exist (S3 takes the
    # bytes), so those tests do not apply and are deselected rather than skipped: a skip in this suite
    # would mean a missing tool. tests/api/test_lfs_s3.py covers the same cases on S3.
    if S3_MODE:
        local_only = [item for item in items if "local_storage" in item.keywords]
        if local_only:
            config.hook.pytest_deselected(items=local_only)
            items[:] = [item for item in items if "local_storage" not in item.keywords]


@dataclass
class HubClient:
    """An in-process hub with one ready user and their write token."""

    client: TestClient
    data_dir: Path
    username: str
    token: str

    @property
    def hub(self):
        return self.client.app.state.hub

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def new_user(self, username: str, *, role: str = "write") -> str:
        """Create another user and return a token of theirs."""
        user = self.hub.accounts.create_user(username, f"{username}@example.com", PASSWORD)
        return self.hub.accounts.create_token(user.id, "test", role)[1]


def hub_settings(data_dir: Path, **overrides: object):
    """Settings of a test hub over ``data_dir``: its own database in the suite's mode (tests/databases.py)."""
    options = {**hub_overrides(), **overrides}  # S3 (a fresh bucket) with KOHAKU_HUB_TEST_S3=1
    return load_settings(data_dir=data_dir, database_url=database_url_for(data_dir), **options)


@pytest.fixture
def hub_client(tmp_path: Path) -> Iterator[HubClient]:
    """A fresh hub (SQLite or its own PostgreSQL database; local files, or S3 with KOHAKU_HUB_TEST_S3=1)."""
    settings = hub_settings(tmp_path / "data", **TEST_HUB_LFS)
    app = create_app(settings)
    try:
        with app_client(app, base_url="http://testserver") as client:
            accounts = app.state.hub.accounts
            user = accounts.create_user("alice", "alice@example.com", PASSWORD)
            token = accounts.create_token(user.id, "test")[1]
            yield HubClient(client, settings.data_dir, "alice", token)
    finally:
        drop_database_for(settings.data_dir)


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """PostgreSQL mode: drop the databases of session-wide hubs once every test is done."""
    yield
    drop_all()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    """A real ``uvicorn kohakuhub.main:app`` process."""

    url: str
    data_dir: Path
    token: str
    username: str
    process: subprocess.Popen
    env: dict[str, str]

    def cli(self, *args: str) -> str:
        """Run the ``kohakuhub`` CLI against this server's data dir; return stdout."""
        result = subprocess.run(
            [sys.executable, "-m", "kohakuhub.cli.main", *args, "--data-dir", str(self.data_dir)],
            env=self.env, capture_output=True, text=True, check=True,
        )
        return result.stdout

    def new_token(self, username: str, role: str = "write") -> str:
        return self.cli("admin", "create-token", username, "--role", role).strip().splitlines()[-1]


def launch_server(data_dir: Path, extra_env: dict[str, str] | None = None, *, workers: int = 1,
                  base_url: str | None = None) -> LiveServer:
    """Start a server process on a free port over ``data_dir`` and wait until it answers /health.

    With KOHAKU_HUB_TEST_S3=1 it stores LFS objects in a fresh bucket of the tests' MinIO server, unless
    ``extra_env`` names S3 settings itself (a restart over the same data). ``workers`` > 1 runs that many
    uvicorn workers trusting proxy headers from loopback, as docker/entrypoint.sh does; ``base_url`` is the
    public address when a proxy is in front (default: the server's own).
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOHAKU_HUB_")}
    extra_env = extra_env or {}
    database_url = None if "KOHAKU_HUB_DATABASE_URL" in extra_env else database_url_for(data_dir)
    env.update({
        "KOHAKU_HUB_DATA_DIR": str(data_dir),
        "KOHAKU_HUB_LOG_LEVEL": "warning",
        **({"KOHAKU_HUB_DATABASE_URL": database_url} if database_url else {}),
        **({} if any(k.startswith("KOHAKU_HUB_S3_") for k in extra_env) else hub_env()),
        **extra_env,
        "KOHAKU_HUB_BASE_URL": base_url or f"http://127.0.0.1:{port}",
    })
    data_dir.mkdir(parents=True, exist_ok=True)
    log = open(data_dir.parent / f"server-{port}.log", "wb")
    command = [sys.executable, "-m", "uvicorn", "kohakuhub.main:app", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers), "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"hub exited with {process.returncode}; see {log.name}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return LiveServer(url, data_dir, "", "alice", process, env)
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("hub did not start within 30 s")


def start_server(data_dir: Path, extra_env: dict[str, str] | None = None, **options: object) -> LiveServer:
    """A fresh server with user alice and her write token (``options`` as for ``launch_server``)."""
    server = launch_server(data_dir, extra_env, **options)
    server.cli("admin", "create-user", "alice", "--email", "alice@example.com", "--password", PASSWORD)
    server.token = server.new_token("alice")
    return server


def restart_server(server: LiveServer) -> LiveServer:
    """A new server process over the same data and settings (its user and token still work)."""
    restarted = launch_server(server.data_dir, {k: v for k, v in server.env.items() if k.startswith("KOHAKU_HUB_")})
    restarted.token, restarted.username = server.token, server.username
    return restarted


def kill_server(server: LiveServer) -> None:
    """``kill -9``: no shutdown code of the hub runs."""
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(10)


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real server for the whole session (tests use distinct repo names)."""
    server = start_server(tmp_path_factory.mktemp("live") / "data")
    yield server
    stop_server(server)

"""The servers the tests start for themselves (tests/servers/): they run, and they go away with their owner,
whether it stops them, is interrupted (Ctrl-C of a test run) or is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import psycopg2
import pytest

from tests.databases import SERVER_URL_VARIABLE
from tests.servers.minio import MinioServer
from tests.servers.postgres import DIR_PREFIX, PrivatePostgres, server_bindir

ROOT = Path(__file__).resolve().parents[2]
needs_postgres = pytest.mark.skipif(server_bindir() is None, reason="PostgreSQL is not installed "
                                    "(scripts/test.sh installs it)")


def _refuses(url: str) -> bool:
    try:
        psycopg2.connect(f"{url}/postgres", connect_timeout=2).close()
    except psycopg2.OperationalError:
        return True
    return False


def _gone_within(check, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


@needs_postgres
def test_a_private_cluster_serves_as_configured_and_leaves_nothing_when_stopped():
    cluster = PrivatePostgres(max_connections=123)
    url = cluster.start()
    directory = cluster.dir
    with psycopg2.connect(f"{url}/postgres") as conn, conn.cursor() as cur:
        cur.execute("SHOW max_connections")
        assert cur.fetchone() == ("123",)
        cur.execute("SHOW listen_addresses")
        assert cur.fetchone() == ("127.0.0.1",)
        cur.execute("SELECT current_setting('data_directory')")
        assert cur.fetchone()[0].startswith(str(directory))
    conn.close()
    cluster.stop()
    assert not directory.exists() and _refuses(url)


@needs_postgres
def test_a_cluster_whose_owner_is_killed_stops_and_its_directory_is_removed_later():
    script = textwrap.dedent("""
        import time
        from tests.servers.postgres import PrivatePostgres
        cluster = PrivatePostgres()
        print(cluster.start(), cluster.dir, flush=True)
        time.sleep(120)
    """)
    owner = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    url, directory = owner.stdout.readline().split()
    assert not _refuses(url)
    owner.kill()  # no cleanup code runs: the kernel ends the server (parent-death signal)
    owner.wait(10)
    assert _gone_within(lambda: _refuses(url))
    assert Path(directory).exists()
    later = PrivatePostgres()
    later.start()  # the next start removes what a dead owner left
    later.stop()
    assert not Path(directory).exists()


@needs_postgres
def test_an_interrupted_test_run_stops_the_cluster_it_started(tmp_path):
    probe = tmp_path / "test_probe.py"
    probe.write_text(textwrap.dedent(f"""
        import os, time
        def test_wait():
            print("URL", os.environ["{SERVER_URL_VARIABLE}"], flush=True)
            time.sleep(120)
    """))
    env = {k: v for k, v in os.environ.items() if k != SERVER_URL_VARIABLE}
    env["KOHAKU_HUB_TEST_DATABASE"] = "postgresql"
    run = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-p", "no:xdist",
                            "-p", "tests.conftest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path),
                            str(probe)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    url = ""
    for line in run.stdout:  # bounded by the probe's sleep
        if line.startswith("URL"):
            url = line.split()[1]
            break
    assert url and not _refuses(url)
    run.send_signal(signal.SIGINT)  # Ctrl-C
    run.communicate(timeout=60)
    assert _refuses(url)
    assert not any(str(run.pid) == (path / "owner.pid").read_text()
                   for path in Path("/tmp").glob(f"{DIR_PREFIX}*") if (path / "owner.pid").exists())


def test_minio_runs_with_its_own_credentials_and_is_gone_when_stopped():
    server = MinioServer().start()
    directory = server.dir
    assert httpx.get(f"{server.endpoint}/minio/health/ready").status_code == 200
    assert httpx.get(f"{server.endpoint}/").status_code == 403  # anonymous: no access
    server.stop()
    assert not directory.exists()
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{server.endpoint}/minio/health/ready", timeout=2)

"""The metadata database of the benchmark hub: its SQLite file (default) or a fresh PostgreSQL database.

``--database postgresql`` creates ``khub_bench_<random>`` on the server (``--postgres-url``, or a private
cluster the run starts: Context.postgres_server_url) and drops it when the run ends, so the commit and
tree rows can be compared on both databases.
"""

from __future__ import annotations

import uuid

from benchmarks.common import BenchError


def _admin(server_url: str):
    import psycopg2

    try:
        conn = psycopg2.connect(f"{server_url}/postgres")
    except psycopg2.OperationalError as exc:
        raise BenchError(f"PostgreSQL not reachable at {server_url}: {exc}") from exc
    conn.autocommit = True
    return conn


def _admin_execute(server_url: str, sql: str) -> None:
    conn = _admin(server_url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def create_postgres_database(server_url: str) -> str:
    """Create an empty database for one benchmark run; return its URL."""
    name = f"khub_bench_{uuid.uuid4().hex[:12]}"
    _admin_execute(server_url, f'CREATE DATABASE "{name}"')
    return f"{server_url}/{name}"


def drop_postgres_database(url: str) -> None:
    """Drop a database made by ``create_postgres_database`` (its hub has stopped)."""
    server_url, name = url.rsplit("/", 1)
    _admin_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

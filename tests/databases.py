"""Which metadata database the suite's hubs use: SQLite (default) or a fresh PostgreSQL database per hub.

``KOHAKU_HUB_TEST_DATABASE=postgresql`` switches every hub the tests build (in-process hubs, live servers,
the CLI run against them) to its own PostgreSQL database, created on first use under a unique name
(``khub_test_<pid>_<random>``, so pytest-xdist workers never collide) and dropped when its test or session
ends. ``KOHAKU_HUB_TEST_POSTGRES_URL`` names the server; without it the test run starts a private one
(tests/conftest.py, tests/servers/postgres.py) and sets the variable for its workers.

Tests that look into the database directly go through :func:`hub_sql`, which works in both modes.
"""

from __future__ import annotations

import atexit
import os
import queue
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

TEST_DATABASE = os.environ.get("KOHAKU_HUB_TEST_DATABASE", "sqlite").lower()
if TEST_DATABASE not in ("sqlite", "postgresql"):
    raise RuntimeError(f"KOHAKU_HUB_TEST_DATABASE must be sqlite or postgresql, not {TEST_DATABASE!r}")
POSTGRES = TEST_DATABASE == "postgresql"
SERVER_URL_VARIABLE = "KOHAKU_HUB_TEST_POSTGRES_URL"
DB_PREFIX = "khub_test_"

_lock = threading.Lock()
_by_data_dir: dict[Path, str] = {}  # resolved data dir -> database name
_created: set[str] = set()
_template: str | None = None
_drops: queue.Queue[str | None] = queue.Queue()
_dropper: threading.Thread | None = None
# Copies of the template made ahead of need by a background thread: a test then waits for none (a copy
# takes ~0.3 s, most of it waiting on the server's disk).
SPARES = 2
_spares: queue.Queue[str] = queue.Queue()
_spare_maker: threading.Thread | None = None
_closing = threading.Event()


def pg_server_url() -> str:
    """The server to create test databases on; its maintenance database ``postgres`` only issues CREATE/DROP.

    Raises:
        RuntimeError: no server was named or started (a test asked for one outside a test run).
    """
    url = os.environ.get(SERVER_URL_VARIABLE)
    if not url:
        raise RuntimeError(f"no PostgreSQL server for the tests: {SERVER_URL_VARIABLE} is not set and the test "
                           "run did not start one (see tests/conftest.py)")
    return url


def _admin():
    import psycopg2

    conn = psycopg2.connect(f"{pg_server_url()}/postgres")
    conn.autocommit = True
    return conn


def _create(name: str, template: str | None) -> None:
    conn = _admin()
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
            # Test data need not survive a PostgreSQL crash: skip the fsync at each commit (the hub's own
            # durability is what the tests check, not the server's).
            cur.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        conn.close()
    with _lock:
        _created.add(name)


def _migrated_template() -> str:
    """This process's template: an empty database at the current schema (copying it beats migrating)."""
    global _template
    with _lock:
        if _template is not None:
            return _template
    from peewee import PostgresqlDatabase

    from kohakuhub.db.migrations import migrate

    name = f"{DB_PREFIX}{os.getpid()}_template_{uuid.uuid4().hex[:6]}"
    _create(name, None)
    db = PostgresqlDatabase(name, dsn=f"{pg_server_url()}/{name}")
    try:
        migrate(db)
    finally:
        db.close()
    with _lock:
        _template = name
    return name


def _new_name() -> str:
    return f"{DB_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:12]}"


def _make_spares(template: str) -> None:
    while not _closing.is_set():
        if _spares.qsize() >= SPARES:
            time.sleep(0.05)
            continue
        name = _new_name()
        try:
            _create(name, template)
        except Exception:  # noqa: BLE001 - the caller creates its own copy instead
            time.sleep(1)
            continue
        _spares.put(name)


def create_database(*, empty: bool = False) -> str:
    """Create a fresh PostgreSQL database and return its URL (dropped at exit at the latest).

    It is a copy of a database migrated to the current schema (the hub's own ``migrate`` then finds
    nothing to do), or with ``empty`` a database without any table.
    """
    global _spare_maker
    if empty:
        name = _new_name()
        _create(name, None)
        return f"{pg_server_url()}/{name}"
    template = _migrated_template()
    with _lock:
        if _spare_maker is None:
            _spare_maker = threading.Thread(target=_make_spares, args=(template,), name="spare-test-databases",
                                            daemon=True)
            _spare_maker.start()
    try:
        name = _spares.get(timeout=0.01)
    except queue.Empty:
        name = _new_name()
        _create(name, template)
    return f"{pg_server_url()}/{name}"


def drop_database(url_or_name: str, *, wait: bool = True) -> None:
    """Drop a database this process created, closing whatever connections it still has.

    ``wait=False`` leaves the drop (a checkpoint, ~0.2 s) to a background thread; ``drop_all`` waits.
    """
    global _dropper
    name = url_or_name.rsplit("/", 1)[-1]
    with _lock:
        if name not in _created:
            return
        for key, value in list(_by_data_dir.items()):
            if value == name:
                del _by_data_dir[key]
        if not wait:
            if _dropper is None:
                _dropper = threading.Thread(target=_drop_worker, name="drop-test-databases", daemon=True)
                _dropper.start()
            _drops.put(name)
            return
        _created.discard(name)
    _drop(name)


def _drop_worker() -> None:
    while (name := _drops.get()) is not None:
        try:
            _drop(name)
        except Exception:  # noqa: BLE001, S110 - drop_all retries at the end
            pass
        else:
            with _lock:
                _created.discard(name)
        finally:
            _drops.task_done()


def _drop(name: str) -> None:
    conn = _admin()
    try:
        with conn.cursor() as cur:
            # FORCE (PostgreSQL 13+): in-process hubs keep one connection per threadpool thread.
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def database_url_for(data_dir: Path) -> str | None:
    """The database URL a hub over ``data_dir`` must use: None (its SQLite file) unless on PostgreSQL.

    The same data dir always gets the same database, so a server restarted over it, and the CLI run on
    it, see the same metadata.
    """
    if not POSTGRES:
        return None
    key = Path(data_dir).resolve()
    with _lock:
        name = _by_data_dir.get(key)
    if name is None:
        url = create_database()
        name = url.rsplit("/", 1)[-1]
        with _lock:
            _by_data_dir[key] = name
    return f"{pg_server_url()}/{name}"


def drop_database_for(data_dir: Path) -> None:
    """Drop (in the background) the database of the hub over ``data_dir`` (nothing on SQLite)."""
    if not POSTGRES:
        return
    with _lock:
        name = _by_data_dir.get(Path(data_dir).resolve())
    if name is not None:
        drop_database(name, wait=False)


def drop_all() -> None:
    """Drop every database this process created and has not dropped yet (the template too)."""
    global _template, _spare_maker
    _closing.set()
    if _spare_maker is not None:
        _spare_maker.join(timeout=30)
        _spare_maker = None
    if _dropper is not None:
        _drops.join()
    with _lock:
        names = list(_created)
        _template = None
    while not _spares.empty():
        _spares.get_nowait()
    for name in names:
        try:
            drop_database(name)
        except Exception:  # noqa: BLE001, S110 - best effort at exit; the name prefix lets an operator clean up
            pass


atexit.register(drop_all)


def hub_sql(data_dir: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple]:
    """Run ``sql`` (``?`` placeholders) on the metadata database of the hub over ``data_dir``.

    Its own connection, as another worker or process would have; committed on return.
    """
    url = database_url_for(data_dir)
    if url is None:
        with sqlite3.connect(Path(data_dir) / "hub.db") as conn:
            rows = conn.execute(sql, params).fetchall()
        conn.close()
        return rows
    return postgres_sql(url, sql, params)


def postgres_sql(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple]:
    """Run ``sql`` (``?`` placeholders) on the PostgreSQL database at ``url``; committed on return."""
    import psycopg2

    conn = psycopg2.connect(url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql.replace("?", "%s"), params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()

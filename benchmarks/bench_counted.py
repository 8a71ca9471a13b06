"""Benchmark: what download counting costs resolve, its hottest route (services/downloads.py).

``config.json`` of a model is a counted file; ``settings.json``, the same bytes in the same repo, is not. The
same request to each, interleaved rounds, best of each: the ratio is what counting adds. Three rows:
- HEAD, one visitor: after its first request each is a set lookup in memory (the visit was seen);
- GET, one visitor: the same with the file's bytes;
- HEAD with a new client address on every request (``X-Forwarded-For``, trusted from loopback as uvicorn
  does by default): the worst case, every request a new visit the counter thread writes to SQLite.
A fourth row times the counter in this process, free of the load generator's noise: what ``record`` costs a
resolve (a visit seen before, a new one) and how many visits per second a flush writes to SQLite.
"""

from __future__ import annotations

import base64
import json

import time

from peewee import SqliteDatabase

from benchmarks.common import Result
from benchmarks.context import Context
from benchmarks.loadgen import LoadResult, run_load
from benchmarks.servers import check

REPO = "counted-bench"
CONNECTIONS = 8
ROUNDS = 3
CONFIG = json.dumps({"architectures": ["BenchModel"], "hidden_size": 768}).encode()
NEW_VISITOR = {"X-Forwarded-For": "10.{n}"}  # benchmarks/loadgen.py: a new address on every request


def _commit(ctx: Context) -> None:
    hub = ctx.hub
    hub.create_repo(REPO)
    lines = [{"key": "header", "value": {"summary": "bench files"}}]
    for path in ("config.json", "settings.json"):
        lines.append({"key": "file", "value": {"path": path, "content": base64.b64encode(CONFIG).decode(),
                                               "encoding": "base64"}})
    hub.commit(REPO, b"".join(json.dumps(line).encode() + b"\n" for line in lines))


def _best(runs: list[LoadResult]) -> LoadResult:
    return max(runs, key=lambda run: run.rps)


def bench_counted(ctx: Context) -> list[Result]:
    hub = ctx.hub
    _commit(ctx)
    base = f"{hub.url}/{hub.username}/{REPO}/resolve/main"
    counted, plain = f"{base}/config.json", f"{base}/settings.json"
    check(hub.client.head(counted), "HEAD config.json")
    seconds = ctx.sizes.load_seconds
    cases = {"head": ("HEAD", None), "get": ("GET", None), "new": ("HEAD", NEW_VISITOR)}
    runs: dict[str, tuple[list[LoadResult], list[LoadResult]]] = {name: ([], []) for name in cases}
    for method, headers in cases.values():  # warm-up
        run_load(counted, method, CONNECTIONS, 1, headers)
        run_load(plain, method, CONNECTIONS, 1, headers)
    for _round in range(ROUNDS):
        for name, (method, headers) in cases.items():
            runs[name][0].append(run_load(counted, method, CONNECTIONS, seconds, headers))
            runs[name][1].append(run_load(plain, method, CONNECTIONS, seconds, headers))
    note = f"{CONNECTIONS} keep-alive connections, {seconds:g} s, best of {ROUNDS} interleaved rounds, 1 hub worker"
    info = hub.client.get(f"/api/models/{hub.username}/{REPO}").json()
    counted_total = info.get("downloadsAllTime", "n/a")
    names = {"head": "HEAD resolve of a counted file (config.json), one visitor",
             "get": "GET resolve of a counted file (config.json), one visitor",
             "new": "HEAD resolve of a counted file, a new visitor per request"}
    results = []
    for name, (counted_runs, plain_runs) in runs.items():
        value, baseline = _best(counted_runs), _best(plain_runs)
        extra = f"; the hub counted {counted_total} downloads in all" if name == "new" else ""
        results.append(Result(name=names[name], unit="req/s", value=value.rps,
                              baseline_name="same request, file not counted (settings.json)",
                              baseline=baseline.rps, target=0.9 if name != "new" else 0.8,
                              notes=[note + extra]))
    results.append(_in_process(ctx))
    return results


CALLS = 100_000


def _in_process(ctx: Context) -> Result:
    """``DownloadCounter.record`` per call (seen and new visits) and flush throughput, on a scratch SQLite."""
    from kohakuhub.db.database import SQLITE_PRAGMAS, database_proxy
    from kohakuhub.db.migrations import migrate
    from kohakuhub.db.models import Repo, User
    from kohakuhub.services.downloads import DownloadCounter

    db = SqliteDatabase(str(ctx.root / "counter-bench.db"), pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    database_proxy.initialize(db)
    migrate(db)
    owner = User.create(username="b", username_key="b", email="b@example.com", password_hash="x")
    repo = Repo.create(key="k", repo_type="model", namespace="b", name="m", full_key="model/b/m", owner=owner)
    counter = DownloadCounter(db, flush_interval=3600)  # the thread waits: flushes are timed below
    counter.record(repo.id, "model", "config.json", "addr:seen")
    started = time.perf_counter()
    for _ in range(CALLS):
        counter.record(repo.id, "model", "config.json", "addr:seen")
    seen_us = (time.perf_counter() - started) / CALLS * 1e6
    started = time.perf_counter()
    for n in range(CALLS):
        counter.record(repo.id, "model", "config.json", f"addr:10.{n}")
    new_us = (time.perf_counter() - started) / CALLS * 1e6
    started = time.perf_counter()
    written = counter.flush()
    flush_rate = written / (time.perf_counter() - started)
    counter.close()
    db.close()
    return Result(name="download counting per resolve, in process (record of a seen visit)", unit="us",
                  value=seen_us, baseline_name="record of a new visit", baseline=new_us, target=None,
                  higher_is_better=False,
                  notes=[f"{CALLS:,} calls each; a flush wrote {written:,} new visits to SQLite at "
                         f"{flush_rate:,.0f} visits/s (one transaction, off the event loop)"])

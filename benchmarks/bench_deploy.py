"""Benchmarks of the production layout (issue 6): docker/nginx/default.conf.template in front of uvicorn workers, on
PostgreSQL and S3 (MinIO) as docker-compose runs the hub.

deploy-head:     HEAD resolve of an LFS file, requests per second through nginx, with 4 uvicorn workers
                 against 1 worker. Both hubs run side by side over the same data dir, database and bucket,
                 each behind its own nginx, and are measured in interleaved rounds (best of each).
deploy-redirect: what the 302 adds to a download: GET resolve through nginx, answered with a 302 to a
                 presigned URL, then the GET of that URL on S3; against a direct GET of the same presigned URL.
                 Medians of interleaved sequential downloads.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from benchmarks.bench_s3 import s3_env
from benchmarks.common import BenchError, MiB, Result, free_port, write_random_file
from benchmarks.context import Context
from benchmarks.database import create_postgres_database, drop_postgres_database
from benchmarks.loadgen import run_load
from benchmarks.servers import Hub, Nginx, check, start_deploy_nginx, start_hub

REPO = "deploy-bench"
FILE = "model.safetensors"
FILE_BYTES = 2 * MiB  # an LFS file (threshold 1 MiB below); small, so the redirect's cost is visible
CONNECTIONS = 16
ROUNDS = 3
DOWNLOADS = 40


@dataclass
class Front:
    """A hub process group and the nginx in front of it."""

    hub: Hub
    nginx: Nginx

    @property
    def url(self) -> str:
        return self.nginx.url

    def stop(self) -> None:
        self.nginx.stop()
        self.hub.stop()


@dataclass
class Deployment:
    one: Front  # 1 uvicorn worker
    four: Front  # 4 uvicorn workers
    file_url: str  # resolve URL path of the LFS file

    def stop(self) -> None:
        self.one.stop()
        self.four.stop()


def _front(ctx: Context, env: dict[str, str], workers: int, token: str | None) -> Front:
    port = free_port()
    static = ctx.root / "deploy-html"
    static.mkdir(exist_ok=True)
    (static / "index.html").write_text("<!doctype html><title>KohakuHub</title>")
    hub = start_hub(ctx.root / "deploy", env, workers=workers, base_url=f"http://127.0.0.1:{port}", token=token)
    try:
        nginx = start_deploy_nginx(ctx.root / f"deploy-nginx-{workers}", hub.url.removeprefix("http://"), static,
                                   port=port)
    except BaseException:
        hub.stop()
        raise
    return Front(hub, nginx)


def deployment(ctx: Context) -> Deployment:
    """Start (once per run) a PostgreSQL database, and the 1- and 4-worker hubs behind nginx on the run's MinIO."""
    existing = getattr(ctx, "_deployment", None)
    if existing is not None:
        return existing
    database = create_postgres_database(ctx.postgres_server_url())
    ctx.on_close.append(lambda: drop_postgres_database(database))
    env = {"KOHAKU_HUB_DATABASE_URL": database, "KOHAKU_HUB_UPLOAD_MODE": "lfs",
           "KOHAKU_HUB_LFS_THRESHOLD_BYTES": str(MiB), **s3_env(ctx.s3_server(), "deploy-bench")}
    ctx.log("starting the production layout: nginx + uvicorn (4 workers, then 1) on PostgreSQL + S3 (MinIO)")
    four = _front(ctx, env, 4, None)
    ctx.on_close.append(four.stop)
    one = _front(ctx, env, 1, four.hub.token)
    ctx.on_close.append(one.stop)
    check(four.hub.client.post("/api/repos/create", json={"name": REPO, "type": "model"}), "create repo")
    source = ctx.root / "deploy-src" / FILE
    write_random_file(source, FILE_BYTES)
    ctx.hf_upload(f"{four.hub.username}/{REPO}", source, FILE, hub=replace(four.hub, url=four.url, _client=None))
    setup = Deployment(one, four, f"/{four.hub.username}/{REPO}/resolve/main/{FILE}")
    for front in (one, four):
        probe = httpx.head(front.url + setup.file_url)
        check(probe, "HEAD resolve through nginx")
        if probe.headers.get("x-linked-size") != str(FILE_BYTES):
            raise BenchError(f"{FILE} is not an LFS file of {FILE_BYTES} bytes behind {front.url}")
    ctx._deployment = setup
    return setup


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of ``pids`` so far (Linux /proc; 0 for processes gone or unreadable)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _processes(front: Front) -> dict[str, list[int]]:
    """The pids of each part of one layout: uvicorn (master and workers), nginx, PostgreSQL backends."""
    master = front.hub.process.pid
    try:
        workers = [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    except OSError:
        workers = []
    postgres = [int(p.name) for p in Path("/proc").iterdir()
                if p.name.isdigit() and _comm(p) == "postgres"]
    return {"uvicorn": [master, *workers], "nginx": [front.nginx.process.pid], "PostgreSQL": postgres}


def _comm(proc: Path) -> str:
    try:
        return (proc / "comm").read_text().strip()
    except OSError:
        return ""


@dataclass
class LoadRun:
    rps: float
    cpu_ms: dict[str, float]  # CPU milliseconds per request of each part, the load generator included


def _measured_load(front: Front, url: str, seconds: float) -> LoadRun:
    parts = _processes(front)
    before = {name: _cpu_seconds(pids) for name, pids in parts.items()}
    client_before = sum(os.times()[2:4])  # the load generator is a child process we wait for
    run = run_load(url, "HEAD", CONNECTIONS, seconds)
    cpu = {name: _cpu_seconds(pids) - before[name] for name, pids in parts.items()}
    cpu["load generator"] = sum(os.times()[2:4]) - client_before
    return LoadRun(run.rps, {name: value * 1000 / run.requests for name, value in cpu.items()})


def bench_deploy_head(ctx: Context) -> list[Result]:
    setup = deployment(ctx)
    seconds = ctx.sizes.load_seconds
    one_url, four_url = setup.one.url + setup.file_url, setup.four.url + setup.file_url
    run_load(one_url, "HEAD", CONNECTIONS, 1)  # warm-up: connections, caches, every worker
    run_load(four_url, "HEAD", CONNECTIONS, 2)
    ones, fours = [], []
    for _round in range(ROUNDS):
        ones.append(_measured_load(setup.one, one_url, seconds))
        fours.append(_measured_load(setup.four, four_url, seconds))
    one, four = (max(runs, key=lambda run: run.rps) for runs in (ones, fours))
    cpu = "; ".join(f"{name} {four.cpu_ms[name]:.2f} ms (1 worker: {one.cpu_ms[name]:.2f})" for name in four.cpu_ms)
    return [Result(
        name="HEAD resolve via nginx, 4 workers vs 1", unit="req/s", value=four.rps,
        baseline_name="1 worker", baseline=one.rps, target=1.6,
        notes=[f"PostgreSQL + S3 (MinIO), {CONNECTIONS} keep-alive connections to nginx, {seconds:g} s each, best "
               f"of {ROUNDS} interleaved rounds (4 workers {', '.join(f'{r.rps:,.0f}' for r in fours)}; 1 worker "
               f"{', '.join(f'{r.rps:,.0f}' for r in ones)} req/s); the load generator, nginx and PostgreSQL share "
               f"the machine's {os.cpu_count()} CPUs. CPU per request in the best 4-worker run: {cpu}"],
    )]


def bench_deploy_redirect(ctx: Context) -> list[Result]:
    setup = deployment(ctx)
    url = setup.four.url + setup.file_url
    with httpx.Client(timeout=60) as client:
        presigned = client.get(url, follow_redirects=False)
        if presigned.status_code != 302:
            raise BenchError(f"GET resolve answered {presigned.status_code}, not a 302 to S3")
        direct_url = presigned.headers["location"]
        via_hub, direct = [], []
        for _ in range(DOWNLOADS):  # bounded; interleaved so both see the same load
            via_hub.append(_timed_get(client, url, follow=True))
            direct.append(_timed_get(client, direct_url, follow=False))
    hub_ms, direct_ms = statistics.median(via_hub) * 1000, statistics.median(direct) * 1000
    return [Result(
        name="download via 302 (nginx + presigned S3)", unit="ms", value=hub_ms,
        baseline_name="direct S3 GET", baseline=direct_ms, target=None, higher_is_better=False,
        notes=[f"{FILE_BYTES // MiB} MiB LFS file, medians of {DOWNLOADS} interleaved sequential GETs on keep-alive "
               f"connections: the redirect adds {hub_ms - direct_ms:.1f} ms (GET resolve through nginx, answered "
               "302 by the API; the bytes never pass through nginx or the API)"],
    )]


def _timed_get(client: httpx.Client, url: str, *, follow: bool) -> float:
    started = time.perf_counter()
    response = client.get(url, follow_redirects=follow)
    elapsed = time.perf_counter() - started
    if response.status_code != 200 or len(response.content) != FILE_BYTES:
        raise BenchError(f"GET {url}: HTTP {response.status_code}, {len(response.content)} bytes")
    return elapsed

"""Benchmark 2: ``HEAD resolve`` requests per second against ``GET /health`` of the same hub process.

The HEAD targets an LFS file (what ``hf_hub_download`` asks before fetching model weights), so it pays
for the repo lookup, revision resolution, tree lookup and pointer read. ``/health`` is a trivial FastAPI
endpoint in the same process: the ratio is the share of the framework floor that resolve keeps.
"""

from __future__ import annotations

from benchmarks.common import BenchError, MiB, Result, write_random_file
from benchmarks.context import Context
from benchmarks.loadgen import run_load
from benchmarks.servers import check

REPO = "head-bench"
CONNECTIONS = 8
LFS_FILE = "model.safetensors"


def bench_head(ctx: Context) -> list[Result]:
    hub = ctx.hub
    hub.create_repo(REPO)
    weights = ctx.root / "head-src" / LFS_FILE
    write_random_file(weights, 12 * MiB)  # above the 10 MiB LFS threshold: stored as a pointer
    ctx.hf_upload(f"{hub.username}/{REPO}", weights, LFS_FILE)
    head_url = f"{hub.url}/{hub.username}/{REPO}/resolve/main/{LFS_FILE}"
    probe = hub.client.head(head_url)
    check(probe, "HEAD resolve")
    if "x-linked-size" not in probe.headers:
        raise BenchError(f"{LFS_FILE} was not stored as an LFS file")
    seconds = ctx.sizes.load_seconds
    run_load(f"{hub.url}/health", "GET", CONNECTIONS, 1)  # warm-up
    run_load(head_url, "HEAD", CONNECTIONS, 1)
    health = run_load(f"{hub.url}/health", "GET", CONNECTIONS, seconds)
    head = run_load(head_url, "HEAD", CONNECTIONS, seconds)
    return [Result(
        name="HEAD resolve (LFS file)", unit="req/s", value=head.rps,
        baseline_name="GET /health", baseline=health.rps, target=0.5,
        notes=[f"{head.tool}, {CONNECTIONS} keep-alive connections, {seconds:g} s each, 1 hub worker"],
    )]

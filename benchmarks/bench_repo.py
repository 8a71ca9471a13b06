"""Benchmarks 3 and 4: many small files.

commit: one NDJSON ``create_commit`` of N small files (base64 inline, what ``CommitOperationAdd`` sends
        for regular files), timed as the wall time of the POST, against ``git fast-import`` writing the
        same tree into a fresh bare repository. Best of two for each side.
tree:   the full recursive listing of a repo of M files (``list_repo_tree(recursive=True)``: pages of
        1000 following ``Link: rel="next"``), in entries/s against ``git ls-tree -r -t -l`` on the hub's
        own bare repository; and the first-page latency (median of 5) against ``GET /health``.
"""

from __future__ import annotations

import statistics
import subprocess
import time

import httpx

from benchmarks.common import (
    BenchError,
    Deadline,
    Result,
    commit_ndjson,
    fast_import_stream,
    small_files,
)
from benchmarks.context import Context
from benchmarks.servers import check

RUNS = 2
LATENCY_SAMPLES = 5
PAGE_SIZE = 1000  # the hub's recursive page size (TREE_PAGE)


def bench_commit(ctx: Context) -> list[Result]:
    hub = ctx.hub
    count = ctx.sizes.commit_files
    files = small_files(count)
    body = commit_ndjson(files, f"Add {count} files")
    stream = fast_import_stream(files, f"Add {count} files")
    hub_times, git_times = [], []
    for run in range(RUNS):  # bounded by RUNS
        git_times.append(fast_import(ctx, stream, run))
        repo = f"commit-{count}-{run}"
        hub.create_repo(repo)
        seconds, _oid = hub.commit(repo, body)
        hub_times.append(seconds)
    best_hub, best_git = min(hub_times), min(git_times)
    return [Result(
        name=f"commit {count:,} small files", unit="s", value=best_hub,
        baseline_name="git fast-import", baseline=best_git, target=1.5, higher_is_better=False,
        notes=[(f"best of {RUNS}: hub {', '.join(f'{t:.2f}' for t in hub_times)} s; fast-import "
               f"{', '.join(f'{t:.2f}' for t in git_times)} s; NDJSON body {len(body) / 2**20:.1f} MiB")],
    )]


def fast_import(ctx: Context, stream: bytes, run: int) -> float:
    """Time ``git fast-import`` of ``stream`` into a fresh bare repo (removed afterwards)."""
    target = ctx.root / f"fast-import-{run}.git"
    subprocess.run(["git", "init", "--bare", "-q", "-b", "main", str(target)], check=True, timeout=60)
    try:
        started = time.perf_counter()
        proc = subprocess.run(["git", "--git-dir", str(target), "fast-import", "--quiet"], input=stream, check=False,
                              capture_output=True, timeout=600)
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            raise BenchError(f"git fast-import failed: {proc.stderr.decode(errors='replace')[-500:]}")
    finally:
        subprocess.run(["rm", "-rf", str(target)], check=False, timeout=60)
    return elapsed


def bench_tree(ctx: Context) -> list[Result]:
    hub = ctx.hub
    repo = "tree"
    key = hub.create_repo(repo)
    total, per_commit = ctx.sizes.tree_files, ctx.sizes.tree_commit_files
    ctx.log(f"building a {total:,}-file repo in commits of {per_commit:,}")
    build_started = time.perf_counter()
    dirs: set[str] = set()
    commit = ""
    for offset in range(0, total, per_commit):  # bounded: total / per_commit commits
        files = small_files(min(per_commit, total - offset), offset=offset)
        for path, _ in files:
            parts = path.split("/")[:-1]
            dirs.update("/".join(parts[: i + 1]) for i in range(len(parts)))
        _seconds, commit = hub.commit(repo, commit_ndjson(files, f"Add files from {offset}"))
    build_seconds = time.perf_counter() - build_started
    expected = total + len(dirs) + 1  # + the initial commit's .gitattributes

    url = f"{hub.url}/api/models/{hub.username}/{repo}/tree/main"
    params = {"recursive": "true"}
    with httpx.Client(headers=hub.auth, timeout=120) as client:
        first_ms = []
        for _ in range(LATENCY_SAMPLES):  # bounded
            started = time.perf_counter()
            check(client.get(url, params=params), "first tree page")
            first_ms.append((time.perf_counter() - started) * 1000)
        health_ms = []
        for _ in range(LATENCY_SAMPLES):  # bounded
            started = time.perf_counter()
            check(client.get(f"{hub.url}/health"), "health")
            health_ms.append((time.perf_counter() - started) * 1000)
        entries, pages, list_seconds = list_all(client, url, params, expected)
    if entries != expected:
        raise BenchError(f"recursive listing returned {entries} entries, expected {expected}")
    git_entries, git_seconds = ls_tree(hub.git_dir(key), commit)
    if git_entries != expected:
        raise BenchError(f"git ls-tree listed {git_entries} entries, expected {expected}")
    return [
        Result(
            name=f"tree listing {total:,} files (full)", unit="entries/s", value=entries / list_seconds,
            baseline_name="git ls-tree -r -t -l", baseline=git_entries / git_seconds, target=None,
            notes=[(f"{entries:,} entries in {pages} pages, {list_seconds:.2f} s (git {git_seconds:.2f} s); "
                   f"repo built in {build_seconds:.1f} s")],
        ),
        Result(
            name=f"tree first page ({total:,} files)", unit="ms", value=statistics.median(first_ms),
            baseline_name="GET /health", baseline=statistics.median(health_ms), target=100,
            higher_is_better=False, absolute=True,
            notes=[f"median of {LATENCY_SAMPLES}: {', '.join(f'{v:.0f}' for v in first_ms)} ms"],
        ),
    ]


def list_all(client: httpx.Client, url: str, params: dict, expected: int) -> tuple[int, int, float]:
    """Follow ``Link: rel="next"`` to the end; return (entries, pages, seconds)."""
    max_pages = expected // PAGE_SIZE + 10
    deadline = Deadline(300, "the recursive tree listing")
    entries = pages = 0
    started = time.perf_counter()
    response = client.get(url, params=params)
    while True:  # bounded by max_pages and the deadline
        check(response, f"tree page {pages + 1}")
        entries += len(response.json())
        pages += 1
        next_url = response.links.get("next", {}).get("url")
        if not next_url:
            break
        if pages >= max_pages:
            raise BenchError(f"tree listing did not end after {pages} pages")
        deadline.check()
        response = client.get(next_url)
    return entries, pages, time.perf_counter() - started


def ls_tree(git_dir, commit: str) -> tuple[int, float]:
    """Time ``git ls-tree -r -t -l`` (all entries with blob sizes, like the listing); return (lines, s)."""
    started = time.perf_counter()
    proc = subprocess.run(["git", "--git-dir", str(git_dir), "ls-tree", "-r", "-t", "-l", commit],
                          capture_output=True, timeout=300, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise BenchError(f"git ls-tree failed: {proc.stderr.decode(errors='replace')[-300:]}")
    return proc.stdout.count(b"\n"), elapsed

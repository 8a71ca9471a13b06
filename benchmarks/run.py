"""Run the KohakuHub benchmarks and print one table.

    python -m benchmarks                 # full sizes (~5 minutes)
    python -m benchmarks --quick         # small sizes (< 1 minute)
    python -m benchmarks --only download,head
    python -m benchmarks --only clone,push      # git over HTTP
    python benchmarks/run.py --quick --json results.json
    python -m benchmarks --only head --profile prof/   # py-spy flame graph of the hub per benchmark
    python -m benchmarks --only commit,tree --database postgresql   # the hub on a fresh PostgreSQL database
    python -m benchmarks --only deploy-head,deploy-redirect   # nginx + uvicorn workers on PostgreSQL + S3

Each benchmark measures the hub and a baseline in the same run on the same machine, and compares their
ratio with a target. The hub runs as a real ``uvicorn kohakuhub.main:app`` process (one worker, SQLite +
local files) on a free loopback port; all data lives in one temp directory, removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_counted import bench_counted
from benchmarks.bench_deploy import bench_deploy_head, bench_deploy_redirect
from benchmarks.bench_git import bench_clone, bench_push
from benchmarks.bench_head import bench_head
from benchmarks.bench_repo import bench_commit, bench_tree
from benchmarks.bench_s3 import bench_s3_download, bench_s3_upload
from benchmarks.bench_transfer import bench_download, bench_upload
from benchmarks.bench_xet import bench_xet_dedup, bench_xet_download, bench_xet_upload
from benchmarks.common import Result, Sizes, temp_root
from benchmarks.context import Context
from benchmarks.report import markdown, print_table

# Upload first: it puts the big file into the hub, which download then reads.
BENCHMARKS: dict[str, Callable[[Context], list[Result]]] = {
    "upload": bench_upload,
    "download": bench_download,
    "head": bench_head,
    "counted": bench_counted,
    "commit": bench_commit,
    "tree": bench_tree,
    "clone": bench_clone,
    "push": bench_push,
    "s3-upload": bench_s3_upload,
    "s3-download": bench_s3_download,
    "xet-dedup": bench_xet_dedup,  # first: it needs the hub's stored bytes before the first Xet upload
    "xet-upload": bench_xet_upload,
    "xet-download": bench_xet_download,
    "deploy-head": bench_deploy_head,
    "deploy-redirect": bench_deploy_redirect,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes: 64 MiB file, 1,000-file commit, 10,000-file tree, "
                             "200- and 5,000-file clones, 50 MiB git-lfs push")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help=f"run only these benchmarks (repeat or comma-separate): {', '.join(BENCHMARKS)}")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--markdown", type=Path, metavar="PATH", help="also write the table as Markdown")
    parser.add_argument("--tmp-dir", type=Path, help="parent of the temp directory (same disk as the repo)")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory (for debugging)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite",
                        help="the hub's metadata database: its SQLite file (default) or a fresh PostgreSQL "
                             "database, dropped at the end (rows are then marked '(PostgreSQL)')")
    parser.add_argument("--postgres-url", metavar="URL",
                        help="PostgreSQL server (trust or password in the URL) for --database postgresql and the "
                             "deploy benchmarks; default: a private cluster started for the run")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="write a py-spy flame graph of the hub process per benchmark into DIR")
    args = parser.parse_args(argv)
    names = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    args.names = [n for n in BENCHMARKS if n in names] if names else list(BENCHMARKS)
    return args


def start_profiler(pid: int, output: Path) -> subprocess.Popen:
    """Sample the hub with py-spy until stop_profiler (flame graph SVG at ``output``)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--rate", "200", "--nonblocking",
                             "--output", str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profiler(spy: subprocess.Popen) -> None:
    spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
    try:
        spy.wait(30)
    except subprocess.TimeoutExpired:
        spy.kill()
        spy.wait(10)


def log(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.profile and shutil.which("py-spy") is None:
        print("--profile needs py-spy (pip install py-spy)", file=sys.stderr)
        return 2
    sizes = Sizes.quick() if args.quick else Sizes.full()
    root = temp_root(args.tmp_dir)
    postgres = args.database == "postgresql"
    ctx = Context(sizes, root, args.keep, log, postgres=postgres, postgres_url=args.postgres_url)
    results: list[Result] = []
    failures: dict[str, str] = {}
    started = time.perf_counter()
    try:
        for name in args.names:
            print(f"[{name}]", file=sys.stderr, flush=True)
            # Write back what earlier benchmarks left dirty (GBs after the big-file ones): the kernel's
            # writeback would otherwise take CPU in the middle of the next, request-rate, benchmark.
            os.sync()
            bench_started = time.perf_counter()
            spy = None
            try:
                if args.profile:
                    spy = start_profiler(ctx.hub.process.pid, args.profile / f"{name}.svg")
                rows = BENCHMARKS[name](ctx)
                results.extend(replace(r, name=f"{r.name} (PostgreSQL)") if postgres else r for r in rows)
            except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others
                failures[name] = f"{type(exc).__name__}: {exc}"
                traceback.print_exc()
            finally:
                if spy is not None:
                    stop_profiler(spy)
            log(f"{name} took {time.perf_counter() - bench_started:.1f} s")
    finally:
        ctx.close()
        if args.keep:
            log(f"kept temp data in {root}")
    elapsed = time.perf_counter() - started
    print_table(results, failures, title=f"KohakuHub benchmarks ({'quick' if args.quick else 'full'}, "
                                         f"{elapsed:.0f} s)")
    if args.markdown:
        args.markdown.write_text(markdown(results, failures) + "\n")
    if args.json:
        args.json.write_text(json.dumps({"quick": args.quick, "seconds": elapsed,
                                         "results": [r.as_dict() for r in results],
                                         "errors": failures}, indent=2))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

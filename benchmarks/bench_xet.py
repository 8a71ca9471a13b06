"""Xet against LFS on the same hub, and the dedup of a re-upload (issue 7's benchmarks).

xet-upload:   ``upload_file`` of the big file with hf_xet active (chunking, dedup queries, xorb and shard
              uploads; the hub verifies every chunk hash and the file's sha256) vs the LFS upload of the
              same file (HF_HUB_DISABLE_XET=1: LFS batch, PUT, verify), both with the stock client.
xet-download: ``hf_hub_download`` through Xet (reconstruction + ranged xorb fetches) vs through plain
              ``resolve`` of the LFS copy, each into a fresh cache.
xet-dedup:    a copy of the big file with 1% of its bytes changed (ten contiguous runs) uploaded through
              Xet: bytes the hub stored for it (xorbs it had to accept) vs for the first upload.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from benchmarks.common import BenchError, Result, mb_per_s
from benchmarks.context import BIG_PATH, BIG_REPO, Context

XET_REPO = "xet-big"
EDITS = 10


def _xet_upload(ctx: Context) -> float:
    """Upload the big file through Xet once (after its LFS upload); the seconds it took."""
    ctx.big_upload()
    if ctx.xet_upload_seconds is None:
        ctx.hub.create_repo(XET_REPO)
        ctx.log(f"uploading {BIG_PATH} with hf_xet")
        timings = ctx.hf_upload(f"{ctx.hub.username}/{XET_REPO}", ctx.big_source, BIG_PATH, xet=True)
        head = ctx.hub.client.head(f"/{ctx.hub.username}/{XET_REPO}/resolve/main/{BIG_PATH}")
        if "x-xet-hash" not in head.headers:
            raise BenchError("the Xet upload is not stored as Xet (no X-Xet-Hash on resolve)")
        ctx.xet_upload_seconds = timings["seconds"]
    return ctx.xet_upload_seconds


def bench_xet_upload(ctx: Context) -> list[Result]:
    size = ctx.sizes.big_file_bytes
    xet = _xet_upload(ctx)
    lfs = ctx.big_upload().seconds
    return [Result(
        name="upload (hf upload_file, Xet)", unit="MB/s", value=mb_per_s(size, xet),
        baseline_name="same via LFS", baseline=mb_per_s(size, lfs), target=None,
        notes=[f"{size / 2**20:.0f} MiB: Xet {xet:.2f} s, LFS {lfs:.2f} s (report only)"],
    )]


def bench_xet_download(ctx: Context) -> list[Result]:
    size = ctx.sizes.big_file_bytes
    ctx.big_upload()
    _xet_upload(ctx)
    user = ctx.hub.username
    xet_times, lfs_times = [], []
    for _ in range(2):  # interleaved, best of two
        xet_times.append(ctx.hf_download(f"{user}/{XET_REPO}", BIG_PATH, size, xet=True)["seconds"])
        lfs_times.append(ctx.hf_download(f"{user}/{BIG_REPO}", BIG_PATH, size, xet=False)["seconds"])
    return [Result(
        name="download (hf_hub_download, Xet)", unit="MB/s", value=mb_per_s(size, min(xet_times)),
        baseline_name="same via LFS resolve", baseline=mb_per_s(size, min(lfs_times)), target=None,
        notes=[f"best of 2: Xet {', '.join(f'{t:.2f}' for t in xet_times)} s; "
               f"LFS {', '.join(f'{t:.2f}' for t in lfs_times)} s (report only)"],
    )]


def bench_xet_dedup(ctx: Context) -> list[Result]:
    size = ctx.sizes.big_file_bytes
    ctx.big_upload()  # the LFS copy first: after a Xet upload of the same bytes there is nothing to send
    before_first = _stored(ctx)
    _xet_upload(ctx)
    first = _stored(ctx) - before_first
    if first <= 0:
        raise BenchError("the first Xet upload stored nothing new: run xet-dedup on a fresh hub")
    edited = ctx.root / "src" / "edited.bin"
    shutil.copyfile(ctx.big_source, edited)
    _change_one_percent(edited, size)
    before = _stored(ctx)
    ctx.hf_upload(f"{ctx.hub.username}/{XET_REPO}", edited, "edited.bin", xet=True)
    added = _stored(ctx) - before
    edited.unlink()
    return [Result(
        name="re-upload, 1% changed (Xet dedup)", unit="MB stored", value=added / 1e6,
        baseline_name="first upload", baseline=first / 1e6, target=0.05, higher_is_better=False,
        notes=[f"{EDITS} runs of {size // 100 // EDITS} bytes changed; stored {added:,} bytes vs {first:,} "
               f"(xorbs are stored as sent, so stored = sent)"],
    )]


def _change_one_percent(path: Path, size: int) -> None:
    run = size // 100 // EDITS
    with path.open("r+b") as f:
        for i in range(EDITS):
            f.seek(size * i // EDITS + size // (2 * EDITS))
            f.write(os.urandom(run))


def _stored(ctx: Context) -> int:
    return json.loads(ctx.hub.cli("admin", "storage-stats"))["stored_bytes"]

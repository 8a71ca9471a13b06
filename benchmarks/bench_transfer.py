"""Benchmarks 1 and 5: moving the big LFS file in and out of the hub.

upload:   ``huggingface_hub.upload_file`` (HF_HUB_DISABLE_XET=1, server in UPLOAD_MODE=lfs, so
          preupload -> LFS batch -> signed PUT(s) -> commit) against ``cp`` of the same file on the same disk.
download: ``GET /alice/big/resolve/main/big.bin`` against nginx (sendfile on) serving the hub's own blob
          file; the same client (``curl -o /dev/null``) for both, best of N runs each, interleaved.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time

import httpx

from benchmarks.common import BenchError, Result, mb_per_s
from benchmarks.context import BIG_PATH, BIG_REPO, Context
from benchmarks.servers import start_nginx

CP_RUNS = 2


def bench_upload(ctx: Context) -> list[Result]:
    source = ctx.big_source
    size = source.stat().st_size
    copy = ctx.root / "cp-copy.bin"
    cp_times = []
    for _ in range(CP_RUNS):  # bounded by CP_RUNS
        started = time.perf_counter()
        subprocess.run(["cp", str(source), str(copy)], check=True, timeout=600)
        cp_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        fd = os.open(copy, os.O_RDONLY)
        try:
            os.fsync(fd)  # only for the note: cp leaves the bytes in the page cache, the hub fsyncs
        finally:
            os.close(fd)
        fsync_seconds = time.perf_counter() - started
        copy.unlink()
    cp_seconds = min(cp_times)
    upload = ctx.big_upload()
    sha_seconds = _sha256_seconds(source)
    return [Result(
        name="upload (hf upload_file, LFS)", unit="MB/s", value=mb_per_s(size, upload.seconds),
        baseline_name="cp same disk", baseline=mb_per_s(size, cp_seconds), target=0.3,
        notes=[(f"{size / 2**20:.0f} MiB in {upload.seconds:.2f} s (cp best of {CP_RUNS}: {cp_seconds:.2f} s, "
               f"+ fsync of the copy {fsync_seconds:.2f} s), "
               f"huggingface_hub {upload.client_version}"),
               (f"floor for any hub that verifies with this client: the client hashes the whole file before it "
                f"sends a byte, and the hub can only hash bytes it has received, so two sha256 passes of "
                f"{sha_seconds:.2f} s each run one after the other: {2 * sha_seconds:.2f} s, at most "
                f"{cp_seconds / (2 * sha_seconds):.2f}x of cp")],
    )]


def _sha256_seconds(path) -> float:
    """One sha256 pass over the (page-cached) file, as the client makes it (1 MiB reads)."""
    started = time.perf_counter()
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):  # bounded by the file size
            digest.update(chunk)
    return time.perf_counter() - started


def bench_download(ctx: Context) -> list[Result]:
    big = ctx.big_upload()
    size = ctx.sizes.big_file_bytes
    hub = ctx.hub
    blob_root = hub.data_dir / "blobs"
    nginx = start_nginx(ctx.root / "nginx", blob_root)
    try:
        nginx_url = f"{nginx.url}/{big.blob_path.relative_to(blob_root).as_posix()}"
        hub_url = f"{hub.url}/{hub.username}/{BIG_REPO}/resolve/main/{BIG_PATH}"
        fetch(nginx_url, size)  # warm both paths (page cache, first-request imports)
        fetch(hub_url, size)
        hub_times, nginx_times = [], []
        for _ in range(ctx.sizes.download_runs):  # bounded by download_runs
            nginx_times.append(fetch(nginx_url, size))
            hub_times.append(fetch(hub_url, size))
    finally:
        nginx.stop()
    best_hub, best_nginx = min(hub_times), min(nginx_times)
    return [Result(
        name="download (GET resolve, local)", unit="MB/s", value=mb_per_s(size, best_hub),
        baseline_name="nginx sendfile", baseline=mb_per_s(size, best_nginx), target=0.5,
        notes=[(f"best of {len(hub_times)}: hub {', '.join(f'{t:.2f}' for t in hub_times)} s; "
               f"nginx {', '.join(f'{t:.2f}' for t in nginx_times)} s; client: {client_name()}")],
    )]


def client_name() -> str:
    return "curl -o /dev/null" if shutil.which("curl") else "httpx stream"


def fetch(url: str, size: int) -> float:
    """Download ``url`` and discard the body; return the wall time of the transfer.

    Raises:
        BenchError: not 200 or not ``size`` bytes.
    """
    timeout = 60 + size / 20e6
    if shutil.which("curl"):
        proc = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download} %{time_total}", url],
            capture_output=True, text=True, timeout=timeout, check=False,
        )
        status, got, seconds = proc.stdout.split()
        status, got, elapsed = int(status), int(got), float(seconds)
    else:
        got = 0
        started = time.perf_counter()
        with httpx.stream("GET", url, timeout=timeout) as response:
            status = response.status_code
            for chunk in response.iter_raw(1 << 20):  # bounded by the body size
                got += len(chunk)
        elapsed = time.perf_counter() - started
    if status != 200 or got != size:
        raise BenchError(f"GET {url}: HTTP {status}, {got} of {size} bytes")
    return elapsed

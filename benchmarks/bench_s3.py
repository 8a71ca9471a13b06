"""Benchmarks of the S3 transfer path (issue 5), on a MinIO server on loopback (tests/servers/minio.py).

s3-upload:   ``huggingface_hub.upload_file`` (HF_HUB_DISABLE_XET=1) of the big file to a hub on S3 in
             UPLOAD_MODE=lfs: preupload, LFS batch (the hub starts an S3 multipart upload and presigns the
             parts), the part PUTs straight to S3, completion on the hub (S3 assembles the parts, the hub reads
             the object back to check its sha256 and records it where it is), commit. Baseline: the same
             parts uploaded directly with boto3 (create, upload_part one by one like the client, complete).
s3-download: ``hf_hub_download`` of that file (HEAD on the hub, GET resolve -> 302, GET of the presigned
             URL on S3, written to the cache) against a direct GET of a presigned URL of the same object with
             httpx, streamed to a file in the same place (tmpfs when there is one, see common.memory_dir).
             Best of N, interleaved. Also reported: the client's own ``http_get`` of that URL, which
             separates what the hub adds from what the client costs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx

from benchmarks.common import REPO_ROOT, BenchError, Result, mb_per_s, memory_dir, remove_tree
from benchmarks.context import BIG_PATH, Context
from benchmarks.servers import Hub, check, start_hub
from tests.servers.minio import MinioServer

S3_REPO = "big-s3"
BUCKET = "bench"
MiB = 1 << 20
CHUNK = 64 * MiB  # the part size of both sides (the hub's multipart chunk size)


@dataclass
class S3Setup:
    """The run's MinIO server, a hub storing LFS objects in it, and the big file uploaded once."""

    s3: MinioServer
    hub: Hub
    upload_seconds: float = 0.0
    sha256: str = ""

    def stop(self) -> None:
        self.hub.stop()


def s3_env(server: MinioServer, bucket: str) -> dict[str, str]:
    """The environment of a hub storing LFS objects in ``bucket`` on ``server``."""
    return {"KOHAKU_HUB_S3_ENDPOINT": server.endpoint, "KOHAKU_HUB_S3_ACCESS_KEY": server.access_key,
            "KOHAKU_HUB_S3_SECRET_KEY": server.secret_key, "KOHAKU_HUB_S3_BUCKET": bucket}


def s3_setup(ctx: Context) -> S3Setup:
    """Start (once per run) an S3 hub on the run's MinIO, and upload the big file to it with huggingface_hub."""
    existing = getattr(ctx, "_s3_setup", None)
    if existing is not None:
        return existing
    server = ctx.s3_server()
    ctx.log(f"starting hub on S3 (MinIO at {server.endpoint}, UPLOAD_MODE=lfs, {CHUNK // MiB} MiB parts)")
    hub = start_hub(ctx.root / "s3", {
        "KOHAKU_HUB_UPLOAD_MODE": "lfs", **s3_env(server, BUCKET),
        "KOHAKU_HUB_LFS_MULTIPART_CHUNK_SIZE_BYTES": str(CHUNK),
        "KOHAKU_HUB_LFS_MULTIPART_THRESHOLD_BYTES": str(CHUNK),
    })
    setup = S3Setup(server, hub)
    ctx._s3_setup = setup
    ctx.on_close.append(setup.stop)
    hub.create_repo(S3_REPO)
    ctx.log(f"uploading {BIG_PATH} to the S3 hub with huggingface_hub.upload_file")
    timings = _hf_upload(ctx, hub, f"{hub.username}/{S3_REPO}")
    setup.upload_seconds = timings["seconds"]
    head = hub.client.head(f"/{hub.username}/{S3_REPO}/resolve/main/{BIG_PATH}")
    check(head, "HEAD big.bin on the S3 hub")
    setup.sha256 = head.headers["x-linked-etag"].strip('"')
    return setup


def _hf_env(hub: Hub, ctx: Context) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_", "KOHAKU_HUB_"))}
    env.update({"HF_ENDPOINT": hub.url, "HF_TOKEN": hub.token, "HF_HUB_DISABLE_XET": "1",
                "HF_HOME": str(ctx.root / "hf-home-s3"), "HF_HUB_DISABLE_TELEMETRY": "1",
                "HF_HUB_DISABLE_PROGRESS_BARS": "1"})
    return env


def _hf_upload(ctx: Context, hub: Hub, repo_id: str) -> dict:
    source = ctx.big_source
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.hf_client", "upload", repo_id, str(source), BIG_PATH],
        env=_hf_env(hub, ctx), capture_output=True, text=True, timeout=60 + source.stat().st_size / 10e6,
        cwd=REPO_ROOT, check=False)
    if proc.returncode != 0:
        raise BenchError(f"upload to the S3 hub failed: {proc.stderr.strip()[-800:]}\n{hub.log_tail()}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _client(server: MinioServer):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=server.access_key,
                        aws_secret_access_key=server.secret_key, region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}))


def _boto3_parts(server: MinioServer, path, key: str) -> float:
    """Upload ``path`` in CHUNK parts, one after another as huggingface_hub does; return the wall time."""
    s3 = _client(server)
    started = time.perf_counter()
    upload_id = s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    parts = []
    with open(path, "rb") as f:
        number = 1
        while chunk := f.read(CHUNK):  # bounded by the file size
            etag = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=number,
                                  Body=chunk)["ETag"]
            parts.append({"PartNumber": number, "ETag": etag})
            number += 1
    s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
    elapsed = time.perf_counter() - started
    s3.delete_object(Bucket=BUCKET, Key=key)
    return elapsed


def bench_s3_upload(ctx: Context) -> list[Result]:
    size = ctx.big_source.stat().st_size
    setup = s3_setup(ctx)
    baseline = min(_boto3_parts(setup.s3, ctx.big_source, f"baseline/{n}") for n in range(2))
    return [Result(
        name="S3 upload (hf upload_file, multipart)", unit="s", value=setup.upload_seconds,
        baseline_name="boto3 same parts", baseline=baseline, target=1.2, higher_is_better=False,
        notes=[(f"{size / MiB:.0f} MiB in {CHUNK // MiB} MiB parts: hub path {setup.upload_seconds:.2f} s "
                f"({mb_per_s(size, setup.upload_seconds):.0f} MB/s, includes the client's sha256, the hub's "
                f"read-back verification and the commit); boto3 best of 2 {baseline:.2f} s")],
    )]


def _presigned(server: MinioServer, sha: str) -> str:
    """A presigned GET of the stored object: kept under ``uploads/`` where its multipart upload put it."""
    s3 = _client(server)
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET, Prefix="uploads/").get("Contents", [])
            if f"-{sha}-" in item["Key"]]
    if len(keys) != 1:
        raise BenchError(f"expected one stored object for {sha} under uploads/, found {keys}")
    return s3.generate_presigned_url("get_object", Params={"Bucket": "bench", "Key": keys[0]}, ExpiresIn=3600)


def _direct_get(url: str, target, size: int) -> float:
    started = time.perf_counter()
    got = 0
    with httpx.stream("GET", url, timeout=60 + size / 20e6) as response, open(target, "wb") as out:
        if response.status_code != 200:
            raise BenchError(f"presigned GET: HTTP {response.status_code}")
        for chunk in response.iter_raw(10 * MiB):  # bounded by the body size
            out.write(chunk)
            got += len(chunk)
    elapsed = time.perf_counter() - started
    if got != size:
        raise BenchError(f"presigned GET: {got} of {size} bytes")
    os.unlink(target)
    return elapsed


def _hf_download(ctx: Context, hub: Hub, cache) -> float:
    script = ("import json, sys, time, huggingface_hub as h\n"
              "download = h.hf_hub_download\n"  # imported on first access: before the clock, as in _hf_http_get
              "t = time.perf_counter()\n"
              f"p = download('{hub.username}/{S3_REPO}', '{BIG_PATH}', cache_dir=sys.argv[1])\n"
              "print(json.dumps({'s': time.perf_counter() - t, 'path': p}))\n")
    proc = subprocess.run([sys.executable, "-c", script, str(cache)], env=_hf_env(hub, ctx), capture_output=True,
                          text=True, timeout=60 + ctx.sizes.big_file_bytes / 20e6, cwd=REPO_ROOT, check=False)
    if proc.returncode != 0:
        raise BenchError(f"hf_hub_download failed: {proc.stderr.strip()[-800:]}")
    answer = json.loads(proc.stdout.strip().splitlines()[-1])
    if os.path.getsize(answer["path"]) != ctx.sizes.big_file_bytes:
        raise BenchError("hf_hub_download wrote a file of the wrong size")
    remove_tree(cache)
    return float(answer["s"])


def _hf_http_get(ctx: Context, url: str, target) -> float:
    """The client's own ``http_get`` of the presigned URL: hf_hub_download without the hub."""
    script = ("import sys, time\n"
              "from huggingface_hub.file_download import http_get\n"
              "t = time.perf_counter()\n"
              "with open(sys.argv[2], 'wb') as f:\n"
              "    http_get(sys.argv[1], f)\n"
              "print(time.perf_counter() - t)\n")
    proc = subprocess.run([sys.executable, "-c", script, url, str(target)], capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_DISABLE_PROGRESS_BARS": "1"}, check=False,
                          timeout=60 + ctx.sizes.big_file_bytes / 20e6, cwd=REPO_ROOT)
    if proc.returncode != 0 or os.path.getsize(target) != ctx.sizes.big_file_bytes:
        raise BenchError(f"http_get of the presigned URL failed: {proc.stderr.strip()[-800:]}")
    os.unlink(target)
    return float(proc.stdout.strip().splitlines()[-1])


def _hub_hops(hub: Hub) -> float:
    """Best of 5: HEAD of resolve plus the GET answered with the 302 (what the hub adds to a download)."""
    url = f"/{hub.username}/{S3_REPO}/resolve/main/{BIG_PATH}"
    times = []
    for _ in range(5):  # bounded
        started = time.perf_counter()
        check(hub.client.head(url), "HEAD resolve")
        redirect = hub.client.get(url, follow_redirects=False)
        times.append(time.perf_counter() - started)
        if redirect.status_code != 302:
            raise BenchError(f"GET resolve on S3 answered {redirect.status_code}, not 302")
    return min(times)


def bench_s3_download(ctx: Context) -> list[Result]:
    setup = s3_setup(ctx)
    size = ctx.sizes.big_file_bytes
    url = _presigned(setup.s3, setup.sha256)
    written = memory_dir(ctx.root / "downloads", "kohakuhub-bench-s3-")  # every side writes the file here
    target = written / "direct-get.bin"
    hub_times, direct_times, client_times = [], [], []
    try:
        for run in range(ctx.sizes.download_runs):  # bounded by download_runs
            direct_times.append(_direct_get(url, target, size))
            hub_times.append(_hf_download(ctx, setup.hub, written / f"hf-cache-{run}"))
            client_times.append(_hf_http_get(ctx, url, target))
    finally:
        remove_tree(written)
    best_hub, best_direct, best_client = min(hub_times), min(direct_times), min(client_times)
    hop = _hub_hops(setup.hub)
    return [Result(
        name="S3 download (hf_hub_download, 302)", unit="s", value=best_hub,
        baseline_name="httpx presigned GET", baseline=best_direct, target=1.1, higher_is_better=False,
        notes=[(f"{size / MiB:.0f} MiB, best of {len(hub_times)}: hub {', '.join(f'{t:.2f}' for t in hub_times)} s; "
                f"direct {', '.join(f'{t:.2f}' for t in direct_times)} s (all write the file to {written.parent}); "
                f"the hub's own part (HEAD + GET answered with the 302): {hop * 1000:.1f} ms; "
                f"the same client's http_get of the presigned URL, without the hub: "
                f"{', '.join(f'{t:.2f}' for t in client_times)} s (hf_hub_download / that: "
                f"{best_hub / best_client:.2f}x)")],
    )]

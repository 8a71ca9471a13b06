"""What the benchmarks share in one run: temp space, one hub process, the big file and its repo.

Everything is created on first use, so ``--only NAME`` sets up only what NAME needs, and torn down by
``close`` (processes first, then the temp directory).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import REPO_ROOT, BenchError, Sizes, mb_per_s, remove_tree, write_random_file
from benchmarks.database import create_postgres_database, drop_postgres_database
from benchmarks.servers import Hub, check, start_hub
from tests.servers.minio import MinioServer
from tests.servers.postgres import PrivatePostgres

BIG_REPO = "big"
BIG_PATH = "big.bin"


@dataclass
class BigUpload:
    """The big file as uploaded through ``huggingface_hub.upload_file``."""

    seconds: float
    sha256: str
    blob_path: Path  # where the hub's local blob store keeps its bytes
    client_version: str


class Context:
    def __init__(self, sizes: Sizes, root: Path, keep: bool, log, *, postgres: bool = False,
                 postgres_url: str | None = None) -> None:
        """``postgres``: run the hub on a fresh PostgreSQL database (else SQLite), on the server at
        ``postgres_url`` or, without one, on a private cluster started for the run (as are the deploy
        benchmarks' databases)."""
        self.sizes = sizes
        self.postgres = postgres
        self._postgres_url = postgres_url
        self._private_postgres: PrivatePostgres | None = None
        self._s3: MinioServer | None = None
        self._database_url: str | None = None
        self.root = root
        self.keep = keep
        self.log = log
        self._hub: Hub | None = None
        self._big_source: Path | None = None
        self._big_upload: BigUpload | None = None
        self.on_close: list = []  # extra teardown (e.g. the S3 benchmarks' hub)
        self.xet_upload_seconds: float | None = None  # the big file's upload through Xet (bench_xet)

    # --- servers ----------------------------------------------------------------------------------

    def postgres_server_url(self) -> str:
        """The PostgreSQL server of the run: ``--postgres-url``, or a private cluster started on first use
        (PostgreSQL's default durability: fsync on, as a production server runs)."""
        if self._postgres_url is None:
            self.log("starting a private PostgreSQL cluster (tests/servers/postgres.py)")
            self._private_postgres = PrivatePostgres(max_connections=300, durable=True)
            try:
                self._postgres_url = self._private_postgres.start()
            except RuntimeError as exc:
                raise BenchError(str(exc)) from exc
        return self._postgres_url

    def s3_server(self) -> MinioServer:
        """The run's MinIO server (built on first use, tests/servers/minio.py), started once."""
        if self._s3 is None:
            self.log("starting MinIO (tests/servers/minio.py; the first run builds it with Go)")
            try:
                self._s3 = MinioServer().start()
            except RuntimeError as exc:
                raise BenchError(str(exc)) from exc
        return self._s3

    # --- hub --------------------------------------------------------------------------------------

    @property
    def hub(self) -> Hub:
        if self._hub is None:
            env = {"KOHAKU_HUB_UPLOAD_MODE": "lfs"}
            if self.postgres:
                self._database_url = create_postgres_database(self.postgres_server_url())
                env["KOHAKU_HUB_DATABASE_URL"] = self._database_url
            self.log(f"starting hub (uvicorn, 1 worker, KOHAKU_HUB_UPLOAD_MODE=lfs, "
                     f"{'PostgreSQL' if self.postgres else 'SQLite'})")
            self._hub = start_hub(self.root, env)
        return self._hub

    # --- the big file -----------------------------------------------------------------------------

    @property
    def big_source(self) -> Path:
        """The big random file on local disk (same device as the hub's data dir)."""
        if self._big_source is None:
            path = self.root / "src" / BIG_PATH
            self.log(f"writing {self.sizes.big_file_bytes / 2**20:.0f} MiB of random data")
            write_random_file(path, self.sizes.big_file_bytes)
            self._big_source = path
        return self._big_source

    def big_upload(self) -> BigUpload:
        """Upload the big file once (timed) with huggingface_hub and return how it went."""
        if self._big_upload is None:
            source = self.big_source
            hub = self.hub
            hub.create_repo(BIG_REPO)
            self.log(f"uploading {BIG_PATH} with huggingface_hub.upload_file (HF_HUB_DISABLE_XET=1)")
            timings = self.hf_upload(f"{hub.username}/{BIG_REPO}", source, BIG_PATH)
            head = hub.client.head(f"/{hub.username}/{BIG_REPO}/resolve/main/{BIG_PATH}")
            check(head, "HEAD big.bin")
            size = int(head.headers.get("x-linked-size", "-1"))
            if size != self.sizes.big_file_bytes:
                raise BenchError(f"uploaded {BIG_PATH} has X-Linked-Size {size}, expected "
                                 f"{self.sizes.big_file_bytes}")
            sha = head.headers["x-linked-etag"].strip('"')
            blob = hub.data_dir / "blobs" / "lfs" / sha[:2] / sha[2:4] / sha
            if not blob.is_file():
                raise BenchError(f"blob of {BIG_PATH} not found at {blob}")
            self._big_upload = BigUpload(timings["seconds"], sha, blob, timings.get("version", "?"))
            self.log(f"  upload: {mb_per_s(size, timings['seconds']):.0f} MB/s")
        return self._big_upload

    def hf_upload(self, repo_id: str, path: Path, path_in_repo: str, *, xet: bool = False,
                  hub: Hub | None = None) -> dict:
        """Upload with the stock client in a subprocess (benchmarks/hf_client.py); ``xet``: hf_xet active;
        ``hub``: another hub than the run's."""
        return self.hf_client("upload", repo_id, str(path), path_in_repo, xet=xet,
                              size=path.stat().st_size, hub=hub)

    def hf_download(self, repo_id: str, path_in_repo: str, size: int, *, xet: bool) -> dict:
        """``hf_hub_download`` into a fresh cache in a subprocess; ``xet``: hf_xet active."""
        cache = self.root / f"hf-cache-{time.monotonic_ns()}"
        try:
            return self.hf_client("download", repo_id, path_in_repo, str(cache), xet=xet, size=size)
        finally:
            remove_tree(cache)

    def hf_client(self, *args: str, xet: bool, size: int, hub: Hub | None = None) -> dict:
        hub = hub or self.hub
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
        env.update({
            "HF_ENDPOINT": hub.url,
            "HF_TOKEN": hub.token,
            "HF_HOME": str(self.root / "hf-home"),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        })
        if not xet:
            env["HF_HUB_DISABLE_XET"] = "1"
        budget = 60 + size / 20e6  # never slower than 20 MB/s, or it is broken anyway
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.hf_client", *args],
            env=env, capture_output=True, text=True, timeout=budget, cwd=REPO_ROOT, check=False,
        )
        if proc.returncode != 0:
            raise BenchError(f"huggingface_hub {args[0]} failed: {proc.stderr.strip()[-800:]}\n"
                             f"hub log:\n{hub.log_tail()}")
        return json.loads(proc.stdout.strip().splitlines()[-1])

    # --- teardown ---------------------------------------------------------------------------------

    def close(self) -> None:
        for closer in reversed(self.on_close):
            closer()
        self.on_close.clear()
        if self._hub is not None:
            self._hub.stop()
            self._hub = None
        if self._database_url is not None:
            drop_postgres_database(self._database_url)
            self._database_url = None
        for server in (self._s3, self._private_postgres):  # after everything that uses them
            if server is not None:
                server.stop()
        self._s3 = self._private_postgres = None
        if not self.keep:
            for _ in range(3):  # bounded: a process may still be releasing files
                remove_tree(self.root)
                if not self.root.exists():
                    break
                time.sleep(0.5)

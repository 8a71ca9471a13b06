"""MinIO, the S3 server of the production layout, built from the Go module proxy and run on loopback.

The binary is built once per pinned version with the machine's Go (``CGO_ENABLED=0 go install
github.com/minio/minio@VERSION``, as MinIO's README documents) into a cache outside the repository, keyed
by the version, so later runs reuse it. MinIO no longer publishes maintained release binaries, so this
pseudo-version pins the module proxy's newest commit on the day it was chosen.

Each server gets its own data directory, generated root credentials, a free port and no web console.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.servers.process import child_setup, end_process, free_port, private_dir, wait_ready

MODULE = "github.com/minio/minio"
VERSION = "v0.0.0-20260212201848-7aac2a2c5b7c"  # the module proxy's latest on 2026-12-05
DIR_PREFIX = "khub-minio-"
# S3's smallest part of a multipart upload (all but the last); MinIO enforces it, as AWS does.
MIN_PART_SIZE = 5 * 1024 * 1024


def cache_dir() -> Path:
    """Where built servers are kept: ``$XDG_CACHE_HOME/kohakuhub-test`` (default ``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kohakuhub-test"


def _go() -> str:
    go = shutil.which("go") or ("/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else None)
    if go is None:
        raise RuntimeError("Go is needed to build MinIO for the tests (go not on PATH nor at /usr/local/go/bin)")
    return go


def minio_binary() -> Path:
    """The pinned MinIO server, built on first use (one line is printed; it takes a few minutes).

    Concurrent callers (pytest-xdist workers, a benchmark run) wait for one build under a file lock.

    Raises:
        RuntimeError: Go is missing or the build failed (its output is quoted).
    """
    target = cache_dir() / f"minio-{VERSION}" / "minio"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():  # built by whoever held the lock
            return target
        go = _go()
        print(f"building MinIO {VERSION} with {go} into {target.parent} (first run only, a few minutes)",
              file=sys.stderr, flush=True)
        build_dir = target.parent / f".build-{os.getpid()}"
        env = {**os.environ, "CGO_ENABLED": "0", "GOBIN": str(build_dir)}
        result = subprocess.run([go, "install", f"{MODULE}@{VERSION}"], env=env, capture_output=True,
                                text=True, timeout=1800, check=False)
        if result.returncode != 0 or not (build_dir / "minio").exists():
            shutil.rmtree(build_dir, ignore_errors=True)
            raise RuntimeError(f"building MinIO failed ({result.returncode}):\n{result.stderr[-3000:]}")
        os.replace(build_dir / "minio", target)  # atomic: a reader never sees half a binary
        shutil.rmtree(build_dir, ignore_errors=True)
    return target


class MinioServer:
    """One MinIO server on 127.0.0.1 with its own data and credentials; ``endpoint`` once started."""

    def __init__(self) -> None:
        self.access_key = f"test-{secrets.token_hex(6)}"
        self.secret_key = secrets.token_urlsafe(24)
        self.endpoint = ""
        self.dir: Path | None = None
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> MinioServer:
        """Start the server and wait until it is ready.

        Raises:
            RuntimeError: the binary cannot be built, or the server did not become ready (log quoted).
        """
        binary = minio_binary()
        self.dir = private_dir(DIR_PREFIX)
        env = {**os.environ, "MINIO_ROOT_USER": self.access_key, "MINIO_ROOT_PASSWORD": self.secret_key,
               "MINIO_BROWSER": "off", "MINIO_UPDATE": "off"}
        for _ in range(3):  # the free port can be taken between choosing it and listening on it
            port = free_port()
            self.endpoint = f"http://127.0.0.1:{port}"
            with open(self.dir / "minio.log", "ab") as log:
                self.process = subprocess.Popen(
                    [str(binary), "server", str(self.dir / "data"), "--address", f"127.0.0.1:{port}", "--quiet"],
                    env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=child_setup(None, signal.SIGKILL))
            if wait_ready(self.process, self._ready, timeout):
                return self
        log_text = (self.dir / "minio.log").read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"MinIO did not start; its log ends:\n{log_text}")

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.endpoint}/minio/health/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        """Stop the server and remove its data."""
        end_process(self.process, signal.SIGTERM, grace=15)
        self.process = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

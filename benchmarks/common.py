"""Shared pieces of the benchmarks: results, sizes, temp space, timing and test data.

Nothing here imports ``kohakuhub``: the hub is always driven over HTTP, in its own process.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

MiB = 1024 * 1024
GiB = 1024 * MiB
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sizes:
    """Problem sizes of one run (``--quick`` uses the small set)."""

    big_file_bytes: int
    commit_files: int
    tree_files: int
    tree_commit_files: int  # files per commit while building the tree repo
    load_seconds: float  # duration of each load-generator run
    download_runs: int  # best of N for throughput
    clone_files: int  # clone benchmark, repo of ~25 KB files
    clone_many_files: int  # clone benchmark, repo of ~500-byte files
    push_lfs_bytes: int  # git push benchmark: the LFS file (plus 1,000 small files)

    @classmethod
    def full(cls) -> Sizes:
        return cls(GiB, 10_000, 100_000, 10_000, 5.0, 5, 2_000, 100_000, 500 * MiB)

    @classmethod
    def quick(cls) -> Sizes:
        return cls(64 * MiB, 1_000, 10_000, 10_000, 2.0, 5, 200, 5_000, 50 * MiB)


@dataclass
class Result:
    """One row of the results table.

    ``ratio`` is value / baseline. ``higher_is_better`` tells how ``target`` reads: a minimum ratio
    (throughput) or a maximum ratio (time). ``absolute`` marks targets on the value itself (latency).
    """

    name: str
    unit: str
    value: float
    baseline_name: str
    baseline: float | None
    target: float | None
    higher_is_better: bool = True
    absolute: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    @property
    def compared(self) -> float | None:
        return self.value if self.absolute else self.ratio

    @property
    def passed(self) -> bool | None:
        if self.target is None or self.compared is None:
            return None
        if self.higher_is_better:
            return self.compared >= self.target
        return self.compared <= self.target

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "report only"
        op = ">=" if self.higher_is_better else "<="
        subject = self.unit if self.absolute else "x baseline"
        return f"{op} {self.target:g} {subject}"

    def as_dict(self) -> dict:
        return {
            "name": self.name, "unit": self.unit, "value": self.value, "baseline_name": self.baseline_name,
            "baseline": self.baseline, "ratio": self.ratio, "target": self.target_text,
            "passed": self.passed, "notes": self.notes,
        }


class BenchError(RuntimeError):
    """A benchmark could not run (setup failed, a server answered an error)."""


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def temp_root(explicit: Path | None) -> Path:
    """A fresh temp directory on the same device as the repository checkout.

    Raises:
        BenchError: ``explicit`` is on another device.
    """
    repo_dev = REPO_ROOT.stat().st_dev
    if explicit is not None:
        explicit.mkdir(parents=True, exist_ok=True)
        if explicit.stat().st_dev != repo_dev:
            raise BenchError(f"--tmp-dir {explicit} is not on the same device as {REPO_ROOT}")
        base = explicit
    else:
        system = Path(tempfile.gettempdir())
        base = system if system.stat().st_dev == repo_dev else REPO_ROOT / "benchmarks" / ".tmp"
        base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="kohakuhub-bench-", dir=base))


def memory_dir(fallback: Path, prefix: str) -> Path:
    """A fresh directory on tmpfs (/dev/shm) when there is one, else ``fallback`` (created).

    For what a client writes when both sides of a comparison write the same thing: on this machine's
    disk, page cache writeback made such writes vary several-fold from one run to the next, which
    drowned the difference being measured.
    """
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(prefix=prefix, dir=shm))
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


class Deadline:
    """A time budget shared by the bounded loops of one step."""

    def __init__(self, seconds: float, what: str) -> None:
        self.end = time.monotonic() + seconds
        self.what = what

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise BenchError(f"{self.what} took longer than its time budget")

    @property
    def remaining(self) -> float:
        return max(0.1, self.end - time.monotonic())


def write_random_file(path: Path, size: int) -> None:
    """Write ``size`` incompressible bytes (fresh random chunks, so no two blocks repeat).

    numpy's generator is about twice as fast as ``os.urandom`` here; either will do.
    """
    try:
        import numpy

        generate = numpy.random.default_rng(len(path.name)).bytes
    except ImportError:
        generate = os.urandom
    chunk = 16 * MiB
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        left = size
        while left > 0:  # bounded: size / chunk iterations
            n = min(chunk, left)
            out.write(generate(n))
            left -= n


# --- many small files ------------------------------------------------------------------------------


def small_files(count: int, *, offset: int = 0, prefix: str = "data") -> list[tuple[str, bytes]]:
    """``count`` small text files with distinct contents of 16..1040 bytes in a two-level layout.

    Sizes vary so that part of them fall in the LFS-pointer size window the hub has to check on reads.
    """
    files = []
    for i in range(offset, offset + count):
        path = f"{prefix}/d{i // 1000:03d}/s{(i // 100) % 10}/file{i:06d}.txt"
        line = f"file {i} of the benchmark data set\n".encode()
        size = 16 + (i * 7919) % 1025
        content = (line * (size // len(line) + 1))[:size]
        files.append((path, content))
    return files


def commit_ndjson(files: list[tuple[str, bytes]], summary: str) -> bytes:
    """The NDJSON body of ``POST /api/models/{repo}/commit/{rev}`` adding ``files`` (base64 inline)."""
    lines = [json.dumps({"key": "header", "value": {"summary": summary, "description": ""}})]
    for path, content in files:
        lines.append(json.dumps({"key": "file", "value": {
            "content": base64.b64encode(content).decode(), "path": path, "encoding": "base64"}}))
    return ("\n".join(lines) + "\n").encode()


def fast_import_stream(files: list[tuple[str, bytes]], summary: str) -> bytes:
    """A ``git fast-import`` stream committing ``files`` (inline blobs) as a root commit of main."""
    message = summary.encode()
    parts = [
        b"commit refs/heads/main\n",
        b"committer bench <bench@example.com> 1700000000 +0000\n",
        b"data %d\n%s\n" % (len(message), message),
    ]
    for path, content in files:
        parts.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(content), content))
    parts.append(b"\n")
    return b"".join(parts)


def mb_per_s(size: int, seconds: float) -> float:
    """Throughput in MB/s (10^6 bytes per second)."""
    return size / seconds / 1e6 if seconds > 0 else 0.0

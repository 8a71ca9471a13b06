"""A small HTTP/1.1 keep-alive load generator (asyncio, raw sockets) run in its own process.

It drives one URL for a fixed duration over N persistent connections and reports requests per second.
``wrk`` would be the usual choice, but wrk 4.1 waits for a body after a HEAD answer that carries
Content-Length (every resolve HEAD does), so it completes no request; ``ab -i`` has no HTTP/1.1
keep-alive. The same client is used for the benchmark and its baseline, which is what the ratio needs.

Usage: python -m benchmarks.loadgen URL METHOD CONNECTIONS SECONDS [HEADER: VALUE ...]

A header value holding ``{n}`` gets a number that differs on every request (``X-Forwarded-For:
10.0.{n}``: a new client address each time, for the download counting benchmark).
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from benchmarks.common import REPO_ROOT, BenchError


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    tool: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_load(url: str, method: str, connections: int, seconds: float,
             headers: dict[str, str] | None = None) -> LoadResult:
    """Drive ``method url`` for ``seconds`` over ``connections`` keep-alive connections (with ``headers``).

    Raises:
        BenchError: the generator failed, or any response was not 2xx/3xx.
    """
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.loadgen", url, method, str(connections), str(seconds),
         *(f"{k}: {v}" for k, v in (headers or {}).items())],
        capture_output=True, text=True, timeout=seconds + 30, cwd=REPO_ROOT, check=False,
    )
    if proc.returncode != 0:
        raise BenchError(f"load generator failed: {proc.stderr.strip()[-500:]}")
    data = json.loads(proc.stdout)
    result = LoadResult(data["requests"], data["errors"], data["seconds"], "asyncio keep-alive client")
    if result.errors:
        raise BenchError(f"{method} {url}: {result.errors} failed responses under load")
    if result.requests == 0:
        raise BenchError(f"{method} {url}: no request completed under load")
    return result


# --- the generator (runs in its own process) -------------------------------------------------------


def _varying(template: str, serial: list[int]) -> bytes:
    """The request with ``{n}`` replaced by the next number, as a dotted address tail (a.b.c)."""
    serial[0] += 1
    n = serial[0]
    return template.replace("{n}", f"{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}").encode()


async def _connection(host: str, port: int, request: str, head: bool, stop_at: float,
                      counts: list[int], serial: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    fixed = None if "{n}" in request else request.encode()
    try:
        while time.monotonic() < stop_at:  # bounded by the duration
            writer.write(fixed or _varying(request, serial))
            status_line = await reader.readline()
            length = 0
            while True:  # bounded: a response has finitely many header lines
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:].strip())
            if length and not head:
                await reader.readexactly(length)
            ok = status_line[9:10] in (b"2", b"3")
            counts[0 if ok else 1] += 1
    finally:
        writer.close()


async def _drive(url: str, method: str, connections: int, seconds: float, headers: list[str]) -> dict:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    extra = "".join(f"{header}\r\n" for header in headers)
    request = (f"{method} {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
               f"User-Agent: kohakuhub-bench\r\nAccept: */*\r\n{extra}\r\n")
    # Each run starts its numbers at random, so runs within one counting window do not reuse addresses.
    counts, serial = [0, 0], [random.randrange(1 << 24)]
    started = time.monotonic()
    stop_at = started + seconds
    await asyncio.gather(*(_connection(parts.hostname, parts.port or 80, request, method == "HEAD", stop_at,
                                       counts, serial) for _ in range(connections)))
    return {"requests": counts[0] + counts[1], "errors": counts[1], "seconds": time.monotonic() - started}


if __name__ == "__main__":
    _url, _method, _conns, _secs = sys.argv[1:5]
    print(json.dumps(asyncio.run(_drive(_url, _method, int(_conns), float(_secs), sys.argv[5:]))))

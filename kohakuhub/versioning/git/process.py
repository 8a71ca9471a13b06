"""Run a git service process from the event loop, streaming its stdin and stdout.

The process is started with ``subprocess.Popen`` (vfork/posix_spawn, about 1 ms) and its pipes are then
attached to the loop, rather than with ``asyncio.create_subprocess_exec``: under uvloop, which uvicorn
picks when installed, that does a full ``fork()`` of the hub and blocks the loop for ~10 ms per git
request (measured with py-spy; benchmarks/README.md).
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
from collections.abc import AsyncIterator
from contextlib import suppress

log = logging.getLogger(__name__)

READ_SIZE = 256 << 10
STDERR_LIMIT = 64 << 10
# After stdout closes (or the client went away), how long git may take to exit before it is killed.
EXIT_GRACE_SECONDS = 30


async def stream_process(command: list[str], env: dict[str, str],
                         body: AsyncIterator[bytes] | None) -> AsyncIterator[bytes]:
    """Run ``command``, feeding ``body`` to its stdin while streaming its stdout back.

    If the request body breaks off (client gone), stdin is closed: git sees a truncated request and
    fails cleanly (``receive-pack`` then drops its quarantine). If the consumer stops reading, git is
    terminated; SIGTERM lets it remove its temporary files.
    """
    loop = asyncio.get_running_loop()
    proc = subprocess.Popen(command, env=env, stdin=subprocess.PIPE if body is not None else subprocess.DEVNULL,  # noqa: ASYNC220 (see module doc)
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    transports: list[asyncio.BaseTransport] = []
    feeder = errors = None
    try:
        stdout = await _reader(loop, proc.stdout, transports)
        errors = asyncio.create_task(_collect(await _reader(loop, proc.stderr, transports)))
        if body is not None:
            feeder = asyncio.create_task(_feed(await _writer(loop, proc.stdin, transports), body))
        while chunk := await stdout.read(READ_SIZE):
            yield chunk
        await _wait(proc, EXIT_GRACE_SECONDS)
    finally:
        await _stop(proc)
        for task in (feeder, errors):
            if task is not None and not task.done():
                task.cancel()
        stderr = b""
        if errors is not None:
            with suppress(asyncio.CancelledError):
                stderr = await errors
        for transport in transports:
            transport.close()
        if proc.returncode:
            service = next((arg for arg in command if arg.endswith("-pack")), command[0])
            log.info("git %s exited with %s: %s", service, proc.returncode, stderr.decode(errors="replace")[-2000:])


async def _reader(loop: asyncio.AbstractEventLoop, pipe, transports: list) -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=READ_SIZE, loop=loop)
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader, loop=loop), pipe)
    transports.append(transport)
    return reader


async def _writer(loop: asyncio.AbstractEventLoop, pipe, transports: list) -> asyncio.StreamWriter:
    transport, protocol = await loop.connect_write_pipe(
        lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader(loop=loop), loop=loop), pipe)
    transports.append(transport)
    return asyncio.StreamWriter(transport, protocol, None, loop)


async def _feed(stdin: asyncio.StreamWriter, body: AsyncIterator[bytes]) -> None:
    try:
        async for chunk in body:
            stdin.write(chunk)
            await stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass  # git stopped reading; its output says why
    except Exception as exc:  # noqa: BLE001 - the client went away or sent a broken body
        log.info("git request body ended early: %s", exc)
    finally:
        stdin.close()


async def _collect(stream: asyncio.StreamReader) -> bytes:
    kept = b""
    while chunk := await stream.read(READ_SIZE):
        kept = (kept + chunk)[-STDERR_LIMIT:]
    return kept


async def _wait(proc: subprocess.Popen, timeout: float) -> int:
    # A thread per wait keeps the loop free; git exits right after closing stdout in the normal case.
    return await asyncio.wait_for(asyncio.to_thread(proc.wait), timeout)


async def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    with suppress(ProcessLookupError):
        proc.terminate()
    try:
        await _wait(proc, EXIT_GRACE_SECONDS)
    except TimeoutError:
        with suppress(ProcessLookupError):
            proc.kill()
        await asyncio.to_thread(proc.wait)

"""Git's smart protocol, served by the git binary: ``upload-pack`` (clone, fetch) and ``receive-pack`` (push).

Both run with ``--stateless-rpc``, one process per HTTP request; request bodies are fed to their stdin
and their stdout is streamed back as it comes, so nothing is held whole in memory.

A push is checked by the hub before any ref moves. ``receive-pack`` runs our hooks (push_hook.py), which
hand the ref updates to the ``PushGate`` over a per-push Unix socket while git still keeps the pushed
objects in quarantine. On pre-receive the transport takes the repo's write lock and keeps it until git
exits, so API commits wait for the push's ref update instead of racing it; the gate then sees the refs
exactly as git will compare them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shlex
import shutil
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, aclosing, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kohakuhub.errors import HubError
from kohakuhub.versioning.git.backend import GitBackend
from kohakuhub.versioning.git.process import stream_process
from kohakuhub.versioning.git.push_context import PushContext, RefUpdate, parse_updates

log = logging.getLogger(__name__)

UPLOAD_PACK_CONFIG = {
    "uploadpack.allowFilter": "true",  # partial clone (--filter=blob:none)
    # Partial clones fetch missing blobs by id later; allow ids reachable from a ref, nothing else.
    "uploadpack.allowReachableSHA1InWant": "true",
    "uploadpack.allowTipSHA1InWant": "true",
}
RECEIVE_PACK_CONFIG = {
    "receive.fsckObjects": "true",  # malformed objects are refused before anything is stored
    "receive.autogc": "false",  # the backend's own pack maintenance runs under the repo lock instead
    "receive.denyNonFastForwards": "false",  # writers may force-push
    "receive.advertisePushOptions": "false",
}


@dataclass
class Verdict:
    """A gate's answer: accept or reject, with lines shown to the pusher (``remote: ...``)."""

    ok: bool
    messages: list[str] = field(default_factory=list)


class PushGate(Protocol):
    """The policy of one push; called in a worker thread while git waits."""

    def pre_receive(self, push: PushContext) -> Verdict:
        """Accept or refuse the ref updates; runs under the repo's write lock, before any ref moves."""

    def post_receive(self, updates: list[RefUpdate]) -> Verdict:
        """Record what the push changed; ``updates`` are those git applied."""


class GitTransport:
    """Runs git's transport services on the backend's repositories."""

    def __init__(self, backend: GitBackend, hooks_dir: Path) -> None:
        self.backend = backend
        self.hooks_dir = Path(hooks_dir)

    def install_hooks(self) -> None:
        """Write the hook scripts ``receive-pack`` runs (idempotent; safe with several workers)."""
        self.hooks_dir.mkdir(parents=True, exist_ok=True)
        script = Path(__file__).with_name("push_hook.py")
        for hook in ("pre-receive", "post-receive"):
            text = (f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -S -E {shlex.quote(str(script))} {hook}\n")
            target = self.hooks_dir / hook
            if target.is_file() and target.read_text() == text:
                continue
            staging = self.hooks_dir / f".{hook}.{os.getpid()}"
            staging.write_text(text)
            staging.chmod(0o755)
            os.replace(staging, target)

    def _env(self, protocol: str | None = None) -> dict[str, str]:
        # No user or system git config: the hub's repos behave the same on every machine.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.hooks_dir),
               "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C"}
        if protocol:
            env["GIT_PROTOCOL"] = protocol
        return env

    def _command(self, service: str, key: str, config: dict[str, str], *args: str) -> list[str]:
        options = [arg for name, value in config.items() for arg in ("-c", f"{name}={value}")]
        return ["git", *options, service, "--stateless-rpc", *args, str(self.backend.repo_path(key))]

    def advertise(self, key: str, service: str, protocol: str | None) -> AsyncIterator[bytes]:
        """The ``info/refs`` answer of ``git-upload-pack`` or ``git-receive-pack``, without its header."""
        config = UPLOAD_PACK_CONFIG if service == "upload-pack" else RECEIVE_PACK_CONFIG
        env = self._env(protocol if service == "upload-pack" else None)
        return stream_process(self._command(service, key, config, "--advertise-refs"), env, None)

    def upload_pack(self, key: str, body: AsyncIterator[bytes], protocol: str | None) -> AsyncIterator[bytes]:
        """Answer one fetch/clone request (the negotiation in ``body``) with git's response stream."""
        return stream_process(self._command("upload-pack", key, UPLOAD_PACK_CONFIG), self._env(protocol), body)

    async def receive_pack(self, key: str, body: AsyncIterator[bytes], gate: PushGate) -> AsyncIterator[bytes]:
        """Receive one push (commands and pack in ``body``), checked by ``gate``; yields git's report."""
        socket_dir = tempfile.mkdtemp(prefix="khub-push-")  # short path: Unix socket names are limited
        socket_path = os.path.join(socket_dir, "gate")
        lock = _HeldLock(lambda: self.backend.repo_lock(key))
        repo_path = self.backend.repo_path(key)
        env = self._env()

        async def on_hook(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                verdict = await self._hook_verdict(await reader.read(), gate, lock, repo_path, env)
            except Exception:
                log.exception("push check failed for repo %s", key)
                verdict = Verdict(False, ["KohakuHub: internal error while checking the push; nothing was changed"])
            writer.write(json.dumps({"ok": verdict.ok, "messages": verdict.messages}).encode())
            with suppress(OSError):
                await writer.drain()
            writer.close()

        server = await asyncio.start_unix_server(on_hook, path=socket_path)
        config = {**RECEIVE_PACK_CONFIG, "core.hooksPath": str(self.hooks_dir)}
        told = False
        try:
            async with aclosing(stream_process(self._command("receive-pack", key, config),
                                     {**env, "KOHAKU_HUB_PUSH_SOCKET": socket_path}, body)) as report:
                async for chunk in report:
                    yield chunk
            if lock.taken:  # the push reached pre-receive: git may have moved refs (listeners re-read them)
                await asyncio.to_thread(self.backend.refs_moved, key)  # before the pusher hears "done"
                told = True
        finally:
            server.close()
            lock.release()
            shutil.rmtree(socket_dir, ignore_errors=True)
            if lock.taken and not told:  # cut short (client gone): still tell, without awaiting
                self._tell_listeners(key)
        self.backend.maybe_consolidate(key)

    def _tell_listeners(self, key: str) -> None:
        """``refs_moved`` off the event loop (a listener writes to the database); inline if no loop runs."""
        try:
            asyncio.get_running_loop().run_in_executor(None, self.backend.refs_moved, key)
        except RuntimeError:  # the generator is finalised outside the loop
            self.backend.refs_moved(key)

    @staticmethod
    async def _hook_verdict(raw: bytes, gate: PushGate, lock: _HeldLock, repo_path: Path,
                            env: dict[str, str]) -> Verdict:
        request = json.loads(raw)
        updates = parse_updates(request["updates"])
        if request["hook"] == "pre-receive":
            try:
                await lock.acquire()
            except HubError as exc:  # e.g. the repo was deleted meanwhile
                return Verdict(False, [f"KohakuHub: {exc.message}"])
            push = PushContext(repo_path, request.get("env", {}), updates, env)
            return await asyncio.to_thread(gate.pre_receive, push)
        return await asyncio.to_thread(gate.post_receive, updates)


class _HeldLock:
    """Holds a repo lock from an async task, in a thread of its own, until ``release``.

    The repo lock is a blocking, per-thread context manager; a dedicated thread lets the event loop wait
    for it without blocking and release it from wherever the push ends.
    """

    def __init__(self, factory: Callable[[], AbstractContextManager[None]]) -> None:
        self._factory = factory
        self._release = threading.Event()
        self._started = False

    async def acquire(self) -> None:
        if self._started:
            return
        self._started = True
        loop = asyncio.get_running_loop()
        acquired: asyncio.Future[None] = loop.create_future()

        def settle(error: BaseException | None) -> None:
            if not acquired.done():
                acquired.set_exception(error) if error else acquired.set_result(None)

        def hold() -> None:
            try:
                with self._factory():
                    loop.call_soon_threadsafe(settle, None)
                    self._release.wait()
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting task
                loop.call_soon_threadsafe(settle, exc)

        threading.Thread(target=hold, name="push-lock", daemon=True).start()
        await acquired

    @property
    def taken(self) -> bool:
        """Whether the push asked for the lock (it reached pre-receive)."""
        return self._started

    def release(self) -> None:
        self._release.set()

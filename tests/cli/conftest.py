"""Fixtures for kohub-cli's tests: the command installed in a clean virtual environment (installed.py),
a live hub (the suite's layout: SQLite + local files, or PostgreSQL + MinIO), and a runner that drives
the console script as a user would (a pipe for stdin, or a pseudo-terminal when a test types answers).
"""

from __future__ import annotations

import configparser
import json
import os
import pty
import select
import subprocess
import sys
import termios
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli.installed import kohub_cli_venv
from tests.conftest import PASSWORD, LiveServer, start_server, stop_server

ADMIN_TOKEN = "cli-tests-bootstrap-admin-token-0123456789"
LFS_THRESHOLD = 1024  # small files already take the LFS (or Xet) path
HIDDEN_PROMPTS = ("Password", "Access token")  # typed without echo


@dataclass
class Result:
    """What one run of the command did."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class CliHub:
    """A live hub with alice (the server's user), bob, and their write tokens."""

    server: LiveServer
    bob_token: str

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def alice_token(self) -> str:
        return self.server.token


class KohubCli:
    """Runs the installed ``kohub-cli`` with its own ``HF_HOME`` (a fresh machine per test)."""

    def __init__(self, venv: Path, hub: CliHub, home: Path) -> None:
        self.venv = venv
        self.hub = hub
        self.home = home

    @property
    def command(self) -> str:
        return str(self.venv / "bin" / "kohub-cli")

    def stored_tokens(self) -> dict[str, str]:
        """The tokens in this machine's HF_HOME, read as huggingface_hub writes them (an INI file)."""
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(self.home / "stored_tokens")
        return {name: parser[name]["hf_token"] for name in parser.sections()}

    def hf(self, *args: str) -> subprocess.CompletedProcess:
        """The ``hf`` CLI of the suite's own huggingface_hub, on this machine (same HF_HOME, no HF_TOKEN)."""
        return subprocess.run(
            [sys.executable, "-m", "huggingface_hub.cli.hf", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def env(self, token: str | None = None, **extra: str) -> dict[str, str]:
        """A user's environment: HF_ENDPOINT, this test's HF_HOME, HF_TOKEN if ``token``."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("HF_", "HUGGING", "KOHAKU_HUB_", "KOHUB_")) and k != "PYTHONPATH"
        }
        env.update(
            {
                "HF_ENDPOINT": self.hub.url,
                "HF_HOME": str(self.home),
                "HF_HUB_DISABLE_TELEMETRY": "1",
                "NO_COLOR": "1",
            }
        )
        if token:
            env["HF_TOKEN"] = token
        env.update(extra)
        return env

    def __call__(
        self,
        *args: str,
        token: str | None = None,
        input: str | None = None,
        env: dict[str, str | None] | None = None,
        timeout: float = 120,
    ) -> Result:
        """Run with stdin a pipe (not a terminal); ``input`` is written to it. ``env`` adds variables
        (a None value removes one)."""
        merged = {k: v for k, v in {**self.env(token), **(env or {})}.items() if v is not None}
        proc = subprocess.run(
            [self.command, *args],
            input=input or "",
            capture_output=True,
            text=True,
            env=merged,
            timeout=timeout,
            check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def alice(self, *args: str, **kwargs: Any) -> Result:
        """Run as alice (HF_TOKEN); fail the test unless it succeeds."""
        result = self(*args, token=self.hub.alice_token, **kwargs)
        assert result.code == 0, f"kohub-cli {' '.join(args)} -> {result.code}\n{result.out}\n{result.err}"
        return result

    def in_terminal(
        self, *args: str, answers: list[tuple[str, str]], token: str | None = None, timeout: float = 60
    ) -> Result:
        """Run on a pseudo-terminal; for each ``(prompt, reply)`` wait for the prompt, then type the reply
        (for a prompt in ``HIDDEN_PROMPTS``, once echo is off).

        ``out`` is the terminal's whole output (stdout and stderr are the same terminal).
        """
        env = self.env(token)
        pid, fd = pty.fork()
        if pid == 0:  # the child: the terminal is its stdin, stdout, stderr and controlling tty
            try:
                os.execve(self.command, [self.command, *args], env)
            finally:
                os._exit(127)
        output = b""
        deadline = time.monotonic() + timeout
        try:
            for prompt, reply in answers:
                output = _read_until(fd, output, prompt.encode(), deadline)
                if prompt in HIDDEN_PROMPTS:
                    _wait_for_no_echo(fd, deadline)
                os.write(fd, reply.encode() + b"\r")
            output = _read_until(fd, output, None, deadline)
        finally:
            os.close(fd)
            _, status = os.waitpid(pid, 0)
        return Result(os.waitstatus_to_exitcode(status), output.decode(errors="replace"), "")


def _wait_for_no_echo(fd: int, deadline: float) -> None:
    """Wait until the program turned echo off (getpass): it flushes typed input when it does, so an
    answer sent before would be echoed and then lost."""
    while termios.tcgetattr(fd)[3] & termios.ECHO:
        if time.monotonic() > deadline:
            raise AssertionError("the terminal's echo was never turned off for a hidden prompt")
        time.sleep(0.02)


def _read_until(fd: int, output: bytes, wanted: bytes | None, deadline: float) -> bytes:
    """Read the terminal until ``wanted`` appears after what was read before (None: until it closes)."""
    start = len(output)
    while wanted is None or wanted not in output[start:]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(
                f"timed out waiting for {wanted!r}; terminal so far:\n{output.decode(errors='replace')}"
            )
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            chunk = b""
        if not chunk:
            if wanted is None:
                return output
            raise AssertionError(
                f"the command ended before asking {wanted!r}:\n{output.decode(errors='replace')}"
            )
        output += chunk
    return output


@pytest.fixture(scope="session")
def cli_venv() -> Path:
    return kohub_cli_venv()


@pytest.fixture(scope="session")
def cli_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliHub]:
    server = start_server(
        tmp_path_factory.mktemp("cli-hub") / "data",
        {"KOHAKU_HUB_ADMIN_TOKEN": ADMIN_TOKEN, "KOHAKU_HUB_LFS_THRESHOLD_BYTES": str(LFS_THRESHOLD)},
    )
    try:
        server.cli("admin", "create-user", "bob", "--email", "bob@example.com", "--password", PASSWORD)
        yield CliHub(server, server.new_token("bob"))
    finally:
        stop_server(server)


@pytest.fixture
def cli(cli_venv: Path, cli_hub: CliHub, tmp_path: Path) -> KohubCli:
    """kohub-cli on a machine of its own (a fresh HF_HOME), not signed in."""
    return KohubCli(cli_venv, cli_hub, tmp_path / "hf_home")


@pytest.fixture(scope="module")
def module_cli(cli_venv: Path, cli_hub: CliHub, tmp_path_factory: pytest.TempPathFactory) -> KohubCli:
    """kohub-cli on a machine shared by one module's tests (for content they all read)."""
    return KohubCli(cli_venv, cli_hub, tmp_path_factory.mktemp("cli") / "hf_home")


def unique(prefix: str) -> str:
    """A repo or org name no other test uses (the hub is shared by the session)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def python_with_hf(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    """Run ``code`` with the suite's own Python and huggingface_hub (another install on the machine)."""
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False
    )

"""End-to-end fixtures: live hubs in each upload mode, and the stock client run out of process per mode.

Modes (protocol section 6):
- ``xet``: hf_xet active (the client default) against a hub in UPLOAD_MODE=auto (preupload answers "lfs"
  at the threshold, so large files go through the hub's Xet CAS);
- ``noxet``: ``HF_HUB_DISABLE_XET=1`` against the same hub (large files through the LFS batch API);
- ``noxet-lfs``: ``HF_HUB_DISABLE_XET=1`` against a hub in UPLOAD_MODE=lfs (LFS batch, single PUT and
  multipart).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD, LiveServer, start_server, stop_server
from tests.log_secrets import access_lines, leaked_lines
from tests.s3_support import S3_MODE
from tests.servers.minio import MIN_PART_SIZE

MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]
LFS_THRESHOLD = 1 * MiB
MULTIPART_THRESHOLD = 3 * MiB
CHUNK_SIZE = MIN_PART_SIZE if S3_MODE else 1 * MiB  # S3 refuses parts under 5 MiB
OTHER_USER = "bob"

# mode -> (server fixture, HF_HUB_DISABLE_XET)
MODES: dict[str, tuple[str, bool]] = {
    "xet": ("auto_server", False),
    "noxet": ("auto_server", True),
    "noxet-lfs": ("lfs_server", True),
}


@dataclass
class Hub:
    """A live server with a second user whose token must not see alice's private repos."""

    server: LiveServer
    other_token: str
    upload_mode: str

    @property
    def log_path(self) -> Path:
        port = self.server.url.rsplit(":", 1)[1]
        return self.server.data_dir.parent / f"server-{port}.log"


def _start_hub(tmp_path_factory: pytest.TempPathFactory, name: str, extra: dict[str, str]) -> Iterator[Hub]:
    server = start_server(tmp_path_factory.mktemp(name) / "data", {
        "KOHAKU_HUB_LFS_THRESHOLD_BYTES": str(LFS_THRESHOLD), **extra})
    try:
        server.cli("admin", "create-user", OTHER_USER, "--email", f"{OTHER_USER}@example.com",
                   "--password", PASSWORD)
        hub = Hub(server, server.new_token(OTHER_USER), extra.get("KOHAKU_HUB_UPLOAD_MODE", "auto"))
        yield hub
    finally:
        stop_server(server)
    # Every scenario of the session ran against this hub: its access log must hold none of their secrets.
    assert access_lines(hub.log_path) > 0, f"{hub.log_path} has no access log lines"
    leaks = leaked_lines([hub.log_path], [(server.data_dir / ".session_secret").read_text(), PASSWORD])
    assert not leaks, "secrets in the hub's log:\n" + "\n".join(leaks)


@pytest.fixture(scope="session")
def auto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    yield from _start_hub(tmp_path_factory, "auto", {"KOHAKU_HUB_UPLOAD_MODE": "auto"})


@pytest.fixture(scope="session")
def lfs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    yield from _start_hub(tmp_path_factory, "lfs", {
        "KOHAKU_HUB_UPLOAD_MODE": "lfs",
        "KOHAKU_HUB_LFS_MULTIPART_THRESHOLD_BYTES": str(MULTIPART_THRESHOLD),
        "KOHAKU_HUB_LFS_MULTIPART_CHUNK_SIZE_BYTES": str(CHUNK_SIZE),
    })


@dataclass
class Run:
    """What a scenario returned, and the requests the client sent while running it."""

    result: Any
    requests: list[str]


class HfClient:
    """Runs scenarios of ``tests/e2e/scripts`` with the stock client configured for one mode."""

    def __init__(self, mode: str, hub: Hub, workdir: Path) -> None:
        self.mode = mode
        self.hub = hub
        self.workdir = workdir
        self.username = hub.server.username
        self.xet = not MODES[mode][1]

    def repo_id(self, prefix: str) -> str:
        """A repo id unique across modes and runs (servers are shared by several tests)."""
        return f"{self.username}/{prefix}-{self.mode}-{uuid.uuid4().hex[:8]}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("HF_", "HUGGINGFACE_", "KOHAKU_HUB_"))}
        home = self.workdir / "hf_home"
        env.update({
            "HF_ENDPOINT": self.hub.server.url,
            "HF_TOKEN": self.hub.server.token,
            "HF_HOME": str(home),
            "HF_HUB_CACHE": str(home / "hub"),
            "HF_DATASETS_CACHE": str(self.workdir / "datasets_cache"),
            "HF_DATASETS_OFFLINE": "0",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
            "E2E_USERNAME": self.username,
            "E2E_OTHER_TOKEN": self.hub.other_token,
            "E2E_WORKDIR": str(self.workdir),
            "E2E_MODE": self.mode,
            "PYTHONPATH": str(ROOT),
        })
        if not self.xet:
            env["HF_HUB_DISABLE_XET"] = "1"
        return env

    def spawn(self, target: str, **kwargs: Any) -> subprocess.Popen:
        """Start a scenario without waiting for it (for tests that interrupt the client)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        out = self.workdir / f"result-{uuid.uuid4().hex}.json"
        proc = subprocess.Popen([sys.executable, "-m", "tests.e2e.scripts.runner", target, str(out)],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=self.env(), cwd=ROOT, text=True)
        proc.stdin.write(json.dumps(kwargs))
        proc.stdin.close()
        return proc

    def run(self, target: str, timeout: float = 180, extra_env: dict[str, str] | None = None,
            **kwargs: Any) -> Run:
        """Run ``module:function`` of tests/e2e/scripts in a fresh interpreter; fail the test on error.

        ``extra_env`` overrides the mode's environment (e.g. ``HF_ENDPOINT`` pointing at a dead port).
        """
        self.workdir.mkdir(parents=True, exist_ok=True)
        out = self.workdir / f"result-{uuid.uuid4().hex}.json"
        proc = subprocess.run(
            [sys.executable, "-m", "tests.e2e.scripts.runner", target, str(out)],
            input=json.dumps(kwargs), env={**self.env(), **(extra_env or {})}, cwd=ROOT, capture_output=True,
            text=True, timeout=timeout, check=False,
        )
        if proc.returncode != 0:
            log = self.hub.log_path.read_text(errors="replace").splitlines()[-30:]
            pytest.fail(f"scenario {target} failed in mode {self.mode}:\n{proc.stderr[-6000:]}\n"
                        f"--- server log (tail) ---\n" + "\n".join(log), pytrace=False)
        data = json.loads(out.read_text())
        assert data["xet"] is self.xet, f"mode {self.mode}: the client saw is_xet_available()={data['xet']}"
        return Run(data["result"], data["requests"])


@pytest.fixture(params=list(MODES))
def hf(request: pytest.FixtureRequest, tmp_path: Path) -> HfClient:
    """The client in one mode, against the hub that mode needs."""
    server_fixture, _ = MODES[request.param]
    return HfClient(request.param, request.getfixturevalue(server_fixture), tmp_path)

"""A moto S3 server for the tests, and the switch that runs the whole suite on S3.

``KOHAKU_HUB_TEST_S3=1`` makes every hub the tests build (in-process ``hub_client``/``make_hub`` and live
servers from ``start_server``) store LFS objects in S3: one ``moto_server`` per test process (per xdist
worker), started on first use on a free loopback port, and a fresh bucket per hub. The default is local files.
The BlobStore contract suite uses the same server whatever the switch says.

moto does not check signatures; tests/unit/test_storage_s3_signing.py checks them.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid

import httpx
from fastapi.testclient import TestClient
from starlette import testclient as _starlette_testclient

_client_httpx = _starlette_testclient.httpx  # the httpx package (or fork) the TestClient is built on

# The hub refuses unknown KOHAKU_HUB_* variables, so the switch moves to a name outside its prefix (kept in
# the environment, so pytest-xdist workers and subprocesses inherit it).
if "KOHAKU_HUB_TEST_S3" in os.environ:
    os.environ["KOHAKUHUB_TEST_S3"] = os.environ.pop("KOHAKU_HUB_TEST_S3")
S3_MODE = os.environ.get("KOHAKUHUB_TEST_S3", "") not in ("", "0")
ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key"
# Parts of the tests' multipart uploads are 16 KiB; real S3 wants >= 5 MiB (except the last part).
MIN_PART_SIZE = 1024


class MotoServer:
    """One ``moto_server`` process on 127.0.0.1."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._log_dir = tempfile.mkdtemp(prefix="moto-")
        env = {**os.environ, "S3_UPLOAD_PART_MIN_SIZE": str(MIN_PART_SIZE)}
        binary = shutil.which("moto_server") or "moto_server"
        with open(os.path.join(self._log_dir, "moto.log"), "wb") as log:
            self.process = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(self.port)], env=env,
                                            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self.process.returncode}; see {self._log_dir}")
            try:
                httpx.get(f"{self.endpoint}/moto-api/", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("moto_server did not start within 30 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self._log_dir, ignore_errors=True)


_server: MotoServer | None = None
_lock = threading.Lock()


def moto() -> MotoServer:
    """The process's moto server, started on first use and stopped at exit."""
    global _server
    with _lock:
        if _server is None:
            _server = MotoServer()
            atexit.register(_server.stop)
        return _server


def new_bucket() -> str:
    return f"hub-{uuid.uuid4().hex[:16]}"


def s3_settings(bucket: str | None = None) -> dict[str, object]:
    """Settings keyword arguments of a hub on the moto server (a fresh bucket unless given)."""
    endpoint = moto().endpoint
    return {"s3_endpoint": endpoint, "s3_public_endpoint": endpoint, "s3_access_key": ACCESS_KEY,
            "s3_secret_key": SECRET_KEY, "s3_bucket": bucket or new_bucket(), "s3_region": "us-east-1",
            "s3_force_path_style": True, "s3_max_attempts": 1, "s3_connect_timeout_seconds": 2}


def hub_overrides() -> dict[str, object]:
    """Extra Settings for a hub built by the tests: S3 ones in S3 mode, none otherwise."""
    return s3_settings() if S3_MODE else {}


def hub_env() -> dict[str, str]:
    """Extra environment of a live server: ``KOHAKU_HUB_S3_*`` in S3 mode, none otherwise."""
    return {f"KOHAKU_HUB_{k.upper()}": str(v) for k, v in hub_overrides().items()}


class _ExternalRouting(_client_httpx.BaseTransport):
    """Sends requests for other hosts (S3) over the network, those for ``testserver`` to the app."""

    def __init__(self, app_transport: _client_httpx.BaseTransport) -> None:
        self._app = app_transport
        self._net = _client_httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != "testserver":  # presigned S3 URLs (any moto server of the tests)
            return self._net.handle_request(request)
        return self._app.handle_request(request)

    def close(self) -> None:
        self._net.close()
        self._app.close()


def app_client(app, **kwargs) -> TestClient:
    """A TestClient on ``app`` that reaches presigned S3 URLs (followed redirects included) for real."""
    client = TestClient(app, **kwargs)
    client._transport = _ExternalRouting(client._transport)
    return client


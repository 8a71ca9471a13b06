"""The tests' S3 (a real MinIO server), and the switch that runs the whole suite on S3.

``KOHAKU_HUB_TEST_S3=1`` makes every hub the tests build (in-process ``hub_client``/``make_hub`` and live
servers from ``start_server``) store LFS objects in S3: one MinIO server per test process (per xdist
worker), started on first use on a free loopback port, and a fresh bucket per hub. The default is local files.
The S3 tests (tests/api/test_lfs_s3.py, the BlobStore contract) use the same server whatever the switch says.

MinIO checks signatures and enforces S3's 5 MiB minimum part size, so hubs on it use 5 MiB parts.
"""

from __future__ import annotations

import atexit
import os
import threading
import uuid

import httpx
from fastapi.testclient import TestClient
from starlette import testclient as _starlette_testclient

from tests.servers.minio import MinioServer

_client_httpx = _starlette_testclient.httpx  # the httpx package (or fork) the TestClient is built on

# The hub refuses unknown KOHAKU_HUB_* variables, so the switch moves to a name outside its prefix (kept in
# the environment, so pytest-xdist workers and subprocesses inherit it).
if "KOHAKU_HUB_TEST_S3" in os.environ:
    os.environ["KOHAKUHUB_TEST_S3"] = os.environ.pop("KOHAKU_HUB_TEST_S3")
S3_MODE = os.environ.get("KOHAKUHUB_TEST_S3", "") not in ("", "0")

_server: MinioServer | None = None
_lock = threading.Lock()


def s3() -> MinioServer:
    """The process's MinIO server, started on first use and stopped at exit."""
    global _server
    with _lock:
        if _server is None:
            _server = MinioServer().start()
            atexit.register(_server.stop)
        return _server


def new_bucket() -> str:
    return f"hub-{uuid.uuid4().hex[:16]}"


def s3_settings(bucket: str | None = None, server: MinioServer | None = None) -> dict[str, object]:
    """Settings keyword arguments of a hub on ``server`` (default: the process's), a fresh bucket unless given."""
    server = server or s3()
    return {"s3_endpoint": server.endpoint, "s3_public_endpoint": server.endpoint,
            "s3_access_key": server.access_key, "s3_secret_key": server.secret_key,
            "s3_bucket": bucket or new_bucket(), "s3_region": "us-east-1", "s3_force_path_style": True,
            "s3_max_attempts": 1, "s3_connect_timeout_seconds": 2}


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
        if request.url.host != "testserver":  # presigned S3 URLs (any S3 server of the tests)
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


"""The production topology with real processes (issue 6): nginx running docker/nginx/default.conf.template in front
of ``uvicorn kohakuhub.main:app --workers 4`` on a fresh PostgreSQL database and S3 (the tests' MinIO).

Whatever the suite's mode (SQLite or PostgreSQL, local files or S3), this topology is always PostgreSQL +
S3, as docker-compose deploys it. Tests reach the hub through nginx only. It is module-scoped, and the
module's tests form the xdist group "deploy", so one worker starts it once (scripts/test.sh runs
``--dist loadgroup``) and it stops as soon as they are done.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks.servers import Nginx, nginx_binary, start_deploy_nginx
from tests.conftest import PASSWORD, LiveServer, free_port, start_server, stop_server
from tests.databases import create_database, drop_database
from tests.log_secrets import access_lines, leaked_lines
from tests.s3_support import s3_settings
from tests.servers.minio import MIN_PART_SIZE

MiB = 1024 * 1024
WORKERS = 4
ASSET = "assets/index-3f9a1c2b.js"  # a Vite-style hashed asset name
ADDRESS_LOGIN_LIMIT = 5
INDEX_HTML = "<!doctype html><title>KohakuHub UI</title><div id=app></div>"

deploy_group = pytest.mark.xdist_group("deploy")


@dataclass
class Deployment:
    url: str  # nginx: the only address clients use
    api: LiveServer  # uvicorn behind nginx (its own url is never used by clients)
    nginx: Nginx
    admin_token: str
    other_token: str  # bob's write token
    database_url: str  # the PostgreSQL database every worker shares
    s3_origin: str  # where presigned URLs point: the pages' policy allows it

    @property
    def token(self) -> str:
        return self.api.token

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.api.token}"}


def _static_root(root: Path) -> Path:
    """What a UI build puts in nginx's root: index.html and hashed assets."""
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX_HTML)
    (root / ASSET).write_text("console.log('kohakuhub');\n")
    return root


def _wait_for_workers(log: Path, count: int) -> None:
    deadline = time.monotonic() + 60
    while log.read_text(errors="replace").count("Application startup complete") < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{count} uvicorn workers did not start within 60 s; see {log}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    if nginx_binary() is None:
        pytest.skip("nginx is needed (scripts/test.sh installs it)")
    root = tmp_path_factory.mktemp("deploy")
    database_url = create_database()
    nginx_port = free_port()
    url = f"http://127.0.0.1:{nginx_port}"
    admin_token = secrets.token_urlsafe(32)
    s3 = s3_settings()
    env = {f"KOHAKU_HUB_{k.upper()}": str(v) for k, v in s3.items()}
    env.update({
        "KOHAKU_HUB_DATABASE_URL": database_url,
        "KOHAKU_HUB_ADMIN_TOKEN": admin_token,
        "KOHAKU_HUB_UPLOAD_MODE": "lfs",
        "KOHAKU_HUB_LOGIN_MAX_FAILURES_PER_ADDRESS": str(ADDRESS_LOGIN_LIMIT),
        "KOHAKU_HUB_LFS_THRESHOLD_BYTES": str(MiB),
        "KOHAKU_HUB_LFS_MULTIPART_THRESHOLD_BYTES": str(3 * MiB),
        "KOHAKU_HUB_LFS_MULTIPART_CHUNK_SIZE_BYTES": str(MIN_PART_SIZE),
    })
    api = start_server(root / "data", env, workers=WORKERS, base_url=url)
    nginx = None
    try:
        log = root / f"server-{api.url.rsplit(':', 1)[1]}.log"
        _wait_for_workers(log, WORKERS)
        # tests/e2e's HfClient shows the hub log named after the port of the URL it is given: nginx's.
        (root / f"server-{nginx_port}.log").symlink_to(log)
        api.cli("admin", "create-user", "bob", "--email", "bob@example.com", "--password", PASSWORD)
        s3_origin = str(s3["s3_public_endpoint"])  # path style: the endpoint is the presigned URLs' origin
        nginx = start_deploy_nginx(root / "nginx", api.url.removeprefix("http://"), _static_root(root / "html"),
                                   port=nginx_port, s3_origin=s3_origin)
        yield Deployment(url, api, nginx, admin_token, api.new_token("bob"), database_url, s3_origin)
    finally:
        if nginx is not None:
            nginx.stop()
        stop_server(api)
        drop_database(database_url)
    # Every test of the module ran through this nginx and API: their access logs hold none of its secrets.
    logs = [nginx.prefix / "access.log", log]
    for path in logs:
        assert access_lines(path) > 0, f"{path} has no access log lines"
    leaks = leaked_lines(logs, [admin_token, PASSWORD, (root / "data" / ".session_secret").read_text()])
    assert not leaks, "secrets in the access logs:\n" + "\n".join(leaks)

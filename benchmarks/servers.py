"""The processes the benchmarks talk to: a real hub (uvicorn, one worker) and an nginx baseline.

The hub is started the way ``tests/conftest.py::start_server`` does it: ``uvicorn kohakuhub.main:app``
on a free loopback port with a fresh data dir, then user alice and a write token via the admin CLI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks.common import REPO_ROOT, BenchError, free_port

PASSWORD = "correct-horse-battery"
START_TIMEOUT = 30.0


@dataclass
class Hub:
    """A running hub process and an authenticated HTTP client for it."""

    url: str
    data_dir: Path
    log_path: Path
    process: subprocess.Popen
    env: dict[str, str]
    username: str = "alice"
    token: str = ""
    _client: httpx.Client | None = field(default=None, repr=False)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(base_url=self.url, headers=self.auth, timeout=600)
        return self._client

    def cli(self, *args: str) -> str:
        """Run the ``kohakuhub`` admin CLI against this hub's data dir; return stdout."""
        result = subprocess.run(
            [sys.executable, "-m", "kohakuhub.cli.main", *args, "--data-dir", str(self.data_dir)],
            env=self.env, capture_output=True, text=True, timeout=60, cwd=REPO_ROOT, check=False,
        )
        if result.returncode != 0:
            raise BenchError(f"kohakuhub {' '.join(args[:2])} failed: {result.stderr.strip()[-500:]}")
        return result.stdout

    def create_repo(self, name: str) -> str:
        """Create public model repo alice/<name>; return the git repo key (``id`` of the answer)."""
        response = self.client.post("/api/repos/create", json={"name": name, "type": "model"})
        check(response, f"create repo {name}")
        return str(response.json().get("id", ""))

    def git_dir(self, key: str) -> Path:
        """The bare repository of a repo key (layout of ``GitBackend.repo_path``)."""
        path = self.data_dir / "repos" / key[:2] / f"{key}.git"
        if not path.is_dir():
            raise BenchError(f"git repository of key {key!r} not found at {path}")
        return path

    def commit(self, repo: str, body: bytes) -> tuple[float, str]:
        """POST an NDJSON commit body to main; return (wall seconds, commit id)."""
        started = time.perf_counter()
        response = self.client.post(f"/api/models/{self.username}/{repo}/commit/main", content=body,
                                    headers={"Content-Type": "application/x-ndjson"})
        elapsed = time.perf_counter() - started
        check(response, f"commit to {repo}")
        return elapsed, response.json()["commitOid"]

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
        stop_process(self.process)


def check(response: httpx.Response, what: str) -> None:
    """Raise BenchError with the hub's message when ``response`` is not a success."""
    if response.status_code >= 400:
        message = response.headers.get("x-error-message") or response.text[:300]
        raise BenchError(f"{what}: HTTP {response.status_code}: {message}")


def stop_process(process: subprocess.Popen) -> None:
    """Terminate one process we started, then kill it if it lingers."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def start_hub(root: Path, extra_env: dict[str, str] | None = None, *, workers: int = 1,
              base_url: str | None = None, token: str | None = None) -> Hub:
    """Start ``uvicorn kohakuhub.main:app`` on a free loopback port, with alice + token.

    ``workers`` > 1 runs that many workers trusting proxy headers from loopback (as docker/entrypoint.sh);
    ``base_url`` is the public address when a proxy is in front; ``token`` reuses alice and her token
    (another hub process over the same data dir and database).

    Raises:
        BenchError: the hub exits or does not answer /health within 30 s.
    """
    data_dir = root / "hub-data"
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOHAKU_HUB_")}
    env.update({
        "KOHAKU_HUB_DATA_DIR": str(data_dir),
        "KOHAKU_HUB_BASE_URL": base_url or f"http://127.0.0.1:{port}",
        "KOHAKU_HUB_LOG_LEVEL": "warning",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")])),
        **(extra_env or {}),
    })
    log_path = root / f"hub-{port}.log"
    command = [sys.executable, "-m", "uvicorn", "kohakuhub.main:app", "--host", "127.0.0.1", "--port", str(port),
               "--no-access-log"]
    if workers > 1:
        command += ["--workers", str(workers), "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
    hub = Hub(f"http://127.0.0.1:{port}", data_dir, log_path, process, env, token=token or "")
    try:
        _wait_ready(hub)
        if token is None:
            hub.cli("admin", "create-user", "alice", "--email", "alice@example.com", "--password", PASSWORD)
            hub.token = hub.cli("admin", "create-token", "alice", "--role", "write").strip().splitlines()[-1]
    except BaseException:
        hub.stop()
        raise
    return hub


def _wait_ready(hub: Hub) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:  # bounded by the deadline
        if hub.process.poll() is not None:
            raise BenchError(f"hub exited with {hub.process.returncode}:\n{hub.log_tail()}")
        try:
            if httpx.get(f"{hub.url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise BenchError(f"hub did not answer /health within {START_TIMEOUT:.0f} s:\n{hub.log_tail()}")


# --- nginx ---------------------------------------------------------------------------------------------

NGINX_CONF = """\
daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    default_type application/octet-stream;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    types {{ text/html html; text/css css; application/javascript js; application/json json; }}
{servers}
}}
"""
SERVER = """\
    server {{
        listen 127.0.0.1:{port};
{locations}
    }}"""
STATIC_LOCATION = "        location / {{ root {root}; }}"
DEPLOY_CONF = REPO_ROOT / "docker" / "nginx" / "default.conf.template"

# git http-backend behind fcgiwrap, as git-http-backend(1) describes it: the baseline of the clone
# benchmark. Bodies stream both ways (no request or response buffering), like the hub's git routes must.
# HTTP headers reach the CGI as HTTP_* (HTTP_CONTENT_ENCODING for gzip bodies); GIT_PROTOCOL is set
# explicitly so protocol v2 is used as it would be by the hub.
GIT_HTTP_BACKEND_LOCATION = """\
        client_max_body_size 0;
        location / {{
            fastcgi_pass unix:{socket};
            fastcgi_buffering off;
            fastcgi_request_buffering off;
            fastcgi_param SCRIPT_FILENAME {backend};
            fastcgi_param GIT_PROJECT_ROOT {project_root};
            fastcgi_param GIT_HTTP_EXPORT_ALL 1;
            fastcgi_param GIT_PROTOCOL $http_git_protocol;
            fastcgi_param PATH_INFO $uri;
            fastcgi_param QUERY_STRING $query_string;
            fastcgi_param REQUEST_METHOD $request_method;
            fastcgi_param CONTENT_TYPE $content_type;
            fastcgi_param CONTENT_LENGTH $content_length;
            fastcgi_param REMOTE_ADDR $remote_addr;
            fastcgi_param SERVER_PROTOCOL $server_protocol;
            fastcgi_param GATEWAY_INTERFACE CGI/1.1;
        }}"""


@dataclass
class Nginx:
    url: str
    process: subprocess.Popen
    prefix: Path

    def stop(self) -> None:
        stop_process(self.process)


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None)


def start_nginx(prefix: Path, root: Path | None = None, *, locations: str | None = None,
                servers: Callable[[int], str] | None = None, port: int | None = None) -> Nginx:
    """Start a foreground single-process nginx on loopback (``port``, default a free one).

    It serves ``root`` with sendfile, or runs the given ``locations`` (server-block lines) instead, or
    the http-level configuration ``servers(port)`` returns.

    Raises:
        BenchError: nginx is missing or does not start.
    """
    binary = nginx_binary()
    if binary is None:
        raise BenchError("nginx is not installed (apt-get install -y nginx)")
    prefix.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    conf = prefix / "nginx.conf"
    if servers is None:
        server = SERVER.format(port=port, locations=locations or STATIC_LOCATION.format(root=root))
    else:
        server = servers(port)
    conf.write_text(NGINX_CONF.format(prefix=prefix, servers=server))
    with open(prefix / "stderr.log", "wb") as log:
        process = subprocess.Popen([binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
                                   stdout=log, stderr=subprocess.STDOUT)
    server = Nginx(f"http://127.0.0.1:{port}", process, prefix)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # bounded by the deadline
        if process.poll() is not None:
            raise BenchError(f"nginx exited: {(prefix / 'stderr.log').read_text()[-500:]}")
        try:
            httpx.get(server.url + "/", timeout=1)
            return server
        except httpx.HTTPError:
            time.sleep(0.05)
    server.stop()
    raise BenchError("nginx did not start within 10 s")


def deploy_nginx_conf(port: int, api: str, root: Path, access_log: Path, s3_origin: str = "") -> str:
    """docker/nginx/default.conf.template with only its listen port, API address (``host:port``), root and
    access log file replaced, and ``${S3_BROWSER_ORIGIN}`` by ``s3_origin`` as the nginx image does.

    Raises:
        BenchError: the file no longer has exactly one of the lines replaced.
    """
    text = DEPLOY_CONF.read_text().replace("${S3_BROWSER_ORIGIN}", s3_origin)
    for old, new in (("listen 28080;", f"listen 127.0.0.1:{port};"), ("server api:48888;", f"server {api};"),
                     ("root /usr/share/nginx/html;", f"root {root};"),
                     ("access_log /var/log/nginx/access.log ", f"access_log {access_log} ")):
        if text.count(old) != 1:
            raise BenchError(f"{DEPLOY_CONF} should contain {old!r} exactly once")
        text = text.replace(old, new)
    return text


def start_deploy_nginx(prefix: Path, api: str, root: Path, port: int | None = None, s3_origin: str = "") -> Nginx:
    """The production front: nginx running docker/nginx/default.conf.template in front of the API at ``api``.

    Its access log is ``prefix/access.log``; ``s3_origin`` is the S3 origin its pages may reach.

    Raises:
        BenchError: nginx is missing or does not start.
    """
    return start_nginx(prefix, servers=lambda chosen: deploy_nginx_conf(chosen, api, root, prefix / "access.log",
                                                                       s3_origin), port=port)


# --- git http-backend behind nginx + fcgiwrap ----------------------------------------------------------


@dataclass
class GitHttpBackend:
    """nginx + fcgiwrap running ``git http-backend`` over the repositories under one project root."""

    nginx: Nginx
    fcgiwrap: subprocess.Popen

    @property
    def url(self) -> str:
        return self.nginx.url

    def stop(self) -> None:
        self.nginx.stop()
        stop_process(self.fcgiwrap)


def git_http_backend_binary() -> str:
    """Path of ``git-http-backend`` (in git's exec path).

    Raises:
        BenchError: git is missing or has no http-backend.
    """
    try:
        exec_path = subprocess.run(["git", "--exec-path"], capture_output=True, text=True, timeout=30,
                                   check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        raise BenchError(f"git is not installed: {exc}") from exc
    backend = Path(exec_path) / "git-http-backend"
    if not backend.is_file():
        raise BenchError(f"{backend} not found")
    return str(backend)


def start_git_http_backend(prefix: Path, project_root: Path) -> GitHttpBackend:
    """Serve every bare repository under ``project_root`` at ``/<path>`` through git http-backend.

    fcgiwrap runs as one process (``-c 1``): a clone sends its requests one after another.

    Raises:
        BenchError: fcgiwrap or nginx is missing or does not start.
    """
    binary = shutil.which("fcgiwrap") or next(
        (p for p in ("/usr/sbin/fcgiwrap", "/usr/local/sbin/fcgiwrap") if Path(p).exists()), None)
    if binary is None:
        raise BenchError("fcgiwrap is not installed (apt-get install -y fcgiwrap)")
    backend = git_http_backend_binary()
    prefix.mkdir(parents=True, exist_ok=True)
    socket_path = prefix / "fcgiwrap.sock"
    with open(prefix / "fcgiwrap.log", "wb") as log:
        fcgiwrap = subprocess.Popen([binary, "-c", "1", "-s", f"unix:{socket_path}"],
                                    stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while not socket_path.exists():  # bounded by the deadline
        if fcgiwrap.poll() is not None or time.monotonic() > deadline:
            stop_process(fcgiwrap)
            raise BenchError(f"fcgiwrap did not start: {(prefix / 'fcgiwrap.log').read_text()[-500:]}")
        time.sleep(0.02)
    locations = GIT_HTTP_BACKEND_LOCATION.format(socket=socket_path, backend=backend,
                                                 project_root=project_root)
    try:
        nginx = start_nginx(prefix / "nginx", locations=locations)
    except BaseException:
        stop_process(fcgiwrap)
        raise
    return GitHttpBackend(nginx, fcgiwrap)

"""The production topology through nginx only (issue 6): docker/nginx/default.conf.template routes each path to the
right place, the API behind it builds absolute URLs for the address clients used, and real clients work:
huggingface_hub, git + git-lfs, and 50 concurrent commits to one branch spread over the 4 uvicorn workers.

"Reached the API" is judged by ``X-Request-Id``, which only the hub sets; "reached the UI" by the test's
index.html. One topology serves the whole module (tests/deploy/conftest.py) and stops with it: its 4
workers hold one PostgreSQL connection per busy thread, so it must not outlive these tests.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from benchmarks.servers import start_deploy_nginx
from kohakuhub.api.ui import page_policy
from kohakuhub.app import create_app
from kohakuhub.config import load_settings
from tests.api.helpers import NDJSON, create_repo, file_op, lfs_op, ndjson
from tests.api.test_content_safety import FILES as CONTENT_FILES
from tests.conftest import PASSWORD, free_port
from tests.databases import postgres_sql
from tests.deploy.conftest import ADDRESS_LOGIN_LIMIT, ASSET, INDEX_HTML, WORKERS, MiB, Deployment, deploy_group
from tests.e2e.conftest import HfClient, Hub
from tests.git.conftest import make_git
from tests.s3_support import s3
from tests.servers.minio import MIN_PART_SIZE

pytestmark = deploy_group


@pytest.fixture(scope="module")
def http(deployment: Deployment) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=deployment.url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def repos(deployment: Deployment, http: httpx.Client) -> dict[str, str]:
    """A public model, dataset and space of alice, each with README.md, a.txt and b.txt."""
    names = {}
    for repo_type in ("model", "dataset", "space"):
        name = f"route-{repo_type}-{uuid.uuid4().hex[:6]}"
        create_repo(http, deployment.token, name, repo_type)
        plural = f"{repo_type}s"
        ops = [file_op("README.md", b"# routed\n"), file_op("a.txt", b"a"), file_op("b.txt", b"b")]
        answer = http.post(f"/api/{plural}/alice/{name}/commit/main", content=ndjson(ops),
                           headers={**NDJSON, **deployment.auth()})
        assert answer.status_code == 200, answer.text
        names[repo_type] = f"alice/{name}"
    return names


def _reached_api(response: httpx.Response) -> None:
    assert response.headers.get("x-request-id"), (response.request.url, response.status_code, response.text[:200])
    assert "text/html" not in response.headers.get("content-type", ""), response.request.url


def _directives(policy: str) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (part.split() for part in policy.split(";"))}


def _is_ui(response: httpx.Response, s3_origin: str) -> None:
    assert response.status_code == 200, response.request.url
    assert response.text == INDEX_HTML and "text/html" in response.headers["content-type"]
    assert "x-request-id" not in response.headers
    assert response.headers["cache-control"] == "no-cache"
    policy = _directives(response.headers["content-security-policy"])
    assert policy == _directives(page_policy(s3_origin)), "nginx's page policy is not the hub's"
    assert policy["script-src"] == ["'self'"] and s3_origin in policy["connect-src"]
    assert response.headers["referrer-policy"] == "same-origin"


def test_ui_files_and_spa_fallback(deployment: Deployment, http: httpx.Client):
    _is_ui(http.get("/"), deployment.s3_origin)
    _is_ui(http.get("/index.html"), deployment.s3_origin)
    for ui_route in ("/alice/some-model", "/datasets/alice/data/blob/main/train.csv", "/settings/tokens",
                     "/alice/some-model/tree/main/sub", "/admin", "/admin/", "/admin/users", "/admin/health",
                     "/admin/quotas?search=a", "/admin/apis", "/administrator"):
        _is_ui(http.get(ui_route), deployment.s3_origin)
    # The API's own pages (the embedded layout's way of serving the UI) name the same S3 origin, which the
    # hub takes from a URL it signs.
    direct = httpx.get(deployment.api.url + "/alice/some-model", headers={"accept": "text/html"})
    assert direct.status_code == 200, "the UI is not built (ui/: npm ci && npm run build)"
    assert direct.headers["content-security-policy"] == page_policy(deployment.s3_origin)
    asset = http.get(f"/{ASSET}")
    assert asset.status_code == 200 and asset.text.startswith("console.log")
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    missing = http.get("/assets/index-00000000.js")
    assert missing.status_code == 404 and INDEX_HTML not in missing.text


def test_api_admin_org_and_health(deployment: Deployment, http: httpx.Client):
    for path in ("/health", "/api/version", "/api/models", "/org/users/alice/orgs", "/api"):
        response = http.get(path)
        _reached_api(response)
        assert response.status_code in (200, 404) and response.headers["content-type"] == "application/json"
    stats = http.get("/admin/api/stats", headers={"X-Admin-Token": deployment.admin_token})
    _reached_api(stats)
    assert stats.status_code == 200 and "users" in stats.json()
    refused = http.get("/admin/api/stats")
    _reached_api(refused)
    assert refused.status_code == 401
    # Only /admin/api/ is the API's; /admin and the portal's pages are the UI's (test_ui_files_and_spa_fallback).
    for path in ("/admin/api", "/admin/api/", "/admin/api/health", "/admin/api/users?search=a"):
        answer = http.get(path, headers={"accept": "text/html"})
        _reached_api(answer)
        assert answer.status_code in (401, 404), path


def test_resolve_in_every_url_form(http: httpx.Client, repos: dict[str, str]):
    forms = [f"/{repos['model']}", f"/datasets/{repos['dataset']}", f"/spaces/{repos['space']}",
             f"/api/models/{repos['model']}", f"/api/datasets/{repos['dataset']}"]
    for prefix in forms:
        for method in ("HEAD", "GET"):
            response = http.request(method, f"{prefix}/resolve/main/README.md")
            _reached_api(response)
            assert response.status_code == 200 and response.headers["x-repo-commit"], prefix
        assert response.content == b"# routed\n"


def test_repo_content_is_served_through_nginx_as_it_leaves_the_api(deployment: Deployment, http: httpx.Client):
    """nginx keeps the API's nosniff, sandbox and attachment headers on every file type (issue 14)."""
    name = f"content-{uuid.uuid4().hex[:6]}"
    create_repo(http, deployment.token, name)
    ops = [file_op(path, data) for path, (data, _) in CONTENT_FILES.items()]
    answer = http.post(f"/api/models/alice/{name}/commit/main", content=ndjson(ops),
                       headers={**NDJSON, **deployment.auth()})
    assert answer.status_code == 200, answer.text
    for path, (data, inline) in CONTENT_FILES.items():
        for method in ("HEAD", "GET"):
            response = http.request(method, f"/alice/{name}/resolve/main/{path}")
            assert response.headers.get("x-request-id"), path  # answered by the API (an .html file is text/html)
            assert response.headers["x-content-type-options"] == "nosniff", path
            assert response.headers["content-security-policy"] == "sandbox", path
            assert response.headers["content-disposition"].startswith("inline" if inline else "attachment"), path
        assert response.content == data


def test_json_bodies_are_capped_and_streaming_bodies_are_not(deployment: Deployment, http: httpx.Client,
                                                               repos: dict[str, str]):
    """nginx caps bodies as the API does (4 MiB), in JSON, except on the streaming routes (issue 14)."""
    over = b"{" + b" " * (4 * MiB) + b"}"
    for path in (f"/{repos['model']}.git/info/lfs/objects/batch", "/api/auth/login", "/api/validate-yaml",
                 f"/api/models/{repos['model']}/preupload/main", "/org/create", "/admin/api/users"):
        answer = http.post(path, content=over, headers={"content-type": "application/json"})
        assert answer.status_code == 413 and answer.headers["content-type"] == "application/json", path
        assert "limit" in answer.headers["x-error-message"] and "limit" in answer.json()["error"]
    big = os.urandom(5 * MiB)  # inline in the NDJSON body: over the cap, through nginx to the API
    commit = http.post(f"/api/models/{repos['model']}/commit/main", content=ndjson([file_op("big.bin", big)]),
                       headers={**NDJSON, **deployment.auth()})
    assert commit.status_code == 200, commit.text
    assert http.get(f"/{repos['model']}/resolve/main/big.bin", follow_redirects=True).content == big


def test_git_and_lfs_paths(deployment: Deployment, http: httpx.Client, repos: dict[str, str]):
    for repo in (f"/{repos['model']}", f"/datasets/{repos['dataset']}", f"/spaces/{repos['space']}"):
        for suffix in (".git", ""):
            refs = http.get(f"{repo}{suffix}/info/refs", params={"service": "git-upload-pack"})
            _reached_api(refs)
            assert refs.headers["content-type"] == "application/x-git-upload-pack-advertisement"
            assert b"refs/heads/main" in refs.content
            pack = http.post(f"{repo}{suffix}/git-upload-pack", content=b"0000",
                             headers={"Content-Type": "application/x-git-upload-pack-request"})
            _reached_api(pack)
            push = http.post(f"{repo}{suffix}/git-receive-pack", content=b"0000",
                             headers={"Content-Type": "application/x-git-receive-pack-request"})
            _reached_api(push)
            assert push.status_code == 401 and push.headers["www-authenticate"].startswith("Basic")
            batch = http.post(f"{repo}{suffix}/info/lfs/objects/batch",
                              json={"operation": "download", "objects": [{"oid": "0" * 64, "size": 1}]},
                              headers={"Accept": "application/vnd.git-lfs+json"})
            _reached_api(batch)
            assert batch.status_code == 200 and batch.headers["content-type"].startswith("application/vnd.git-lfs")
    locks = http.post(f"/{repos['model']}.git/info/lfs/locks/verify", json={}, headers=deployment.auth())
    _reached_api(locks)


def _sample_path(template: str) -> str:
    values = {"plural": "models", "plural_param": "datasets", "namespace": "alice", "name": "no-such-repo",
              "revision": "main", "path": "dir/file.bin", "oid": "0" * 64, "upload_id": "x", "number": "1",
              "token": "no-such-token", "org": "no-such-org", "username": "nobody", "branch": "b", "tag": "t",
              "session_id": "1", "token_id": "1"}
    if template.startswith("/{plural}/"):  # outside /api/ the type prefix is datasets/ or spaces/ (none: model)
        values["plural"] = "spaces"
    # Any other parameter (hashes, ids) gets a well-formed value that names nothing.
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "0" * 64), template)


@pytest.mark.filterwarnings("ignore:Duplicate Operation ID")  # GET and HEAD of resolve share one
def test_every_api_route_reaches_the_api_and_never_answers_html(http: httpx.Client, tmp_path: Path):
    """Walks the app's own route table (its OpenAPI paths), so a route added later without an nginx rule
    fails here."""
    paths = create_app(load_settings(data_dir=tmp_path / "data")).openapi()["paths"]  # SQLite: routes only
    assert len(paths) > 60
    for template, operations in paths.items():
        for method in sorted(set(operations) - {"head"}):
            _reached_api(http.request(method.upper(), _sample_path(template)))  # anonymous: changes nothing
    for path in ("/api/openapi.json", "/api/no/such/route", "/org/", "/admin/api/nothing"):
        _reached_api(http.get(path))
    assert http.get("/api/docs").headers.get("x-request-id")  # the API's own (HTML) Swagger page


def test_generated_urls_use_the_address_the_client_used(deployment: Deployment, http: httpx.Client,
                                                         repos: dict[str, str]):
    repo = repos["model"]
    commit = http.post(f"/api/models/{repo}/commit/main", content=ndjson([file_op("c.txt", b"c")]),
                       headers={**NDJSON, **deployment.auth()})
    assert commit.json()["commitUrl"].startswith(f"{deployment.url}/{repo}/commit/")
    # An outer TLS proxy reports https (README, HTTPS): the API follows it through nginx.
    tls = http.post(f"/api/models/{repo}/commit/main", content=ndjson([file_op("d.txt", b"d")]),
                    headers={**NDJSON, **deployment.auth(), "X-Forwarded-Proto": "https"})
    assert tls.json()["commitUrl"].startswith(f"https://{deployment.url.removeprefix('http://')}/{repo}/")
    page = http.get(f"/api/models/{repo}/tree/main", params={"limit": 1})
    assert page.headers["link"].startswith(f"<{deployment.url}/api/models/{repo}/tree/main?")
    data = b"x" * (2 * MiB)
    batch = http.post(f"/{repo}.git/info/lfs/objects/batch", headers=deployment.auth(), json={
        "operation": "upload", "objects": [{"oid": lfs_op("big.bin", data)["value"]["oid"], "size": len(data)}]})
    actions = batch.json()["objects"][0]["actions"]
    assert actions["verify"]["href"].startswith(f"{deployment.url}/api/lfs/verify/")
    # Bytes go straight to S3, signed for its public endpoint.
    assert actions["upload"]["href"].startswith(f"{s3().endpoint}/")
    old, new = f"{repo}-old", f"{repo}-new"
    create_repo(http, deployment.token, old.split("/")[1])
    moved = http.post("/api/repos/move", json={"fromRepo": old, "toRepo": new, "type": "model"},
                      headers=deployment.auth())
    assert moved.status_code == 200, moved.text
    redirect = http.get(f"/api/models/{old}")
    assert redirect.status_code == 307 and redirect.headers["location"] == f"{deployment.url}/api/models/{new}"


def test_no_cors_grants_for_other_origins(deployment: Deployment, http: httpx.Client):
    evil = {"Origin": "https://evil.example"}
    preflight = http.options("/api/whoami-v2", headers={**evil, "Access-Control-Request-Method": "GET"})
    answer = http.get("/api/whoami-v2", headers={**evil, **deployment.auth()})
    for response in (preflight, answer):
        _reached_api(response)
        assert not any(h.startswith("access-control-") for h in response.headers), response.headers


def test_clients_cannot_choose_their_address_through_nginx(deployment: Deployment, http: httpx.Client):
    """nginx replaces X-Forwarded-For, so the per-address login limit counts the real peer, whatever a
    client claims (appending to the header would let each attempt come from a new address)."""
    statuses = []
    try:
        for n in range(ADDRESS_LOGIN_LIMIT + 1):
            answer = http.post("/api/auth/login", json={"username": f"guess{n}", "password": "wrong-password"},
                               headers={"X-Forwarded-For": f"203.0.113.{n}"})
            _reached_api(answer)
            statuses.append(answer.status_code)
    finally:  # every test of this module logs in from this address: lift the lock this test set
        postgres_sql(deployment.database_url, "DELETE FROM login_failure")
    assert statuses == [401] * ADDRESS_LOGIN_LIMIT + [429]


def test_api_down_answers_json_not_html(tmp_path):
    """nginx whose API is not listening (the 'connection refused on 48888' case) answers a retryable 503."""
    nginx = start_deploy_nginx(tmp_path / "nginx", f"127.0.0.1:{free_port()}", tmp_path)
    try:
        for path in ("/api/version", "/alice/m/resolve/main/x", "/alice/m.git/info/refs?service=git-upload-pack"):
            response = httpx.get(nginx.url + path)
            assert response.status_code == 503 and response.headers["retry-after"] == "5"
            assert response.headers["content-type"] == "application/json" and "api" in response.json()["error"]
    finally:
        nginx.stop()


# --- real clients ------------------------------------------------------------------------------------


BIG = 2 * MIN_PART_SIZE + 512 * 1024  # three parts of the multipart upload (S3's parts are 5 MiB at least)


def _hosts(requests: list[str]) -> set[str]:
    """Hosts other than HF_ENDPOINT's that the client talked to (the recorder marks them with '@')."""
    return {line.rsplit(" @", 1)[1].split(" ")[0] for line in requests if " @" in line}


def test_huggingface_hub_client_subset(deployment: Deployment, tmp_path: Path):
    hub = Hub(dataclasses.replace(deployment.api, url=deployment.url), deployment.other_token, "lfs")
    hf = HfClient("noxet-lfs", hub, tmp_path)
    result = hf.run("deploy:client_subset", repo_id=hf.repo_id("deploy"), big_size=BIG).result
    s3_host = urlsplit(s3().endpoint).netloc
    assert _hosts(result["all_requests"]) == {s3_host}  # nginx and S3 only, never the API's own port
    up = result["upload_requests"]
    assert sum(r.startswith("PUT ") and "partNumber=" in r and r.endswith(f"@{s3_host}") for r in up) == 3
    assert sum(r.startswith("POST /api/lfs/complete/") for r in up) == 1  # completion through nginx
    down = result["download_requests"]
    assert any(r.startswith("GET /") and "/resolve/main/weights/big.bin" in r for r in down)  # the 302
    assert any(r.startswith("GET ") and r.endswith(f"@{s3_host}") for r in down)  # the presigned GET
    assert result["downloaded"] == result["expected"]["weights/big.bin"] and result["xet_hash"] is None
    assert result["branches"] == ["dev", "main"]
    expected = {k: v for k, v in result["expected"].items() if v}
    assert {k: v for k, v in result["main"].items() if k != ".gitattributes"} == expected
    assert {k: v for k, v in result["dev"].items() if k != ".gitattributes"} == {
        **expected, "dev.txt": hashlib.sha256(b"dev only\n").hexdigest()}


def test_huggingface_hub_with_hf_xet(deployment: Deployment, tmp_path: Path):
    """The client's default since the hub speaks Xet: its CAS calls (/api/xet/...) go through nginx too."""
    hub = Hub(dataclasses.replace(deployment.api, url=deployment.url), deployment.other_token, "lfs")
    hf = HfClient("xet", hub, tmp_path)
    result = hf.run("deploy:client_subset", repo_id=hf.repo_id("deploy"), big_size=BIG).result
    assert _hosts(result["all_requests"]) <= {urlsplit(s3().endpoint).netloc}
    assert result["xet_hash"]  # stored through the Xet CAS (/api/xet/..., through nginx)
    assert result["downloaded"] == result["expected"]["weights/big.bin"]
    assert result["branches"] == ["dev", "main"]


@pytest.mark.skipif(shutil.which("git-lfs") is None, reason="git-lfs is needed (scripts/test.sh installs it)")
def test_git_push_then_clone_and_lfs_pull(deployment: Deployment, tmp_path: Path):
    git = make_git(tmp_path / "home")
    name = f"git-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=deployment.url) as http:
        create_repo(http, deployment.token, name)
    remote = f"http://git:{deployment.token}@{deployment.url.removeprefix('http://')}/alice/{name}"
    work = tmp_path / "work"
    git.run("clone", remote, str(work))
    weights = os.urandom(2 * MiB)
    (work / "model.bin").write_bytes(weights)
    (work / "notes.txt").write_text("pushed through nginx\n")
    git.run("lfs", "track", "*.bin", cwd=work)
    git.run("add", ".", cwd=work)
    git.run("commit", "-m", "weights", cwd=work)
    git.run("push", "origin", "main", cwd=work)  # git-lfs: batch via nginx, bytes to S3; then receive-pack
    pushed = git.out("rev-parse", "HEAD", cwd=work)

    fresh = tmp_path / "fresh"
    git.env["GIT_LFS_SKIP_SMUDGE"] = "1"
    git.run("clone", remote, str(fresh))
    assert (fresh / "model.bin").read_bytes().startswith(b"version https://git-lfs.github.com/spec/v1")
    git.run("lfs", "pull", cwd=fresh)
    assert (fresh / "model.bin").read_bytes() == weights
    assert git.out("rev-parse", "HEAD", cwd=fresh) == pushed
    info = httpx.get(f"{deployment.url}/api/models/alice/{name}", headers=deployment.auth()).json()
    assert info["sha"] == pushed


def _worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def test_50_concurrent_commits_to_one_branch_all_land_in_a_linear_history(deployment: Deployment,
                                                                          tmp_path: Path):
    name = f"burst-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=deployment.url, timeout=120,
                      limits=httpx.Limits(max_connections=50)) as http:
        create_repo(http, deployment.token, name)

        def commit(n: int) -> httpx.Response:
            body = ndjson([file_op(f"burst/{n:02d}.txt", f"commit {n}\n".encode())], summary=f"commit {n}")
            return http.post(f"/api/models/alice/{name}/commit/main", content=body,
                             headers={**NDJSON, **deployment.auth()})

        with ThreadPoolExecutor(50) as pool:
            answers = list(pool.map(commit, range(50)))
    assert [a.status_code for a in answers] == [200] * 50, [a.text for a in answers if a.status_code != 200]
    oids = {a.json()["commitOid"] for a in answers}
    assert len(oids) == 50
    assert len(_worker_pids(deployment.api.process.pid)) == WORKERS  # none died under the burst

    git = make_git(tmp_path / "home")
    clone = tmp_path / "clone.git"
    git.run("clone", "--bare", f"{deployment.url}/alice/{name}", str(clone))
    history = git.out("rev-list", "--parents", "main", cwd=clone).splitlines()
    assert all(len(line.split()) <= 2 for line in history)  # no merges: one parent each (root: none)
    assert len(history) == 51  # the initial commit and the 50
    assert oids <= {line.split()[0] for line in history}
    files = git.out("ls-tree", "--name-only", "main", "burst/", cwd=clone).splitlines()
    assert files == [f"burst/{n:02d}.txt" for n in range(50)]


def test_access_logs_redact_signed_urls_sessions_and_invitation_tokens(deployment: Deployment, tmp_path: Path):
    """Requests carrying each kind of secret in their URL reach nginx and the API; neither log keeps it.

    The fixture's teardown greps both whole logs for every secret the module created (tests/log_secrets.py).
    """
    with httpx.Client(base_url=deployment.url, timeout=60) as client:
        login = client.post("/api/auth/login", json={"username": "bob", "password": PASSWORD})
        assert login.status_code == 200, login.text
        assert client.get("/api/auth/me").status_code == 200  # a request on the session cookie
        org = f"logs-{uuid.uuid4().hex[:6]}"
        assert client.post("/org/create", json={"name": org}, headers=deployment.auth()).status_code == 200
        created = client.post(f"/api/invitations/org/{org}/create", json={"role": "member"}, headers=deployment.auth())
        assert created.status_code == 200, created.text
        invitation = created.json()["token"]
        assert client.get(f"/api/invitations/{invitation}").status_code == 200
        oid = "a" * 64
        signed = {"sig": "d" * 64, "expires": "9999999999", "repo": "1"}
        for query in (signed, {"X-Amz-Signature": "e" * 64, "X-Amz-Credential": "minio/2026"}, {"%73ig": "f" * 64}):
            target = f"/api/lfs/objects/{oid}?" + "&".join(f"{k}={v}" for k, v in query.items())
            assert client.get(target).status_code == 403
    nginx_log = (deployment.nginx.prefix / "access.log").read_text()
    api_log = (deployment.api.data_dir.parent / f"server-{deployment.api.url.rsplit(':', 1)[1]}.log").read_text()
    for log in (nginx_log, api_log):
        assert "GET /api/invitations/[redacted] " in log and f"GET /api/lfs/objects/{oid}?[redacted] " in log
        for secret in (invitation, login.cookies["session_id"], "d" * 64, "e" * 64, "f" * 64, "minio/2026"):
            assert secret not in log

"""How the hub serves a UI build: pages for the browser's page loads, assets cached for a year, and never
HTML on an API, git, LFS or resolve path. The build here is a small real one written by the test."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kohakuhub.app import create_app
from kohakuhub.ui_build import ensure_ui_built, ui_is_stale
from tests.api.helpers import create_repo
from tests.conftest import hub_settings
from tests.databases import drop_database_for
from tests.s3_support import S3_MODE, app_client

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
INDEX = b'<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head></html>'


def _dist(root: Path) -> Path:
    dist = root / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_bytes(INDEX)
    (dist / "assets" / "index-abc123.js").write_text("console.log('app')")
    return dist


@pytest.fixture
def client(tmp_path: Path) -> Iterator:
    settings = hub_settings(tmp_path / "data", ui_dir=_dist(tmp_path / "ui"))
    try:
        with app_client(create_app(settings), base_url="http://testserver") as c:
            user = c.app.state.hub.accounts.create_user("alice", "alice@example.com", "correct-horse-battery")
            c.token = c.app.state.hub.accounts.create_token(user.id, "t")[1]
            yield c
    finally:
        drop_database_for(settings.data_dir)


@pytest.mark.parametrize("path", ["/", "/models", "/datasets", "/alice/some-model", "/datasets/alice/d",
                                  "/alice/m/tree/main/a/b", "/alice/m/blob/main/x.py", "/settings/tokens",
                                  "/organizations/acme", "/login", "/admin", "/admin/users", "/admin/health"])
def test_page_loads_get_the_app(client, path: str) -> None:
    resp = client.get(path, headers=HTML)
    assert resp.status_code == 200 and resp.content == INDEX
    assert resp.headers["content-type"].startswith("text/html")
    assert resp.headers["cache-control"] == "no-cache"
    assert "script-src 'self'" in resp.headers["content-security-policy"]
    assert resp.headers["x-content-type-options"] == "nosniff"
    head = client.head(path, headers=HTML)
    assert head.status_code == 200 and head.content == b""


def test_page_policy_allows_the_blob_stores_origin_for_fetches_and_images_only(client) -> None:
    policy = {name: sources for name, *sources in (
        part.split() for part in client.get("/", headers=HTML).headers["content-security-policy"].split(";"))}
    origin = client.app.state.hub.lfs.store.direct_origin()
    assert (origin is not None) == S3_MODE
    for directive in ("connect-src", "img-src"):
        assert policy[directive][0] == "'self'" and (origin in policy[directive]) == S3_MODE
    assert policy["script-src"] == policy["style-src"] == ["'self'"] and policy["object-src"] == ["'none'"]


def test_hashed_assets_are_cached_for_a_year(client) -> None:
    resp = client.get("/assets/index-abc123.js")
    assert resp.status_code == 200 and resp.text == "console.log('app')"
    assert resp.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get("/assets/missing.js").status_code == 404
    assert client.get("/assets/..%2Findex.html").status_code == 404


def test_text_assets_are_gzipped_for_browsers_that_accept_it(client) -> None:
    zipped = client.get("/assets/index-abc123.js", headers={"Accept-Encoding": "gzip, br"})
    assert zipped.headers["content-encoding"] == "gzip" and zipped.headers["vary"] == "Accept-Encoding"
    assert zipped.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript")
    assert zipped.text == "console.log('app')"  # httpx decodes it
    plain = client.get("/assets/index-abc123.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == b"console.log('app')"


@pytest.mark.parametrize("path", ["/api/nothing", "/api/models/alice/none", "/admin/api/nothing", "/admin/api",
                                  "/admin/api/stats", "/org/nobody",
                                  "/alice/m/resolve/main/README.md", "/alice/m.git/info/refs",
                                  "/alice/m/info/refs", "/alice/m.git/info/lfs/objects/batch"])
def test_api_git_lfs_and_resolve_paths_never_answer_html(client, path: str) -> None:
    resp = client.get(path, headers=HTML, follow_redirects=False)
    assert resp.status_code >= 400, (path, resp.status_code)
    assert not resp.headers.get("content-type", "").startswith("text/html"), path


def test_non_page_requests_keep_the_json_404(client) -> None:
    for method, headers in (("GET", {"Accept": "application/json"}), ("GET", {}), ("POST", HTML),
                            ("DELETE", HTML)):
        resp = client.request(method, "/alice/some-model", headers=headers)
        assert resp.status_code in (404, 405) and resp.headers["content-type"] == "application/json", method
    create_repo(client, client.token, "m")
    assert client.get("/api/models/alice/m", headers=HTML).headers["content-type"] == "application/json"


def test_without_a_build_the_hub_serves_the_api_only(tmp_path: Path) -> None:
    settings = hub_settings(tmp_path / "data", ui_dir=tmp_path / "no-ui")
    try:
        with app_client(create_app(settings), base_url="http://testserver") as c:
            assert c.get("/", headers=HTML).status_code == 404
            assert c.get("/api/version").status_code == 200
    finally:
        drop_database_for(settings.data_dir)


def test_a_build_is_stale_when_missing_or_older_than_a_source(tmp_path: Path) -> None:
    ui = tmp_path / "ui"
    (ui / "src").mkdir(parents=True)
    (ui / "src" / "main.ts").write_text("x")
    (ui / "package.json").write_text("{}")
    assert ui_is_stale(ui)
    _dist(ui)
    assert not ui_is_stale(ui)
    later = time.time() + 5
    os.utime(ui / "src" / "main.ts", (later, later))
    assert ui_is_stale(ui)


def test_without_npm_the_build_step_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ui = tmp_path / "ui"
    ui.mkdir()
    (ui / "package.json").write_text("{}")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    said: list[str] = []
    assert ensure_ui_built(ui, say=said.append) is False
    assert "install Node.js" in said[0]

"""The web UI in real Chromium (Playwright, Debian's binary) against a real hub.

On the embedded layout the hub serves the built UI itself; with KOHAKU_HUB_TEST_S3=1 (the production
layout of scripts/test.sh) docker/nginx/default.conf.template serves ``ui/dist`` and proxies the rest to the hub, as
in a deployment. Either way ``ui_hub.url`` is the one address a browser and the client use.

Helpers: ``sign_up``/``sign_in`` make a user and give a browser context its session, ``axe_violations``
runs axe-core in the page, ``screenshot`` writes docs/screenshots/<name>.png (the README shows them).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from benchmarks.servers import start_deploy_nginx
from kohakuhub.api.ui import default_ui_dist
from tests.conftest import PASSWORD, LiveServer, free_port, start_server, stop_server
from tests.s3_support import S3_MODE, s3
from tests.servers.chromium import FLAGS, chromium_binary

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE = ROOT / "ui" / "node_modules" / "axe-core" / "axe.min.js"
LAUNCH_FLAGS = [flag for flag in FLAGS if not flag.startswith(("--headless", "--remote-debugging"))]


@dataclass
class UiHub:
    """A hub as a browser reaches it (``url``), with the server behind it (``server``: its CLI, alice's token)."""

    url: str
    server: LiveServer

    def api(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token or self.server.token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


@dataclass
class User:
    name: str
    password: str
    token: str


@pytest.fixture(scope="session")
def ui_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiHub]:
    dist = default_ui_dist()
    assert (dist / "index.html").is_file(), "the UI is not built: run `npm ci && npm run build` in ui/"
    data = tmp_path_factory.mktemp("ui-hub") / "data"
    if not S3_MODE:
        server = start_server(data)
        yield UiHub(server.url, server)
        stop_server(server)
        return
    port = free_port()
    server = start_server(data, base_url=f"http://127.0.0.1:{port}")
    # The hub's S3 settings are the process's MinIO (tests.s3_support.hub_env), path style: its endpoint
    # is the origin of every presigned URL.
    nginx = start_deploy_nginx(tmp_path_factory.mktemp("ui-nginx"), server.url.removeprefix("http://"), dist,
                               port=port, s3_origin=s3().endpoint)
    try:
        yield UiHub(nginx.url, server)
    finally:
        nginx.stop()
        stop_server(server)


@pytest.fixture
def playwright_browser():
    """Chromium for one test. Not shared: Playwright's sync API keeps an asyncio loop running in this
    thread while it is started, and the other tests xdist sends to this worker call asyncio.run()."""
    binary = chromium_binary()
    if binary is None:
        pytest.skip("chromium is needed (scripts/test.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=binary, args=LAUNCH_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def context(playwright_browser, ui_hub: UiHub):
    """A fresh browser profile (no cookies) whose relative URLs go to the hub."""
    opened = playwright_browser.new_context(base_url=ui_hub.url, viewport={"width": 1280, "height": 800})
    opened.set_default_timeout(15_000)
    yield opened
    opened.close()


@pytest.fixture
def page(context):
    return context.new_page()


def sign_up(hub: UiHub, prefix: str = "u") -> User:
    """A new user made by the site admin's CLI, with a write token."""
    name = f"{prefix}{uuid.uuid4().hex[:8]}"
    hub.server.cli("admin", "create-user", name, "--email", f"{name}@example.com", "--password", PASSWORD)
    return User(name, PASSWORD, hub.server.new_token(name))


def sign_in(context, user: User) -> None:
    """Give ``context`` the user's session cookie by logging in over the API (the cookie jar is shared)."""
    answer = context.request.post("/api/auth/login", data={"username": user.name, "password": user.password})
    assert answer.ok, answer.text()


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    # evaluate, not a <script> tag: the page's CSP refuses inline scripts (as it should).
    page.evaluate(AXE.read_text())
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v["impact"] in ("serious", "critical")]


def screenshot(page, name: str) -> None:
    """Write docs/screenshots/<name>.png (every run refreshes the README's pictures; KOHAKU_HUB_TEST_SCREENSHOTS=0
    leaves them as they are)."""
    if os.environ.get("KOHAKU_HUB_TEST_SCREENSHOTS") == "0":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)

"""Hostile repo files opened in a real browser (Debian's Chromium, headless) never run at the hub's origin.

Each file's script marks the page if it runs. A control page served as plain text/html by a bare HTTP
server shows the browser does run it there; through the hub's resolve URLs (every form) it never runs:
active types are downloads, passive ones are shown as what they are, and everything is sandboxed.
"""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.api.helpers import NDJSON, file_op, ndjson
from tests.conftest import LiveServer
from tests.servers.chromium import Browser, chromium_binary

pytestmark = pytest.mark.e2e

MARK = 'data-pwned="yes"'  # what the DOM shows when a payload ran; the payloads never spell it out
SCRIPT = "document.documentElement.setAttribute('data-'+'pw'+'ned','yes')"
PAYLOADS = {
    "page.html": f"<html><body><script>{SCRIPT}</script></body></html>",
    "page.xhtml": f'<html xmlns="http://www.w3.org/1999/xhtml"><body><script>{SCRIPT}</script></body></html>',
    "image.svg": f'<svg xmlns="http://www.w3.org/2000/svg"><script>{SCRIPT}</script></svg>',
    "data.xml": f'<html xmlns="http://www.w3.org/1999/xhtml"><script>{SCRIPT}</script></html>',
    "notes.txt": f"<html><body><script>{SCRIPT}</script></body></html>",
    "weights.bin": f"<html><body><script>{SCRIPT}</script></body></html>",
    "README.md": f"<script>{SCRIPT}</script>",
}


@pytest.fixture
def browser(tmp_path: Path):
    if chromium_binary() is None:
        pytest.skip("chromium is needed (scripts/test.sh installs it)")
    with Browser(tmp_path / "profile") as opened:
        yield opened


def test_hostile_files_never_run_in_the_browser(live_server: LiveServer, browser: Browser, tmp_path: Path):
    (tmp_path / "control.html").write_text(PAYLOADS["page.html"])
    control = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(tmp_path)))
    threading.Thread(target=control.serve_forever, daemon=True).start()
    try:  # the same payload served as a page of its origin: the browser runs it
        assert MARK in browser.open(f"http://127.0.0.1:{control.server_port}/control.html")
    finally:
        control.shutdown()

    auth = {"Authorization": f"Bearer {live_server.token}"}
    created = httpx.post(f"{live_server.url}/api/repos/create", json={"name": "hostile", "type": "model"},
                         headers=auth)
    assert created.status_code == 200, created.text
    ops = [file_op(name, text.encode()) for name, text in PAYLOADS.items()]
    committed = httpx.post(f"{live_server.url}/api/models/alice/hostile/commit/main", content=ndjson(ops),
                           headers={**auth, **NDJSON})
    assert committed.status_code == 200, committed.text
    shown = set()
    for name in PAYLOADS:
        for form in ("/alice/hostile/resolve/main/", "/api/models/alice/hostile/resolve/main/"):
            dom = browser.open(f"{live_server.url}{form}{name}")  # None: a download, no document
            assert dom is None or MARK not in dom, (name, form, dom[:300])
            if dom is not None:
                shown.add(name)
    assert shown == {"notes.txt", "README.md"}  # passive types are shown, as text; the rest are downloads

"""UI budgets, measured in Debian's Chromium against a real hub (not a pass/fail test).

    python -m benchmarks.ui_budgets

(a) gzipped JS the repo page loads (every script response of a fresh load of a model's card page,
    gzip level 6 as nginx) vs 250 KB; (b) first screen of a 10,000-entry folder: wall time from
    navigation to the first row visible, best of 3, vs 300 ms; (c) Lighthouse (ui/'s devDependency, Debian's
    Chromium) performance >= 90 and accessibility >= 95 on home, the repo page, the files tab and the file
    view of a Python file (highlighted).
Prints one table; a missed target is a FAIL row, the exit status is 0 when everything could run.
"""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.servers import start_hub
from tests.servers.chromium import FLAGS, chromium_binary

JS_BUDGET_KB = 250.0
FIRST_SCREEN_MS = 300.0
FOLDER = 10_000
UI = Path(__file__).resolve().parents[1] / "ui"
PAGES = {"home": "/", "repo page": "/alice/card", "files tab": "/alice/card/tree/main",
         "file view": "/alice/card/blob/main/train.py"}
TRAIN_PY = b"""import torch


def train(model, data, epochs: int = 3) -> None:
    \"\"\"One loop over the data per epoch.\"\"\"
    for epoch in range(epochs):
        for batch in data:
            loss = model(batch).mean()
            loss.backward()
        print(f"epoch {epoch} done")
""" * 20
PERF, A11Y = 90, 95


def _lighthouse(url: str, binary: str) -> tuple[int, int]:
    """(performance, accessibility) scores of one page, 0-100."""
    result = subprocess.run(
        [str(UI / "node_modules/.bin/lighthouse"), url, "--output=json", "--quiet",
         "--only-categories=performance,accessibility",
         "--chrome-flags=--no-sandbox --disable-gpu --headless"],
        env={"CHROME_PATH": binary, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=180,
        check=True,
    )
    categories = json.loads(result.stdout)["categories"]
    return round(categories["performance"]["score"] * 100), round(categories["accessibility"]["score"] * 100)


def _ndjson(ops: list[dict], summary: str) -> bytes:
    lines = [{"key": "header", "value": {"summary": summary, "description": ""}}, *ops]
    return "\n".join(json.dumps(line) for line in lines).encode()


def _file(path: str, data: bytes) -> dict:
    return {"key": "file", "value": {"path": path, "content": base64.b64encode(data).decode(), "encoding": "base64"}}


def _seed(hub) -> None:
    hub.create_repo("card")
    readme = b"---\nlicense: mit\nlibrary_name: transformers\n---\n# Card\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    hub.commit("card", _ndjson([_file("README.md", readme), _file("config.json", b"{}"), _file("train.py", TRAIN_PY)],
                               "seed"))
    hub.create_repo("big")
    hub.commit("big", _ndjson([_file(f"big/f{i:05d}.txt", b"x") for i in range(FOLDER)], "10k"))


def _repo_page_js(browser, url: str) -> float:
    page = browser.new_page()
    sizes: dict[str, int] = {}

    def on_response(response) -> None:
        if response.request.resource_type == "script":
            sizes[response.url] = len(gzip.compress(response.body(), 6))

    page.on("response", on_response)
    page.goto(f"{url}/alice/card", wait_until="networkidle")
    page.locator("[data-test=card] table").wait_for()
    page.close()
    return sum(sizes.values()) / 1000


def _first_screen_ms(browser, url: str) -> float:
    best = float("inf")
    for _ in range(3):
        page = browser.new_page()
        page.goto(f"{url}/", wait_until="networkidle")  # app shell cached, as when a user clicks through
        started = time.perf_counter()
        page.goto(f"{url}/alice/big/tree/main/big")
        page.locator("[data-test=files]").get_by_text("f00000.txt", exact=True).wait_for()
        best = min(best, (time.perf_counter() - started) * 1000)
        page.close()
    return best


def main() -> int:
    binary = chromium_binary()
    if binary is None:
        print("chromium is needed", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        hub = start_hub(Path(tmp))
        try:
            _seed(hub)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=binary, args=FLAGS)
                js_kb = _repo_page_js(browser, hub.url)
                first_ms = _first_screen_ms(browser, hub.url)
                browser.close()
            scores = {name: _lighthouse(hub.url + path, binary) for name, path in PAGES.items()}
        finally:
            hub.stop()
    rows = [("repo page JS (gzip)", f"{js_kb:.1f} KB", f"<= {JS_BUDGET_KB:.0f} KB", js_kb <= JS_BUDGET_KB),
            (f"first screen, {FOLDER:,}-entry folder", f"{first_ms:.0f} ms", f"< {FIRST_SCREEN_MS:.0f} ms",
             first_ms < FIRST_SCREEN_MS)]
    for name, (perf, a11y) in scores.items():
        rows.append((f"lighthouse performance, {name}", str(perf), f">= {PERF}", perf >= PERF))
        rows.append((f"lighthouse accessibility, {name}", str(a11y), f">= {A11Y}", a11y >= A11Y))
    print(f"{'benchmark':<36} {'measured':>10} {'target':>10}  result")
    for name, value, target, ok in rows:
        print(f"{name:<36} {value:>10} {target:>10}  {'ok' if ok else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

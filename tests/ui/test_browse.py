"""Browsing in real Chromium: the lists, a repo's card and files, the 404 page, a hostile README that
never runs code, no serious accessibility violation, and a phone-width screen without sideways scrolling."""

from __future__ import annotations

import gzip
import re
import uuid

import httpx
import pytest

from tests.api.helpers import NDJSON, file_op, ndjson
from tests.ui.conftest import UiHub, axe_violations, screenshot

MARK = 'data-pwned="yes"'
SCRIPT = "document.documentElement.setAttribute('data-'+'pw'+'ned','yes')"
README = f"""---
license: mit
---
# Card of the UI test

| column | value |
|---|---|
| a | 1 |

<script>{SCRIPT}</script>
<img src="x" onerror="{SCRIPT}">
[click me](javascript:{SCRIPT})
<svg onload="{SCRIPT}"></svg>
"""


@pytest.fixture(scope="module")
def card_repo(ui_hub: UiHub) -> str:
    with ui_hub.api() as api:
        created = api.post("/api/repos/create", json={"name": "ui-card"})
        assert created.status_code == 200, created.text
        ops = [file_op("README.md", README.encode()), file_op("a.txt", b"hello"), file_op("d/inner.txt", b"inner")]
        committed = api.post("/api/models/alice/ui-card/commit/main", content=ndjson(ops), headers=NDJSON)
        assert committed.status_code == 200, committed.text
    return "alice/ui-card"


def test_repo_card_renders_and_hostile_markdown_stays_inert(page, card_repo: str) -> None:
    page.goto(f"/{card_repo}")
    assert page.locator("[data-test=repo-id]").inner_text() == card_repo
    page.locator("[data-test=card] table").wait_for()
    card = page.locator("[data-test=card]").inner_html()
    assert "Card of the UI test" in card and "license: mit" not in card  # metadata is not body text
    # Raw HTML shows as text; no element that could run code was made.
    dangerous = "[data-test=card] :is(script, svg, iframe, object, [onerror], [onload], a[href^='javascript:'])"
    assert page.locator(dangerous).count() == 0
    assert "&lt;script&gt;" in card
    assert MARK not in page.content()
    assert axe_violations(page) == []
    screenshot(page, "repo-card")


def test_files_tab_lists_the_tree_and_folders_open(page, card_repo: str) -> None:
    page.goto(f"/{card_repo}/tree/main")
    files = page.locator("[data-test=files]")
    files.get_by_text("a.txt").wait_for()
    text = files.inner_text()
    assert "a.txt" in text and "README.md" in text
    page.get_by_role("link", name="d/", exact=True).click()
    page.wait_for_url(f"**/{card_repo}/tree/main/d")
    files.get_by_text("inner.txt").wait_for()
    assert "a.txt" not in files.inner_text()
    assert axe_violations(page) == []


def test_lists_home_and_the_404_page(page, card_repo: str) -> None:
    page.goto("/models?search=ui-card")
    page.locator(".repo-list").get_by_text(card_repo).wait_for()
    page.goto("/")
    page.locator("[aria-label='Recently updated models'] .repo-list").get_by_text(card_repo).wait_for()
    page.locator("[data-test=liked-model] .repo-list").get_by_text(card_repo).wait_for()
    page.get_by_label("Search", exact=True).fill("ui-card")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/models?search=ui-card")
    page.locator(".repo-list").get_by_text(card_repo).wait_for()
    assert axe_violations(page) == []
    page.goto("/alice/no-such-repo")
    assert "does not exist" in page.locator("[data-test=not-found]").inner_text()


def test_phone_width_and_dark_mode(playwright_browser, ui_hub: UiHub, card_repo: str) -> None:
    """At 375 px nothing scrolls sideways; a dark-mode system gets dark colours, still without violations."""
    context = playwright_browser.new_context(base_url=ui_hub.url, viewport={"width": 375, "height": 740},
                                             color_scheme="dark")
    try:
        page = context.new_page()
        for path in ("/", f"/{card_repo}", f"/{card_repo}/tree/main/d"):
            page.goto(path)
            page.locator("main").wait_for()
            page.wait_for_load_state("networkidle")
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            wide = page.evaluate("[...document.querySelectorAll('body *')].filter(e => e.scrollWidth > e.clientWidth + 1"
                                 " && getComputedStyle(e).overflowX === 'visible').map(e => e.tagName + '.' + e.className"
                                 " + e.scrollWidth + '/' + e.clientWidth).slice(0, 8)")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px: {wide}"
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        red, green, blue = (int(part) for part in background[background.index("(") + 1:-1].split(",")[:3])
        assert red + green + blue < 3 * 80, f"dark mode keeps a light background: {background}"
        assert axe_violations(page) == []
        screenshot(page, "repo-files-phone-dark")
    finally:
        context.close()


def test_api_paths_never_answer_the_page(ui_hub: UiHub, card_repo: str) -> None:
    html = {"Accept": "text/html"}
    for path in ("/api/nothing-here", f"/{card_repo}/resolve/main/missing.txt", f"/{card_repo}.git/info/refs",
                 "/api/models/alice/no-such-repo"):
        resp = httpx.get(f"{ui_hub.url}{path}", headers=html)
        assert resp.status_code >= 400 and "text/html" not in resp.headers.get("content-type", ""), path
    page = httpx.get(f"{ui_hub.url}/{card_repo}", headers=html)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-cache"
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_card_metadata_side_panel_and_use_this_repo(page, card_repo: str) -> None:
    """The README's YAML shows as tags in the side panel; the snippets name this hub and this repo."""
    page.goto(f"/{card_repo}")
    meta = page.locator("[data-test=card-meta]")
    meta.wait_for()
    assert "License" in meta.inner_text() and meta.locator(".tag", has_text="mit").count() == 1
    assert page.locator("[data-test=visibility]").inner_text() == "public"
    badge_height = page.locator("[data-test=visibility]").bounding_box()["height"]
    assert badge_height < 30  # a badge, not a heading-sized pill
    page.get_by_text("Use this repo").click()
    origin = page.evaluate("location.origin")
    assert f"git clone {origin}/{card_repo}" in page.locator("[data-test='snippet-git']").inner_text()
    assert f'from_pretrained("{card_repo}")' in page.locator("[data-test='snippet-transformers']").inner_text()
    assert f"hf download {card_repo}" in page.locator("[data-test='snippet-hf CLI']").inner_text()
    assert axe_violations(page) == []


def test_list_author_sort_and_paging_stay_in_the_url(page, ui_hub: UiHub) -> None:
    """Author and sort reach the server; 31 repos make a second page; the URL reproduces the list."""
    with ui_hub.api() as api:
        for i in range(31):
            created = api.post("/api/repos/create", json={"name": f"pg-{i:02d}"})
            assert created.status_code == 200, created.text
    page.goto("/models?search=pg-")
    page.get_by_label("Author").fill("nobody-here")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**author=nobody-here**")
    page.get_by_text("Nothing here yet.").wait_for()
    page.get_by_label("Author").fill("alice")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**author=alice**")
    page.get_by_label("Sort").select_option("id")
    page.wait_for_url("**sort=id**")
    items = page.locator(".repo-list li a")
    page.locator(".repo-list").get_by_text("alice/pg-00", exact=True).wait_for()
    assert items.first.inner_text() == "alice/pg-00" and items.count() == 30
    page.locator("[data-test=pages]").get_by_role("link", name="Next").click()
    page.wait_for_url("**p=1**")
    page.locator(".repo-list").get_by_text("alice/pg-30", exact=True).wait_for()
    assert items.count() == 1
    url = page.url
    page.goto(url)  # a link reproduces the list
    page.locator(".repo-list").get_by_text("alice/pg-30", exact=True).wait_for()
    assert page.get_by_label("Author").input_value() == "alice"
    assert axe_violations(page) == []


def test_the_app_script_is_sent_gzipped(ui_hub: UiHub) -> None:
    """By the hub itself on the embedded layout, by nginx on the production one."""
    index = httpx.get(f"{ui_hub.url}/", headers={"Accept": "text/html"}).text
    script = re.search(r'src="(/assets/index-[^"]+\.js)"', index).group(1)
    with httpx.stream("GET", f"{ui_hub.url}{script}", headers={"Accept-Encoding": "gzip"}) as zipped:
        assert zipped.status_code == 200 and zipped.headers["content-encoding"] == "gzip"
        raw = b"".join(zipped.iter_raw())
    assert len(raw) * 2 < len(gzip.decompress(raw))


def test_filters_from_card_metadata(page, ui_hub: UiHub) -> None:
    marker = f"flt{uuid.uuid4().hex[:6]}"
    cards = {f"{marker}-mit": f"---\nlicense: mit\nlibrary_name: {marker}lib\ntags: [{marker}]\n---\n",
             f"{marker}-gpl": f"---\nlicense: gpl-3.0\ntags: [{marker}]\n---\n"}
    with ui_hub.api() as api:
        for name, card in cards.items():
            assert api.post("/api/repos/create", json={"name": name}).status_code == 200
            answer = api.post(f"/api/models/alice/{name}/commit/main", headers=NDJSON,
                              content=ndjson([file_op("README.md", card.encode())]))
            assert answer.status_code == 200, answer.text
    page.goto(f"/models?filter={marker}")
    items = page.locator(".repo-list > li")
    items.nth(1).wait_for()
    assert items.count() == 2
    page.locator("[data-test=filter-library]").select_option(f"{marker}lib")
    page.wait_for_url(f"**/models?filter={marker}&filter={marker}lib")
    items.nth(1).wait_for(state="detached")
    assert items.count() == 1 and f"alice/{marker}-mit" in items.inner_text()
    assert axe_violations(page) == []
    page.get_by_role("button", name=f"Remove filter {marker}lib").click()
    items.nth(1).wait_for()
    # A card's license in the side panel is a link to the repos that share it.
    page.goto(f"/alice/{marker}-gpl")
    page.locator("[data-test=card-meta]").get_by_role("link", name="gpl-3.0").click()
    page.wait_for_url("**/models?filter=license:gpl-3.0")
    page.locator(f".repo-list >> text=alice/{marker}-gpl").wait_for()

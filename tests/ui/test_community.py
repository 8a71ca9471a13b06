"""Likes, download counts and gated repos in real Chromium: a reader likes a repo, asks for access to a gated one
through the card's form, is refused its files until the owner accepts on the settings page, then reads them;
the page's download count follows the client's downloads."""

from __future__ import annotations

import uuid

import pytest
from huggingface_hub import hf_hub_download
from huggingface_hub.errors import GatedRepoError

from tests.api.helpers import NDJSON, file_op, ndjson
from tests.ui.conftest import UiHub, User, axe_violations, screenshot, sign_in, sign_up

CARD = b"""---
license: mit
extra_gated_prompt: Tell us who you are.
extra_gated_fields:
  Company: text
  I agree to use it for research only: checkbox
---
# Gated model
"""


@pytest.fixture
def gated_repo(ui_hub: UiHub) -> tuple[User, str]:
    owner = sign_up(ui_hub, "o")
    name = f"gated{uuid.uuid4().hex[:6]}"
    repo = f"{owner.name}/{name}"
    with ui_hub.api(owner.token) as api:
        assert api.post("/api/repos/create", json={"name": name}).status_code == 200
        ops = [file_op("README.md", CARD), file_op("config.json", b'{"hidden": "until accepted"}')]
        assert api.post(f"/api/models/{repo}/commit/main", content=ndjson(ops), headers=NDJSON).status_code == 200
    return owner, repo


def test_ask_for_access_then_the_owner_accepts_on_the_settings_page(playwright_browser, page, context, ui_hub: UiHub,
                                                                   gated_repo) -> None:
    owner, repo = gated_repo
    reader = sign_up(ui_hub, "r")
    sign_in(context, reader)
    owners = playwright_browser.new_context(base_url=ui_hub.url)
    owners.set_default_timeout(15_000)
    sign_in(owners, owner)
    try:
        mine = owners.new_page()
        mine.goto(f"/{repo}/settings")
        mine.get_by_label("Access requests").select_option("manual")
        mine.locator("[data-test=save-gated]").click()
        mine.locator("[data-test=no-requests]").wait_for()

        page.goto(f"/{repo}")
        page.locator("[data-test=gated-badge]").wait_for()
        form = page.locator("[data-test=gate-form]")
        form.wait_for()
        assert "Tell us who you are." in page.locator("[data-test=gate]").inner_text()
        assert axe_violations(page) == []
        screenshot(page, "gated-repo")
        with pytest.raises(GatedRepoError):
            hf_hub_download(repo, "config.json", endpoint=ui_hub.url, token=reader.token)
        page.get_by_label("Company").fill("<b>Acme</b>")
        page.get_by_label("I agree to use it for research only").check()
        page.locator("[data-test=request-access]").click()
        page.locator("[data-test=gate-pending]").wait_for()
        page.goto(f"/{repo}/blob/main/config.json")
        page.locator("[data-test=gate-pending]").wait_for()
        assert page.locator("[data-test=code]").count() == 0

        mine.reload()
        row = mine.locator(f"[data-request={reader.name}]")
        row.wait_for()
        assert "Company: <b>Acme</b>" in row.inner_text()  # the answer as text, never markup
        assert axe_violations(mine) == []
        mine.get_by_role("button", name=f"Accept {reader.name}").click()
        mine.locator("[data-test=no-requests]").wait_for()

        page.reload()
        page.locator("[data-test=code]", has_text="until accepted").wait_for()
        assert page.locator("[data-test=gate]").count() == 0
        local = hf_hub_download(repo, "config.json", endpoint=ui_hub.url, token=reader.token)
        with open(local, "rb") as handle:
            assert b"until accepted" in handle.read()
    finally:
        owners.close()


def test_like_and_downloads_on_the_repo_page(page, context, ui_hub: UiHub, gated_repo, tmp_path) -> None:
    owner, repo = gated_repo  # not gated here: the fixture only makes the repo
    page.goto(f"/{repo}")
    page.locator("[data-test=like-count]", has_text="0 likes").wait_for()
    assert page.locator("[data-test=likes] a", has_text="Like").get_attribute("href").startswith("/login")

    fan = sign_up(ui_hub, "f")
    sign_in(context, fan)
    page.reload()
    like = page.locator("[data-test=like]")
    like.wait_for()
    assert like.get_attribute("aria-pressed") == "false"
    like.click()
    page.locator("[data-test=like-count]", has_text="1 like").wait_for()
    assert like.get_attribute("aria-pressed") == "true"
    with ui_hub.api(fan.token) as api:
        assert api.get(f"/api/models/{repo}/likers").json()[0]["user"] == fan.name
    like.click()
    page.locator("[data-test=like-count]", has_text="0 likes").wait_for()

    hf_hub_download(repo, "config.json", endpoint=ui_hub.url, token=fan.token, cache_dir=tmp_path)
    for _ in range(50):  # each worker writes its counts about once a second
        page.reload()
        if "1 download " in page.locator("[data-test=downloads]").inner_text():
            break
        page.wait_for_timeout(200)
    assert "1 download last month" in page.locator("[data-test=downloads]").inner_text()
    assert axe_violations(page) == []

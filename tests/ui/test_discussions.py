"""The Community tab in real Chromium: a reader opens a discussion with hostile Markdown (shown as text, never run)
and comments; a pull request opened by the client's create_pr shows its files, and the owner merges it on the page."""

from __future__ import annotations

import uuid

from huggingface_hub import CommitOperationAdd, HfApi

from tests.api.helpers import NDJSON, file_op, ndjson
from tests.ui.conftest import UiHub, axe_violations, screenshot, sign_in, sign_up

HOSTILE = '**bold** <img src="x" onerror="window.pwned = 1"> <script>window.pwned = 2</script>'


def test_discuss_then_merge_a_pull_request_on_the_page(playwright_browser, page, context, ui_hub: UiHub) -> None:
    owner, reader = sign_up(ui_hub, "o"), sign_up(ui_hub, "r")
    name = f"talk{uuid.uuid4().hex[:6]}"
    repo = f"{owner.name}/{name}"
    with ui_hub.api(owner.token) as api:
        assert api.post("/api/repos/create", json={"name": name}).status_code == 200
        ops = [file_op("README.md", b"# Talk\n")]
        assert api.post(f"/api/models/{repo}/commit/main", content=ndjson(ops), headers=NDJSON).status_code == 200

    # A reader opens a discussion from the Community tab.
    sign_in(context, reader)
    page.goto(f"/{repo}/discussions")
    page.locator("[data-test=discussions]").wait_for()
    page.locator("[data-test=new-discussion]").click()
    page.locator("[data-test=title]").fill("Which license?")
    page.locator("[data-test=description]").fill(HOSTILE)
    page.locator("[data-test=create]").click()
    page.wait_for_url(f"**/{repo}/discussions/1")
    body = page.locator("[data-test=comment-body]").first
    body.locator("strong", has_text="bold").wait_for()
    assert body.locator("img[onerror], script").count() == 0
    assert page.evaluate("window.pwned") is None
    page.locator("[data-test=comment-box]").fill("Also: *which* version?")
    page.locator("[data-test=send]").click()
    page.locator("[data-test=comment-body] em", has_text="which").wait_for()
    assert axe_violations(page) == []
    screenshot(page, "discussion")

    # The reader opens a pull request with the client; the owner sees it listed and merges it.
    opened = HfApi(endpoint=ui_hub.url, token=reader.token).create_commit(
        repo, [CommitOperationAdd("LICENSE", b"MIT\n")], commit_message="Add a license", create_pr=True)
    assert opened.pr_num == 2
    owners = playwright_browser.new_context(base_url=ui_hub.url)
    owners.set_default_timeout(15_000)
    sign_in(owners, owner)
    try:
        mine = owners.new_page()
        mine.goto(f"/{repo}/discussions")
        titles = mine.locator("[data-test=discussion-title]")
        titles.filter(has_text="Which license?").wait_for()
        titles.filter(has_text="Add a license").click()
        mine.wait_for_url(f"**/{repo}/discussions/2")
        mine.locator("[data-test=pr-files]", has_text="LICENSE").wait_for()
        assert mine.locator(".badge[data-test=status]").inner_text() == "Pull request"
        assert axe_violations(mine) == []
        screenshot(mine, "pull-request")
        mine.locator("[data-test=merge]").click()
        mine.locator(".badge[data-test=status]", has_text="merged").wait_for()
        mine.locator("[data-test=merge-box]", has_text="Merged as").wait_for()
        mine.locator("[data-event=status-change]", has_text="merged this").wait_for()
    finally:
        owners.close()

    with ui_hub.api(owner.token) as api:
        license_file = api.get(f"/{repo}/resolve/main/LICENSE", follow_redirects=True)
        assert license_file.status_code == 200 and license_file.content == b"MIT\n"
    # The reader's page reads the new state: the pull request is merged and offers no merge button.
    page.goto(f"/{repo}/discussions/2")
    page.locator(".badge[data-test=status]", has_text="merged").wait_for()
    assert page.locator("[data-test=merge]").count() == 0

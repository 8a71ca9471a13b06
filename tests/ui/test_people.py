"""People in real Chromium: a user's profile with the repos each viewer may see and the storage only the owner
sees (with what Xet dedup saved on files uploaded by the real client), an organization made on the page, its
members added, promoted and removed, an invitation link accepted by another user, and /{org} and unknown
names."""

from __future__ import annotations

import os
import uuid

from huggingface_hub import HfApi

from tests.ui.conftest import UiHub, User, axe_violations, screenshot, sign_in, sign_up


def new_context(playwright_browser, ui_hub: UiHub, user: User | None = None):
    context = playwright_browser.new_context(base_url=ui_hub.url)
    context.set_default_timeout(15_000)
    if user:
        sign_in(context, user)
    return context


def test_profile_shows_each_viewer_what_they_may_see(playwright_browser, page, context, ui_hub: UiHub,
                                                    tmp_path) -> None:
    owner = sign_up(ui_hub, "p")
    sign_in(context, owner)
    client = HfApi(endpoint=ui_hub.url, token=owner.token)
    client.create_repo(f"{owner.name}/open-model")
    client.create_repo(f"{owner.name}/closed-model", private=True)
    client.create_repo(f"{owner.name}/data", repo_type="dataset")
    # The same bytes in two repos, through Xet (the client uses hf_xet when the hub offers it): the second
    # upload stores no new chunk, which the storage panel shows as saved.
    blob = tmp_path / "weights.bin"
    blob.write_bytes(os.urandom(3 * 1024 * 1024))
    for repo in ("open-model", "closed-model"):
        client.upload_file(path_or_fileobj=str(blob), path_in_repo="weights.bin", repo_id=f"{owner.name}/{repo}")
    with ui_hub.api(owner.token) as api:
        assert api.put("/api/auth/profile", json={"fullname": "Grace Hopper"}).status_code == 200

    page.goto(f"/{owner.name}")
    page.locator("[data-test=user-page]").wait_for()
    assert page.get_by_role("heading", level=1).inner_text() == "Grace Hopper"
    models = page.locator("[data-test=repos-model]")
    models.locator("li").nth(1).wait_for()
    assert models.locator("li").count() == 2 and "private" in models.inner_text()
    assert page.locator("[data-test=repos-dataset] li").count() == 1
    saved = page.locator("[data-test=xet-saved]")
    saved.wait_for()
    assert "2 files" in saved.inner_text() and "saved" in saved.inner_text()
    assert axe_violations(page) == []
    screenshot(page, "user-profile")

    stranger = new_context(playwright_browser, ui_hub, sign_up(ui_hub, "x"))
    try:
        other = stranger.new_page()
        other.goto(f"/{owner.name}")
        other.locator("[data-test=repos-model] li").first.wait_for()
        assert other.locator("[data-test=repos-model] li").count() == 1
        assert "closed-model" not in other.locator("[data-test=user-page]").inner_text()
        assert other.locator("[data-test=storage]").count() == 0
        other.goto(f"/nobody-{uuid.uuid4().hex[:6]}")
        other.locator("[data-test=not-found]").wait_for()
    finally:
        stranger.close()


def test_an_org_made_on_the_page_with_members_and_an_invitation(playwright_browser, page, context,
                                                                ui_hub: UiHub) -> None:
    owner, colleague, newcomer = sign_up(ui_hub, "a"), sign_up(ui_hub, "c"), sign_up(ui_hub, "n")
    sign_in(context, owner)
    org = f"org{uuid.uuid4().hex[:8]}"

    page.goto("/organizations/new")
    page.get_by_label("Name").fill(org)
    page.get_by_label("Description").fill("Where the <b>models</b> live")
    page.get_by_role("button", name="Create organization").click()
    page.wait_for_url(f"**/organizations/{org}")
    assert "Where the <b>models</b> live" in page.locator(".details").inner_text()  # text, never markup
    assert page.locator("[data-test=members] li").inner_text().startswith(owner.name)
    page.locator("[data-test=org-settings-link]").click()
    page.wait_for_url(f"**/organizations/{org}/settings")

    page.get_by_label("Username").fill(colleague.name)
    page.get_by_role("button", name="Add member").click()
    row = page.locator(f"[data-member={colleague.name}]")
    row.wait_for()
    page.get_by_label(f"Role of {colleague.name}").select_option("admin")
    with ui_hub.api(owner.token) as api:
        def roles() -> dict[str, str]:
            return {m["user"]: m["role"] for m in api.get(f"/api/organizations/{org}/members").json()}
        for _ in range(50):
            if roles().get(colleague.name) == "admin":
                break
            page.wait_for_timeout(100)
        assert roles()[colleague.name] == "admin"
        page.get_by_label("Username").fill("no-such-user-here")
        page.get_by_role("button", name="Add member").click()
        assert "not found" in page.locator("[data-test=error]").first.inner_text().lower()
        page.get_by_role("button", name=f"Remove {colleague.name}").click()
        page.get_by_role("button", name=f"Really remove {colleague.name}").click()
        row.wait_for(state="detached")
        assert colleague.name not in roles()

        page.get_by_role("button", name="Create link").click()
        link = page.locator("[data-test=invitation-link]")
        link.wait_for()
        token = link.inner_text().rsplit("/", 1)[1]
        assert page.locator("[data-test=invitations] li").count() == 1
        assert axe_violations(page) == []
        screenshot(page, "org-settings")

        joining = new_context(playwright_browser, ui_hub, newcomer)
        try:
            theirs = joining.new_page()
            theirs.goto(f"/invite/{token}")
            theirs.locator("[data-test=accept]").click()
            theirs.wait_for_url(f"**/organizations/{org}")
            theirs.locator(f"[data-test=members] >> text={newcomer.name}").wait_for()
            assert roles()[newcomer.name] == "member"
            assert theirs.locator("[data-test=org-settings-link]").count() == 0  # members do not manage
            theirs.goto(f"/{org}")  # the Hub's org URL works too
            theirs.wait_for_url(f"**/organizations/{org}")
        finally:
            joining.close()

    page.goto(f"/organizations/{org}")
    page.locator("[data-test=org-page]").wait_for()
    assert axe_violations(page) == []
    screenshot(page, "org-page")
    page.goto(f"/organizations/nothing-{uuid.uuid4().hex[:6]}")
    page.locator("[data-test=not-found]").wait_for()

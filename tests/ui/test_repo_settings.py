"""The repo settings page in real Chromium: visibility (a private repo is the same 404 as an unknown one to
another user), rename and move (the page follows), delete behind the exact id, collaborators (checked through
the API), branches and tags (checked with the real huggingface_hub client), and the hub's refusals shown as it
sent them: deleting ``main``, a reader, a writer who is not an admin, a visitor who is signed out."""

from __future__ import annotations

import httpx
import pytest
from huggingface_hub import HfApi

from tests.ui.conftest import UiHub, User, axe_violations, screenshot, sign_in, sign_up


@pytest.fixture
def owner(ui_hub: UiHub, context) -> User:
    user = sign_up(ui_hub, "o")
    sign_in(context, user)
    return user


def create(hub: UiHub, user: User, name: str, repo_type: str = "model", organization: str | None = None) -> str:
    with hub.api(user.token) as api:
        answer = api.post("/api/repos/create", json={"name": name, "type": repo_type, "organization": organization})
        assert answer.status_code == 200, answer.text
    return f"{organization or user.name}/{name}"


def status(hub: UiHub, user: User | None, path: str) -> int:
    if user is None:
        return httpx.get(f"{hub.url}{path}", timeout=60).status_code
    with hub.api(user.token) as api:
        return api.get(path).status_code


def refusal(hub: UiHub, user: User, method: str, path: str) -> str:
    """The hub's own message for a call it refuses (what the page must show as it is)."""
    with hub.api(user.token) as api:
        answer = api.request(method, path)
    assert answer.status_code in (403, 409, 400), answer.text
    return answer.headers["X-Error-Message"]


def decimal_size(n: int) -> str:
    """What the page shows for n bytes (ui/src/lib/markdown.ts formatSize)."""
    value, unit = float(n), 0
    while value >= 1000 and unit < 4:
        value, unit = value / 1000, unit + 1
    return f"{n} B" if unit == 0 else f"{value:.1f} {['B', 'KB', 'MB', 'GB', 'TB'][unit]}"


def open_settings(page, path: str) -> None:
    page.goto(path)
    page.locator("[data-test=refs]").wait_for()


def signed_in_context(playwright_browser, hub: UiHub, user: User, **options):
    other = playwright_browser.new_context(base_url=hub.url, **options)
    other.set_default_timeout(15_000)
    sign_in(other, user)
    return other


def test_private_repo_is_a_404_to_others_until_public_again(playwright_browser, page, ui_hub: UiHub, owner: User) -> None:
    repo = create(ui_hub, owner, "vis")
    # The repo page's Settings tab leads here for its owner.
    page.goto(f"/{repo}")
    page.locator("[data-test=settings-tab]").click()
    page.wait_for_url(f"**/{repo}/settings")
    page.locator("[data-test=refs]").wait_for()
    page.locator("[data-test=used-storage]").wait_for()
    assert axe_violations(page) == []
    screenshot(page, "repo-settings")
    assert page.locator("[data-test=current-visibility]").inner_text() == "public"

    page.locator("[data-test=toggle-visibility]").click()
    page.locator("[data-test=current-visibility]", has_text="private").wait_for()
    stranger = sign_up(ui_hub, "s")
    assert status(ui_hub, stranger, f"/api/models/{repo}") == 404
    other = signed_in_context(playwright_browser, ui_hub, stranger)
    try:
        seen = other.new_page()
        seen.goto(f"/{owner.name}/no-such-repo")
        seen.locator("[data-test=not-found]").wait_for()
        unknown = seen.locator("main").inner_text()
        assert "404" in unknown
        for path in (f"/{repo}", f"/{repo}/settings"):
            seen.goto(path)
            seen.locator("[data-test=not-found]").wait_for()
            assert seen.locator("main").inner_text() == unknown, path

        page.locator("[data-test=toggle-visibility]").click()
        page.locator("[data-test=current-visibility]", has_text="public").wait_for()
        assert status(ui_hub, stranger, f"/api/models/{repo}") == 200
        seen.goto(f"/{repo}")
        assert seen.locator("[data-test=repo-id]").inner_text() == repo
    finally:
        other.close()


def test_rename_then_move_to_an_org_and_the_page_follows(page, ui_hub: UiHub, owner: User) -> None:
    org = f"org{owner.name}"
    with ui_hub.api(owner.token) as api:
        assert api.post("/org/create", json={"name": org}).status_code == 200
    repo = create(ui_hub, owner, "data", repo_type="dataset")
    open_settings(page, f"/datasets/{repo}/settings")
    page.locator(f"#move-owner option[value='{org}']").wait_for(state="attached")

    page.get_by_label("Name", exact=True).fill("renamed")
    page.locator("[data-test=move]").click()
    page.wait_for_url(f"**/datasets/{owner.name}/renamed/settings")
    page.locator("[data-test=repo-id]", has_text=f"{owner.name}/renamed").wait_for()
    assert status(ui_hub, owner, f"/api/datasets/{owner.name}/renamed") == 200
    # The old URL follows the hub's redirect to the new name.
    open_settings(page, f"/datasets/{repo}/settings")
    page.wait_for_url(f"**/datasets/{owner.name}/renamed/settings")

    page.get_by_label("Owner", exact=True).select_option(org)
    page.locator("[data-test=move]").click()
    page.wait_for_url(f"**/datasets/{org}/renamed/settings")
    page.locator("[data-test=repo-id]", has_text=f"{org}/renamed").wait_for()
    with ui_hub.api(owner.token) as api:
        assert api.get(f"/api/datasets/{org}/renamed").json()["id"] == f"{org}/renamed"
    # Taken names get the hub's conflict, as it sent it.
    create(ui_hub, owner, "taken", repo_type="dataset")
    page.get_by_label("Owner", exact=True).select_option(owner.name)
    page.get_by_label("Name", exact=True).fill("taken")
    page.locator("[data-test=move]").click()
    error = page.locator("[data-test=move-repo] [data-test=error]")
    error.wait_for()
    assert "already exists" in error.inner_text()


def test_delete_needs_the_exact_id(page, ui_hub: UiHub, owner: User) -> None:
    repo = create(ui_hub, owner, "doomed")
    open_settings(page, f"/{repo}/settings")
    button = page.locator("[data-test=delete]")
    confirm = page.get_by_label("to confirm")
    assert button.is_disabled()
    for wrong in ("doomed", f"{owner.name}/doome", f"{repo} ", repo.upper()):
        confirm.fill(wrong)
        assert button.is_disabled(), wrong
    assert status(ui_hub, owner, f"/api/models/{repo}") == 200
    confirm.fill(repo)
    assert button.is_enabled()
    button.click()
    page.wait_for_url(f"{ui_hub.url}/{owner.name}")
    assert status(ui_hub, owner, f"/api/models/{repo}") == 404


def test_collaborator_added_can_write_then_read_then_nothing(page, ui_hub: UiHub, owner: User) -> None:
    repo = create(ui_hub, owner, "shared")
    helper = sign_up(ui_hub, "h")
    write_check = f"/api/models/{repo}/auth-check/write"
    assert status(ui_hub, helper, write_check) == 403
    open_settings(page, f"/{repo}/settings")
    page.locator("[data-test=no-collaborators]").wait_for()
    page.get_by_label("Username").fill(helper.name)
    page.locator("[data-test=add-collaborator] select").select_option("write")
    page.get_by_role("button", name="Add collaborator").click()
    row = page.locator(f"[data-test=collaborator-list] li[data-user='{helper.name}']")
    row.wait_for()
    assert status(ui_hub, helper, write_check) == 200

    row.get_by_label(f"Role of {helper.name}").select_option("read")
    with ui_hub.api(owner.token) as api:
        for _ in range(50):  # the change is saved by the select's change event; wait for the list to settle
            listed = api.get(f"/api/models/{repo}/collaborators").json()["collaborators"]
            if listed[0]["role"] == "read":
                break
            page.wait_for_timeout(100)
    assert listed == [{"username": helper.name, "role": "read"}]
    assert status(ui_hub, helper, write_check) == 403

    row.get_by_role("button", name="Remove").click()
    row.get_by_role("button", name="No").click()  # asked, declined: nothing happens
    assert status(ui_hub, owner, f"/api/models/{repo}/collaborators") == 200
    row.get_by_role("button", name="Remove").click()
    row.locator("[data-test=confirm-yes]").click()
    page.locator("[data-test=no-collaborators]").wait_for()
    with ui_hub.api(owner.token) as api:
        assert api.get(f"/api/models/{repo}/collaborators").json()["collaborators"] == []
    assert status(ui_hub, helper, f"/api/models/{repo}/auth-check") == 200  # public: still readable

    page.get_by_label("Username").fill("nobody-of-that-name")
    page.get_by_role("button", name="Add collaborator").click()
    error = page.locator("[data-test=collaborators] [data-test=error]")
    error.wait_for()
    with ui_hub.api(owner.token) as api:
        refused = api.put(f"/api/models/{repo}/collaborators/nobody-of-that-name", json={"role": "write"})
    assert error.inner_text() == refused.headers["X-Error-Message"]


def delete_ref(page, kind: str, name: str) -> None:
    row = page.locator(f"[data-test={kind}-list] li[data-ref='{name}']")
    row.get_by_role("button", name="Delete").click()
    # The question takes the focus on its safe answer: a stray Enter keeps the ref.
    assert page.evaluate("document.activeElement.textContent") == "No"
    row.locator("[data-test=confirm-yes]").click()


def test_branches_and_tags_seen_by_huggingface_hub(page, ui_hub: UiHub, owner: User) -> None:
    repo = create(ui_hub, owner, "refs")
    client = HfApi(endpoint=ui_hub.url, token=owner.token)
    main = client.list_repo_refs(repo).branches[0].target_commit
    open_settings(page, f"/{repo}/settings")

    # A "/" in the name: encoded in the URL, one path segment to the hub (and through nginx).
    page.get_by_label("New branch").fill("dev/next")
    page.get_by_label("From revision").fill("main")
    page.get_by_role("button", name="Create branch").click()
    page.locator("[data-test=branch-list] li[data-ref='dev/next']").wait_for()
    refs = client.list_repo_refs(repo)
    assert {b.name: b.target_commit for b in refs.branches} == {"main": main, "dev/next": main}

    page.get_by_label("New tag").fill("v1.0")
    page.get_by_label("At revision").fill("dev/next")
    page.get_by_label("Message (optional)").fill("First release")
    page.get_by_role("button", name="Create tag").click()
    page.locator("[data-test=tag-list] li[data-ref='v1.0']").wait_for()
    assert [(t.name, t.target_commit) for t in client.list_repo_refs(repo).tags] == [("v1.0", main)]

    # The default branch: the hub refuses, and the page says what the hub said.
    expected = refusal(ui_hub, owner, "DELETE", f"/api/models/{repo}/branch/main")
    delete_ref(page, "branch", "main")
    error = page.locator("[data-test=refs] [data-test=error]")
    error.wait_for()
    assert error.inner_text() == expected
    assert "main" in {b.name for b in client.list_repo_refs(repo).branches}

    delete_ref(page, "tag", "v1.0")
    page.locator("[data-test=tag-list]").wait_for(state="detached")
    delete_ref(page, "branch", "dev/next")
    page.locator("[data-test=branch-list] li[data-ref='dev/next']").wait_for(state="detached")
    refs = client.list_repo_refs(repo)
    assert [b.name for b in refs.branches] == ["main"] and refs.tags == []


def test_readers_writers_and_signed_out_visitors_see_the_hubs_answer(playwright_browser, ui_hub: UiHub) -> None:
    owner, reader, writer = sign_up(ui_hub, "o"), sign_up(ui_hub, "r"), sign_up(ui_hub, "w")
    repo = create(ui_hub, owner, "guarded")
    with ui_hub.api(owner.token) as api:
        assert api.put(f"/api/models/{repo}/collaborators/{writer.name}", json={"role": "write"}).status_code == 200
    settings = f"/{repo}/settings"

    # A signed-in reader: the hub's refusal of write access, no sections, no Settings tab.
    expected = refusal(ui_hub, reader, "GET", f"/api/models/{repo}/auth-check/write")
    other = signed_in_context(playwright_browser, ui_hub, reader)
    try:
        page = other.new_page()
        page.goto(settings)
        shown = page.locator("[data-test=refusal]")
        shown.wait_for()
        assert shown.inner_text() == expected
        assert page.locator("[data-test=refs]").count() == 0
        assert axe_violations(page) == []
        page.goto(f"/{repo}")
        page.locator("[data-test=card]").wait_for()
        page.wait_for_load_state("networkidle")
        assert page.locator("[data-test=settings-tab]").count() == 0
    finally:
        other.close()

    # A writer (collaborator): branches and tags, storage; the admin sections are the hub's refusal.
    admin_only = refusal(ui_hub, writer, "GET", f"/api/models/{repo}/collaborators")
    other = signed_in_context(playwright_browser, ui_hub, writer, viewport={"width": 375, "height": 700})
    try:
        page = other.new_page()
        page.goto(f"/{repo}")
        page.locator("[data-test=settings-tab]").click()
        page.locator("[data-test=refs]").wait_for()
        assert admin_only in page.locator("[data-test=admin-refusal]").inner_text()
        assert page.locator("[data-test=delete-repo], [data-test=visibility-settings]").count() == 0
        page.locator("[data-test=quota-error], [data-test=quota]").first.wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert axe_violations(page) == []
    finally:
        other.close()

    # Signed out: a link to log in that comes back here.
    other = playwright_browser.new_context(base_url=ui_hub.url)
    try:
        page = other.new_page()
        page.goto(settings)
        page.locator("[data-test=login-link]").click()
        page.wait_for_url("**/login?next=*")
        page.locator("input[name=username]").fill(owner.name)
        page.locator("input[name=password]").fill(owner.password)
        page.locator("[data-test=login] button[type=submit]").click()
        page.wait_for_url(f"**{settings}")
        page.locator("[data-test=delete-repo]").wait_for()
    finally:
        other.close()


def test_storage_shows_the_repos_usage_and_the_namespace_quota(page, ui_hub: UiHub, owner: User) -> None:
    repo = create(ui_hub, owner, "sized")
    with ui_hub.api(owner.token) as api:
        used = api.get(f"/api/models/{repo}").json()["usedStorage"]
        quota = api.get(f"/api/quota/{owner.name}").json()
    assert used > 0
    assert HfApi(endpoint=ui_hub.url, token=owner.token).model_info(repo).used_storage == used  # the real client reads it
    open_settings(page, f"/{repo}/settings")
    page.locator("[data-test=quota]").wait_for()
    assert page.locator("[data-test=used-storage]").inner_text() == decimal_size(used)
    text = page.locator("[data-test=quota]").inner_text()
    assert "public repositories (this one's bucket)" in text
    assert ("no limit" in text) == (quota["public"]["limit"] is None)
    assert page.locator("[data-test=quota-link]").get_attribute("href") == f"/{owner.name}"
    # Every section of an admin's view fits a phone.
    page.set_viewport_size({"width": 375, "height": 700})
    page.locator("[data-test=delete-repo]").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

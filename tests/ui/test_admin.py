"""The admin portal in real Chromium: a site admin's dashboard, users (create, search, make admin, disable,
delete and the hub's refusal of a delete, shown as it is), repositories (search, visibility, transfer,
delete), quotas (edit, a bad size refused, recalculate), registration invitations (a link shown once,
listed, revoked), storage (what Xet dedup saved on files uploaded by the real client) and health.

And that nobody else gets anything of it: anonymous visitors and signed-in users get the 404 page at
every /admin URL, their browser never fetches the portal's script, and the admin API refuses them.
"""

from __future__ import annotations

import os
import re
import uuid

import httpx
from huggingface_hub import CommitOperationAdd, HfApi

from tests.conftest import PASSWORD
from tests.ui.conftest import UiHub, User, axe_violations, screenshot, sign_in, sign_up

ADMIN_PAGES = ["/admin", "/admin/users", "/admin/repositories", "/admin/quotas", "/admin/invitations",
               "/admin/storage", "/admin/health"]
PORTAL_SCRIPT = re.compile(r"/assets/AdminPortal-[^/]+\.js$")


def sign_up_admin(hub: UiHub) -> User:
    """A site admin made by the CLI (``kohakuhub admin create-user ... --admin``), with a write token."""
    name = f"root{uuid.uuid4().hex[:8]}"
    hub.server.cli("admin", "create-user", name, "--email", f"{name}@example.com", "--password", PASSWORD, "--admin")
    return User(name, PASSWORD, hub.server.new_token(name))


def admin_context(playwright_browser, ui_hub: UiHub, user: User | None = None):
    context = playwright_browser.new_context(base_url=ui_hub.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    if user:
        sign_in(context, user)
    return context


def scripts_while(page, action) -> list[str]:
    """The URLs of every script the page requests while ``action`` runs."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if r.resource_type == "script" else None)
    action()
    page.wait_for_load_state("networkidle")
    return seen


def api_get(hub: UiHub, token: str, path: str) -> dict:
    with hub.api(token) as api:
        answer = api.get(path)
        assert answer.status_code == 200, answer.text
        return answer.json()


def wait_until(page, condition, what: str) -> None:
    for _ in range(100):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"never happened: {what}")


# --- nobody but a site admin ---------------------------------------------------------------------------


def test_non_admins_get_the_404_page_and_never_the_portals_code(playwright_browser, ui_hub: UiHub) -> None:
    admin, member = sign_up_admin(ui_hub), sign_up(ui_hub, "na")
    # The portal's chunk, as a site admin's browser fetches it: what the others must never get.
    boss = admin_context(playwright_browser, ui_hub, admin)
    try:
        page = boss.new_page()
        loaded = scripts_while(page, lambda: page.goto("/admin/users"))
        page.locator("[data-test=admin-users]").wait_for()
        portal = [url for url in loaded if PORTAL_SCRIPT.search(url)]
        assert len(portal) == 1, loaded
    finally:
        boss.close()

    for who in (None, member):
        context = admin_context(playwright_browser, ui_hub, who)
        try:
            page = context.new_page()
            requests: list[str] = []
            page.on("request", lambda r, seen=requests: seen.append(r.url))
            for path in [*ADMIN_PAGES, "/admin/bogus", "/admin/users/x/y?q=1"]:
                page.goto(path)
                page.locator("[data-test=not-found]").wait_for()
                page.wait_for_load_state("networkidle")
                assert page.url == ui_hub.url + path, "the 404 page keeps the address"
                assert page.locator("[data-test=admin-portal]").count() == 0
            assert page.locator("[data-test=admin-link]").count() == 0
            # Signed-in or not, the page never asked for the portal's code nor for the admin API.
            assert portal[0] not in requests and not [u for u in requests if PORTAL_SCRIPT.search(u)], requests
            assert not [u for u in requests if "/admin/api/" in u], requests
            # The same page a mistyped address gets.
            page.goto(f"/{uuid.uuid4().hex}/{uuid.uuid4().hex}/nothing/here")
            page.locator("[data-test=not-found]").wait_for()
            for path in ("/admin/api/stats", "/admin/api/users", "/admin/api/health", "/admin/api/storage"):
                answer = context.request.get(path)
                assert answer.status == (403 if who else 401), (path, answer.status)
            answer = context.request.patch("/admin/api/users/" + admin.name, data={"disabled": True})
            assert answer.status in (401, 403)
        finally:
            context.close()
    assert api_get(ui_hub, admin.token, f"/admin/api/users?search={admin.name}")["users"][0]["disabled"] is False


# --- dashboard and health ------------------------------------------------------------------------------


def test_dashboard_counts_and_recent_activity(playwright_browser, ui_hub: UiHub) -> None:
    admin, owner = sign_up_admin(ui_hub), sign_up(ui_hub, "d")
    HfApi(endpoint=ui_hub.url, token=owner.token).create_repo(f"{owner.name}/fresh-model", private=True)
    context = admin_context(playwright_browser, ui_hub, admin)
    try:
        page = context.new_page()
        page.goto("/")
        page.locator("[data-test=admin-link]").click()
        page.wait_for_url("**/admin")
        page.locator("[data-test=activity] li").first.wait_for()
        stats = api_get(ui_hub, admin.token, "/admin/api/stats")
        assert page.locator("[data-test=count-users]").inner_text() == str(stats["users"]["total"])
        assert page.locator("[data-test=count-repos]").inner_text() == str(stats["repos"]["total"])
        assert page.locator("[data-test=count-orgs]").inner_text() == str(stats["organizations"]["total"])
        first = page.locator("[data-test=activity] li").first
        assert first.get_attribute("data-kind") == "repo_created"
        assert f"New model {owner.name}/fresh-model" in first.inner_text() and "private" in first.inner_text()
        assert page.get_by_role("link", name=f"New user {owner.name}").count() == 1
        assert axe_violations(page) == []
        screenshot(page, "admin-dashboard")

        page.locator("[data-test=admin-nav-health]").click()
        page.wait_for_url("**/admin/health")
        page.locator("[data-test=overall]").wait_for()
        assert page.locator("[data-test=overall]").inner_text() == "Everything answers."
        rows = page.locator("[data-test=checks] tbody tr")
        assert [rows.nth(i).get_attribute("data-check") for i in range(rows.count())] == \
            ["database", "blob_store", "git", "git_data_dir"]
        assert page.locator("[data-test=checks] [data-test=state]").all_inner_texts() == ["OK"] * 4
        assert "git version" in page.locator("[data-check=git]").inner_text()
        assert re.search(r"\d+(\.\d+)? m?s", page.locator("[data-check=database]").inner_text())
        assert axe_violations(page) == []
        screenshot(page, "admin-health")
    finally:
        context.close()


# --- users ---------------------------------------------------------------------------------------------


def test_users_create_search_admin_disable_and_delete(playwright_browser, ui_hub: UiHub) -> None:
    admin = sign_up_admin(ui_hub)
    context = admin_context(playwright_browser, ui_hub, admin)
    name = f"made{uuid.uuid4().hex[:8]}"
    try:
        page = context.new_page()
        page.goto("/admin/users")
        form = page.locator("[data-test=create-user]")
        form.get_by_label("Username").fill(name)
        form.get_by_label("Email").fill(f"{name}@example.com")
        form.get_by_label("Password").fill(PASSWORD)
        form.get_by_role("button", name="Create user").click()
        assert page.locator("[data-test=done]").inner_text() == f"Created {name}."

        page.get_by_label("Find users").fill(name.upper())
        page.get_by_role("button", name="Search").click()
        row = page.locator(f"[data-user={name}]")
        row.wait_for()
        wait_until(page, lambda: page.locator("[data-test=users] tbody tr").count() == 1, "only the match listed")

        def user() -> dict:
            return api_get(ui_hub, admin.token, f"/admin/api/users?search={name}")["users"][0]

        row.get_by_role("button", name=f"Make admin {name}").click()
        row.locator("[data-test=admin-badge]").wait_for()
        assert user()["is_admin"] is True
        row.get_by_role("button", name=f"Remove admin rights of {name}").click()
        row.locator("[data-test=admin-badge]").wait_for(state="detached")
        assert user()["is_admin"] is False

        # Disabled: the login is refused until enabled again.
        row.get_by_role("button", name=f"Disable {name}").click()
        row.locator("[data-test=disabled-badge]").wait_for()
        assert user()["disabled"] is True
        login = httpx.post(f"{ui_hub.url}/api/auth/login", json={"username": name, "password": PASSWORD})
        assert login.status_code == 403
        row.get_by_role("button", name=f"Enable {name}").click()
        row.locator("[data-test=disabled-badge]").wait_for(state="detached")
        assert httpx.post(f"{ui_hub.url}/api/auth/login", json={"username": name, "password": PASSWORD}).status_code == 200

        # The last super-admin of an org is not deleted: the page says why, in the hub's words.
        org = f"org{uuid.uuid4().hex[:8]}"
        token = ui_hub.server.new_token(name)
        with ui_hub.api(token) as api:
            assert api.post("/org/create", json={"name": org}).status_code == 200
        row.get_by_role("button", name="Delete").click()
        row.locator("[data-test=confirm-yes]").click()
        error = page.locator("[data-test=error]")
        error.wait_for()
        with ui_hub.api(admin.token) as api:
            refused = api.delete(f"/admin/api/users/{name}")
        assert refused.status_code == 409
        assert error.inner_text() == f"{name} was not deleted: {refused.headers['x-error-message']}"
        assert f"last super-admin of {org}" in error.inner_text()
        assert user()["username"] == name
        assert axe_violations(page) == []
        screenshot(page, "admin-users")

        with ui_hub.api(token) as api:  # another super-admin for the org: now the delete goes through
            assert api.post(f"/org/{org}/members", json={"username": admin.name, "role": "super-admin"}).status_code == 200
        row.get_by_role("button", name="Delete").click()
        row.locator("[data-test=confirm-yes]").click()
        assert page.locator("[data-test=done]").inner_text() == f"Deleted {name}."
        row.wait_for(state="detached")
        assert api_get(ui_hub, admin.token, f"/admin/api/users?search={name}")["users"] == []
        # Nobody can disable themselves from here: their own row has no buttons.
        page.get_by_label("Find users").fill(admin.name)
        page.get_by_role("button", name="Search").click()
        own = page.locator(f"[data-user={admin.name}]")
        own.wait_for()
        assert own.get_by_role("button").count() == 0 and "you" in own.inner_text()
    finally:
        context.close()


# --- repositories --------------------------------------------------------------------------------------


def test_repositories_search_visibility_transfer_and_delete(playwright_browser, ui_hub: UiHub) -> None:
    admin, owner, other = sign_up_admin(ui_hub), sign_up(ui_hub, "r"), sign_up(ui_hub, "t")
    client = HfApi(endpoint=ui_hub.url, token=owner.token)
    tag = uuid.uuid4().hex[:6]
    model, data = f"{owner.name}/weights-{tag}", f"{owner.name}/table-{tag}"
    client.create_repo(model)
    client.upload_file(path_or_fileobj=b"x" * 2000, path_in_repo="w.bin", repo_id=model)
    client.create_repo(data, repo_type="dataset")
    context = admin_context(playwright_browser, ui_hub, admin)
    try:
        page = context.new_page()
        page.goto("/admin/repositories")
        page.get_by_label("Find repositories").fill(tag)
        page.get_by_role("button", name="Search").click()
        rows = page.locator("[data-test=repos] tbody tr")
        wait_until(page, lambda: rows.count() == 2 and rows.first.get_attribute("data-repo") is not None, "two repos")
        page.locator("[data-test=repo-search] select").select_option("dataset")
        wait_until(page, lambda: rows.count() == 1 and rows.first.get_attribute("data-repo") == f"dataset/{data}",
                   "only the dataset")
        page.locator("[data-test=repo-search] select").select_option("")
        row = page.locator(f"[data-repo='model/{model}']")
        row.wait_for()
        assert "KB" in row.locator("td.num").inner_text()  # its size, as quotas count it

        row.get_by_role("button", name=f"Make private: {model}").click()
        row.locator("[data-test=visibility]", has_text="private").wait_for()
        assert client.repo_info(model).private is True
        assert httpx.get(f"{ui_hub.url}/api/models/{model}").status_code == 401  # anonymous: gone
        row.get_by_role("button", name=f"Make public: {model}").click()
        row.locator("[data-test=visibility]", has_text="public").wait_for()
        assert client.repo_info(model).private is False
        assert axe_violations(page) == []
        screenshot(page, "admin-repositories")

        # A transfer to a namespace that does not exist is refused, with the hub's reason.
        row.get_by_label(f"New namespace of {model}").fill(f"nobody-{tag}")
        row.get_by_role("button", name="Transfer").click()
        page.locator("[data-test=error]").wait_for()
        assert page.locator("[data-test=error]").inner_text().startswith(f"{model} was not moved: ")
        assert client.repo_info(model).id == model
        moved = f"{other.name}/weights-{tag}"
        row.get_by_label(f"New namespace of {model}").fill(other.name)
        row.get_by_role("button", name="Transfer").click()
        page.locator(f"[data-repo='model/{moved}']").wait_for()
        assert HfApi(endpoint=ui_hub.url, token=other.token).repo_info(moved).id == moved

        moved_row = page.locator(f"[data-repo='model/{moved}']")
        moved_row.get_by_role("button", name="Delete").click()
        moved_row.locator("[data-test=confirm-yes]").click()
        moved_row.wait_for(state="detached")
        assert httpx.get(f"{ui_hub.url}/api/models/{moved}",
                         headers={"Authorization": f"Bearer {admin.token}"}).status_code == 404
        assert client.repo_info(data, repo_type="dataset").id == data  # the other one is untouched
    finally:
        context.close()


# --- quotas --------------------------------------------------------------------------------------------


def test_quotas_edit_refuse_and_recalculate(playwright_browser, ui_hub: UiHub) -> None:
    admin, owner = sign_up_admin(ui_hub), sign_up(ui_hub, "q")
    HfApi(endpoint=ui_hub.url, token=owner.token).create_repo(f"{owner.name}/sized")

    def quota() -> dict:
        return api_get(ui_hub, admin.token, f"/admin/api/quotas/{owner.name}")

    context = admin_context(playwright_browser, ui_hub, admin)
    try:
        page = context.new_page()
        page.goto("/admin/quotas")
        page.get_by_label("Find namespaces").fill(owner.name)
        page.get_by_role("button", name="Search").click()
        row = page.locator(f"[data-namespace={owner.name}]")
        row.wait_for()
        assert "(no limit)" in row.locator("[data-test=public-usage]").inner_text()

        row.get_by_role("button", name=f"Edit the limits of {owner.name}").click()
        row.get_by_label(f"private limit of {owner.name}").fill("lots")
        row.locator("[data-test=save-quota]").click()
        assert "is not a size" in page.locator("[data-test=error]").inner_text()
        assert quota()["private"]["limit"] is None  # nothing was sent
        row.get_by_label(f"private limit of {owner.name}").fill("10 MB")
        row.get_by_label(f"public limit of {owner.name}").fill("1.5 GB")
        row.locator("[data-test=save-quota]").click()
        assert page.locator("[data-test=done]").inner_text() == f"Saved the limits of {owner.name}."
        assert (quota()["private"]["limit"], quota()["public"]["limit"]) == (10_000_000, 1_500_000_000)
        assert "of 1.5 GB" in row.locator("[data-test=public-usage]").inner_text()

        # Saving again without touching a field keeps it (the shown size is rounded: it is not re-sent).
        row.get_by_role("button", name=f"Edit the limits of {owner.name}").click()
        row.get_by_label(f"private limit of {owner.name}").fill("unlimited")
        row.locator("[data-test=save-quota]").click()
        page.locator("[data-test=done]").wait_for()
        assert (quota()["private"]["limit"], quota()["public"]["limit"]) == (None, 1_500_000_000)
        assert axe_violations(page) == []
        screenshot(page, "admin-quotas")

        used = quota()["public"]["used"]
        row.get_by_role("button", name=f"Recalculate {owner.name}").click()
        assert page.locator("[data-test=done]").inner_text() == f"Re-measured {owner.name}."
        assert quota()["public"]["used"] == used > 0  # measured again from storage: the same bytes
    finally:
        context.close()


# --- registration invitations --------------------------------------------------------------------------


def test_registration_invitation_shown_once_listed_and_revoked(playwright_browser, ui_hub: UiHub) -> None:
    admin = sign_up_admin(ui_hub)
    context = admin_context(playwright_browser, ui_hub, admin)
    try:
        page = context.new_page()
        page.goto("/admin/invitations")
        assert "Registration is open" in page.locator("[data-test=registration-mode]").inner_text()
        page.get_by_label("Uses").select_option("10")
        page.get_by_role("button", name="Create link").click()
        link = page.locator("[data-test=invitation-link]")
        link.wait_for()
        token = link.inner_text().rsplit("/", 1)[1]
        assert token.startswith("khinv_") and link.inner_text() == f"{ui_hub.server.env['KOHAKU_HUB_BASE_URL']}/invite/{token}"
        listed = api_get(ui_hub, admin.token, "/admin/api/invitations")["invitations"]
        mine = next(i for i in listed if i["created_by"] == admin.name)
        item = page.locator(f"[data-invitation='{mine['id']}']")
        assert "used 0 of 10" in item.inner_text() and re.search(r"expires in \d days", item.inner_text())
        assert axe_violations(page) == []
        screenshot(page, "admin-invitations")

        page.reload()
        item.wait_for()
        assert page.locator("[data-test=invitation-link]").count() == 0  # shown once
        assert token not in page.content()
        assert httpx.get(f"{ui_hub.url}/api/invitations/{token}").json()["is_valid"] is True
        item.get_by_role("button", name=f"Revoke link #{mine['id']}").click()
        item.wait_for(state="detached")
        assert httpx.get(f"{ui_hub.url}/api/invitations/{token}").status_code == 404
    finally:
        context.close()


# --- storage -------------------------------------------------------------------------------------------


def test_storage_shows_totals_largest_repos_and_xet_savings(playwright_browser, ui_hub: UiHub, tmp_path) -> None:
    admin, owner = sign_up_admin(ui_hub), sign_up(ui_hub, "s")
    client = HfApi(endpoint=ui_hub.url, token=owner.token)
    repo = f"{owner.name}/big-{uuid.uuid4().hex[:6]}"
    client.create_repo(repo)
    # Two files through Xet (the client's default with hf_xet), the second the first with more bytes at its
    # end: the client sends only its new chunks, so the shared 4 MB are stored once, which the page shows.
    base = os.urandom(4 * 1024 * 1024)
    client.create_commit(repo, [CommitOperationAdd("a.bin", base)], commit_message="a file")
    client.create_commit(repo, [CommitOperationAdd("b.bin", base + os.urandom(4096))], commit_message="a similar one")
    storage = api_get(ui_hub, admin.token, "/admin/api/storage")
    assert storage["xet"]["saved_bytes"] >= 3 * 1024 * 1024, storage["xet"]
    context = admin_context(playwright_browser, ui_hub, admin)
    try:
        page = context.new_page()
        page.goto("/admin/storage")
        page.locator("[data-test=totals]").wait_for()
        assert page.locator("[data-test=xet-saved]").inner_text() == human(storage["xet"]["saved_bytes"])
        assert page.locator("[data-test=total]").inner_text() == human(storage["stored_bytes"])
        assert page.locator("[data-test=lfs]").inner_text() == human(storage["lfs"]["bytes"])
        first = page.locator("[data-test=largest] tbody tr").first
        assert first.get_attribute("data-repo") == f"model/{storage['largest_repos'][0]['id']}"
        row = page.locator(f"[data-repo='model/{repo}']")
        used = next(r["used_bytes"] for r in storage["largest_repos"] if r["id"] == repo)
        assert row.locator("[data-test=used]").inner_text() == human(used)
        assert axe_violations(page) == []
        screenshot(page, "admin-storage")
        page.goto("/admin")
        assert page.locator("[data-test=saved]").inner_text() == human(storage["xet"]["saved_bytes"])
    finally:
        context.close()


def human(n: int) -> str:
    """The pages' sizes (ui/src/lib/people.ts humanSize): decimal units, one decimal."""
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if abs(value) < 1000 or unit == "TB":
            return f"{n} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} bytes"

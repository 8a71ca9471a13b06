"""Accounts in real Chromium: sign up, log out and in, the hub's refusal shown as it is, settings pages behind a
login that comes back, a token made on the page and used by the real huggingface_hub client then revoked, the
full name, a password change, a session signed out from another browser (which is sent to log in and back),
invitation links, and the invite and closed registration modes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from huggingface_hub import HfApi
from huggingface_hub.utils import HfHubHTTPError

from tests.conftest import PASSWORD, LiveServer, start_server, stop_server
from tests.image_bytes import png
from tests.ui.conftest import UiHub, User, axe_violations, screenshot, sign_in, sign_up


def fresh_name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def log_in_on_page(page, user: User, password: str | None = None) -> None:
    page.locator("[data-test=login]").wait_for()
    page.get_by_label("Username").fill(user.name)
    page.get_by_label("Password").fill(password or user.password)
    page.get_by_role("button", name="Log in").click()


def signed_in_as(page) -> str:
    header = page.locator("[data-test=signed-in]")
    header.wait_for()
    return header.inner_text()


@pytest.fixture
def member(ui_hub: UiHub, context) -> User:
    user = sign_up(ui_hub, "m")
    sign_in(context, user)
    return user


def test_sign_up_log_out_and_log_in_again(page, ui_hub: UiHub) -> None:
    name = fresh_name("j")
    page.goto("/join")
    page.locator("[data-test=join]").wait_for()
    assert axe_violations(page) == []
    screenshot(page, "join")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Email").fill(f"{name}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    assert signed_in_as(page) == name
    page.wait_for_url(ui_hub.url + "/")

    session = next(c for c in page.context.cookies() if c["name"] == "session_id")["value"]
    page.locator("[data-test=log-out]").click()
    page.get_by_role("link", name="Log in").wait_for()
    # The session is over on the hub, not only forgotten by the page.
    assert httpx.get(f"{ui_hub.url}/api/whoami-v2", cookies={"session_id": session}).status_code == 401
    page.goto("/login")
    user = User(name, PASSWORD, "")
    log_in_on_page(page, user, password="not the password")
    error = page.locator("[data-test=error]")
    error.wait_for()
    refused = httpx.post(f"{ui_hub.url}/api/auth/login", json={"username": name, "password": "not the password"})
    assert refused.status_code == 401
    assert error.inner_text() == refused.headers["x-error-message"]  # the hub's own message
    assert axe_violations(page) == []
    screenshot(page, "login")
    log_in_on_page(page, user)
    assert signed_in_as(page) == name


def test_settings_need_a_login_and_come_back(page, ui_hub: UiHub) -> None:
    user = sign_up(ui_hub, "s")
    page.goto("/settings/tokens")
    page.wait_for_url("**/login?next=/settings/tokens")
    log_in_on_page(page, user)
    page.wait_for_url("**/settings/tokens")
    page.locator("[data-test=new-token]").wait_for()
    # A next= of another site is refused: the login lands on the home page instead.
    page.locator("[data-test=log-out]").click()
    page.get_by_role("link", name="Log in").wait_for()
    page.goto("/login?next=//evil.example/x")
    log_in_on_page(page, user)
    page.wait_for_url(ui_hub.url + "/")


def test_token_made_on_the_page_signs_in_the_client_until_revoked(page, ui_hub: UiHub, member: User) -> None:
    page.goto("/settings/tokens")
    page.get_by_label("Name").fill("laptop")
    page.get_by_label("Role").select_option("write")
    page.get_by_label("Expires").select_option("7")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("[data-test=secret]")
    secret.wait_for()
    token = secret.inner_text()
    row = page.locator("[data-token=laptop]")
    assert "write" in row.inner_text() and "in 7 days" in row.inner_text()
    assert axe_violations(page) == []
    screenshot(page, "settings-tokens")

    client = HfApi(endpoint=ui_hub.url, token=token)
    assert client.whoami()["name"] == member.name
    client.create_repo(f"{member.name}/from-token")  # a write token writes
    page.reload()
    page.locator("[data-token=laptop]").wait_for()
    assert page.locator("[data-test=secret]").count() == 0  # shown once
    assert "never" not in page.locator("[data-token=laptop] td").nth(2).inner_text()  # last use recorded

    page.get_by_role("button", name="Revoke laptop").click()
    page.locator("[data-token=laptop]").wait_for(state="detached")
    with pytest.raises(HfHubHTTPError):
        client.whoami()


def test_full_name_shows_in_whoami(page, ui_hub: UiHub, member: User) -> None:
    page.goto("/settings/profile")
    assert page.locator("[data-test=username]").inner_text() == member.name
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_role("button", name="Save profile").click()
    page.locator("[data-test=saved]").wait_for()
    assert HfApi(endpoint=ui_hub.url, token=member.token).whoami()["fullname"] == "Ada Lovelace"
    page.get_by_label("Full name").fill("\u0001bell")  # the hub's refusal, shown as it is
    page.get_by_role("button", name="Save profile").click()
    assert "control characters" in page.locator("[data-test=error]").inner_text()
    assert axe_violations(page) == []


def test_avatar_uploaded_on_the_profile_page(page, ui_hub: UiHub, member: User, tmp_path) -> None:
    (tmp_path / "me.png").write_bytes(png(8, 8))
    (tmp_path / "evil.svg").write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    page.goto("/settings/profile")
    page.locator("[data-test=username]").wait_for()
    page.locator("[data-test=avatar-input]").set_input_files(str(tmp_path / "evil.svg"))
    page.locator("[data-test=avatar-error]").wait_for()  # the hub's refusal: never SVG
    assert page.locator("[data-test=avatar]").count() == 0
    page.locator("[data-test=avatar-input]").set_input_files(str(tmp_path / "me.png"))
    page.locator("[data-test=avatar]").wait_for()
    page.wait_for_function("document.querySelector('[data-test=avatar]').naturalWidth === 8")
    assert HfApi(endpoint=ui_hub.url, token=member.token).whoami()["avatarUrl"].startswith(ui_hub.url)
    page.goto(f"/{member.name}")
    page.locator("[data-test=user-page] [data-test=avatar]").wait_for()
    page.goto("/settings/profile")
    page.locator("[data-test=remove-avatar]").click()
    page.locator("[data-test=avatar]").wait_for(state="detached")
    assert HfApi(endpoint=ui_hub.url, token=member.token).whoami()["avatarUrl"] == ""
    assert axe_violations(page) == []


def test_password_change_signs_out_the_other_browser(playwright_browser, page, ui_hub: UiHub, member: User) -> None:
    other = playwright_browser.new_context(base_url=ui_hub.url)
    try:
        sign_in(other, member)
        elsewhere = other.new_page()
        elsewhere.goto("/settings/profile")
        assert signed_in_as(elsewhere) == member.name

        page.goto("/settings/password")
        page.get_by_label("Current password").fill("wrong password")
        page.get_by_label("New password", exact=True).fill(PASSWORD + "new")
        page.get_by_label("New password again").fill(PASSWORD + "new")
        page.get_by_role("button", name="Change password").click()
        assert "incorrect" in page.locator("[data-test=error]").inner_text()
        page.get_by_label("Current password").fill(PASSWORD)
        page.get_by_role("button", name="Change password").click()
        assert "1 other session signed out" in page.locator("[data-test=done]").inner_text()

        # The other browser's next call is refused: it is sent to log in, and comes back after.
        elsewhere.get_by_role("link", name="Access tokens").click()
        elsewhere.wait_for_url("**/login?next=/settings/tokens&expired=1")
        elsewhere.locator("[data-test=expired]").wait_for()
        log_in_on_page(elsewhere, member, password=PASSWORD + "new")
        elsewhere.wait_for_url("**/settings/tokens")
    finally:
        other.close()


def test_a_session_signed_out_from_the_sessions_page(playwright_browser, page, ui_hub: UiHub, member: User) -> None:
    other = playwright_browser.new_context(base_url=ui_hub.url)
    try:
        sign_in(other, member)
        elsewhere = other.new_page()
        elsewhere.goto("/settings/profile")
        assert signed_in_as(elsewhere) == member.name

        page.goto("/settings/sessions")
        rows = page.locator("[data-test=sessions] li")
        rows.nth(1).wait_for()
        assert rows.count() == 2 and page.locator("[data-test=sessions] .badge").count() == 1
        assert axe_violations(page) == []
        page.get_by_role("button", name="Sign out").click()
        rows.nth(1).wait_for(state="detached")

        elsewhere.get_by_role("link", name="Sessions").click()
        elsewhere.wait_for_url("**/login?next=/settings/sessions&expired=1")
    finally:
        other.close()


def test_org_invitation_link_joins_after_login(page, ui_hub: UiHub) -> None:
    owner, invitee = sign_up(ui_hub, "o"), sign_up(ui_hub, "i")
    org = fresh_name("org")
    with ui_hub.api(owner.token) as api:
        assert api.post("/org/create", json={"name": org}).status_code == 200, org
        made = api.post(f"/api/invitations/org/{org}/create", json={"role": "member"})
        assert made.status_code == 200, made.text
    link = made.json()["invitation_link"]
    assert link.startswith(ui_hub.server.url) or link.startswith(ui_hub.url)
    token = made.json()["token"]

    page.goto(f"/invite/{token}")
    page.get_by_role("link", name="Log in").last.click()
    log_in_on_page(page, invitee)
    page.wait_for_url(f"**/invite/{token}")
    page.locator("[data-test=accept]").click()
    page.wait_for_url(f"**/organizations/{org}")
    with ui_hub.api(invitee.token) as api:
        orgs = api.get(f"/org/users/{invitee.name}/orgs").json()["organizations"]
    assert {"name": org, "role": "member"}.items() <= next(o for o in orgs if o["name"] == org).items()
    page.goto(f"/invite/{token}")  # used up (max_uses 1): the hub says why
    assert page.locator("[data-test=invalid]").inner_text()


@pytest.fixture
def invite_hub(tmp_path_factory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("invite-hub") / "data", {"KOHAKU_HUB_REGISTRATION": "invite"})
    yield server
    stop_server(server)


def test_invite_and_closed_registration(playwright_browser, invite_hub: LiveServer, tmp_path_factory) -> None:
    context = playwright_browser.new_context(base_url=invite_hub.url)
    try:
        page = context.new_page()
        page.goto("/join")
        page.locator("[data-test=invite-only]").wait_for()
        assert page.locator("[data-test=join]").count() == 0

        invite_hub.cli("admin", "create-user", "root", "--email", "root@example.com", "--password", PASSWORD,
                       "--admin")
        with _client(invite_hub, "root") as api:
            made = api.post("/api/invitations/register/create", json={"max_uses": 1})
            assert made.status_code == 200, made.text
        page.goto(f"/invite/{made.json()['token']}")
        page.wait_for_url("**/join?invitation=*")
        name = fresh_name("inv")
        page.get_by_label("Username").fill(name)
        page.get_by_label("Email").fill(f"{name}@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        assert signed_in_as(page) == name
    finally:
        context.close()

    closed = start_server(tmp_path_factory.mktemp("closed-hub") / "data", {"KOHAKU_HUB_REGISTRATION": "closed"})
    context = playwright_browser.new_context(base_url=closed.url)
    try:
        page = context.new_page()
        page.goto("/join")
        page.locator("[data-test=closed]").wait_for()
        assert page.locator("[data-test=join]").count() == 0
    finally:
        context.close()
        stop_server(closed)


def _client(server: LiveServer, username: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.new_token(username)}"},
                        timeout=30)

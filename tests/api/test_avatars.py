"""Profiles over raw HTTP: avatars of users and organizations (upload checked, served safely), an
organization's display name, and what whoami-v2 and the overviews show of them; refusals change nothing."""

from __future__ import annotations

from tests.api.helpers import assert_error, bearer, create_repo
from tests.conftest import HubClient
from tests.image_bytes import HTML, SVG, gif, png, webp

PNG = png(3, 3)


def _whoami(hc: HubClient, token: str | None = None) -> dict:
    resp = hc.client.get("/api/whoami-v2", headers=hc.auth(token))
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_a_user_sets_name_and_avatar_and_whoami_shows_them(hub_client: HubClient) -> None:
    client = hub_client.client
    assert _whoami(hub_client)["avatarUrl"] == ""
    assert client.put("/api/auth/profile", json={"fullname": "Alice Liddell"}, headers=hub_client.auth()).json()[
        "fullname"] == "Alice Liddell"
    resp = client.put("/api/users/alice/avatar", content=PNG, headers={**hub_client.auth(),
                                                                       "Content-Type": "image/png"})
    assert resp.status_code == 200, resp.text
    url = resp.json()["avatarUrl"]
    assert url.startswith("http://testserver/api/users/alice/avatar?v=")
    me = _whoami(hub_client)
    assert (me["fullname"], me["avatarUrl"]) == ("Alice Liddell", url)
    assert client.get("/api/auth/me", headers=hub_client.auth()).json()["avatarUrl"] == url
    overview = client.get("/api/users/alice/overview").json()
    assert (overview["fullname"], overview["avatarUrl"]) == ("Alice Liddell", url)

    served = client.get(url.removeprefix("http://testserver"))
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]
    assert served.headers["content-disposition"] == 'inline; filename="avatar.png"'
    again = client.get("/api/users/alice/avatar", headers={"If-None-Match": served.headers["etag"]})
    assert again.status_code == 304 and not again.content
    # A new picture gets a new URL (caches never show the old one).
    for image, media_type in ((gif(), "image/gif"), (webp(), "image/webp")):
        new = client.put("/api/users/alice/avatar", content=image, headers=hub_client.auth()).json()["avatarUrl"]
        assert new != url and client.get("/api/users/alice/avatar").headers["content-type"] == media_type
        url = new
    assert client.delete("/api/users/alice/avatar", headers=hub_client.auth()).status_code == 200
    assert _whoami(hub_client)["avatarUrl"] == ""
    assert_error(client.get("/api/users/alice/avatar"), 404)


def test_bad_avatars_and_foreign_callers_are_refused_and_change_nothing(hub_client: HubClient) -> None:
    client = hub_client.client
    client.put("/api/users/alice/avatar", content=PNG, headers=hub_client.auth())
    bob = hub_client.new_user("bob")
    alice_read = hub_client.hub.accounts.create_token(hub_client.hub.accounts.get_user("alice").id, "r", "read")[1]
    too_big = PNG + b"\x00" * (1 << 20)
    refusals = [
        (SVG, hub_client.auth(), 400, "SVG is not accepted"),
        (HTML, hub_client.auth(), 400, None),
        (b"", hub_client.auth(), 400, None),
        (PNG[:20], hub_client.auth(), 400, None),
        (png(5000, 1), hub_client.auth(), 400, "at most 4096 pixels"),
        (too_big, hub_client.auth(), 413, None),
        (PNG, bearer(bob), 403, None),
        (PNG, bearer(alice_read), 403, "read token"),
        (PNG, {}, 401, None),
    ]
    for body, headers, status, message in refusals:
        resp = client.put("/api/users/alice/avatar", content=body, headers={**headers, "Content-Type": "image/svg+xml"})
        assert_error(resp, status, message=message)
        assert client.get("/api/users/alice/avatar").content == PNG
    assert_error(client.delete("/api/users/alice/avatar", headers=bearer(bob)), 403)
    assert_error(client.delete("/api/users/alice/avatar"), 401)
    assert client.get("/api/users/alice/avatar").content == PNG
    assert_error(client.put("/api/users/nobody/avatar", content=PNG, headers=hub_client.auth()), 404)
    # A site admin may change anyone's (moderation).
    root = hub_client.hub.accounts.create_user("root", "root@example.com", "correct-horse-battery", is_admin=True)
    admin = hub_client.hub.accounts.create_token(root.id, "admin")[1]
    assert client.delete("/api/users/alice/avatar", headers=bearer(admin)).status_code == 200
    assert_error(client.get("/api/users/alice/avatar"), 404)


def test_an_organization_name_and_avatar_are_set_by_its_admins(hub_client: HubClient) -> None:
    client = hub_client.client
    assert client.post("/org/create", json={"name": "lab", "description": "A lab"},
                       headers=hub_client.auth()).status_code == 200
    bob = hub_client.new_user("bob")
    client.post("/org/lab/members", json={"username": "bob", "role": "member"}, headers=hub_client.auth())
    resp = client.put("/api/organizations/lab/settings", json={"fullname": "The Lab"}, headers=hub_client.auth())
    assert resp.status_code == 200 and resp.json()["fullname"] == "The Lab", resp.text
    resp = client.put("/api/organizations/lab/avatar", content=PNG, headers=hub_client.auth())
    assert resp.status_code == 200, resp.text
    url = resp.json()["avatarUrl"]
    assert url.startswith("http://testserver/api/organizations/lab/avatar?v=")
    assert client.get("/api/organizations/lab/avatar").content == PNG
    org = _whoami(hub_client)["orgs"][0]
    assert (org["name"], org["fullname"], org["avatarUrl"]) == ("lab", "The Lab", url)
    assert _whoami(hub_client, bob)["orgs"][0]["fullname"] == "The Lab"
    overview = client.get("/api/organizations/lab/overview").json()
    assert (overview["fullname"], overview["avatarUrl"], overview["details"]) == ("The Lab", url, "A lab")
    user_view = client.get("/api/users/bob/overview").json()["orgs"][0]
    assert (user_view["fullname"], user_view["avatarUrl"]) == ("The Lab", url)
    # A member is no admin; bad values; nothing changes.
    refusals = [
        ("PUT", "/api/organizations/lab/settings", {"json": {"fullname": "Mine"}}, bearer(bob), 403),
        ("PUT", "/api/organizations/lab/settings", {"json": {"fullname": "Mine"}}, {}, 401),
        ("PUT", "/api/organizations/lab/settings", {"json": {"fullname": "x" * 101}}, hub_client.auth(), 400),
        ("PUT", "/api/organizations/lab/settings", {"json": {"fullname": "a\tb"}}, hub_client.auth(), 400),
        ("PUT", "/api/organizations/lab/settings", {"json": {}}, hub_client.auth(), 400),
        ("PUT", "/api/organizations/lab/settings", {"json": {"owner": "bob"}}, hub_client.auth(), 400),
        ("PUT", "/api/organizations/lab/avatar", {"content": PNG + b"x"}, bearer(bob), 403),
        ("PUT", "/api/organizations/lab/avatar", {"content": SVG}, hub_client.auth(), 400),
        ("DELETE", "/api/organizations/lab/avatar", {}, bearer(bob), 403),
        ("PUT", "/api/organizations/nolab/settings", {"json": {"fullname": "X"}}, hub_client.auth(), 404),
        ("PUT", "/api/organizations/alice/avatar", {"content": PNG}, hub_client.auth(), 404),  # a user is no org
    ]
    for method, path, body, headers, status in refusals:
        assert_error(client.request(method, path, headers=headers, **body), status)
        assert client.get("/api/organizations/lab/overview").json()["fullname"] == "The Lab", path
        assert client.get("/api/organizations/lab/avatar").content == PNG, path
    assert client.delete("/api/organizations/lab/avatar", headers=hub_client.auth()).status_code == 200
    assert client.get("/api/organizations/lab/overview").json()["avatarUrl"] == ""


def test_avatars_show_wherever_users_are_listed(hub_client: HubClient) -> None:
    client = hub_client.client
    create_repo(client, hub_client.token, "m")
    bob = hub_client.new_user("bob")
    url = client.put("/api/users/bob/avatar", content=PNG, headers=bearer(bob)).json()["avatarUrl"]
    client.post("/api/models/alice/m/like", headers=bearer(bob))
    assert client.get("/api/models/alice/m/likers").json()[0]["avatarUrl"] == url
    client.post("/org/create", json={"name": "lab"}, headers=hub_client.auth())
    client.post("/org/lab/members", json={"username": "bob", "role": "member"}, headers=hub_client.auth())
    members = {m["user"]: m["avatarUrl"] for m in client.get("/api/organizations/lab/members").json()}
    assert members == {"alice": "", "bob": url}

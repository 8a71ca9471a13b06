"""Organizations, members, invitations, collaborators, whoami orgs and the registration modes."""

from __future__ import annotations

from datetime import timedelta

from kohakuhub.db.models import Invitation, utcnow
from tests.api.helpers import api, assert_error, bearer, commit, create_repo, file_op
from tests.conftest import PASSWORD, HubClient


def make_org(hc: HubClient, name: str = "acme", token: str | None = None) -> None:
    resp = hc.client.post("/org/create", json={"name": name, "description": "d"}, headers=hc.auth(token))
    assert resp.status_code == 200, resp.text


def add(hc: HubClient, org: str, username: str, role: str, token: str | None = None):
    return hc.client.post(f"/org/{org}/members", json={"username": username, "role": role},
                          headers=hc.auth(token))


def test_create_org_and_read_it(hub_client: HubClient) -> None:
    make_org(hub_client)
    info = hub_client.client.get("/org/acme").json()
    assert info["name"] == "acme" and info["description"] == "d" and info["member_count"] == 1
    members = hub_client.client.get("/org/acme/members").json()["members"]
    assert members == [{"username": "alice", "role": "super-admin"}]
    orgs = hub_client.client.get("/org/users/alice/orgs").json()["organizations"]
    assert [(o["name"], o["role"]) for o in orgs] == [("acme", "super-admin")]
    assert_error(hub_client.client.get("/org/nope"), 404)
    assert_error(hub_client.client.get("/org/alice"), 404)  # a user is not an org


def test_names_are_one_case_insensitive_namespace(hub_client: HubClient) -> None:
    make_org(hub_client, "Acme")
    for name in ("acme", "ACME", "alice", "Alice"):
        assert_error(hub_client.client.post("/org/create", json={"name": name}, headers=hub_client.auth()), 409)
    resp = hub_client.client.post("/api/auth/register", json={
        "username": "aCmE", "email": "x@example.com", "password": PASSWORD})
    assert_error(resp, 409)
    assert_error(hub_client.client.post("/org/create", json={"name": "api"}, headers=hub_client.auth()), 400)
    assert_error(hub_client.client.post("/org/create", json={"name": "bad/name"}, headers=hub_client.auth()), 400)
    assert_error(hub_client.client.post("/org/create", json={"name": "x"}), 401)


def test_org_cannot_log_in_or_own_tokens(hub_client: HubClient) -> None:
    make_org(hub_client)
    resp = hub_client.client.post("/api/auth/login", json={"username": "acme", "password": "!org"})
    assert_error(resp, 401)
    org = hub_client.hub.orgs.get_org("acme")
    import pytest

    from kohakuhub.errors import BadRequestError
    with pytest.raises(BadRequestError):
        hub_client.hub.accounts.create_token(org.id, "t")


def test_member_management_and_super_admin_protection(hub_client: HubClient) -> None:
    make_org(hub_client)
    bob, carol = hub_client.new_user("bob"), hub_client.new_user("carol")
    assert add(hub_client, "acme", "bob", "admin").status_code == 200
    assert_error(add(hub_client, "acme", "BOB", "member"), 409)  # already a member, any case
    assert_error(add(hub_client, "acme", "nobody", "member"), 404)
    assert_error(add(hub_client, "acme", "carol", "owner"), 400)
    assert_error(add(hub_client, "acme", "carol", "member", carol), 403)  # not an admin
    assert add(hub_client, "acme", "carol", "visitor", bob).status_code == 200  # admins manage members
    assert_error(add(hub_client, "acme", "acme", "member"), 404)  # an org cannot join an org
    # admins cannot remove or demote the super-admin, nor make super-admins
    assert_error(hub_client.client.delete("/org/acme/members/alice", headers=bearer(bob)), 403)
    assert_error(hub_client.client.put("/org/acme/members/alice", json={"role": "member"},
                                       headers=bearer(bob)), 403)
    assert_error(hub_client.client.put("/org/acme/members/carol", json={"role": "super-admin"},
                                       headers=bearer(bob)), 403)
    # the last super-admin cannot leave or step down
    assert_error(hub_client.client.delete("/org/acme/members/alice", headers=hub_client.auth()), 409)
    assert_error(hub_client.client.put("/org/acme/members/alice", json={"role": "admin"},
                                       headers=hub_client.auth()), 409)
    resp = hub_client.client.put("/org/acme/members/carol", json={"role": "member"}, headers=bearer(bob))
    assert resp.json()["role"] == "member"
    assert hub_client.client.delete("/org/acme/members/carol", headers=bearer(carol)).status_code == 200  # leave
    assert_error(hub_client.client.delete("/org/acme/members/carol", headers=bearer(bob)), 404)
    members = {m["username"]: m["role"] for m in hub_client.client.get("/org/acme/members").json()["members"]}
    assert members == {"alice": "super-admin", "bob": "admin"}


def test_read_token_cannot_manage(hub_client: HubClient) -> None:
    make_org(hub_client)
    hub_client.new_user("bob")
    read = hub_client.hub.accounts.create_token(1, "r", "read")[1]
    assert_error(add(hub_client, "acme", "bob", "member", read), 403)
    assert_error(hub_client.client.post("/org/create", json={"name": "other"}, headers=bearer(read)), 403)


def test_demoted_admin_is_judged_by_new_role_on_next_request(hub_client: HubClient) -> None:
    make_org(hub_client)
    bob = hub_client.new_user("bob")
    hub_client.new_user("carol")
    add(hub_client, "acme", "bob", "admin")
    create_repo(hub_client.client, hub_client.token, "priv", private=True, organization="acme")
    assert hub_client.client.put(f"{api('acme/priv')}/settings", json={"private": True},
                                 headers=bearer(bob)).status_code == 200
    assert add(hub_client, "acme", "carol", "visitor", bob).status_code == 200
    hub_client.client.put("/org/acme/members/bob", json={"role": "visitor"}, headers=hub_client.auth())
    assert_error(hub_client.client.put(f"{api('acme/priv')}/settings", json={"private": True},
                                       headers=bearer(bob)), 403)
    assert_error(hub_client.client.delete("/org/acme/members/carol", headers=bearer(bob)), 403)
    commit(hub_client.client, bob, "acme/priv", [file_op("x.txt", b"x")], expect=403)
    assert hub_client.client.get(api("acme/priv"), headers=bearer(bob)).status_code == 200
    hub_client.client.delete("/org/acme/members/bob", headers=hub_client.auth())
    assert_error(hub_client.client.get(api("acme/priv"), headers=bearer(bob)), 404, "RepoNotFound")


def test_org_repos_create_move_and_list(hub_client: HubClient) -> None:
    make_org(hub_client)
    bob, carol, dave = hub_client.new_user("bob"), hub_client.new_user("carol"), hub_client.new_user("dave")
    add(hub_client, "acme", "bob", "member")
    add(hub_client, "acme", "carol", "visitor")
    assert create_repo(hub_client.client, bob, "m1", organization="ACME")["repo_id"] == "acme/m1"
    create_repo(hub_client.client, bob, "secret", private=True, organization="acme")
    resp = hub_client.client.post("/api/repos/create", json={"name": "v1", "organization": "acme"},
                                  headers=bearer(carol))
    assert_error(resp, 403)
    resp = hub_client.client.post("/api/repos/create", json={"name": "v1", "organization": "acme"},
                                  headers=bearer(dave))
    assert_error(resp, 403)
    # a member may move their own repo into the org; an outsider may not move it out
    create_repo(hub_client.client, bob, "mine")
    resp = hub_client.client.post("/api/repos/move", json={"fromRepo": "bob/mine", "toRepo": "acme/mine"},
                                  headers=bearer(bob))
    assert resp.status_code == 200, resp.text
    # members may not delete org repos (admin right); the super-admin may
    resp = hub_client.client.request("DELETE", "/api/repos/delete", json={"name": "mine", "organization": "acme"},
                                     headers=bearer(bob))
    assert_error(resp, 403)

    def listed(token: str | None) -> set[str]:
        return {r["id"] for r in hub_client.client.get("/api/models?author=acme", headers=bearer(token)).json()}

    assert listed(carol) == {"acme/m1", "acme/secret", "acme/mine"}
    assert listed(dave) == {"acme/m1", "acme/mine"}
    assert listed(None) == {"acme/m1", "acme/mine"}


def test_whoami_reports_orgs(hub_client: HubClient) -> None:
    make_org(hub_client, "acme")
    make_org(hub_client, "beta")
    bob = hub_client.new_user("bob")
    for org, role in (("acme", "visitor"), ("beta", "member")):
        add(hub_client, org, "bob", role)
    body = hub_client.client.get("/api/whoami-v2", headers=bearer(bob)).json()
    assert [(o["name"], o["roleInOrg"]) for o in body["orgs"]] == [("acme", "read"), ("beta", "write")]
    assert body["name"] == "bob" and body["auth"]["type"] == "access_token"
    body = hub_client.client.get("/api/whoami-v2", headers=hub_client.auth()).json()
    assert [(o["name"], o["roleInOrg"]) for o in body["orgs"]] == [("acme", "admin"), ("beta", "admin")]


def test_collaborators(hub_client: HubClient) -> None:
    bob, carol = hub_client.new_user("bob"), hub_client.new_user("carol")
    create_repo(hub_client.client, hub_client.token, "p", private=True)
    url = f"{api('alice/p')}/collaborators"
    assert_error(hub_client.client.get(api("alice/p"), headers=bearer(bob)), 404, "RepoNotFound")
    assert hub_client.client.put(f"{url}/bob", json={"role": "read"}, headers=hub_client.auth()).status_code == 200
    assert hub_client.client.get(api("alice/p"), headers=bearer(bob)).status_code == 200
    commit(hub_client.client, bob, "alice/p", [file_op("x.txt", b"x")], expect=403)
    assert hub_client.client.put(f"{url}/BOB", json={"role": "write"}, headers=hub_client.auth()).status_code == 200
    commit(hub_client.client, bob, "alice/p", [file_op("x.txt", b"x")])
    assert_error(hub_client.client.put(f"{url}/carol", json={"role": "read"}, headers=bearer(bob)), 403)
    assert_error(hub_client.client.get(url, headers=bearer(carol)), 404, "RepoNotFound")
    assert_error(hub_client.client.put(f"{url}/carol", json={"role": "admin"}, headers=hub_client.auth()), 400)
    assert_error(hub_client.client.put(f"{url}/nobody", json={"role": "read"}, headers=hub_client.auth()), 404)
    listed = hub_client.client.get(url, headers=hub_client.auth()).json()["collaborators"]
    assert listed == [{"username": "bob", "role": "write"}]
    assert {r["id"] for r in hub_client.client.get("/api/models", headers=bearer(bob)).json()} == {"alice/p"}
    assert hub_client.client.delete(f"{url}/bob", headers=hub_client.auth()).status_code == 200
    assert_error(hub_client.client.delete(f"{url}/bob", headers=hub_client.auth()), 404)
    assert_error(hub_client.client.get(api("alice/p"), headers=bearer(bob)), 404, "RepoNotFound")
    assert carol


def test_org_invitations(hub_client: HubClient) -> None:
    make_org(hub_client)
    bob, carol, dave = hub_client.new_user("bob"), hub_client.new_user("carol"), hub_client.new_user("dave")
    resp = hub_client.client.post("/api/invitations/org/acme/create", json={"role": "member", "max_uses": 2},
                                  headers=hub_client.auth())
    assert resp.status_code == 200, resp.text
    token = resp.json()["token"]
    assert Invitation.get().token_hash != token and token not in Invitation.get().token_hash
    info = hub_client.client.get(f"/api/invitations/{token}").json()
    assert (info["org_name"], info["role"], info["is_valid"], info["uses"]) == ("acme", "member", True, 0)
    assert hub_client.client.post(f"/api/invitations/{token}/accept", headers=bearer(bob)).json()["role"] == "member"
    assert_error(hub_client.client.post(f"/api/invitations/{token}/accept", headers=bearer(bob)), 409)
    assert hub_client.client.post(f"/api/invitations/{token}/accept", headers=bearer(carol)).status_code == 200
    assert_error(hub_client.client.post(f"/api/invitations/{token}/accept", headers=bearer(dave)), 400,
                 message="already been used")
    assert_error(hub_client.client.post(f"/api/invitations/{token}/accept"), 401)
    assert_error(hub_client.client.post("/api/invitations/khinv_nope/accept", headers=bearer(dave)), 404)
    # members cannot invite; admins cannot invite super-admins
    assert_error(hub_client.client.post("/api/invitations/org/acme/create", json={"role": "member"},
                                        headers=bearer(bob)), 403)
    assert_error(hub_client.client.post("/api/invitations/org/acme/create", json={"role": "boss"},
                                        headers=hub_client.auth()), 400)
    assert_error(hub_client.client.post("/api/invitations/org/acme/create",
                                        json={"role": "member", "max_uses": 0}, headers=hub_client.auth()), 400)
    # expiry
    resp = hub_client.client.post("/api/invitations/org/acme/create", json={"role": "visitor", "max_uses": None},
                                  headers=hub_client.auth())
    expiring = resp.json()["token"]
    Invitation.update(expires_at=utcnow() - timedelta(seconds=1)).where(
        Invitation.id == resp.json()["id"]).execute()
    assert_error(hub_client.client.post(f"/api/invitations/{expiring}/accept", headers=bearer(dave)), 400,
                 message="expired")
    listed = hub_client.client.get("/api/invitations/org/acme/list", headers=hub_client.auth()).json()["invitations"]
    assert [(i["uses"], i["is_valid"]) for i in listed] == [(2, False), (0, False)]
    assert_error(hub_client.client.get("/api/invitations/org/acme/list", headers=bearer(bob)), 403)
    assert hub_client.client.delete(f"/api/invitations/{expiring}", headers=hub_client.auth()).status_code == 200
    assert_error(hub_client.client.get(f"/api/invitations/{expiring}"), 404)


def test_registration_modes(make_hub) -> None:
    closed = make_hub(registration="closed")
    assert closed.client.get("/api/auth/registration").json() == {"mode": "closed"}
    resp = closed.client.post("/api/auth/register", json={"username": "bob", "email": "b@example.com",
                                                          "password": PASSWORD})
    assert_error(resp, 403, message="Registration is closed")

    invite = make_hub(registration="invite")
    assert invite.client.get("/api/auth/registration").json() == {"mode": "invite"}
    body = {"username": "bob", "email": "b@example.com", "password": PASSWORD}
    assert_error(invite.client.post("/api/auth/register", json=body), 403, message="invitation")
    # only site admins create registration invitations
    assert_error(invite.client.post("/api/invitations/register/create", json={}, headers=invite.auth()), 403)
    admin = invite.hub.accounts.create_user("root", "root@example.com", PASSWORD, is_admin=True)
    admin_token = invite.hub.accounts.create_token(admin.id, "t")[1]
    token = invite.client.post("/api/invitations/register/create", json={"max_uses": 1},
                               headers=bearer(admin_token)).json()["token"]
    bad = invite.client.post("/api/auth/register", json={**body, "username": "bad name", "invitation": token})
    assert_error(bad, 400)  # the use was rolled back with the failed registration
    assert invite.client.post("/api/auth/register", json={**body, "invitation": token}).status_code == 200
    again = {"username": "carol", "email": "c@example.com", "password": PASSWORD, "invitation": token}
    assert_error(invite.client.post("/api/auth/register", json=again), 400, message="already been used")
    # an org invitation is not a registration invitation
    org_inv = invite.client.post("/api/invitations/org/none/create", json={"role": "member"}, headers=invite.auth())
    assert_error(org_inv, 404)


def test_migration_3_upgrades_a_version_1_database(tmp_path, monkeypatch) -> None:
    from kohakuhub.db import migrations
    from kohakuhub.db.database import open_database

    db = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:1])
    assert migrations.migrate(db) == [1]
    db.execute_sql("INSERT INTO user (username, username_key, email, password_hash, fullname, is_admin, created_at)"
                   " VALUES ('old', 'old', 'o@example.com', 'h', '', 0, '2024-01-01 00:00:00')")
    monkeypatch.undo()
    assert 3 in migrations.migrate(db) and migrations.migrate(db) == []
    assert db.execute_sql("SELECT username, is_org, description FROM user").fetchall() == [("old", 0, "")]
    assert db.execute_sql("SELECT COUNT(*) FROM org_member").fetchone() == (0,)
    db.close()


def test_org_member_management_by_session_cookie_needs_csrf(hub_client: HubClient) -> None:
    make_org(hub_client)
    hub_client.new_user("bob")
    client = hub_client.client
    login = client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    assert login.status_code == 200, login.text
    csrf = login.json()["csrf_token"]
    client.cookies.set("session_id", login.cookies["session_id"])  # no Authorization header below
    members = [{"username": "alice", "role": "super-admin"}]
    attempts = [
        ("POST", "/org/acme/members", {"username": "bob", "role": "member"}),
        ("POST", "/org/create", {"name": "forged"}),
        ("POST", "/api/invitations/org/acme/create", {"role": "admin"}),
    ]
    for method, url, body in attempts:
        for headers in ({}, {"X-CSRF-Token": "0" * 64}, {"X-CSRF-Token": csrf, "Origin": "https://evil.example"}):
            assert_error(client.request(method, url, json=body, headers=headers), 403, message="CSRF")
    assert client.get("/org/acme/members").json()["members"] == members  # nothing changed
    assert_error(client.get("/org/forged"), 404)
    assert client.get("/api/invitations/org/acme/list", headers=hub_client.auth()).json()["invitations"] == []

    resp = client.post("/org/acme/members", json={"username": "bob", "role": "member"},
                       headers={"X-CSRF-Token": csrf})
    assert resp.status_code == 200, resp.text
    for method, body in (("PUT", {"role": "admin"}), ("DELETE", None)):
        assert_error(client.request(method, "/org/acme/members/bob", json=body), 403, message="CSRF")
    assert {m["username"]: m["role"] for m in client.get("/org/acme/members").json()["members"]}["bob"] == "member"
    assert client.put("/org/acme/members/bob", json={"role": "admin"},
                      headers={"X-CSRF-Token": csrf}).json()["role"] == "admin"
    assert client.delete("/org/acme/members/bob", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get("/org/acme/members").json()["members"] == members
    client.cookies.clear()


def test_names_differing_only_by_case_across_users_orgs_and_repos(hub_client: HubClient) -> None:
    client = hub_client.client
    make_org(hub_client, "Acme")
    bob = hub_client.new_user("bob")
    add(hub_client, "acme", "bob", "member")
    root = hub_client.hub.accounts.create_user("root", "root@example.com", PASSWORD, is_admin=True)
    root_token = hub_client.hub.accounts.create_token(root.id, "t")[1]
    # user names (registration and the admin API) collide with org names in any case, and vice versa
    for name in ("acme", "ACME", "Acme"):
        resp = client.post("/api/auth/register", json={"username": name, "email": f"{name}1@example.com",
                                                       "password": PASSWORD})
        assert_error(resp, 409)
        resp = client.post("/admin/api/users", json={"username": name, "email": f"{name}2@example.com",
                                                     "password": PASSWORD}, headers=bearer(root_token))
        assert_error(resp, 409)
    for name in ("BOB", "Root", "alice"):
        assert_error(client.post("/org/create", json={"name": name}, headers=bearer(bob)), 409)
    # repos created in the org under any spelling of its name land in its namespace as registered
    assert create_repo(client, bob, "Model", organization="ACME")["repo_id"] == "Acme/Model"
    for name in ("model", "MODEL"):
        resp = client.post("/api/repos/create", json={"name": name, "organization": "acme"}, headers=bearer(bob))
        assert_error(resp, 409)
    # moving a repo into the org: any spelling of the namespace, but not onto an id taken in another case
    create_repo(client, bob, "mine")
    create_repo(client, bob, "model")
    resp = client.post("/api/repos/move", json={"fromRepo": "bob/model", "toRepo": "aCmE/MODEL"}, headers=bearer(bob))
    assert_error(resp, 409)
    resp = client.post("/api/repos/move", json={"fromRepo": "bob/mine", "toRepo": "aCmE/Mine"}, headers=bearer(bob))
    assert resp.status_code == 200, resp.text
    assert client.get(api("Acme/Mine"), headers=bearer(bob)).json()["id"] == "Acme/Mine"
    assert client.get(api("acme/mine"), headers=bearer(bob)).json()["id"] == "Acme/Mine"
    assert {r["id"] for r in client.get("/api/models?author=acme").json()} == {"Acme/Model", "Acme/Mine"}
    # the org's name in another case is still the org, for membership too
    assert_error(add(hub_client, "ACME", "BOB", "visitor"), 409)
    assert client.get("/org/ACME").json()["name"] == "Acme"

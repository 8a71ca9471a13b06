"""Site administration: /admin/api/ permissions, users, repos, stats, bootstrap token, disable/delete."""

from __future__ import annotations

import hashlib

import pytest

from kohakuhub.db.models import Repo, Session, Token, User
from kohakuhub.errors import ForbiddenError
from tests.api.helpers import api, assert_error, bearer, create_repo, git_dir, lfs_upload
from tests.conftest import PASSWORD

BOOTSTRAP = "b" * 40


@pytest.fixture
def site(make_hub):
    """A hub with alice (user), root (site admin) and the bootstrap admin token configured."""
    hub = make_hub(admin_token=BOOTSTRAP)
    accounts = hub.hub.accounts
    root = accounts.create_user("root", "root@example.com", PASSWORD, is_admin=True)
    hub.root = accounts.create_token(root.id, "admin")[1]
    return hub


ADMIN_ROUTES = [
    ("GET", "/admin/api/users", None),
    ("POST", "/admin/api/users", {"username": "x1", "email": "x1@example.com", "password": PASSWORD}),
    ("PATCH", "/admin/api/users/alice", {"disabled": True}),
    ("DELETE", "/admin/api/users/alice", None),
    ("GET", "/admin/api/repositories", None),
    ("DELETE", "/admin/api/repositories/models/alice/r", None),
    ("POST", "/admin/api/repositories/models/alice/r/transfer", {"namespace": "root"}),
    ("GET", "/admin/api/stats", None),
    ("GET", "/admin/api/quotas", None),
    ("GET", "/admin/api/quotas/alice", None),
    ("PUT", "/admin/api/quotas/alice", {"public": 1}),
    ("POST", "/admin/api/quotas/alice/recalculate", None),
]


def test_admin_api_is_401_anonymous_and_403_for_others(site):
    client = site.client
    create_repo(client, site.token, "r")
    read_admin = site.hub.accounts.create_token(User.get(User.username == "root").id, "ro", "read")[1]
    for method, url, body in ADMIN_ROUTES:
        assert_error(client.request(method, url, json=body), 401)
        assert_error(client.request(method, url, json=body, headers=bearer(site.token)), 403)
        assert_error(client.request(method, url, json=body, headers=bearer("khub_bogus")), 401)
        assert_error(client.request(method, url, json=body, headers=bearer("c" * 40)), 401)  # not the bootstrap
        if method != "GET":
            assert_error(client.request(method, url, json=body, headers=bearer(read_admin)), 403)
    assert client.get("/admin/api/stats", headers=bearer(read_admin)).status_code == 200
    assert User.get(User.username == "alice").disabled is False
    assert Repo.select().count() == 1 and User.select().count() == 2
    assert client.get("/api/quota/alice", headers=site.auth()).json()["public"]["limit"] is None


def test_users_list_pagination_and_search(site):
    client = site.client
    for i in range(5):
        site.hub.accounts.create_user(f"user{i}", f"user{i}@example.com", PASSWORD)
    page = client.get("/admin/api/users?offset=0&limit=3", headers=bearer(site.root)).json()
    assert page["total"] == 7 and len(page["users"]) == 3 and page["users"][0]["username"] == "alice"
    rest = client.get("/admin/api/users?offset=3&limit=3", headers=bearer(site.root)).json()["users"]
    assert [u["username"] for u in rest] == ["user1", "user2", "user3"]  # alice, root, user0 came first
    found = client.get("/admin/api/users?search=USER3", headers=bearer(site.root)).json()
    assert [u["username"] for u in found["users"]] == ["user3"] and found["total"] == 1
    assert set(found["users"][0]) == {"id", "username", "email", "is_admin", "disabled", "created_at"}
    for bad in ("limit=0", "limit=5000", "offset=-1", "limit=x"):
        assert_error(client.get(f"/admin/api/users?{bad}", headers=bearer(site.root)), 400)


def test_disable_user_revokes_everything_at_once(site):
    client = site.client
    login = client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    assert login.status_code == 200
    assert client.get("/api/auth/me").status_code == 200

    resp = client.patch("/admin/api/users/alice", json={"disabled": True}, headers=bearer(site.root))
    assert resp.status_code == 200, resp.text
    assert resp.json()["user"]["disabled"] is True
    assert_error(client.get("/api/auth/me"), 401)  # the session is gone
    assert_error(client.get("/api/whoami-v2", headers=site.auth()), 401)  # and the token
    assert Session.select().join(User).where(User.username == "alice").count() == 0
    assert Token.select().join(User).where(User.username == "alice").count() == 0
    client.cookies.clear()
    blocked = client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    assert_error(blocked, 403, message="disabled")
    assert_error(client.post("/api/auth/login", json={"username": "alice", "password": "wrong-password"}), 401)

    resp = client.patch("/admin/api/users/alice", json={"disabled": False}, headers=bearer(site.root))
    assert resp.json()["user"]["disabled"] is False
    assert client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD}).status_code == 200
    assert_error(client.get("/api/whoami-v2", headers=site.auth()), 401)  # revoked tokens stay revoked


def test_set_and_unset_admin(site):
    client = site.client
    resp = client.patch("/admin/api/users/ALICE", json={"is_admin": True}, headers=bearer(site.root))
    assert resp.status_code == 200 and resp.json()["user"]["is_admin"] is True
    assert client.get("/admin/api/stats", headers=site.auth()).status_code == 200  # effective immediately
    resp = client.patch("/admin/api/users/alice", json={"is_admin": False}, headers=bearer(site.root))
    assert resp.json()["user"]["is_admin"] is False
    assert_error(client.get("/admin/api/stats", headers=site.auth()), 403)
    # An admin cannot lock themselves out.
    for body in ({"is_admin": False}, {"disabled": True}):
        assert_error(client.patch("/admin/api/users/root", json=body, headers=bearer(site.root)), 400)
    assert_error(client.delete("/admin/api/users/root", headers=bearer(site.root)), 400)
    assert_error(client.patch("/admin/api/users/nobody", json={"is_admin": True}, headers=bearer(site.root)), 404)
    assert_error(client.patch("/admin/api/users/alice", json={"is_admin": "maybe"}, headers=bearer(site.root)), 400)


def test_deleted_user_mid_session_gets_401(site):
    client = site.client
    create_repo(client, site.token, "mine", private=True)
    path = git_dir(site.hub, "alice/mine")
    assert client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD}).status_code == 200
    assert client.get("/api/auth/me").status_code == 200

    assert client.delete("/admin/api/users/alice", headers=bearer(site.root)).status_code == 200
    assert_error(client.get("/api/auth/me"), 401)
    assert_error(client.get("/api/whoami-v2", headers=site.auth()), 401)
    assert User.get_or_none(User.username == "alice") is None
    assert Repo.select().count() == 0 and not path.exists()  # their namespace's repos and history went too
    assert_error(client.delete("/admin/api/users/alice", headers=bearer(site.root)), 404)
    # The name is free again.
    site.hub.accounts.create_user("alice", "alice@example.com", PASSWORD)


def test_delete_user_with_repos_elsewhere_is_refused(site):
    client = site.client
    create_repo(client, site.token, "moved")
    Repo.update(namespace="root", full_key="model/root/moved").execute()  # created by alice, now under root
    assert_error(client.delete("/admin/api/users/alice", headers=bearer(site.root)), 409, message="root/moved")
    assert User.get_or_none(User.username == "alice") is not None


def test_create_user_by_admin(site):
    body = {"username": "carol", "email": "carol@example.com", "password": PASSWORD, "is_admin": True}
    resp = site.client.post("/admin/api/users", json=body, headers=bearer(site.root))
    assert resp.status_code == 200, resp.text
    assert resp.json()["user"]["is_admin"] is True
    assert_error(site.client.post("/admin/api/users", json=body, headers=bearer(site.root)), 409)


def test_repos_list_delete_transfer(site):
    client = site.client
    create_repo(client, site.token, "pub")
    create_repo(client, site.token, "secret", private=True)
    create_repo(client, site.token, "data", "dataset")
    listed = client.get("/admin/api/repositories", headers=bearer(site.root)).json()
    assert listed["total"] == 3 and {r["id"] for r in listed["repositories"]} == {"alice/pub", "alice/secret", "alice/data"}
    models = client.get("/admin/api/repositories?type=model&limit=1", headers=bearer(site.root)).json()
    assert models["total"] == 2 and len(models["repositories"]) == 1
    datasets = client.get("/admin/api/repositories?type=datasets", headers=bearer(site.root)).json()
    assert [r["id"] for r in datasets["repositories"]] == ["alice/data"]
    assert_error(client.get("/admin/api/repositories?type=bogus", headers=bearer(site.root)), 404)

    resp = client.post("/admin/api/repositories/models/alice/secret/transfer", json={"namespace": "root"},
                       headers=bearer(site.root))
    assert resp.status_code == 200, resp.text
    assert resp.json()["repository"]["id"] == "root/secret"
    root_id = User.get(User.username == "root").id
    assert Repo.get(Repo.name == "secret").owner_id == root_id
    assert client.get(api("root/secret"), headers=bearer(site.root)).status_code == 200
    assert_error(client.get(api("root/secret"), headers=site.auth()), 404, "RepoNotFound")
    assert_error(client.post("/admin/api/repositories/models/alice/pub/transfer", json={"namespace": "nobody"},
                             headers=bearer(site.root)), 400)
    assert_error(client.post("/admin/api/repositories/models/alice/gone/transfer", json={"namespace": "root"},
                             headers=bearer(site.root)), 404, "RepoNotFound")

    path = git_dir(site.hub, "alice/pub")
    assert client.delete("/admin/api/repositories/models/alice/pub", headers=bearer(site.root)).status_code == 200
    assert not path.exists()
    assert_error(client.get(api("alice/pub"), headers=site.auth()), 404, "RepoNotFound")
    assert_error(client.delete("/admin/api/repositories/models/alice/pub", headers=bearer(site.root)), 404,
                 "RepoNotFound")


def test_stats(site):
    client = site.client
    create_repo(client, site.token, "m1")
    create_repo(client, site.token, "m2", private=True)
    create_repo(client, site.token, "d1", "dataset")
    lfs_upload(client, site.token, "alice/m1", b"z" * 3000)
    client.patch("/admin/api/users/alice", json={"disabled": True}, headers=bearer(site.root))
    stats = client.get("/admin/api/stats", headers=bearer(site.root)).json()
    assert stats["users"] == {"total": 2, "admins": 1, "disabled": 1}
    assert stats["repos"] == {"model": 2, "dataset": 1, "space": 0, "total": 3, "private": 1}
    assert stats["lfs"] == {"objects": 1, "bytes": 3000}
    assert stats["xet"] == {"files": 0, "file_bytes": 0, "xorbs": 0, "stored_bytes": 0, "dedup_ratio": None}


def test_bootstrap_admin_token(site):
    client = site.client
    for headers in (bearer(BOOTSTRAP), {"X-Admin-Token": BOOTSTRAP}):
        assert client.get("/admin/api/stats", headers=headers).status_code == 200
    body = {"username": "ops", "email": "ops@example.com", "password": PASSWORD, "is_admin": True}
    assert client.post("/admin/api/users", json=body, headers=bearer(BOOTSTRAP)).status_code == 200
    resp = client.patch("/admin/api/users/alice", json={"disabled": True}, headers={"X-Admin-Token": BOOTSTRAP})
    assert resp.status_code == 200
    assert_error(client.get("/admin/api/stats", headers=bearer(BOOTSTRAP[:-1] + "c")), 401)
    assert_error(client.get("/admin/api/stats", headers={"X-Admin-Token": "wrong"}), 401)
    # It is an admin credential for /admin/api/ only, not a user token elsewhere.
    assert_error(client.get("/api/whoami-v2", headers=bearer(BOOTSTRAP)), 401)
    assert_error(client.post("/api/repos/create", json={"name": "x"}, headers=bearer(BOOTSTRAP)), 401)


def test_bootstrap_token_disabled_by_default_and_must_be_long(make_hub):
    from kohakuhub.config import load_settings
    from kohakuhub.errors import ConfigError

    hub = make_hub()
    assert_error(hub.client.get("/admin/api/stats", headers={"X-Admin-Token": ""}), 401)
    assert_error(hub.client.get("/admin/api/stats", headers=bearer("")), 401)
    with pytest.raises(ConfigError) as err:
        load_settings(admin_token="short")
    assert "short" not in str(err.value.message)
    assert "short" not in repr(load_settings(admin_token="s" * 32).model_dump())


def test_admin_session_needs_csrf(site):
    client = site.client
    login = client.post("/api/auth/login", json={"username": "root", "password": PASSWORD})
    assert client.get("/admin/api/stats").status_code == 200
    assert_error(client.patch("/admin/api/users/alice", json={"disabled": True}), 403, message="CSRF")
    assert User.get(User.username == "alice").disabled is False
    resp = client.patch("/admin/api/users/alice", json={"disabled": True},
                        headers={"X-CSRF-Token": login.json()["csrf_token"]})
    assert resp.status_code == 200


def _org(site, name: str = "acme", token: str | None = None) -> None:
    resp = site.client.post("/org/create", json={"name": name}, headers=bearer(token or site.token))
    assert resp.status_code == 200, resp.text


def test_admin_quota_api(site):
    client, root = site.client, bearer(site.root)
    _org(site)
    create_repo(client, site.token, "r")
    create_repo(client, site.token, "w", private=True, organization="acme")
    page = client.get("/admin/api/quotas", headers=root).json()
    assert page["total"] == 3 and (page["offset"], page["limit"]) == (0, 50)
    by_name = {row["namespace"]: row for row in page["quotas"]}
    assert [row["namespace"] for row in page["quotas"]] == ["acme", "alice", "root"]  # by name
    assert {n: r["type"] for n, r in by_name.items()} == {"acme": "org", "alice": "user", "root": "user"}
    assert by_name["acme"]["private"]["used"] > 0 and by_name["acme"]["public"]["used"] == 0
    assert by_name["alice"]["public"]["used"] > 0 and by_name["root"]["public"] == {"used": 0, "limit": None}
    assert {k: v for k, v in by_name["alice"].items() if k != "type"} == \
        client.get("/api/quota/alice", headers=site.auth()).json()
    second = client.get("/admin/api/quotas?offset=1&limit=1", headers=root).json()
    assert [r["namespace"] for r in second["quotas"]] == ["alice"] and second["total"] == 3
    found = client.get("/admin/api/quotas?search=CM", headers=root).json()
    assert [r["namespace"] for r in found["quotas"]] == ["acme"] and found["total"] == 1
    assert_error(client.get("/admin/api/quotas?limit=0", headers=root), 400)

    one = client.get("/admin/api/quotas/ACME", headers=root).json()
    assert one["namespace"] == "acme" and one["private"] == by_name["acme"]["private"]
    resp = client.put("/admin/api/quotas/acme", json={"private": 5000, "public": None}, headers=root)
    assert resp.status_code == 200, resp.text
    assert resp.json()["private"]["limit"] == 5000 and resp.json()["public"]["limit"] is None
    assert client.get("/api/quota/acme", headers=site.auth()).json()["private"]["limit"] == 5000  # same data
    resp = client.put("/admin/api/quotas/acme", json={"private": "default"}, headers={"X-Admin-Token": BOOTSTRAP})
    assert resp.status_code == 200 and resp.json()["private"]["limit"] is None
    for bad in ({"private": -1}, {"public": "lots"}, {"public": True}):
        assert_error(client.put("/admin/api/quotas/acme", json=bad, headers=root), 400)
    assert_error(client.put("/admin/api/quotas/acme", json=[1], headers=root), 400)
    assert_error(client.get("/admin/api/quotas/nobody", headers=root), 404)
    assert_error(client.put("/admin/api/quotas/nobody", json={"public": 1}, headers=root), 404)
    assert_error(client.post("/admin/api/quotas/nobody/recalculate", headers=root), 404)
    resp = client.post("/admin/api/quotas/acme/recalculate", headers=bearer(BOOTSTRAP))
    assert resp.status_code == 200 and resp.json()["private"]["used"] == by_name["acme"]["private"]["used"]


def test_orgs_are_not_users_in_admin_lists_and_stats(site):
    client, root = site.client, bearer(site.root)
    _org(site)
    _org(site, "beta")
    users = client.get("/admin/api/users", headers=root).json()
    assert users["total"] == 2 and [u["username"] for u in users["users"]] == ["alice", "root"]
    assert client.get("/admin/api/users?search=acme", headers=root).json() == \
        {"users": [], "total": 0, "offset": 0, "limit": 50}
    stats = client.get("/admin/api/stats", headers=root).json()
    assert stats["users"] == {"total": 2, "admins": 1, "disabled": 0}
    assert stats["organizations"] == {"total": 2}
    # user actions do not apply to organizations
    for method, body in (("PATCH", {"disabled": True}), ("PATCH", {"is_admin": True}), ("DELETE", None)):
        assert_error(client.request(method, "/admin/api/users/ACME", json=body, headers=root), 404,
                     message="acme is an organization")
    org = User.get(User.username == "acme")
    assert (org.disabled, org.is_admin) == (False, False)


def test_delete_the_last_super_admin_of_an_org_is_refused(site):
    client, root = site.client, bearer(site.root)
    bob = site.new_user("bob")
    _org(site)
    _org(site, "beta")
    _org(site, "gamma", bob)
    for org, role in (("acme", "admin"), ("beta", "super-admin"), ("gamma", "member")):
        owner = bob if org == "gamma" else site.token
        who = "alice" if org == "gamma" else "bob"
        resp = client.post(f"/org/{org}/members", json={"username": who, "role": role}, headers=bearer(owner))
        assert resp.status_code == 200, resp.text
    create_repo(client, site.token, "w", private=True, organization="acme")
    create_repo(client, site.token, "mine")
    # alice is the only super-admin of acme (bob is an admin there); beta has two super-admins
    assert_error(client.delete("/admin/api/users/alice", headers=root), 409,
                 message="last super-admin of acme: make another member super-admin")
    assert User.get_or_none(User.username == "alice") is not None
    assert Repo.select().count() == 2  # nothing was deleted
    assert client.get(api("alice/mine"), headers=site.auth()).status_code == 200

    resp = client.put("/org/acme/members/bob", json={"role": "super-admin"}, headers=site.auth())
    assert resp.status_code == 200, resp.text
    assert client.delete("/admin/api/users/alice", headers=root).status_code == 200
    assert User.get_or_none(User.username == "alice") is None
    assert {r.namespace + "/" + r.name for r in Repo.select()} == {"acme/w"}  # the org keeps its repos
    for org, members in (("acme", [{"username": "bob", "role": "super-admin"}]),
                         ("beta", [{"username": "bob", "role": "super-admin"}]),
                         ("gamma", [{"username": "bob", "role": "super-admin"}])):
        assert client.get(f"/org/{org}/members").json()["members"] == members
    assert client.get(api("acme/w"), headers=bearer(bob)).status_code == 200


def test_disabled_user_org_membership_is_ineffective(site):
    client, root = site.client, bearer(site.root)
    bob = site.new_user("bob")
    _org(site)
    assert client.post("/org/acme/members", json={"username": "bob", "role": "admin"},
                       headers=site.auth()).status_code == 200
    create_repo(client, site.token, "w", private=True, organization="acme")
    assert client.get(api("acme/w"), headers=bearer(bob)).status_code == 200
    assert client.patch("/admin/api/users/bob", json={"disabled": True}, headers=root).status_code == 200
    # whatever credential bob holds, his role in acme grants nothing: his token is gone, a token row that
    # raced the disable is refused, and no new token can be made for him
    bob_id = User.get(User.username == "bob").id
    raced = "khub_raced-" + "r" * 32
    Token.create(user=bob_id, name="raced", token_hash=hashlib.sha256(raced.encode()).hexdigest(), role="write")
    with pytest.raises(ForbiddenError):
        site.hub.accounts.create_token(bob_id, "after-disable")
    for token in (bob, raced):
        assert_error(client.get(api("acme/w"), headers=bearer(token)), 401)
        assert_error(client.get("/api/quota/acme", headers=bearer(token)), 401)
        resp = client.post("/org/acme/members", json={"username": "root", "role": "member"}, headers=bearer(token))
        assert_error(resp, 401)
        resp = client.get("/acme/w.git/info/refs?service=git-upload-pack", headers=bearer(token))
        assert resp.status_code == 401 and resp.headers["www-authenticate"].startswith("Basic")
    assert_error(client.post("/api/auth/login", json={"username": "bob", "password": PASSWORD}), 403,
                 message="disabled")
    assert [m["username"] for m in client.get("/org/acme/members").json()["members"]] == ["alice", "bob"]
    # the membership is kept (disabling is reversible) and counts again once bob is re-enabled
    assert client.patch("/admin/api/users/bob", json={"disabled": False}, headers=root).status_code == 200
    assert_error(client.get(api("acme/w"), headers=bearer(bob)), 401)  # revoked tokens stay revoked
    again = site.hub.accounts.create_token(bob_id, "new")[1]
    assert client.get(api("acme/w"), headers=bearer(again)).status_code == 200

"""Accounts and credentials: register, login sessions, tokens, whoami-v2, read-only tokens."""

from __future__ import annotations

from kohakuhub.db.models import Session, Token, User
from tests.api.helpers import api, assert_error, bearer, commit, create_repo, file_op, head
from tests.conftest import PASSWORD

INVALID = "Invalid credentials in Authorization header"


def _register(client, name="bob", password=PASSWORD):
    return client.post("/api/auth/register", json={"username": name, "email": f"{name}@example.com",
                                                   "password": password})


def test_register_login_me_logout(hub_client):
    client = hub_client.client
    resp = _register(client)
    assert resp.status_code == 200, resp.text
    assert resp.json()["username"] == "bob"

    assert_error(client.get("/api/auth/me"), 401)

    login = client.post("/api/auth/login", json={"username": "bob", "password": PASSWORD})
    assert login.status_code == 200, login.text
    cookie = login.headers["set-cookie"]
    assert cookie.startswith("session_id=")
    lowered = cookie.lower()
    assert "httponly" in lowered
    assert "samesite=lax" in lowered
    assert "path=/" in lowered

    me = client.get("/api/auth/me")  # the TestClient keeps the cookie
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "bob"
    assert me.json()["email"] == "bob@example.com"
    assert me.json()["created_at"].endswith("Z")

    # A session cookie is a full credential: whoami-v2 reports a session, not a token.
    who = client.get("/api/whoami-v2")
    assert who.status_code == 200
    assert who.json()["name"] == "bob"
    assert who.json()["auth"]["type"] == "session"

    out = client.post("/api/auth/logout", headers={"X-CSRF-Token": login.json()["csrf_token"]})
    assert out.status_code == 200
    client.cookies.clear()
    assert_error(client.get("/api/auth/me"), 401)
    assert Session.select().join(User).where(User.username == "bob").count() == 0


def test_logged_out_session_cookie_no_longer_works(hub_client):
    client = hub_client.client
    _register(client)
    login = client.post("/api/auth/login", json={"username": "bob", "password": PASSWORD})
    secret = login.cookies["session_id"]
    client.post("/api/auth/logout", headers={"X-CSRF-Token": login.cookies["csrf_token"]})
    client.cookies.clear()
    client.cookies.set("session_id", secret)
    resp = client.get("/api/auth/me")
    assert_error(resp, 401)


def test_register_rejects_duplicates_and_bad_input(hub_client):
    client = hub_client.client
    assert _register(client).status_code == 200
    assert_error(_register(client), 409)
    assert_error(_register(client, "BOB"), 409)  # usernames are unique case-insensitively
    assert_error(_register(client, "carol", password="short"), 400)
    assert_error(_register(client, "bad name"), 400)
    resp = client.post("/api/auth/register", json={"username": "dave", "email": "not-an-email",
                                                   "password": PASSWORD})
    assert_error(resp, 400)
    assert_error(client.post("/api/auth/register", json={"username": "eve"}), 400)
    assert User.select().count() == 2  # alice and bob


def test_login_wrong_password_and_unknown_user_look_the_same(hub_client):
    client = hub_client.client
    wrong = client.post("/api/auth/login", json={"username": "alice", "password": "nope-nope-nope"})
    unknown = client.post("/api/auth/login", json={"username": "nobody", "password": PASSWORD})
    assert_error(wrong, 401)
    assert_error(unknown, 401)
    assert wrong.headers["x-error-message"] == unknown.headers["x-error-message"]
    assert "set-cookie" not in wrong.headers


def test_tokens_create_list_delete(hub_client):
    client, token = hub_client.client, hub_client.token
    created = client.post("/api/auth/tokens/create", json={"name": "ci", "role": "read"}, headers=bearer(token))
    assert created.status_code == 200, created.text
    body = created.json()
    secret, token_id = body["token"], body["token_id"]
    assert body["role"] == "read"

    listed = client.get("/api/auth/tokens", headers=bearer(token))
    assert listed.status_code == 200
    items = listed.json()["tokens"]
    assert {t["name"] for t in items} == {"test", "ci"}
    assert all("token" not in t and secret not in str(t) for t in items)  # never shown again
    assert all(t["created_at"].endswith("Z") for t in items)

    assert client.get("/api/whoami-v2", headers=bearer(secret)).status_code == 200
    deleted = client.delete(f"/api/auth/tokens/{token_id}", headers=bearer(token))
    assert deleted.status_code == 200
    resp = client.get("/api/whoami-v2", headers=bearer(secret))
    assert_error(resp, 401, message=INVALID)
    assert resp.headers["x-error-message"] == INVALID

    assert_error(client.delete(f"/api/auth/tokens/{token_id}", headers=bearer(token)), 404)
    assert_error(client.post("/api/auth/tokens/create", json={"name": "x", "role": "admin"},
                             headers=bearer(token)), 400)


def test_cannot_delete_another_users_token(hub_client):
    client = hub_client.client
    bob = hub_client.new_user("bob")
    alice_tokens = client.get("/api/auth/tokens", headers=bearer(hub_client.token)).json()["tokens"]
    resp = client.delete(f"/api/auth/tokens/{alice_tokens[0]['id']}", headers=bearer(bob))
    assert_error(resp, 404)
    assert client.get("/api/whoami-v2", headers=bearer(hub_client.token)).status_code == 200


def test_whoami_v2_shape(hub_client):
    resp = hub_client.client.get("/api/whoami-v2", headers=hub_client.auth())
    assert resp.status_code == 200
    assert resp.headers["x-request-id"]
    body = resp.json()
    assert body["name"] == "alice"
    assert body["type"] == "user"
    assert body["orgs"] == []
    assert isinstance(body["fullname"], str)
    assert body["auth"]["accessToken"] == {"displayName": "test", "role": "write"}


def test_whoami_anonymous_is_401(hub_client):
    assert_error(hub_client.client.get("/api/whoami-v2"), 401)


def test_invalid_token_is_401_without_error_code_everywhere(hub_client):
    client = hub_client.client
    create_repo(client, hub_client.token, "public-one")
    bad = bearer("khub_not-a-real-token")
    for method, url in [
        ("GET", "/api/whoami-v2"),
        ("GET", "/api/models/alice/public-one"),  # even a public repo: bad credentials are an error
        ("GET", "/api/models/alice/missing"),
        ("HEAD", "/alice/public-one/resolve/main/.gitattributes"),
        ("POST", "/api/repos/create"),
    ]:
        resp = client.request(method, url, headers=bad, json={"name": "x"} if method == "POST" else None)
        assert_error(resp, 401, None)
        assert resp.headers["x-error-message"] == INVALID
    # A malformed header is treated the same way.
    resp = client.get("/api/whoami-v2", headers={"Authorization": "Bearer"})
    assert_error(resp, 401, None)
    assert resp.headers["x-error-message"] == INVALID


def test_read_token_cannot_write(hub_client):
    client = hub_client.client
    create_repo(client, hub_client.token, "ro")
    before = head(client, hub_client.token, "alice/ro")
    read = client.post("/api/auth/tokens/create", json={"name": "r", "role": "read"},
                       headers=hub_client.auth()).json()["token"]

    # reading works
    assert client.get("/api/models/alice/ro", headers=bearer(read)).status_code == 200

    resp = commit(client, read, "alice/ro", [file_op("a.txt", b"x")], expect=None)
    assert_error(resp, 403)
    resp = client.post("/api/repos/create", json={"name": "other"}, headers=bearer(read))
    assert_error(resp, 403)
    resp = client.post(f"{api('alice/ro')}/branch/dev", json={}, headers=bearer(read))
    assert_error(resp, 403)
    resp = client.post(f"{api('alice/ro')}/tag/main", json={"tag": "v1"}, headers=bearer(read))
    assert_error(resp, 403)
    resp = client.post(f"{api('alice/ro')}/preupload/main", json={"files": []}, headers=bearer(read))
    assert_error(resp, 403)
    resp = client.request("DELETE", "/api/repos/delete", json={"name": "ro"}, headers=bearer(read))
    assert_error(resp, 403)
    resp = client.put(f"{api('alice/ro')}/settings", json={"visibility": "private"}, headers=bearer(read))
    assert_error(resp, 403)
    resp = client.post("/api/auth/tokens/create", json={"name": "escalate"}, headers=bearer(read))
    assert resp.status_code in (401, 403) and resp.headers["x-error-message"]

    assert head(client, hub_client.token, "alice/ro") == before
    refs = client.get(f"{api('alice/ro')}/refs", headers=hub_client.auth()).json()
    assert [b["name"] for b in refs["branches"]] == ["main"] and refs["tags"] == []
    assert client.get("/api/models/alice/other", headers=hub_client.auth()).status_code == 404
    info = client.get("/api/models/alice/ro", headers=hub_client.auth()).json()
    assert info["private"] is False


def test_secrets_are_stored_hashed(hub_client):
    client = hub_client.client
    _register(client)
    user = User.get(User.username == "bob")
    assert user.password_hash.startswith("$argon2")
    assert PASSWORD not in user.password_hash

    login = client.post("/api/auth/login", json={"username": "bob", "password": PASSWORD})
    session_secret = login.cookies["session_id"]
    rows = list(Session.select().where(Session.user == user.id))
    assert len(rows) == 1
    assert rows[0].token_hash != session_secret and session_secret not in rows[0].token_hash
    assert len(rows[0].token_hash) == 64

    created = client.post("/api/auth/tokens/create", json={"name": "t"},
                          headers={"X-CSRF-Token": login.json()["csrf_token"]}).json()
    secret = created["token"]
    row = Token.get_by_id(created["token_id"])
    assert row.token_hash != secret and secret not in row.token_hash
    for token_row in Token.select():
        assert not token_row.token_hash.startswith("khub_")


def test_anonymous_writes_ask_for_credentials(hub_client):
    client = hub_client.client
    create_repo(client, hub_client.token, "pub")
    before = head(client, hub_client.token, "alice/pub")
    # The repo is readable, so the answer is "log in" (401), not "not found".
    resp = commit(client, None, "alice/pub", [file_op("a.txt", b"x")], expect=None)
    assert_error(resp, 401, None)
    for url in (f"{api('alice/pub')}/branch/dev", f"{api('alice/pub')}/preupload/main"):
        assert_error(client.post(url, json={"files": []}), 401, None)
    assert_error(client.put(f"{api('alice/pub')}/settings", json={"visibility": "private"}), 401, None)
    # A missing (or private) repo stays indistinguishable: 401 RepoNotFound.
    resp = commit(client, None, "alice/missing", [file_op("a.txt", b"x")], expect=None)
    assert_error(resp, 401, "RepoNotFound")
    assert head(client, hub_client.token, "alice/pub") == before


def test_session_cookie_is_secure_over_https(hub_client):
    client = hub_client.client
    resp = client.post("https://testserver/api/auth/login", json={"username": "alice", "password": PASSWORD})
    assert resp.status_code == 200
    cookie = resp.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_whoami_reports_read_token_role(hub_client):
    read = hub_client.new_user("bob", role="read")
    body = hub_client.client.get("/api/whoami-v2", headers=bearer(read)).json()
    assert body["name"] == "bob"
    assert body["auth"]["accessToken"]["role"] == "read"


def test_reserved_names_cannot_register(hub_client):
    for name in ("api", "datasets", "Spaces"):
        response = hub_client.client.post(
            "/api/auth/register", json={"username": name, "email": f"{name}@example.com", "password": "long-enough-pw"}
        )
        assert response.status_code == 400, name
        assert "reserved" in response.headers["X-Error-Message"]


def test_profile_full_name_round_trips_through_whoami(hub_client):
    client, token = hub_client.client, hub_client.token
    assert client.get("/api/auth/registration").json() == {"mode": "open"}
    resp = client.put("/api/auth/profile", json={"fullname": "  Alice Liddell "}, headers=bearer(token))
    assert resp.status_code == 200, resp.text
    assert resp.json()["fullname"] == "Alice Liddell"
    assert client.get("/api/whoami-v2", headers=bearer(token)).json()["fullname"] == "Alice Liddell"
    assert client.get("/api/auth/me", headers=bearer(token)).json()["fullname"] == "Alice Liddell"
    # empty falls back to the username, as whoami-v2 shows it
    assert client.put("/api/auth/profile", json={"fullname": ""}, headers=bearer(token)).json()["fullname"] == "alice"


def test_profile_refuses_bad_names_and_read_tokens_changing_nothing(hub_client):
    client, token = hub_client.client, hub_client.token
    client.put("/api/auth/profile", json={"fullname": "Kept"}, headers=bearer(token))
    assert_error(client.put("/api/auth/profile", json={"fullname": "x" * 101}, headers=bearer(token)), 400,
                 message="at most 100")
    assert_error(client.put("/api/auth/profile", json={"fullname": "a\nb"}, headers=bearer(token)), 400,
                 message="control characters")
    read = client.post("/api/auth/tokens/create", json={"name": "r", "role": "read"}, headers=bearer(token))
    assert_error(client.put("/api/auth/profile", json={"fullname": "Read"}, headers=bearer(read.json()["token"])),
                 403, message="read token")
    assert_error(client.put("/api/auth/profile", json={"fullname": "Anon"}), 401)
    assert client.get("/api/whoami-v2", headers=bearer(token)).json()["fullname"] == "Kept"


def test_site_page_names_are_reserved(hub_client):
    for name in ("login", "settings", "Join", "organizations"):
        assert_error(_register(hub_client.client, name), 400, message="reserved")

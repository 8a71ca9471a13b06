"""Login sessions: cookie flags, CSRF protection, password change, session list and revoke."""

from __future__ import annotations

from fastapi.testclient import TestClient

from kohakuhub.db.models import Repo, Session, Token
from tests.api.helpers import api, assert_error, bearer, create_repo
from tests.conftest import PASSWORD


def _login(client: TestClient, username: str = "alice", password: str = PASSWORD, **kwargs):
    resp = client.post("/api/auth/login", json={"username": username, "password": password}, **kwargs)
    assert resp.status_code == 200, resp.text
    return resp


def _browser(hub_client, user_agent: str = "browser-a") -> tuple[TestClient, str]:
    """A second client with its own cookie jar, logged in as alice; returns it and its CSRF token."""
    client = TestClient(hub_client.client.app, base_url="http://testserver", headers={"User-Agent": user_agent})
    csrf = _login(client).json()["csrf_token"]
    return client, csrf


def test_login_sets_session_and_csrf_cookies(hub_client):
    resp = _login(hub_client.client)
    cookies = {c.split("=", 1)[0]: c.lower() for c in resp.headers.get_list("set-cookie")}
    assert "httponly" in cookies["session_id"] and "samesite=lax" in cookies["session_id"]
    assert "secure" not in cookies["session_id"]  # plain http
    assert "httponly" not in cookies["csrf_token"]  # the UI must read it
    assert "samesite=lax" in cookies["csrf_token"]
    assert resp.json()["csrf_token"] == resp.cookies["csrf_token"]


def test_cookies_are_secure_behind_https(hub_client):
    resp = hub_client.client.post("https://testserver/api/auth/login",
                                  json={"username": "alice", "password": PASSWORD})
    for cookie in resp.headers.get_list("set-cookie"):
        assert "; secure" in cookie.lower()


def test_csrf_cookie_post_without_token_is_refused_and_changes_nothing(hub_client):
    client = hub_client.client
    login = _login(client)
    csrf = login.json()["csrf_token"]
    tokens_before = Token.select().count()

    resp = client.post("/api/repos/create", json={"name": "evil"})
    assert_error(resp, 403, message="CSRF")
    resp = client.post("/api/auth/tokens/create", json={"name": "evil"}, headers={"X-CSRF-Token": "0" * 64})
    assert_error(resp, 403, message="CSRF")
    # A valid token from another session does not work either: tokens are bound to their session.
    _, other_csrf = _browser(hub_client)
    resp = client.post("/api/auth/tokens/create", json={"name": "evil"}, headers={"X-CSRF-Token": other_csrf})
    assert_error(resp, 403, message="CSRF")
    # From a foreign Origin, even with the right token.
    resp = client.post("/api/repos/create", json={"name": "evil"},
                       headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"})
    assert_error(resp, 403, message="Origin")
    resp = client.post("/api/repos/create", json={"name": "evil"},
                       headers={"X-CSRF-Token": csrf, "Referer": "https://evil.example/page"})
    assert_error(resp, 403, message="Origin")
    assert Repo.select().count() == 0
    assert Token.select().count() == tokens_before

    # Safe methods need no token; the right token (and our own Origin) passes.
    assert client.get("/api/auth/me").status_code == 200
    resp = client.post("/api/repos/create", json={"name": "fine"},
                       headers={"X-CSRF-Token": csrf, "Origin": "http://testserver"})
    assert resp.status_code == 200, resp.text


def test_csrf_does_not_apply_to_token_requests(hub_client):
    client = hub_client.client
    _login(client)  # the cookie is present, but the Authorization header decides
    resp = client.post("/api/repos/create", json={"name": "by-token"}, headers=hub_client.auth())
    assert resp.status_code == 200, resp.text
    resp = client.post("/api/repos/create", json={"name": "by-token-2"},
                       headers={**hub_client.auth(), "Origin": "https://elsewhere.example"})
    assert resp.status_code == 200, resp.text


def test_csrf_on_logout_and_delete(hub_client):
    client = hub_client.client
    csrf = _login(client).json()["csrf_token"]
    create_repo(client, hub_client.token, "keep")
    resp = client.request("DELETE", "/api/repos/delete", json={"name": "keep"})
    assert_error(resp, 403, message="CSRF")
    assert client.get(api("alice/keep")).status_code == 200
    assert_error(client.post("/api/auth/logout"), 403)
    assert Session.select().count() == 1
    assert client.post("/api/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert Session.select().count() == 0


def test_login_from_foreign_origin_is_refused(hub_client):
    resp = hub_client.client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD},
                                  headers={"Origin": "https://evil.example"})
    assert_error(resp, 403)
    assert "set-cookie" not in resp.headers
    assert Session.select().count() == 0


def test_session_list_marks_current_and_revoke(hub_client):
    client = hub_client.client
    csrf = _login(client, headers={"User-Agent": "browser-main"}).json()["csrf_token"]
    other, _ = _browser(hub_client, "browser-b")

    sessions = client.get("/api/auth/sessions").json()["sessions"]
    assert len(sessions) == 2
    current = [s for s in sessions if s["current"]]
    assert len(current) == 1 and current[0]["user_agent"] == "browser-main"
    for s in sessions:
        assert s["created_at"].endswith("Z") and s["last_seen"].endswith("Z") and s["expires_at"].endswith("Z")
        assert s["address"] == "testclient"
    # Token callers see the list too, without a current one.
    by_token = client.get("/api/auth/sessions", headers=hub_client.auth()).json()["sessions"]
    assert not any(s["current"] for s in by_token)

    victim = next(s["id"] for s in sessions if not s["current"])
    assert_error(client.delete(f"/api/auth/sessions/{victim}"), 403)  # CSRF applies
    assert other.get("/api/auth/me").status_code == 200
    assert client.delete(f"/api/auth/sessions/{victim}", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert_error(other.get("/api/auth/me"), 401)
    assert_error(client.delete(f"/api/auth/sessions/{victim}", headers={"X-CSRF-Token": csrf}), 404)
    assert_error(client.delete("/api/auth/sessions/0", headers={"X-CSRF-Token": csrf}), 400)
    assert_error(client.delete("/api/auth/sessions/abc", headers={"X-CSRF-Token": csrf}), 400)


def test_cannot_revoke_another_users_session(hub_client):
    client = hub_client.client
    _login(client)
    alice_session = Session.select().first().id
    bob = hub_client.new_user("bob")
    assert_error(client.delete(f"/api/auth/sessions/{alice_session}", headers=bearer(bob)), 404)
    assert client.get("/api/auth/me").status_code == 200


def test_password_change_revokes_other_sessions(hub_client):
    client = hub_client.client
    csrf = _login(client).json()["csrf_token"]
    other, _ = _browser(hub_client)
    new_password = "an-entirely-new-secret"

    resp = client.post("/api/auth/password", json={"old_password": "wrong-password", "new_password": new_password},
                       headers={"X-CSRF-Token": csrf})
    assert_error(resp, 403, message="current password")
    resp = client.post("/api/auth/password", json={"old_password": PASSWORD, "new_password": "short"},
                       headers={"X-CSRF-Token": csrf})
    assert_error(resp, 400)
    assert_error(client.post("/api/auth/password", json={"new_password": new_password},
                             headers={"X-CSRF-Token": csrf}), 400)
    # Without the CSRF token nothing changes.
    resp = client.post("/api/auth/password", json={"old_password": PASSWORD, "new_password": new_password})
    assert_error(resp, 403, message="CSRF")
    assert other.get("/api/auth/me").status_code == 200

    resp = client.post("/api/auth/password", json={"old_password": PASSWORD, "new_password": new_password},
                       headers={"X-CSRF-Token": csrf})
    assert resp.status_code == 200, resp.text
    assert resp.json()["revoked_sessions"] == 1
    assert client.get("/api/auth/me").status_code == 200  # this session stays
    assert_error(other.get("/api/auth/me"), 401)  # the other one ended
    assert client.get("/api/whoami-v2", headers=hub_client.auth()).status_code == 200  # tokens stay

    fresh = TestClient(client.app, base_url="http://testserver")
    assert_error(fresh.post("/api/auth/login", json={"username": "alice", "password": PASSWORD}), 401)
    _login(fresh, password=new_password)


def test_password_change_by_token_ends_every_session(hub_client):
    _browser(hub_client)
    resp = hub_client.client.post("/api/auth/password", headers=hub_client.auth(),
                                  json={"old_password": PASSWORD, "new_password": "another-long-secret"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["revoked_sessions"] == 1
    assert Session.select().count() == 0


def test_tampered_and_expired_session_cookies_are_anonymous(hub_client):
    client = hub_client.client
    login = _login(client)
    secret = login.cookies["session_id"]
    client.cookies.clear()
    client.cookies.set("session_id", secret[:-2] + "xx")
    assert_error(client.get("/api/auth/me"), 401)
    client.cookies.clear()
    client.cookies.set("session_id", secret)
    assert client.get("/api/auth/me").status_code == 200
    from kohakuhub.db.models import utcnow

    Session.update(expires_at=utcnow()).execute()
    assert_error(client.get("/api/auth/me"), 401)

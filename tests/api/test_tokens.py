"""API tokens: expiry, last-used time, listing, and bad tokens on every write surface."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from kohakuhub.db.models import Repo, Token, utcnow
from tests.api.helpers import (
    LFS_HEADERS,
    NDJSON,
    api,
    assert_error,
    bearer,
    create_repo,
    file_op,
    ndjson,
    sha256,
)

EXPIRED = "This token has expired"


def _create(hub_client, **body):
    return hub_client.client.post("/api/auth/tokens/create", json={"name": "t", **body}, headers=hub_client.auth())


def _expire(secret_id: int) -> None:
    Token.update(expires_at=utcnow() - timedelta(seconds=1)).where(Token.id == secret_id).execute()


def basic(token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"git:{token}".encode()).decode()}


def test_token_expiry_options_and_validation(hub_client):
    resp = _create(hub_client, expires_in_days=30)
    assert resp.status_code == 200, resp.text
    expires = datetime.fromisoformat(resp.json()["expires_at"].rstrip("Z"))
    assert abs(expires - (utcnow() + timedelta(days=30))) < timedelta(minutes=1)

    at = (datetime.now(UTC) + timedelta(hours=5)).replace(microsecond=0)
    resp = _create(hub_client, expires_at=at.isoformat())
    assert resp.status_code == 200, resp.text
    assert resp.json()["expires_at"] == at.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"

    assert _create(hub_client).json()["expires_at"] is None  # no expiry unless asked
    for bad in ({"expires_in_days": 0}, {"expires_in_days": -3}, {"expires_in_days": 100000},
                {"expires_in_days": "soon"}, {"expires_at": "yesterday"},
                {"expires_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat()},
                {"expires_in_days": 3, "expires_at": at.isoformat()}):
        before = Token.select().count()
        assert_error(_create(hub_client, **bad), 400)
        assert Token.select().count() == before


def test_expired_token_is_401_on_api_git_and_lfs(hub_client):
    client = hub_client.client
    create_repo(client, hub_client.token, "exp", private=True)
    body = _create(hub_client, expires_in_days=1).json()
    secret = body["token"]
    assert client.get("/api/whoami-v2", headers=bearer(secret)).status_code == 200
    _expire(body["token_id"])

    assert_error(client.get("/api/whoami-v2", headers=bearer(secret)), 401, message=EXPIRED)
    assert_error(client.get(api("alice/exp"), headers=bearer(secret)), 401, message=EXPIRED)
    git = client.get("/alice/exp.git/info/refs?service=git-upload-pack", headers=basic(secret))
    assert git.status_code == 401 and git.headers["www-authenticate"].startswith("Basic")
    lfs = client.post("/alice/exp.git/info/lfs/objects/batch", headers={**LFS_HEADERS, **basic(secret)},
                      json={"operation": "download", "objects": [{"oid": "a" * 64, "size": 1}]})
    assert lfs.status_code == 401 and lfs.headers["www-authenticate"].startswith("Basic")
    assert "expired" in lfs.json()["message"]

    listed = client.get("/api/auth/tokens", headers=hub_client.auth()).json()["tokens"]
    mine = next(t for t in listed if t["id"] == body["token_id"])
    assert mine["expired"] is True and mine["expires_at"].endswith("Z")


def test_listing_shows_metadata_never_the_secret(hub_client):
    client = hub_client.client
    created = _create(hub_client, role="read", expires_in_days=7).json()
    listed = client.get("/api/auth/tokens", headers=hub_client.auth()).json()["tokens"]
    item = next(t for t in listed if t["id"] == created["token_id"])
    assert set(item) == {"id", "name", "role", "created_at", "last_used", "expires_at", "expired"}
    assert item["role"] == "read" and item["last_used"] is None and item["expired"] is False
    assert created["token"] not in str(listed)


def test_last_used_is_written_at_most_once_a_minute(hub_client):
    client = hub_client.client
    created = _create(hub_client).json()
    secret, token_id = created["token"], created["token_id"]
    client.get("/api/whoami-v2", headers=bearer(secret))
    first = Token.get_by_id(token_id).last_used_at
    assert first is not None
    client.get("/api/whoami-v2", headers=bearer(secret))
    assert Token.get_by_id(token_id).last_used_at == first  # no write for a second use within a minute
    Token.update(last_used_at=first - timedelta(minutes=2)).where(Token.id == token_id).execute()
    client.get("/api/whoami-v2", headers=bearer(secret))
    assert Token.get_by_id(token_id).last_used_at > first - timedelta(minutes=1)
    listed = client.get("/api/auth/tokens", headers=hub_client.auth()).json()["tokens"]
    assert next(t for t in listed if t["id"] == token_id)["last_used"].endswith("Z")


def test_whoami_reports_token_name_and_role(hub_client):
    secret = _create(hub_client, name="ci-reader", role="read").json()["token"]
    auth = hub_client.client.get("/api/whoami-v2", headers=bearer(secret)).json()["auth"]
    assert auth == {"type": "access_token", "accessToken": {"displayName": "ci-reader", "role": "read"}}


def test_read_token_cannot_manage_credentials(hub_client):
    client = hub_client.client
    read = _create(hub_client, role="read").json()["token"]
    token_id = _create(hub_client).json()["token_id"]
    assert_error(client.delete(f"/api/auth/tokens/{token_id}", headers=bearer(read)), 403)
    assert_error(client.post("/api/auth/tokens/create", json={"name": "x"}, headers=bearer(read)), 403)
    assert_error(client.post("/api/auth/password", json={"old_password": "x" * 10, "new_password": "y" * 10},
                             headers=bearer(read)), 403)
    assert Token.get_or_none(Token.id == token_id) is not None


# --- every write surface x {read, expired, revoked, tampered} -----------------------------------------

def _write_surfaces():
    lfs_body = {"operation": "upload", "objects": [{"oid": sha256(b"payload"), "size": 7}]}
    return {
        "commit": ("POST", f"{api('alice/w')}/commit/main", {"content": ndjson([file_op("x.txt", b"x")]),
                                                             "headers": NDJSON}),
        "preupload": ("POST", f"{api('alice/w')}/preupload/main",
                      {"json": {"files": [{"path": "a.bin", "size": 5, "sample": ""}]}}),
        "branch-create": ("POST", f"{api('alice/w')}/branch/dev", {"json": {}}),
        "branch-delete": ("DELETE", f"{api('alice/w')}/branch/keep", {}),
        "tag-create": ("POST", f"{api('alice/w')}/tag/main", {"json": {"tag": "v2"}}),
        "tag-delete": ("DELETE", f"{api('alice/w')}/tag/v1", {}),
        "super-squash": ("POST", f"{api('alice/w')}/super-squash/main", {"json": {}}),
        "repo-create": ("POST", "/api/repos/create", {"json": {"name": "brand-new"}}),
        "repo-delete": ("DELETE", "/api/repos/delete", {"json": {"name": "w"}}),
        "repo-move": ("POST", "/api/repos/move", {"json": {"fromRepo": "alice/w", "toRepo": "alice/w2"}}),
        "repo-settings": ("PUT", f"{api('alice/w')}/settings", {"json": {"visibility": "private"}}),
        "lfs-batch-upload": ("POST", "/alice/w.git/info/lfs/objects/batch",
                             {"json": lfs_body, "headers": LFS_HEADERS}),
        "git-receive-pack-refs": ("GET", "/alice/w.git/info/refs?service=git-receive-pack", {}),
        "git-receive-pack": ("POST", "/alice/w.git/git-receive-pack",
                             {"content": b"0000", "headers": {"Content-Type": "application/x-git-receive-pack-request"}}),
    }


def _state(hub_client) -> tuple:
    client = hub_client.client
    refs = client.get(f"{api('alice/w')}/refs", headers=hub_client.auth()).json()
    repos = sorted(r.full_key for r in Repo.select())
    private = client.get(api("alice/w"), headers=hub_client.auth()).json()["private"]
    return refs, repos, private


@pytest.fixture
def write_target(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "w")
    assert client.post(f"{api('alice/w')}/branch/keep", json={}, headers=bearer(token)).status_code == 200
    assert client.post(f"{api('alice/w')}/tag/main", json={"tag": "v1"}, headers=bearer(token)).status_code == 200
    return hub_client


@pytest.mark.parametrize("kind", ["read", "expired", "revoked", "tampered"])
def test_bad_tokens_on_every_write_surface(write_target, kind):
    hub_client = write_target
    client = hub_client.client
    created = _create(hub_client, role="read" if kind == "read" else "write").json()
    secret = created["token"]
    if kind == "expired":
        _expire(created["token_id"])
    elif kind == "revoked":
        assert client.delete(f"/api/auth/tokens/{created['token_id']}", headers=hub_client.auth()).status_code == 200
    elif kind == "tampered":
        secret = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    before = _state(hub_client)
    expected = 403 if kind == "read" else 401
    for label, (method, url, kwargs) in _write_surfaces().items():
        headers = {**kwargs.get("headers", {})}
        # git and git-lfs authenticate with Basic (any user name, token as password); the HF API with Bearer.
        headers.update(basic(secret) if "git" in label or "lfs" in label else bearer(secret))
        resp = client.request(method, url, headers=headers,
                              **{k: v for k, v in kwargs.items() if k != "headers"})
        assert resp.status_code == expected, (label, resp.status_code, resp.text[:300])
        assert resp.headers.get("x-error-message"), label
    assert _state(hub_client) == before

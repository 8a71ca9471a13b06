"""The permission matrix: every route family x every kind of caller x public/private org repo.

Each cell asserts the exact status and ``X-Error-Code``; every forbidden write is followed by a check that
the repo's refs and the stored LFS objects did not change.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kohakuhub.app import create_app
from kohakuhub.db.database import database_proxy
from kohakuhub.db.models import LfsObject, Token, utcnow
from kohakuhub.services.auth import Access
from tests.api.helpers import LFS_HEADERS, NDJSON, bearer, commit, file_op, lfs_op, lfs_upload, ndjson, sha256
from tests.conftest import PASSWORD, hub_settings
from tests.databases import drop_database_for
from tests.s3_support import app_client

ORG = "acme"
LFS_DATA = b"L" * 4096  # above the test hubs' 1 KiB threshold
SMALL = b"hello matrix\n"
NEW_LFS = b"N" * 3000

# caller -> (username or None, token role or None, access on public, access on private)
CALLERS: dict[str, tuple[Access | None, Access | None]] = {
    "anonymous": (Access.READ, Access.NONE),
    "outsider": (Access.READ, Access.NONE),
    "org_visitor": (Access.READ, Access.READ),
    "org_member": (Access.WRITE, Access.WRITE),
    "org_admin": (Access.ADMIN, Access.ADMIN),
    "site_admin": (Access.ADMIN, Access.ADMIN),
    "member_read_token": (Access.READ, Access.READ),
    "collaborator_write": (Access.WRITE, Access.WRITE),
    "invalid_token": (None, None),  # rejected before any repo lookup
    "tampered_token": (None, None),  # the org admin's token with one character changed
    "expired_token": (None, None),  # the org admin's token, its expiry passed
    "revoked_token": (None, None),  # the org admin's token, revoked through the API
}


@dataclass
class Matrix:
    client: TestClient
    hub: object
    tokens: dict[str, str | None]
    owner_token: str

    def headers(self, caller: str) -> dict[str, str]:
        return bearer(self.tokens[caller])

    def snapshot(self, repo: str) -> tuple:
        refs = self.client.get(f"/api/models/{ORG}/{repo}/refs", headers=bearer(self.owner_token))
        assert refs.status_code == 200, refs.text
        return refs.json(), sorted(o.oid for o in LfsObject.select())


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    data_dir: Path = tmp_path_factory.mktemp("matrix") / "data"
    app = create_app(hub_settings(data_dir, lfs_threshold_bytes=1024, upload_mode="lfs"))
    with app_client(app, base_url="http://testserver") as client:
        hub = app.state.hub
        accounts = hub.accounts
        users = {}
        for name in ("boss", "outsider", "vis", "mem", "adm", "root", "collab"):
            users[name] = accounts.create_user(name, f"{name}@example.com", PASSWORD, is_admin=name == "root")

        def token(name: str, role: str = "write", **expiry) -> str:
            return accounts.create_token(users[name].id, "t", role, **expiry)[1]

        boss = token("boss")
        assert client.post("/org/create", json={"name": ORG}, headers=bearer(boss)).status_code == 200
        for name, role in (("vis", "visitor"), ("mem", "member"), ("adm", "admin")):
            resp = client.post(f"/org/{ORG}/members", json={"username": name, "role": role}, headers=bearer(boss))
            assert resp.status_code == 200, resp.text
        for repo, private in (("pub", False), ("priv", True)):
            resp = client.post("/api/repos/create", headers=bearer(boss), json={
                "name": repo, "organization": ORG, "private": private})
            assert resp.status_code == 200, resp.text
            oid = lfs_upload(client, boss, f"{ORG}/{repo}", LFS_DATA)
            assert oid == sha256(LFS_DATA)
            commit(client, boss, f"{ORG}/{repo}", [file_op("a.txt", SMALL), lfs_op("w.bin", LFS_DATA)])
            assert client.post(f"/api/models/{ORG}/{repo}/branch/keep", headers=bearer(boss)).status_code == 200
            resp = client.put(f"/api/models/{ORG}/{repo}/collaborators/collab", json={"role": "write"},
                              headers=bearer(boss))
            assert resp.status_code == 200, resp.text
        # Credentials that were an org admin's: each would have full rights on both repos if accepted.
        expired = token("adm", expires_in_days=1)
        Token.update(expires_at=utcnow() - timedelta(seconds=1)).where(Token.token_hash == _digest(expired)).execute()
        revoked = token("adm")
        revoked_id = Token.get(Token.token_hash == _digest(revoked)).id
        assert client.delete(f"/api/auth/tokens/{revoked_id}", headers=bearer(revoked)).status_code == 200
        adm = token("adm")
        tampered = adm[:-1] + ("A" if adm[-1] != "A" else "B")
        tokens = {
            "anonymous": None, "outsider": token("outsider"), "org_visitor": token("vis"),
            "org_member": token("mem"), "org_admin": token("adm"), "site_admin": token("root"),
            "member_read_token": token("mem", "read"), "collaborator_write": token("collab"),
            "invalid_token": "khub_" + "x" * 43, "tampered_token": tampered, "expired_token": expired,
            "revoked_token": revoked,
        }
        yield Matrix(client, hub, tokens, boss)
    drop_database_for(data_dir)


@pytest.fixture(autouse=True)
def _bind_matrix_database(matrix: Matrix) -> None:
    # Models bind to one process-wide proxy; another module's hub may have re-pointed it between tests.
    database_proxy.initialize(matrix.hub.db)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- route families -------------------------------------------------------------------------------------

Call = Callable[[Matrix, str, dict[str, str]], object]


def _lfs_batch(operation: str, data: bytes) -> Call:
    def call(m: Matrix, repo: str, headers: dict[str, str]):
        body = {"operation": operation, "transfers": ["basic"], "hash_algo": "sha256",
                "objects": [{"oid": sha256(data), "size": len(data)}]}
        return m.client.post(f"/{ORG}/{repo}.git/info/lfs/objects/batch", json=body,
                             headers={**LFS_HEADERS, **headers})
    return call


def _git_rpc(service: str) -> Call:
    def call(m: Matrix, repo: str, headers: dict[str, str]):
        return m.client.post(f"/{ORG}/{repo}.git/git-{service}", content=b"0000",
                             headers={"Content-Type": f"application/x-git-{service}-request", **headers})
    return call


def _create_branch(m: Matrix, repo: str, headers: dict[str, str]):
    resp = m.client.post(f"/api/models/{ORG}/{repo}/branch/matrix-new", headers=headers)
    if resp.status_code == 200:  # restore for the next caller
        m.client.delete(f"/api/models/{ORG}/{repo}/branch/matrix-new", headers=bearer(m.owner_token))
    return resp


def _delete_branch(m: Matrix, repo: str, headers: dict[str, str]):
    resp = m.client.delete(f"/api/models/{ORG}/{repo}/branch/keep", headers=headers)
    if resp.status_code == 200:
        m.client.post(f"/api/models/{ORG}/{repo}/branch/keep", headers=bearer(m.owner_token))
    return resp


def _commit(m: Matrix, repo: str, headers: dict[str, str]):
    return m.client.post(f"/api/models/{ORG}/{repo}/commit/main", headers={**headers, **NDJSON},
                         content=ndjson([file_op("matrix.txt", b"x")]))


FAMILIES: dict[str, tuple[Access, int, Call]] = {
    "repo_info": (Access.READ, 200, lambda m, r, h: m.client.get(f"/api/models/{ORG}/{r}", headers=h)),
    "resolve_get": (Access.READ, 200, lambda m, r, h: m.client.get(f"/{ORG}/{r}/resolve/main/a.txt", headers=h)),
    "resolve_head": (Access.READ, 200,
                     lambda m, r, h: m.client.head(f"/{ORG}/{r}/resolve/main/w.bin", headers=h)),
    "tree": (Access.READ, 200, lambda m, r, h: m.client.get(f"/api/models/{ORG}/{r}/tree/main", headers=h)),
    "paths_info": (Access.READ, 200, lambda m, r, h: m.client.post(
        f"/api/models/{ORG}/{r}/paths-info/main", data={"paths": ["a.txt"]}, headers=h)),
    "lfs_batch_download": (Access.READ, 200, _lfs_batch("download", LFS_DATA)),
    "git_info_refs_upload_pack": (Access.READ, 200, lambda m, r, h: m.client.get(
        f"/{ORG}/{r}.git/info/refs?service=git-upload-pack", headers=h)),
    "git_upload_pack": (Access.READ, 200, _git_rpc("upload-pack")),
    "preupload": (Access.WRITE, 200, lambda m, r, h: m.client.post(
        f"/api/models/{ORG}/{r}/preupload/main", headers=h,
        json={"files": [{"path": "p.txt", "size": 3, "sample": base64.b64encode(b"abc").decode()}]})),
    "commit": (Access.WRITE, 200, _commit),
    "create_branch": (Access.WRITE, 200, _create_branch),
    "delete_branch": (Access.WRITE, 200, _delete_branch),
    "lfs_batch_upload": (Access.WRITE, 200, _lfs_batch("upload", NEW_LFS)),
    "git_info_refs_receive_pack": (Access.WRITE, 200, lambda m, r, h: m.client.get(
        f"/{ORG}/{r}.git/info/refs?service=git-receive-pack", headers=h)),
    "git_receive_pack": (Access.WRITE, 200, _git_rpc("receive-pack")),
}


def expected(caller: str, private: bool, need: Access, ok: int) -> tuple[int, str | None]:
    """The status and X-Error-Code a caller must get."""
    public_access, private_access = CALLERS[caller]
    access = private_access if private else public_access
    if access is None:
        return 401, None  # invalid credentials are refused whatever the repo
    if access == Access.NONE:
        return (401 if caller == "anonymous" else 404), "RepoNotFound"
    if access < need:
        return (401 if caller == "anonymous" else 403), None
    return ok, None


@pytest.mark.parametrize("visibility", ["public", "private"])
@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize("family", list(FAMILIES))
def test_matrix(matrix: Matrix, family: str, caller: str, visibility: str) -> None:
    need, ok, call = FAMILIES[family]
    repo = "priv" if visibility == "private" else "pub"
    status, code = expected(caller, visibility == "private", need, ok)
    before = matrix.snapshot(repo) if status != ok and need >= Access.WRITE else None
    resp = call(matrix, repo, matrix.headers(caller))
    assert resp.status_code == status, (family, caller, visibility, resp.status_code, resp.text[:300])
    assert resp.headers.get("x-error-code") == code, (family, caller, visibility, dict(resp.headers))
    if status != ok:
        assert resp.headers.get("x-error-message"), resp.headers
        if status == 401 and family.startswith(("git_", "lfs_")):
            assert resp.headers.get("www-authenticate", "").startswith("Basic"), resp.headers
    if before is not None:
        assert matrix.snapshot(repo) == before, f"forbidden {family} by {caller} changed the repo"
    if family == "lfs_batch_upload" and status == ok:
        assert "error" not in resp.json()["objects"][0], resp.text


def test_private_repo_body_never_leaks(matrix: Matrix) -> None:
    """Not-allowed readers get the same answer as for a repo that does not exist."""
    for caller in ("anonymous", "outsider"):
        real = matrix.client.get(f"/api/models/{ORG}/priv", headers=matrix.headers(caller))
        missing = matrix.client.get(f"/api/models/{ORG}/no-such-repo", headers=matrix.headers(caller))
        assert (real.status_code, real.json()) == (missing.status_code, missing.json())
        assert real.headers["x-error-message"] == missing.headers["x-error-message"]


def test_expired_and_revoked_tokens_name_the_problem(matrix: Matrix) -> None:
    """401 with a message; an expired token says so (the user must create a new one), on git too."""
    for path in (f"/api/models/{ORG}/pub", f"/{ORG}/pub.git/info/refs?service=git-upload-pack"):
        resp = matrix.client.get(path, headers=matrix.headers("expired_token"))
        assert resp.status_code == 401 and "expired" in resp.headers["x-error-message"], resp.headers
        resp = matrix.client.get(path, headers=matrix.headers("revoked_token"))
        assert resp.status_code == 401 and resp.headers["x-error-message"], resp.headers
    basic = base64.b64encode(f"git:{matrix.tokens['expired_token']}".encode()).decode()
    resp = matrix.client.get(f"/{ORG}/pub.git/info/refs?service=git-upload-pack",
                             headers={"Authorization": f"Basic {basic}"})
    assert resp.status_code == 401 and resp.headers["www-authenticate"].startswith("Basic"), resp.headers

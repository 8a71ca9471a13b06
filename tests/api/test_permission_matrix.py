"""The permission matrix: every route family x every kind of caller x public/private org repo.

Each cell asserts the exact status and ``X-Error-Code``; every forbidden write is followed by a check that
the repo's refs and the stored LFS objects did not change.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kohakuhub.app import create_app
from kohakuhub.db.database import database_proxy
from kohakuhub.db.models import LfsObject, Token, XetFile, utcnow
from kohakuhub.services.auth import Access
from tests.api.helpers import LFS_HEADERS, NDJSON, bearer, commit, file_op, lfs_op, lfs_upload, ndjson, sha256
from tests.conftest import PASSWORD, hub_settings
from tests.databases import drop_database_for
from tests.image_bytes import png
from tests.s3_support import app_client

ORG = "acme"
LFS_DATA = b"L" * 4096  # above the test hubs' 1 KiB threshold
SMALL = b"hello matrix\n"
NEW_LFS = b"N" * 3000
KEPT_TAG = "v-kept"

REPOS = ("pub", "priv", "gated")  # public, private, and public gated with manual approval
_D, _R_, _W, _A, _N = Access.DOWNLOAD, Access.READ, Access.WRITE, Access.ADMIN, Access.NONE
# caller -> access on each of REPOS (None: the credential is refused before any repo lookup). On the gated
# repo, a reader without an accepted access request reads metadata only (READ); writers are never gated.
CALLERS: dict[str, tuple[Access | None, ...]] = {
    "anonymous": (_D, _N, _R_),
    "outsider": (_D, _N, _R_),
    "org_visitor": (_D, _D, _R_),
    "org_member": (_W, _W, _W),
    "org_admin": (_A, _A, _A),
    "site_admin": (_A, _A, _A),
    "member_read_token": (_D, _D, _D),  # a writer's read token: downloads a gated repo, never writes
    "collaborator_write": (_W, _W, _W),
    "accepted_user": (_D, _N, _D),  # an outsider granted access to the gated repo
    "pending_user": (_D, _N, _R_),  # an outsider whose request to it waits for review
    "invalid_token": (None, None, None),  # rejected before any repo lookup
    "tampered_token": (None, None, None),  # the org admin's token with one character changed
    "expired_token": (None, None, None),  # the org admin's token, its expiry passed
    "revoked_token": (None, None, None),  # the org admin's token, revoked through the API
}


@dataclass
class Matrix:
    client: TestClient
    hub: object
    tokens: dict[str, str | None]
    owner_token: str
    # What a family's ``prepare`` made for its call (per repo): a pull request to merge, a comment to hide.
    prepared: dict[str, object] = field(default_factory=dict)

    def headers(self, caller: str) -> dict[str, str]:
        return bearer(self.tokens[caller])

    def snapshot(self, repo: str) -> tuple:
        """What a refused call must leave as it was: refs (pull requests' too), stored objects, grants,
        settings, likers, discussions and the events of discussion #1 and pull request #2, and the gated
        repo's access requests."""
        paths = [f"/api/models/{ORG}/{repo}/refs?include_prs=1", f"/api/models/{ORG}/{repo}/collaborators",
                 f"/api/models/{ORG}/{repo}", f"/api/models/{ORG}/{repo}/likers",
                 f"/api/models/{ORG}/{repo}/discussions", f"/api/models/{ORG}/{repo}/discussions/1",
                 f"/api/models/{ORG}/{repo}/discussions/2"]
        if repo == "gated":
            paths += [f"/api/models/{ORG}/{repo}/user-access-request/{s}" for s in ("pending", "accepted", "rejected")]
        answers = []
        for path in paths:
            resp = self.client.get(path, headers=bearer(self.owner_token))
            assert resp.status_code == 200, resp.text
            answers.append(resp.json())
        refs, grants, info, likers, listing, discussion, pull_request, *requests = answers
        requests = [[(i["user"]["user"], i["status"]) for i in listed] for listed in requests]
        return (refs, grants, info["private"], info["gated"], [u["user"] for u in likers], requests,
                sorted(o.oid for o in LfsObject.select()), listing, discussion, pull_request)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    data_dir: Path = tmp_path_factory.mktemp("matrix") / "data"
    app = create_app(hub_settings(data_dir, lfs_threshold_bytes=1024, upload_mode="lfs"))
    with app_client(app, base_url="http://testserver") as client:
        hub = app.state.hub
        accounts = hub.accounts
        users = {}
        for name in ("boss", "outsider", "vis", "mem", "adm", "root", "collab", "spare", "acc", "pend", "asker",
                     "grantee"):
            users[name] = accounts.create_user(name, f"{name}@example.com", PASSWORD, is_admin=name == "root")

        def token(name: str, role: str = "write", **expiry) -> str:
            return accounts.create_token(users[name].id, "t", role, **expiry)[1]

        boss = token("boss")
        assert client.post("/org/create", json={"name": ORG}, headers=bearer(boss)).status_code == 200
        for name, role in (("vis", "visitor"), ("mem", "member"), ("adm", "admin")):
            resp = client.post(f"/org/{ORG}/members", json={"username": name, "role": role}, headers=bearer(boss))
            assert resp.status_code == 200, resp.text
        for repo, private in (("pub", False), ("priv", True), ("gated", False)):
            resp = client.post("/api/repos/create", headers=bearer(boss), json={
                "name": repo, "organization": ORG, "private": private})
            assert resp.status_code == 200, resp.text
            oid = lfs_upload(client, boss, f"{ORG}/{repo}", LFS_DATA)
            assert oid == sha256(LFS_DATA)
            commit(client, boss, f"{ORG}/{repo}", [file_op("a.txt", SMALL), file_op("d/c.txt", SMALL),
                                                   lfs_op("w.bin", LFS_DATA)])
            assert client.post(f"/api/models/{ORG}/{repo}/branch/keep", headers=bearer(boss)).status_code == 200
            resp = client.post(f"/api/models/{ORG}/{repo}/tag/main", json={"tag": KEPT_TAG}, headers=bearer(boss))
            assert resp.status_code == 200, resp.text
            resp = client.put(f"/api/models/{ORG}/{repo}/collaborators/collab", json={"role": "write"},
                              headers=bearer(boss))
            assert resp.status_code == 200, resp.text
            # Discussion #1 and pull request #2, both the owner's: callers comment, rename, commit to them.
            resp = client.post(f"/api/models/{ORG}/{repo}/discussions", headers=bearer(boss),
                               json={"title": "matrix discussion", "description": "first"})
            assert resp.json()["num"] == 1, resp.text
            resp = client.post(f"/api/models/{ORG}/{repo}/commit/main?create_pr=1", headers={**bearer(boss), **NDJSON},
                               content=ndjson([file_op("pr.txt", SMALL)]))
            assert resp.json()["pullRequestUrl"].endswith("/discussions/2"), resp.text
        resp = client.put(f"/api/models/{ORG}/gated/settings", json={"gated": "manual"}, headers=bearer(boss))
        assert resp.status_code == 200, resp.text
        resp = client.post(f"/api/models/{ORG}/gated/user-access-request/grant", json={"user": "acc"},
                           headers=bearer(boss))
        assert resp.status_code == 200, resp.text
        for name in ("pend", "asker"):  # "asker": the request the handle family accepts and puts back
            resp = client.post(f"/api/models/{ORG}/gated/ask-access", json={}, headers=bearer(token(name)))
            assert resp.json() == {"status": "pending"}, resp.text
        # Credentials that were an org admin's: each would have full rights on every repo if accepted.
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
            "accepted_user": token("acc"), "pending_user": token("pend"),
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


def _lfs_batch(operation: str, data: bytes, ref: str | None = "main") -> Call:
    """A batch call; an upload without a ref is one for a pull request the commit will open."""
    def call(m: Matrix, repo: str, headers: dict[str, str]):
        body = {"operation": operation, "transfers": ["basic"], "hash_algo": "sha256",
                "objects": [{"oid": sha256(data), "size": len(data)}]}
        if ref is not None:
            body["ref"] = {"name": ref}
        return m.client.post(f"/{ORG}/{repo}.git/info/lfs/objects/batch", json=body,
                             headers={**LFS_HEADERS, **headers})
    return call


def _git_rpc(service: str) -> Call:
    def call(m: Matrix, repo: str, headers: dict[str, str]):
        return m.client.post(f"/{ORG}/{repo}.git/git-{service}", content=b"0000",
                             headers={"Content-Type": f"application/x-git-{service}-request", **headers})
    return call


Step = tuple[str, str, dict | None]  # method, path below /api/models/{org}/{repo}, JSON body


def _undone(method: str, path: str, body: dict | None = None, *, undo: list[Step]) -> Call:
    """A change that allowed callers really make; the owner then undoes it, so every cell starts alike."""
    def call(m: Matrix, repo: str, headers: dict[str, str]):
        resp = m.client.request(method, f"/api/models/{ORG}/{repo}{path}", json=body, headers=headers)
        if resp.status_code == 200:
            for undo_method, undo_path, undo_body in undo:
                m.client.request(undo_method, f"/api/models/{ORG}/{repo}{undo_path}", json=undo_body,
                                 headers=bearer(m.owner_token))
        return resp
    return call


_create_branch = _undone("POST", "/branch/matrix-new", undo=[("DELETE", "/branch/matrix-new", None)])
_delete_branch = _undone("DELETE", "/branch/keep", undo=[("POST", "/branch/keep", None)])
_tag = _undone("POST", "/tag/main", {"tag": "matrix-tag"}, undo=[("DELETE", "/tag/matrix-tag", None)])
_delete_tag = _undone("DELETE", f"/tag/{KEPT_TAG}", undo=[("POST", "/tag/main", {"tag": KEPT_TAG})])
# "keep" goes back where it was: on main.
_super_squash = _undone("POST", "/super-squash/keep", undo=[("DELETE", "/branch/keep", None),
                                                           ("POST", "/branch/keep", None)])
_set_collaborator = _undone("PUT", "/collaborators/spare", {"role": "read"},
                            undo=[("DELETE", "/collaborators/spare", None)])
_remove_collaborator = _undone("DELETE", "/collaborators/collab",
                               undo=[("PUT", "/collaborators/collab", {"role": "write"})])


def _commit(revision: str = "main", query: str = "") -> Call:
    def call(m: Matrix, repo: str, headers: dict[str, str]):
        return m.client.post(f"/api/models/{ORG}/{repo}/commit/{revision}{query}", headers={**headers, **NDJSON},
                             content=ndjson([file_op(f"matrix-{uuid.uuid4().hex[:6]}.txt", b"x")]))
    return call


def _post(path: str, body: Callable[[], dict] | None = None) -> Call:
    return lambda m, r, h: m.client.post(f"/api/models/{ORG}/{r}{path}", json=body() if body else None, headers=h)


def _owner_pull_request(m: Matrix, repo: str) -> None:
    """An open pull request of the owner's, with one commit, for the merge family."""
    resp = m.client.post(f"/api/models/{ORG}/{repo}/commit/main?create_pr=1", headers={**bearer(m.owner_token), **NDJSON},
                         content=ndjson([file_op(f"merged-{uuid.uuid4().hex[:8]}.txt", b"m")]))
    assert resp.status_code == 200, resp.text
    m.prepared[repo] = int(resp.json()["pullRequestUrl"].rsplit("/", 1)[1])


def _owner_comment(m: Matrix, repo: str) -> None:
    """A new comment of the owner's on discussion #1, for the hide family."""
    resp = m.client.post(f"/api/models/{ORG}/{repo}/discussions/1/comment", json={"comment": "to hide"},
                         headers=bearer(m.owner_token))
    assert resp.status_code == 200, resp.text
    m.prepared[repo] = resp.json()["newMessage"]["id"]


def _first_comment(m: Matrix, repo: str) -> str:
    details = m.client.get(f"/api/models/{ORG}/{repo}/discussions/1", headers=bearer(m.owner_token)).json()
    return details["events"][0]["id"]


def _close_discussion(m: Matrix, repo: str, headers: dict[str, str]):
    resp = m.client.post(f"/api/models/{ORG}/{repo}/discussions/1/status", json={"status": "closed"}, headers=headers)
    if resp.status_code == 200:
        reopened = m.client.post(f"/api/models/{ORG}/{repo}/discussions/1/status", json={"status": "open"},
                                 headers=bearer(m.owner_token))
        assert reopened.status_code == 200, reopened.text
    return resp


def _merge(m: Matrix, repo: str, headers: dict[str, str]):
    return m.client.post(f"/api/models/{ORG}/{repo}/discussions/{m.prepared[repo]}/merge", headers=headers)


def _edit_comment(m: Matrix, repo: str, headers: dict[str, str]):
    return m.client.post(f"/api/models/{ORG}/{repo}/discussions/1/comment/{_first_comment(m, repo)}/edit",
                         json={"content": f"edited {uuid.uuid4().hex[:6]}"}, headers=headers)


def _hide_comment(m: Matrix, repo: str, headers: dict[str, str]):
    return m.client.post(f"/api/models/{ORG}/{repo}/discussions/1/comment/{m.prepared[repo]}/hide", headers=headers)


def _settings(m: Matrix, repo: str, headers: dict[str, str]):
    # The visibility it already has: allowed callers change nothing either.
    return m.client.put(f"/api/models/{ORG}/{repo}/settings", json={"private": repo == "priv"}, headers=headers)


def _scratch_repo(m: Matrix, like: str) -> str:
    """A new repo of the org with the visibility and the collaborator of ``like``, for lifecycle calls."""
    name = f"scratch-{uuid.uuid4().hex[:8]}"
    resp = m.client.post("/api/repos/create", headers=bearer(m.owner_token),
                         json={"name": name, "organization": ORG, "private": like == "priv"})
    assert resp.status_code == 200, resp.text
    resp = m.client.put(f"/api/models/{ORG}/{name}/collaborators/collab", json={"role": "write"},
                        headers=bearer(m.owner_token))
    assert resp.status_code == 200, resp.text
    return name


def _exists(m: Matrix, name: str) -> bool:
    resp = m.client.get(f"/api/models/{ORG}/{name}", headers=bearer(m.owner_token), follow_redirects=False)
    return resp.status_code == 200  # a moved repo's old name answers 307


def _delete_repo(m: Matrix, repo: str, headers: dict[str, str]):
    name = _scratch_repo(m, repo)
    resp = m.client.request("DELETE", "/api/repos/delete", json={"name": name, "organization": ORG},
                            headers=headers)
    assert _exists(m, name) == (resp.status_code != 200), "a refused delete must leave the repo"
    m.client.request("DELETE", "/api/repos/delete", json={"name": name, "organization": ORG},
                     headers=bearer(m.owner_token))
    return resp


def _move_repo(m: Matrix, repo: str, headers: dict[str, str]):
    name = _scratch_repo(m, repo)
    resp = m.client.post("/api/repos/move", json={"fromRepo": f"{ORG}/{name}", "toRepo": f"{ORG}/{name}-moved"},
                         headers=headers)
    assert _exists(m, name) == (resp.status_code != 200), "a refused move must leave the repo where it was"
    for left in (name, f"{name}-moved"):
        m.client.request("DELETE", "/api/repos/delete", json={"name": left, "organization": ORG},
                         headers=bearer(m.owner_token))
    return resp


def _get(path: str) -> Call:
    return lambda m, r, h: m.client.get(path.format(org=ORG, repo=r), headers=h)


@dataclass(frozen=True)
class Family:
    """One repo-scoped operation: the access it needs, its success status, and how to call it.

    ``ok``: the status of an allowed call, or one per repo of REPOS (the gating routes answer 400 on a repo
    that is not gated). ``signed_in``: the route refuses anonymous callers before it looks the repo up (a
    plain 401). ``user_write``: it changes the caller's own data (a like, an access request), so a read token
    is refused (403) even where reading is enough. ``writes``: a refusal is checked to change nothing even
    though ``need`` is below WRITE.
    ``write_token``: taking part (discussions, pull requests) also needs a signed-in caller whose token may
    write: anonymous callers who may read get 401, read tokens 403.
    ``author_only``: only the author of what it changes (the owner here) or a site admin may.
    ``prepare``: run as the owner before the "nothing changed" snapshot (what the call acts on).
    """

    need: Access
    ok: int | tuple[int, int, int]
    call: Call
    signed_in: bool = False
    user_write: bool = False
    writes: bool = False
    write_token: bool = False
    author_only: bool = False
    prepare: Callable[[Matrix, str], None] | None = None

    def ok_on(self, repo: str) -> int:
        return self.ok if isinstance(self.ok, int) else self.ok[REPOS.index(repo)]


def _as_caller(method: str, path: str, body: dict | None = None, *, undo: str | None = None) -> Call:
    """A change to the caller's own data; ``undo`` (a method) reverts it as the same caller."""
    def call(m: Matrix, repo: str, headers: dict[str, str]):
        resp = m.client.request(method, f"/api/models/{ORG}/{repo}{path}", json=body, headers=headers)
        if resp.status_code == 200 and undo:
            m.client.request(undo, f"/api/models/{ORG}/{repo}{path}", headers=headers)
        return resp
    return call


_GATED_ONLY = (400, 400, 200)  # "is not gated" on the others, for those allowed to ask
_like = _as_caller("POST", "/like", undo="DELETE")
_unlike = _as_caller("DELETE", "/like")
_ask_access = _as_caller("POST", "/ask-access", {})  # idempotent: a reader's request stays pending
_handle = _undone("POST", "/user-access-request/handle", {"user": "asker", "status": "accepted"},
                  undo=[("POST", "/user-access-request/handle", {"user": "asker", "status": "pending"})])
_grant = _undone("POST", "/user-access-request/grant", {"user": "grantee"},
                 undo=[("POST", "/user-access-request/handle", {"user": "grantee", "status": "pending"})])


FAMILIES: dict[str, Family] = {
    "repo_info": Family(Access.READ, 200, _get("/api/models/{org}/{repo}")),
    "revision_info": Family(Access.READ, 200, _get("/api/models/{org}/{repo}/revision/main")),
    "auth_check": Family(Access.DOWNLOAD, 200, _get("/api/models/{org}/{repo}/auth-check")),
    "auth_check_write": Family(Access.WRITE, 200, _get("/api/models/{org}/{repo}/auth-check/write")),
    "resolve_get": Family(Access.DOWNLOAD, 200, _get("/{org}/{repo}/resolve/main/a.txt")),
    "resolve_head": Family(Access.DOWNLOAD, 200, lambda m, r, h: m.client.head(f"/{ORG}/{r}/resolve/main/w.bin",
                                                                                headers=h)),
    "tree": Family(Access.READ, 200, _get("/api/models/{org}/{repo}/tree/main")),
    "tree_path": Family(Access.READ, 200, _get("/api/models/{org}/{repo}/tree/main/d")),
    "paths_info": Family(Access.READ, 200, lambda m, r, h: m.client.post(
        f"/api/models/{ORG}/{r}/paths-info/main", data={"paths": ["a.txt"]}, headers=h)),
    "refs": Family(Access.READ, 200, _get("/api/models/{org}/{repo}/refs")),
    "commits": Family(Access.READ, 200, _get("/api/models/{org}/{repo}/commits/main")),
    "commits_of_path": Family(Access.READ, 200, _get("/api/models/{org}/{repo}/commits/main/d/c.txt")),
    "commit_diff": Family(Access.DOWNLOAD, 200, _get("/api/models/{org}/{repo}/commit/main")),
    "compare": Family(Access.DOWNLOAD, 200, _get("/api/models/{org}/{repo}/compare/keep...main")),
    "xet_read_token": Family(Access.DOWNLOAD, 200, _get("/api/models/{org}/{repo}/xet-read-token/main")),
    "lfs_batch_download": Family(Access.DOWNLOAD, 200, _lfs_batch("download", LFS_DATA)),
    "git_info_refs_upload_pack": Family(Access.DOWNLOAD, 200,
                                        _get("/{org}/{repo}.git/info/refs?service=git-upload-pack")),
    "git_upload_pack": Family(Access.DOWNLOAD, 200, _git_rpc("upload-pack")),
    "like_state": Family(Access.READ, 200, _get("/api/models/{org}/{repo}/like")),
    "likers": Family(Access.READ, 200, _get("/api/models/{org}/{repo}/likers")),
    "like": Family(Access.READ, 200, _like, signed_in=True, user_write=True, writes=True),
    "unlike": Family(Access.READ, 200, _unlike, signed_in=True, user_write=True, writes=True),
    "gate": Family(Access.READ, 200, _get("/api/models/{org}/{repo}/ask-access")),
    "ask_access": Family(Access.READ, _GATED_ONLY, _ask_access, signed_in=True, user_write=True, writes=True),
    "list_access_requests": Family(Access.WRITE, _GATED_ONLY,
                                   _get("/api/models/{org}/{repo}/user-access-request/pending")),
    "handle_access_request": Family(Access.WRITE, _GATED_ONLY, _handle),
    "grant_access": Family(Access.WRITE, _GATED_ONLY, _grant),
    "preupload": Family(Access.WRITE, 200, lambda m, r, h: m.client.post(
        f"/api/models/{ORG}/{r}/preupload/main", headers=h,
        json={"files": [{"path": "p.txt", "size": 3, "sample": base64.b64encode(b"abc").decode()}]})),
    "commit": Family(Access.WRITE, 200, _commit()),
    # Pull requests: anyone who may download opens one (on a gated repo, with an accepted access request);
    # only writers (and its author) commit to one.
    "preupload_pr": Family(Access.DOWNLOAD, 200, lambda m, r, h: m.client.post(
        f"/api/models/{ORG}/{r}/preupload/main?create_pr=1", headers=h,
        json={"files": [{"path": "p.txt", "size": 3, "sample": base64.b64encode(b"abc").decode()}]}), write_token=True),
    "commit_pr": Family(Access.DOWNLOAD, 200, _commit(query="?create_pr=1"), write_token=True),
    "commit_to_pr": Family(Access.WRITE, 200, _commit("refs%2Fpr%2F2")),
    "xet_write_token_pr": Family(Access.DOWNLOAD, 200,
                                 _get("/api/models/{org}/{repo}/xet-write-token/main?create_pr=1"), write_token=True),
    "lfs_batch_upload_pr": Family(Access.DOWNLOAD, 200, _lfs_batch("upload", NEW_LFS, ref=None), write_token=True),
    # Discussions are metadata (a gated repo's readers take part); a pull request's details show its
    # changes, so they need download access.
    "list_discussions": Family(Access.READ, 200, _get("/api/models/{org}/{repo}/discussions?status=open")),
    "discussion_details": Family(Access.READ, 200, _get("/api/models/{org}/{repo}/discussions/1")),
    "pull_request_details": Family(Access.DOWNLOAD, 200, _get("/api/models/{org}/{repo}/discussions/2?diff=1")),
    "create_discussion": Family(Access.READ, 200, _post("/discussions", lambda: {"title": "from the matrix"}),
                                write_token=True),
    "create_pull_request": Family(Access.DOWNLOAD, 200, _post(
        "/discussions", lambda: {"title": "empty pull request", "pullRequest": True}), write_token=True),
    "comment_discussion": Family(Access.READ, 200, _post("/discussions/1/comment", lambda: {"comment": "hi"}),
                                 write_token=True),
    "comment_pull_request": Family(Access.READ, 200, _post("/discussions/2/comment", lambda: {"comment": "hi"}),
                                   write_token=True),
    "rename_discussion": Family(Access.WRITE, 200, _post("/discussions/1/title",
                                                         lambda: {"title": f"renamed {uuid.uuid4().hex[:8]}"}),
                                write_token=True),
    "change_discussion_status": Family(Access.WRITE, 200, _close_discussion, write_token=True),
    "merge_pull_request": Family(Access.WRITE, 200, _merge, write_token=True, prepare=_owner_pull_request),
    "edit_discussion_comment": Family(Access.READ, 200, _edit_comment, author_only=True),
    "hide_discussion_comment": Family(Access.WRITE, 200, _hide_comment, write_token=True, prepare=_owner_comment),
    "create_branch": Family(Access.WRITE, 200, _create_branch),
    "delete_branch": Family(Access.WRITE, 200, _delete_branch),
    "create_tag": Family(Access.WRITE, 200, _tag),
    "delete_tag": Family(Access.WRITE, 200, _delete_tag),
    "super_squash": Family(Access.WRITE, 200, _super_squash),
    "xet_write_token": Family(Access.WRITE, 200, _get("/api/models/{org}/{repo}/xet-write-token/main")),
    "lfs_batch_upload": Family(Access.WRITE, 200, _lfs_batch("upload", NEW_LFS)),
    "git_info_refs_receive_pack": Family(Access.WRITE, 200, _get("/{org}/{repo}.git/info/refs?service=git-receive-pack")),
    "git_receive_pack": Family(Access.WRITE, 200, _git_rpc("receive-pack")),
    "list_lfs_files": Family(Access.WRITE, 200, _get("/api/models/{org}/{repo}/lfs-files")),
    # An object the repo does not hold: allowed callers delete nothing (0), so every cell starts alike.
    "delete_lfs_files": Family(Access.WRITE, 200, lambda m, r, h: m.client.post(
        f"/api/models/{ORG}/{r}/lfs-files/batch", json={"deletions": {"sha": ["0" * 64], "rewriteHistory": True}},
        headers=h)),
    "settings": Family(Access.ADMIN, 200, _settings),
    "list_collaborators": Family(Access.ADMIN, 200, _get("/api/models/{org}/{repo}/collaborators")),
    "set_collaborator": Family(Access.ADMIN, 200, _set_collaborator),
    "remove_collaborator": Family(Access.ADMIN, 200, _remove_collaborator),
    "delete_repo": Family(Access.ADMIN, 200, _delete_repo, signed_in=True),
    "move_repo": Family(Access.ADMIN, 200, _move_repo, signed_in=True),
}


def expected(caller: str, repo: str, family: Family) -> tuple[int, str | None]:
    """The status and X-Error-Code a caller must get."""
    need = family.need
    access = CALLERS[caller][REPOS.index(repo)]
    if access is None or (caller == "anonymous" and family.signed_in):
        return 401, None  # invalid credentials are refused whatever the repo
    if access == Access.NONE:
        return (401 if caller == "anonymous" else 404), "RepoNotFound"
    if (family.write_token or family.author_only) and caller == "anonymous":
        return 401, None  # taking part needs a signed-in caller, gate or not
    if access < need:
        if need == Access.DOWNLOAD:  # a reader the gate holds back: the Hub's GatedRepo answer
            return (401 if caller == "anonymous" else 403), "GatedRepo"
        return (401 if caller == "anonymous" else 403), None
    if (family.user_write or family.write_token or family.author_only) and caller == "member_read_token":
        return 403, None
    if family.author_only and caller != "site_admin":
        return 403, None
    return family.ok_on(repo), None


@pytest.mark.parametrize("repo", REPOS)
@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize("family", list(FAMILIES))
def test_matrix(matrix: Matrix, family: str, caller: str, repo: str) -> None:
    entry = FAMILIES[family]
    status, code = expected(caller, repo, entry)
    ok = entry.ok_on(repo)
    if entry.prepare is not None:
        entry.prepare(matrix, repo)
    changes = entry.need >= Access.WRITE or entry.writes or entry.write_token or entry.author_only
    before = matrix.snapshot(repo) if status != ok and changes else None
    resp = entry.call(matrix, repo, matrix.headers(caller))
    assert resp.status_code == status, (family, caller, repo, resp.status_code, resp.text[:300])
    assert resp.headers.get("x-error-code") == code, (family, caller, repo, dict(resp.headers))
    if status != ok or status >= 400:
        assert resp.headers.get("x-error-message"), resp.headers
        if status == 401 and family.startswith(("git_", "lfs_")):
            assert resp.headers.get("www-authenticate", "").startswith("Basic"), resp.headers
    if before is not None:
        assert matrix.snapshot(repo) == before, f"forbidden {family} by {caller} changed the repo"
    if family.startswith("lfs_batch_upload") and status == ok:
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


# --- every route of the OpenAPI description -------------------------------------------------------------
#
# Each operation is either a matrix family above (run for every caller on a public and a private repo) or
# guarded by something other than repo access: a guard below, checked by test_guard. An operation that
# serves several URL forms (datasets/..., spaces/..., without .git) names the canonical form it shares its
# code with. A new route fails test_every_route_is_in_the_matrix until it is given an entry here.

PUBLIC = "public"  # nothing to guard: anyone gets a non-error answer (or a 4xx about the input)
SIGNED_IN = "signed-in"  # any signed-in user, acting on their own account: anonymous gets 401
SITE_ADMIN = "site-admin"  # site administrators only
ORG_ADMIN = "org-admin"  # the organization's admins (and site admins)
NAMESPACE = "namespace-member"  # the namespace's own user, its org members and site admins
SIGNED_URL = "signed-url"  # a URL the hub signed (tests/api/test_signed_urls.py: every binding)
XET_TOKEN = "xet-token"  # a Xet token from xet-read-token / xet-write-token (a matrix family)
INVITATION = "invitation-token"  # the invitation's secret token is in the path
SELF = "self"  # the user named in the path (and site admins), acting on their own profile


@dataclass(frozen=True)
class SameAs:
    """Another URL form of an operation that is in the table."""

    operation: str


_R = "/api/{plural}/{namespace}/{name}"
_TYPED = ("/datasets", "/spaces")


def _git_forms(canonical: str) -> dict[str, SameAs]:
    """datasets/ and spaces/ prefixes, and the form without .git, of a /{namespace}/{name}.git/... route."""
    method, path = canonical.split(" ")
    forms = {f"{method} {prefix}{path}" for prefix in ("", *_TYPED)}
    forms |= {form.replace(".git/", "/") for form in forms}
    return {form: SameAs(canonical) for form in forms - {canonical}}


ROUTES: dict[str, str | tuple[str, ...] | SameAs] = {
    "GET /health": PUBLIC,
    "GET /api/version": PUBLIC,
    "POST /api/validate-yaml": PUBLIC,
    f"GET {_R}/tree/{{revision}}/{{path}}": "tree_path",
    f"GET {_R}/tree/{{revision}}": "tree",
    f"POST {_R}/paths-info/{{revision}}": "paths_info",
    "GET /{namespace}/{name}/resolve/{revision}/{path}": "resolve_get",
    "HEAD /{namespace}/{name}/resolve/{revision}/{path}": "resolve_head",
    **{f"{m} {form}/{{namespace}}/{{name}}/resolve/{{revision}}/{{path}}": SameAs(f"{m} /{{namespace}}/{{name}}/resolve/{{revision}}/{{path}}")
       for m in ("GET", "HEAD") for form in (*_TYPED, "/api/{plural_param}")},
    "POST /api/auth/register": PUBLIC,
    "GET /api/auth/registration": PUBLIC,
    "POST /api/auth/login": PUBLIC,
    "POST /api/auth/logout": PUBLIC,
    "POST /api/auth/password": SIGNED_IN,
    "GET /api/auth/sessions": SIGNED_IN,
    "DELETE /api/auth/sessions/{session_id}": SIGNED_IN,
    "GET /api/auth/me": SIGNED_IN,
    "PUT /api/auth/profile": SIGNED_IN,
    "POST /api/auth/tokens/create": SIGNED_IN,
    "GET /api/auth/tokens": SIGNED_IN,
    "DELETE /api/auth/tokens/{token_id}": SIGNED_IN,
    "GET /api/whoami-v2": SIGNED_IN,
    "GET /admin/api/users": SITE_ADMIN,
    "POST /admin/api/users": SITE_ADMIN,
    "PATCH /admin/api/users/{username}": SITE_ADMIN,
    "DELETE /admin/api/users/{username}": SITE_ADMIN,
    "GET /admin/api/repositories": SITE_ADMIN,
    "DELETE /admin/api/repositories/{plural}/{namespace}/{name}": SITE_ADMIN,
    "POST /admin/api/repositories/{plural}/{namespace}/{name}/transfer": SITE_ADMIN,
    "GET /admin/api/quotas": SITE_ADMIN,
    "GET /admin/api/quotas/{namespace}": SITE_ADMIN,
    "PUT /admin/api/quotas/{namespace}": SITE_ADMIN,
    "POST /admin/api/quotas/{namespace}/recalculate": SITE_ADMIN,
    "GET /admin/api/stats": SITE_ADMIN,
    "PATCH /admin/api/repositories/{plural}/{namespace}/{name}": SITE_ADMIN,
    "GET /admin/api/storage": SITE_ADMIN,
    "GET /admin/api/invitations": SITE_ADMIN,
    "GET /admin/api/health": SITE_ADMIN,
    "POST /org/create": SIGNED_IN,
    "GET /org/users/{username}/orgs": PUBLIC,
    "GET /org/{org}": PUBLIC,
    "GET /org/{org}/members": PUBLIC,
    "GET /api/users/{username}/overview": PUBLIC,
    "GET /api/models-tags-by-type": PUBLIC,
    "GET /api/datasets-tags-by-type": PUBLIC,
    "GET /api/spaces-tags-by-type": PUBLIC,
    "GET /api/organizations/{org}/overview": PUBLIC,
    "GET /api/organizations/{org}/members": PUBLIC,
    "PUT /api/organizations/{org}/settings": ORG_ADMIN,
    "GET /api/users/{username}/avatar": PUBLIC,
    "PUT /api/users/{username}/avatar": SELF,
    "DELETE /api/users/{username}/avatar": SELF,
    "GET /api/organizations/{org}/avatar": PUBLIC,
    "PUT /api/organizations/{org}/avatar": ORG_ADMIN,
    "DELETE /api/organizations/{org}/avatar": ORG_ADMIN,
    "GET /api/users/{username}/likes": PUBLIC,  # lists only what the caller may see: tests/api/test_likes.py
    f"GET {_R}/like": "like_state",
    f"POST {_R}/like": "like",
    f"DELETE {_R}/like": "unlike",
    f"GET {_R}/likers": "likers",
    f"GET {_R}/ask-access": "gate",
    f"POST {_R}/ask-access": "ask_access",
    f"GET {_R}/user-access-request/{{status}}": "list_access_requests",
    f"POST {_R}/user-access-request/handle": "handle_access_request",
    f"POST {_R}/user-access-request/grant": "grant_access",
    "POST /org/{org}/members": ORG_ADMIN,
    "PUT /org/{org}/members/{username}": ORG_ADMIN,
    "DELETE /org/{org}/members/{username}": ORG_ADMIN,
    "POST /api/invitations/org/{org}/create": ORG_ADMIN,
    "POST /api/invitations/register/create": SITE_ADMIN,
    "GET /api/invitations/org/{org}/list": ORG_ADMIN,
    "GET /api/invitations/{token}": INVITATION,
    "DELETE /api/invitations/{token}": INVITATION,
    "POST /api/invitations/{token}/accept": INVITATION,
    "POST /{namespace}/{name}.git/info/lfs/objects/batch": ("lfs_batch_download", "lfs_batch_upload",
                                                            "lfs_batch_upload_pr"),
    **_git_forms("POST /{namespace}/{name}.git/info/lfs/objects/batch"),
    # git-lfs asks before pushing; the hub keeps no locks, so the answer is "none" for any path.
    "POST /{namespace}/{name}.git/info/lfs/locks/verify": PUBLIC,
    "POST /{plural}/{namespace}/{name}.git/info/lfs/locks/verify": SameAs("POST /{namespace}/{name}.git/info/lfs/locks/verify"),
    "PUT /api/lfs/objects/{oid}": SIGNED_URL,
    "GET /api/lfs/objects/{oid}": SIGNED_URL,
    "POST /api/lfs/verify/{oid}": SIGNED_URL,
    "PUT /api/lfs/parts/{oid}/{upload_id}/{number}": SIGNED_URL,
    "POST /api/lfs/complete/{oid}/{upload_id}": SIGNED_URL,
    f"GET {_R}/xet-read-token/{{revision}}": "xet_read_token",
    f"GET {_R}/xet-write-token/{{revision}}": ("xet_write_token", "xet_write_token_pr"),
    "GET /api/xet/cas/v1/reconstructions/{file_id}": XET_TOKEN,
    "POST /api/xet/cas/v1/reconstructions": XET_TOKEN,
    "GET /api/xet/cas/v1/chunks/{prefix}/{chunk_hash}": XET_TOKEN,
    "POST /api/xet/cas/v1/xorbs/{prefix}/{xorb_hash}": XET_TOKEN,
    "POST /api/xet/cas/v1/shards": XET_TOKEN,
    "GET /api/xet/xorbs/{xorb_hash}": SIGNED_URL,
    "GET /{namespace}/{name}.git/info/refs": ("git_info_refs_upload_pack", "git_info_refs_receive_pack"),
    **_git_forms("GET /{namespace}/{name}.git/info/refs"),
    "POST /{namespace}/{name}.git/git-upload-pack": "git_upload_pack",
    **_git_forms("POST /{namespace}/{name}.git/git-upload-pack"),
    "POST /{namespace}/{name}.git/git-receive-pack": "git_receive_pack",
    **_git_forms("POST /{namespace}/{name}.git/git-receive-pack"),
    "GET /api/quota/{namespace}": NAMESPACE,
    "GET /api/storage/{namespace}": NAMESPACE,
    "GET /api/settings/repositories": SIGNED_IN,  # the caller's own repos: tests/api/test_repo_storage_listing.py
    "GET /api/organizations/{namespace}/settings/repositories": NAMESPACE,
    "PUT /api/quota/{namespace}": SITE_ADMIN,
    "POST /api/quota/{namespace}/recalculate": SITE_ADMIN,
    f"GET {_R}/collaborators": "list_collaborators",
    f"PUT {_R}/collaborators/{{username}}": "set_collaborator",
    f"DELETE {_R}/collaborators/{{username}}": "remove_collaborator",
    "POST /api/repos/create": SIGNED_IN,  # where a user may create: tests/api/test_repos.py, test_orgs.py
    "DELETE /api/repos/delete": "delete_repo",
    "POST /api/repos/move": "move_repo",
    f"PUT {_R}/settings": "settings",
    f"GET {_R}/lfs-files": "list_lfs_files",
    f"POST {_R}/lfs-files/batch": "delete_lfs_files",
    f"GET {_R}/auth-check": "auth_check",
    f"GET {_R}/auth-check/write": "auth_check_write",
    f"GET {_R}": "repo_info",
    f"GET {_R}/revision/{{revision}}": "revision_info",
    "GET /api/{plural}": PUBLIC,  # lists only what the caller may see: tests/api/test_repos.py
    f"GET {_R}/refs": "refs",
    f"POST {_R}/branch/{{branch}}": "create_branch",
    f"DELETE {_R}/branch/{{branch}}": "delete_branch",
    f"POST {_R}/tag/{{revision}}": "create_tag",
    f"DELETE {_R}/tag/{{tag}}": "delete_tag",
    f"GET {_R}/commits/{{revision}}": "commits",
    f"GET {_R}/commits/{{revision}}/{{path}}": "commits_of_path",
    f"GET {_R}/commit/{{revision}}": "commit_diff",
    f"GET {_R}/compare/{{spec}}": "compare",
    f"POST {_R}/super-squash/{{revision}}": "super_squash",
    f"POST {_R}/preupload/{{revision}}": ("preupload", "preupload_pr"),
    f"POST {_R}/commit/{{revision}}": ("commit", "commit_pr", "commit_to_pr"),
    f"GET {_R}/discussions": "list_discussions",
    f"POST {_R}/discussions": ("create_discussion", "create_pull_request"),
    f"GET {_R}/discussions/{{num}}": ("discussion_details", "pull_request_details"),
    f"POST {_R}/discussions/{{num}}/comment": ("comment_discussion", "comment_pull_request"),
    f"POST {_R}/discussions/{{num}}/title": "rename_discussion",
    f"POST {_R}/discussions/{{num}}/status": "change_discussion_status",
    f"POST {_R}/discussions/{{num}}/merge": "merge_pull_request",
    f"POST {_R}/discussions/{{num}}/comment/{{comment_id}}/edit": "edit_discussion_comment",
    f"POST {_R}/discussions/{{num}}/comment/{{comment_id}}/hide": "hide_discussion_comment",
}


def _operations(app) -> dict[str, object]:
    """"METHOD path" -> endpoint function, for every operation of the app's OpenAPI description."""
    described = {f"{method.upper()} {path}" for path, ops in app.openapi()["paths"].items() for method in ops}
    def flat(routes):  # included routers (no prefixes in this app) hold their routes inside
        for route in routes:
            yield from flat(route.original_router.routes) if hasattr(route, "original_router") else (route,)

    endpoints = {}
    for route in flat(app.routes):
        for method in getattr(route, "methods", None) or ():
            path = re.sub(r"{(\w+):\w+}", r"{\1}", route.path)  # {path:path} is {path} in OpenAPI
            if f"{method} {path}" in described:
                endpoints[f"{method} {path}"] = route.endpoint
    assert set(endpoints) == described, described - set(endpoints)
    return endpoints


def test_every_route_is_in_the_matrix(matrix: Matrix) -> None:
    operations = _operations(matrix.client.app)
    missing = sorted(set(operations) - set(ROUTES))
    assert not missing, "routes without a permission matrix entry (add a family or a guard):\n" + "\n".join(missing)
    stale = sorted(set(ROUTES) - set(operations))
    assert not stale, "matrix entries for routes that do not exist:\n" + "\n".join(stale)
    guards = {PUBLIC, SIGNED_IN, SITE_ADMIN, ORG_ADMIN, NAMESPACE, SIGNED_URL, XET_TOKEN, INVITATION, SELF}
    for operation, entry in ROUTES.items():
        if isinstance(entry, SameAs):
            # The other URL form runs the very code the canonical form's matrix cells exercise.
            assert not isinstance(ROUTES[entry.operation], SameAs), operation
            assert operations[operation].__code__ is operations[entry.operation].__code__, operation
        else:
            for name in (entry,) if isinstance(entry, str) else entry:
                assert name in FAMILIES or name in guards, (operation, name)
    assert {name for e in ROUTES.values() if not isinstance(e, SameAs)
            for name in ((e,) if isinstance(e, str) else e)} >= set(FAMILIES), "a family no route uses"
    print(f"permission matrix: {len(operations)} operations: "
          f"{sum(not isinstance(e, (str, SameAs)) or e in FAMILIES for e in ROUTES.values())} in matrix families, "
          f"{sum(isinstance(e, SameAs) for e in ROUTES.values())} other URL forms of them or of guarded routes, "
          f"{sum(isinstance(e, str) and e in guards for e in ROUTES.values())} guarded otherwise")


# --- the guards -----------------------------------------------------------------------------------------

_ANY_ANSWER_BUT_A_REFUSAL = "served"
_REFUSED = {403, 404}  # 404 where the hub hides that the thing exists

# guard -> caller -> the statuses that caller may get (refusals change nothing: see test_guard)
GUARDS: dict[str, dict[str, set[int] | str]] = {
    PUBLIC: {"anonymous": _ANY_ANSWER_BUT_A_REFUSAL},
    SIGNED_IN: {"anonymous": {401}, "invalid_token": {401}, "expired_token": {401}, "revoked_token": {401}},
    SITE_ADMIN: {"anonymous": {401}, "outsider": _REFUSED, "org_admin": _REFUSED, "member_read_token": _REFUSED,
                 "tampered_token": {401}},
    ORG_ADMIN: {"anonymous": {401}, "outsider": _REFUSED, "org_visitor": _REFUSED, "org_member": _REFUSED,
                "member_read_token": _REFUSED, "collaborator_write": _REFUSED},
    NAMESPACE: {"anonymous": {401}, "outsider": _REFUSED, "org_member": {200}, "member_read_token": {200}},
    # A hub credential never stands in for a signature or a Xet token.
    SIGNED_URL: {"anonymous": {403}, "site_admin": {403}},
    XET_TOKEN: {"anonymous": {401}, "site_admin": {401}},
    INVITATION: {"anonymous": {401, 404}, "outsider": {404}, "site_admin": {404}},  # an unknown invitation
    SELF: {"anonymous": {401}, "outsider": {403}, "org_member": {403}, "member_read_token": {403},
           "tampered_token": {401}},
}

_HEX = "0" * 64
PATH_VALUES = {
    "plural": "models", "plural_param": "models", "namespace": ORG, "name": "priv", "revision": "main",
    "path": "a.txt", "org": ORG, "session_id": "1", "token_id": "1",
    "username": "adm",  # an org admin: none of the refused callers may change them
    "oid": sha256(LFS_DATA), "upload_id": "u1", "number": "1", "token": "khinv_" + "x" * 43,
    "file_id": _HEX, "prefix": "default", "chunk_hash": _HEX, "xorb_hash": _HEX,
}
# Valid bodies, so that a refusal is the guard's and not the input's.
BODIES: dict[str, dict] = {
    "POST /api/validate-yaml": {"content": "license: mit\n", "repoType": "model"},
    "POST /api/auth/register": {"username": "newcomer", "email": "n@example.com", "password": PASSWORD},
    "POST /api/auth/login": {"username": "spare", "password": PASSWORD},
    "POST /api/auth/password": {"old_password": PASSWORD, "new_password": PASSWORD + "2"},
    "POST /api/auth/tokens/create": {"name": "t"},
    "PUT /api/auth/profile": {"fullname": "Intruder"},
    "PUT /api/organizations/{org}/settings": {"fullname": "Intruder"},
    "POST /admin/api/users": {"username": "intruder", "email": "i@example.com", "password": PASSWORD,
                              "is_admin": True},
    "PATCH /admin/api/users/{username}": {"is_admin": True},
    "POST /admin/api/repositories/{plural}/{namespace}/{name}/transfer": {"namespace": "outsider"},
    "PATCH /admin/api/repositories/{plural}/{namespace}/{name}": {"private": False},  # priv made public
    "PUT /admin/api/quotas/{namespace}": {"private": 1},
    "PUT /api/quota/{namespace}": {"private": 1},
    "POST /org/create": {"name": "neworg"},
    "POST /org/{org}/members": {"username": "spare", "role": "admin"},
    "PUT /org/{org}/members/{username}": {"role": "admin"},
    "POST /api/invitations/org/{org}/create": {"role": "admin"},
    "POST /api/invitations/register/create": {},
    "POST /{namespace}/{name}.git/info/lfs/locks/verify": {"ref": {"name": "refs/heads/main"}},
    "POST /api/lfs/verify/{oid}": {"oid": sha256(LFS_DATA), "size": len(LFS_DATA)},
    "POST /api/lfs/complete/{oid}/{upload_id}": {"oid": sha256(LFS_DATA), "parts": []},
    "POST /api/xet/cas/v1/reconstructions": {"file_id": _HEX},
}
RAW_BODIES = {"PUT /api/lfs/objects/{oid}": LFS_DATA, "PUT /api/lfs/parts/{oid}/{upload_id}/{number}": b"p",
              "PUT /api/users/{username}/avatar": png(), "PUT /api/organizations/{org}/avatar": png(),
              "POST /api/xet/cas/v1/xorbs/{prefix}/{xorb_hash}": b"x", "POST /api/xet/cas/v1/shards": b"s"}


def _site_state(m: Matrix) -> tuple:
    """What no refused call may change, as the site admin and the org's owner see it."""
    admin, owner = m.headers("site_admin"), bearer(m.owner_token)
    answers = []
    for path, headers in (("/admin/api/users", admin), ("/admin/api/repositories", admin),
                          ("/admin/api/quotas", admin), (f"/org/{ORG}/members", owner),
                          (f"/api/invitations/org/{ORG}/list", owner), (f"/api/organizations/{ORG}/overview", owner),
                          ("/api/users/adm/overview", owner)):
        resp = m.client.get(path, headers=headers)
        assert resp.status_code == 200, (path, resp.text)
        answers.append(resp.json())
    return (*answers, sorted(o.oid for o in LfsObject.select()), sorted(o.oid for o in XetFile.select()))


def _guarded() -> list[tuple[str, str, str]]:
    cases = []
    for operation, entry in ROUTES.items():
        if isinstance(entry, str) and entry in GUARDS:
            cases += [(operation, entry, caller) for caller in GUARDS[entry]]
    return cases


@pytest.mark.parametrize(("operation", "guard", "caller"), _guarded())
def test_guard(matrix: Matrix, operation: str, guard: str, caller: str) -> None:
    method, template = operation.split(" ")
    path = template.format(**PATH_VALUES)
    allowed = GUARDS[guard][caller]
    before = _site_state(matrix)
    kwargs: dict = {"content": RAW_BODIES[operation]} if operation in RAW_BODIES else (
        {"json": BODIES[operation]} if operation in BODIES else {})
    resp = matrix.client.request(method, path, headers=matrix.headers(caller), follow_redirects=False, **kwargs)
    matrix.client.cookies.clear()  # a login's session cookie must not sign the next "anonymous" caller in
    if allowed == _ANY_ANSWER_BUT_A_REFUSAL:
        assert resp.status_code < 500 and resp.status_code not in (401, 403), (operation, resp.text[:300])
        return
    assert resp.status_code in allowed, (operation, caller, resp.status_code, resp.text[:300])
    if resp.status_code >= 400:
        assert resp.headers.get("x-error-message"), resp.headers
        assert _site_state(matrix) == before, f"refused {operation} by {caller} changed the hub"

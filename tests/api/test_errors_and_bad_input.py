"""Bad input gets a 4xx naming the problem, and nothing is written (ARCHITECTURE.md, Rules)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from kohakuhub.db.models import LfsGrant, LfsObject
from tests.api.helpers import (
    NDJSON,
    api,
    assert_error,
    bearer,
    commit,
    create_repo,
    file_op,
    files,
    head,
    lfs_op,
    ndjson,
    sha256,
)

HOSTILE_PATHS = ["../a", "a/../../b", "/abs", "a//b", ".git/x", "sub/.git/config", "a\0b", "..\\ddd",
                 "a\\..\\..\\b", "x\\.git\\config", "\\abs", "C:\\x", "./a", "a/", "", "x" * 300,
                 "/".join(["d"] * 600)]
BIG = b"L" * 4096  # above the LFS threshold


def _snapshot(data_dir: Path) -> dict[str, int]:
    """Every file under the data dir except the database (whose pages change on reads too) and git's
    object store: blobs are written as commit lines stream in, and a rejected commit leaves them
    unreachable (invisible, pruned by git gc) exactly as an interrupted ``git push`` does."""
    out = {}
    for root, _, names in os.walk(data_dir):
        if "/objects" in root and ".git" in root:
            continue
        for name in names:
            if name.startswith("hub.db") or name.endswith(".lock"):
                continue
            path = Path(root) / name
            out[str(path.relative_to(data_dir))] = path.stat().st_size
    return out


class Unchanged:
    """Asserts the repo's head, files and the data dir's files are the same after a rejected request."""

    def __init__(self, hub_client, repo_id: str = "alice/bad") -> None:
        self.hc, self.repo_id = hub_client, repo_id

    def __enter__(self):
        client, token = self.hc.client, self.hc.token
        self.head = head(client, token, self.repo_id)
        self.files = files(client, token, self.repo_id)
        self.refs = client.get(f"{api(self.repo_id)}/refs", headers=bearer(token)).json()
        self.disk = _snapshot(self.hc.data_dir)
        self.lfs = LfsObject.select().count(), LfsGrant.select().count()
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            return False
        client, token = self.hc.client, self.hc.token
        assert head(client, token, self.repo_id) == self.head
        assert files(client, token, self.repo_id) == self.files
        assert client.get(f"{api(self.repo_id)}/refs", headers=bearer(token)).json() == self.refs
        assert (LfsObject.select().count(), LfsGrant.select().count()) == self.lfs
        after = _snapshot(self.hc.data_dir)
        new = sorted(set(after) - set(self.disk))
        assert not new, f"files written by a rejected request: {new}"
        return False


@pytest.fixture
def bad(hub_client):
    create_repo(hub_client.client, hub_client.token, "bad")
    commit(hub_client.client, hub_client.token, "alice/bad", [file_op("keep.txt", b"keep"), file_op("d/x", b"x")])
    return hub_client


def _post(hc, body: bytes, revision: str = "main", repo_id: str = "alice/bad"):
    return hc.client.post(f"{api(repo_id)}/commit/{revision}", content=body, headers={**bearer(hc.token), **NDJSON})


def _hostile_ops(path: str) -> list[list[dict]]:
    ops_per_kind = [
        [file_op(path, b"data")],
        [file_op("fine.txt", b"ok"), file_op(path, BIG)],  # a good line first: still all-or-nothing
        [{"key": "deletedFile", "value": {"path": path}}],
        [{"key": "copyFile", "value": {"path": path, "srcPath": "keep.txt"}}],
        [{"key": "copyFile", "value": {"path": "copy.txt", "srcPath": path}}],
        [lfs_op(path, oid=sha256(b"x"), size=1)],
    ]
    if path not in ("a/", ""):  # "dir/" is the legitimate deletedFolder form
        ops_per_kind.append([{"key": "deletedFolder", "value": {"path": path}}])
    return ops_per_kind


def test_hostile_paths_in_commit_are_422(bad):
    for path in HOSTILE_PATHS:
        for ops in _hostile_ops(path):
            with Unchanged(bad):
                resp = _post(bad, ndjson(ops))
                assert_error(resp, 422)
                assert "path" in resp.json()["error"].lower(), (path, resp.json())


def test_hostile_paths_in_preupload_are_422(bad):
    for path in HOSTILE_PATHS:
        with Unchanged(bad):
            resp = bad.client.post(f"{api('alice/bad')}/preupload/main",
                                   json={"files": [{"path": "ok.txt", "size": 1, "sample": ""},
                                                   {"path": path, "size": 1, "sample": ""}]},
                                   headers=bearer(bad.token))
            assert_error(resp, 422)


def test_deleted_folder_root_is_rejected(bad):
    for path in ("/", "//", "d//"):
        with Unchanged(bad):
            assert_error(_post(bad, ndjson([{"key": "deletedFolder", "value": {"path": path}}])), 422)


def test_invalid_repo_names(hub_client):
    client, token = hub_client.client, hub_client.token
    before = _snapshot(hub_client.data_dir)
    for name in ["bad name", "a--b", "a..b", "x.git", "-x", ".hidden", "x" * 97, "a/b", "émoji", ""]:
        resp = client.post("/api/repos/create", json={"name": name}, headers=bearer(token))
        assert_error(resp, 400)
        if name:  # an empty organization means the caller's own namespace, as null does
            resp = client.post("/api/repos/create", json={"name": "fine", "organization": name},
                               headers=bearer(token))
            assert resp.status_code in (400, 403) and resp.headers["x-error-message"], name
    assert _snapshot(hub_client.data_dir) == before
    assert client.get("/api/models?author=alice").json() == []


def test_invalid_move_targets(bad):
    client, token = bad.client, bad.token
    for target in ("alice/bad name", "alice", "alice/a/b", "alice/x.git", "nobody/x"):
        with Unchanged(bad):
            resp = client.post("/api/repos/move", json={"fromRepo": "alice/bad", "toRepo": target, "type": "model"},
                               headers=bearer(token))
            assert resp.status_code in (400, 403, 404) and resp.headers["x-error-message"], (target, resp.text)


# ".." is sent percent-encoded: HTTP clients normalize a literal ".." segment away.
BAD_REVISIONS = ["nope", "refs%2Fheads%2Fnope", "%2E%2E", "a..b", "%00", "main%00x", "x" * 300,
                 "refs%2Ftags%2Fv1", "HEAD%5E", "main~1", "main%3A", "%20", "refs%2Fheads%2F%2E%2E%2Fmain"]


def test_commit_to_invalid_or_missing_revision(bad):
    bad.client.post(f"{api('alice/bad')}/tag/main", json={"tag": "v1"}, headers=bearer(bad.token))
    for revision in BAD_REVISIONS:
        with Unchanged(bad):
            resp = _post(bad, ndjson([file_op("new.txt", b"n")]), revision=revision)
            assert_error(resp, 404, "RevisionNotFound")


def test_read_invalid_revision(bad):
    client, token = bad.client, bad.token
    for revision in BAD_REVISIONS:
        if "v1" in revision:
            continue
        for url in (f"{api('alice/bad')}/revision/{revision}", f"{api('alice/bad')}/tree/{revision}",
                    f"/alice/bad/resolve/{revision}/keep.txt", f"{api('alice/bad')}/commits/{revision}"):
            assert_error(client.get(url, headers=bearer(token)), 404, "RevisionNotFound")


MALFORMED = [
    b"not json at all\n",
    b'["a list"]\n',
    b'{"key":"header"}\n',
    b'{"value":{"summary":"x"}}\n',
    b'{"key":"header","value":{"summary":"x"}}\n{"key":"nonsense","value":{}}\n',
    b'{"key":"file","value":{"path":"a","content":"YQ==","encoding":"base64"}}\n',  # no header first
    b'{"key":"header","value":{"summary":"x"}}\n{"key":"header","value":{"summary":"y"}}\n',
    b"",
    b"\n\n",
    b'{"key":"header","value":{"summary":"x"}}\n{"key":"file","value":{"path":"a","content":"YQ==","encoding":"hex"}}\n',
    b'{"key":"header","value":{"summary":"x"}}\n{"key":"file","value":{"path":"a","content":12,"encoding":"base64"}}\n',
    b'{"key":"header","value":{"summary":"x"}}\n{"key":"file","value":{"content":"YQ==","encoding":"base64"}}\n',
    b'{"key":"header","value":{"summary":"x","parentCommit":"not-hex"}}\n',
    b'{"key":"header","value":{"summary":"x"}}\n{"key":"lfsFile","value":{"path":"a.bin","oid":"abc","algo":"sha256"}}\n',
    b'{"key":"header","value":{"summary":"x"}}\n\xff\xfe\n',
]


def test_malformed_ndjson(bad):
    for body in MALFORMED:
        with Unchanged(bad):
            resp = _post(bad, body)
            assert_error(resp, 400)


def test_truncated_ndjson(bad):
    full = ndjson([file_op("a.txt", b"a" * 100), file_op("b.bin", BIG)])
    for cut in (len(full) - 1 - 10, len(full) // 2, 30):
        with Unchanged(bad):
            assert_error(_post(bad, full[:cut]), 400)


def test_invalid_base64(bad):
    for content in ["###", "YQ", "YQ=", "YQ==YQ==", "Y Q==", "YQ==\u00e9", "====", "A" * 2_000_001]:
        line = {"key": "file", "value": {"path": "a.txt", "content": content, "encoding": "base64"}}
        body = ndjson([file_op("first.bin", BIG)]) + json.dumps(line).encode() + b"\n"
        with Unchanged(bad):
            assert_error(_post(bad, body), 400)


def test_lfs_file_never_uploaded(bad):
    data = b"never uploaded" * 200
    with Unchanged(bad):
        resp = _post(bad, ndjson([file_op("ok.bin", BIG), lfs_op("ghost.bin", data)]))
        assert 400 <= resp.status_code < 500 and resp.headers["x-error-message"]
        assert sha256(data) in resp.json()["error"]


def test_body_over_limit_is_413(make_hub):
    hc = make_hub(max_commit_body_bytes=8 * 1024)
    create_repo(hc.client, hc.token, "bad")
    with Unchanged(hc):
        resp = _post(hc, ndjson([file_op("a.bin", os.urandom(4000)), file_op("b.bin", os.urandom(4000))]))
        assert_error(resp, 413)
    # One huge line, streamed.
    with Unchanged(hc):
        assert_error(_post(hc, ndjson([file_op("big.bin", os.urandom(64 * 1024))])), 413)
    # Just below the limit works.
    assert _post(hc, ndjson([file_op("a.bin", os.urandom(3000))])).status_code == 200


def test_commit_to_missing_repo(hub_client):
    resp = _post(hub_client, ndjson([file_op("a", b"a")]), repo_id="alice/none")
    assert_error(resp, 404, "RepoNotFound")
    resp = hub_client.client.post("/api/models/alice/none/commit/main", content=ndjson([file_op("a", b"a")]),
                                  headers=NDJSON)
    assert_error(resp, 401, "RepoNotFound")


def test_commit_by_non_owner_is_403_and_writes_nothing(bad):
    bob = bad.new_user("bob")
    with Unchanged(bad):
        resp = bad.client.post(f"{api('alice/bad')}/commit/main", content=ndjson([file_op("x.bin", BIG)]),
                               headers={**bearer(bob), **NDJSON})
        assert_error(resp, 403)


def test_bad_pull_request_commits_are_refused_cleanly(bad):
    """create_pr with a bad flag, an unknown target or parent, or an invalid operation opens nothing."""
    cases = [
        ("main?create_pr=maybe", ndjson([file_op("a", b"a")]), 400, None),
        ("no-such-branch?create_pr=1", ndjson([file_op("a", b"a")]), 404, "RevisionNotFound"),
        ("main?create_pr=1", ndjson([file_op("a", b"a")], parent="abcdef1"), 404, "RevisionNotFound"),
        ("main?create_pr=1", ndjson([{"key": "deletedFile", "value": {"path": "missing.txt"}}]), 404, "EntryNotFound"),
        ("main?create_pr=1", ndjson([file_op("../escape", b"a")]), 422, None),
        ("refs%2Fpr%2F7", ndjson([file_op("a", b"a")]), 404, "RevisionNotFound"),
    ]
    for target, body, status, code in cases:
        with Unchanged(bad):
            resp = bad.client.post(f"{api('alice/bad')}/commit/{target}", content=body,
                                   headers={**bearer(bad.token), **NDJSON})
            assert_error(resp, status, code)
        listing = bad.client.get(f"{api('alice/bad')}/discussions", headers=bearer(bad.token)).json()
        assert listing["count"] == 0, (target, listing)
        refs = bad.client.get(f"{api('alice/bad')}/refs?include_prs=1", headers=bearer(bad.token)).json()
        assert refs["pullRequests"] == [], (target, refs)


def test_unknown_routes_and_methods_carry_error_headers(hub_client):
    client = hub_client.client
    for method, url in [("GET", "/api/nothing-here/a/b/c/d/e"), ("DELETE", "/api/whoami-v2"),
                        ("GET", "/api/models/alice/x/unknown-action")]:
        resp = client.request(method, url, headers=hub_client.auth())
        assert resp.status_code in (404, 405)
        assert resp.headers["x-error-message"] and resp.headers["x-request-id"]


def test_bad_json_bodies(hub_client):
    client = hub_client.client
    create_repo(client, hub_client.token, "j")
    for url in ("/api/repos/create", f"{api('alice/j')}/preupload/main", f"{api('alice/j')}/tag/main"):
        resp = client.post(url, content=b"{broken", headers={**hub_client.auth(), "Content-Type": "application/json"})
        assert_error(resp, 400)
    for body in (b'{"paths": "a.txt"}', b"{broken", b'["a.txt"]', b'{"paths": [1, null]}'):
        resp = client.post(f"{api('alice/j')}/paths-info/main", content=body,
                           headers={**hub_client.auth(), "Content-Type": "application/json"})
        assert_error(resp, 400)
    for files_ in ([{"path": "a", "size": -1}], [{"path": "a", "size": True}], [{"path": "a", "size": "1"}], [1]):
        resp = client.post(f"{api('alice/j')}/preupload/main", json={"files": files_}, headers=hub_client.auth())
        assert_error(resp, 400)
    resp = client.post("/alice/j.git/info/lfs/objects/batch", headers=hub_client.auth(),
                       json={"operation": "upload", "objects": [{"oid": "a" * 64, "size": True}]})
    assert_error(resp, 400)


def test_paths_info_over_1000_paths_is_413(hub_client):
    client = hub_client.client
    create_repo(client, hub_client.token, "j")
    resp = client.post(f"{api('alice/j')}/paths-info/main", data={"paths": [f"p{i}" for i in range(1001)]},
                       headers=hub_client.auth())
    assert_error(resp, 413)
    resp = client.post(f"{api('alice/j')}/paths-info/main", data={"paths": [f"p{i}" for i in range(1000)]},
                       headers=hub_client.auth())
    assert resp.status_code == 200 and resp.json() == []


def test_base64_content_of_invalid_utf8_path_bytes(bad):
    raw = b'{"key":"header","value":{"summary":"x"}}\n{"key":"file","value":{"path":"\\ud800","content":"' \
          + base64.b64encode(b"x") + b'","encoding":"base64"}}\n'
    with Unchanged(bad):
        resp = _post(bad, raw)
        assert resp.status_code in (400, 422) and resp.headers["x-error-message"]


def test_out_of_range_numbers_are_400_not_500(hub_client):
    client = hub_client.client
    create_repo(client, hub_client.token, "n")
    huge = "9" * 25
    for url in (f"/api/models?cursor={huge}", "/api/models?cursor=-1", f"{api('alice/n')}/commits/main?p={huge}",
                f"{api('alice/n')}/commits/main?p=4611686018427387904&limit=2"):
        assert_error(client.get(url, headers=hub_client.auth()), 400)
    assert_error(client.delete(f"/api/auth/tokens/{huge}", headers=hub_client.auth()), 400)
    assert client.get(f"{api('alice/n')}/commits/main?p=1000", headers=hub_client.auth()).json() == []


def test_unexpected_crash_still_carries_error_headers(hub_client, monkeypatch):
    from fastapi.testclient import TestClient

    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(hub_client.hub.repos, "list_repos", boom)
    client = TestClient(hub_client.client.app, raise_server_exceptions=False)
    resp = client.get("/api/models")
    assert_error(resp, 500)
    assert "simulated" not in resp.text  # internals are not leaked
    assert resp.json() == {"error": "Internal server error"}


def test_api_paths_that_end_like_git_paths_answer_json(hub_client):
    """The error shape follows the route that answered, not how the URL ends: a repo API call for a repo
    named ``info/refs`` (schemathesis found this) is an API error in JSON, and a real git path stays text."""
    client = hub_client.client
    bogus = {"Authorization": "Bearer khub_not-a-token"}
    for method, path in (("GET", "/api/models/info/refs"), ("DELETE", "/admin/api/repositories/models/info/refs")):
        resp = client.request(method, path, headers=bogus)
        assert resp.status_code == 401, (path, resp.text)
        assert resp.headers["content-type"].startswith("application/json"), path
        assert "error" in resp.json()
    resp = client.get("/alice/bad/info/refs?service=git-upload-pack", headers=bogus)
    assert resp.status_code == 401 and resp.headers["content-type"].startswith("text/plain")

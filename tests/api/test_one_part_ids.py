"""A repo id without a namespace (``gpt2``) gets the Hub's repo-not-found answer on every repo route:
401 anonymous (with a Basic challenge for git and LFS), 404 signed in, ``X-Error-Code: RepoNotFound``;
an invalid token is refused as such. Nothing is created or changed."""

from __future__ import annotations

import pytest

from tests.api.helpers import LFS_HEADERS, NDJSON, bearer, create_repo, ndjson
from tests.api.test_errors_and_bad_input import _snapshot

# (method, path, keyword arguments) for every repo route family, with the one-part id "gpt2".
CALLS = [
    ("GET", "/api/models/gpt2", {}),
    ("GET", "/api/datasets/gpt2", {}),
    ("GET", "/api/spaces/gpt2", {}),
    ("GET", "/api/models/gpt2/revision/main", {}),
    ("GET", "/api/datasets/gpt2/revision/refs%2Fpr%2F1", {}),
    ("GET", "/api/models/gpt2/tree/main", {}),
    ("GET", "/api/models/gpt2/tree/main/sub%2Fdir", {}),
    ("POST", "/api/models/gpt2/paths-info/main", {"data": {"paths": ["a.txt"]}}),
    ("POST", "/api/models/gpt2/preupload/main", {"json": {"files": [{"path": "a", "size": 1, "sample": ""}]}}),
    ("POST", "/api/models/gpt2/commit/main", {"content": ndjson([]), "headers": NDJSON}),
    ("GET", "/api/models/gpt2/refs", {}),
    ("GET", "/api/models/gpt2/commits/main", {}),
    ("POST", "/api/models/gpt2/branch/dev", {"json": {}}),
    ("DELETE", "/api/models/gpt2/branch/dev", {}),
    ("POST", "/api/models/gpt2/tag/main", {"json": {"tag": "v1"}}),
    ("DELETE", "/api/models/gpt2/tag/v1", {}),
    ("POST", "/api/models/gpt2/super-squash/main", {"json": {}}),
    ("PUT", "/api/models/gpt2/settings", {"json": {"private": True}}),
    ("GET", "/api/models/gpt2/auth-check", {}),
    ("GET", "/api/models/gpt2/auth-check/write", {}),
    ("GET", "/api/models/gpt2/xet-read-token/main", {}),
    ("GET", "/api/models/gpt2/xet-write-token/main", {}),
    ("GET", "/api/models/gpt2/lfs-files", {}),
    ("GET", "/api/models/gpt2/discussions", {}),
    ("GET", "/api/models/gpt2/resolve/main/config.json", {}),
    ("GET", "/gpt2/resolve/main/config.json", {}),
    ("HEAD", "/gpt2/resolve/main/config.json", {}),
    ("GET", "/datasets/gpt2/resolve/main/data.csv", {}),
    ("HEAD", "/spaces/gpt2/resolve/main/app.py", {}),
]
GIT_CALLS = [
    ("GET", "/gpt2.git/info/refs?service=git-upload-pack", {}),
    ("GET", "/gpt2/info/refs?service=git-upload-pack", {}),
    ("GET", "/gpt2.git/info/refs?service=git-receive-pack", {}),
    ("POST", "/gpt2.git/git-upload-pack", {"content": b"0000",
                                          "headers": {"Content-Type": "application/x-git-upload-pack-request"}}),
    ("POST", "/gpt2.git/git-receive-pack", {"content": b"0000",
                                           "headers": {"Content-Type": "application/x-git-receive-pack-request"}}),
]
LFS_CALLS = [
    ("POST", "/gpt2.git/info/lfs/objects/batch", {"json": {"operation": "download", "objects": []},
                                                  "headers": LFS_HEADERS}),
    ("POST", "/gpt2/info/lfs/objects/batch", {"json": {"operation": "upload", "objects": []},
                                              "headers": LFS_HEADERS}),
]


def _call(client, method, path, kwargs, token):
    headers = {**kwargs.get("headers", {}), **bearer(token)}
    rest = {k: v for k, v in kwargs.items() if k != "headers"}
    return client.request(method, path, headers=headers, follow_redirects=False, **rest)


@pytest.mark.parametrize(("method", "path", "kwargs"), CALLS + GIT_CALLS + LFS_CALLS)
def test_one_part_id_is_repo_not_found(hub_client, method, path, kwargs):
    client = hub_client.client
    create_repo(client, hub_client.token, "gpt2")  # alice/gpt2 exists: the one-part id is still not it
    before = _snapshot(hub_client.data_dir)
    for token, status in ((None, 401), (hub_client.token, 404)):
        resp = _call(client, method, path, kwargs, token)
        assert resp.status_code == status, (path, token, resp.status_code, resp.text[:300])
        assert resp.headers["x-error-code"] == "RepoNotFound", resp.headers
        assert resp.headers["x-error-message"] and resp.headers["x-request-id"]
        if (method, path, kwargs) in GIT_CALLS + LFS_CALLS and status == 401:
            assert resp.headers["www-authenticate"].startswith("Basic"), resp.headers
        if (method, path, kwargs) in LFS_CALLS:
            assert resp.headers["content-type"].startswith("application/vnd.git-lfs+json")
            assert resp.json()["message"]
        elif method != "HEAD" and (method, path, kwargs) not in GIT_CALLS:
            assert resp.json()["error"]
    bad = _call(client, method, path, kwargs, "khub_" + "x" * 43)
    assert bad.status_code == 401 and "x-error-code" not in bad.headers, bad.headers
    assert _snapshot(hub_client.data_dir) == before


def test_other_unrouted_requests_keep_their_plain_answer(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "m1")
    for method, path, status in (("GET", "/api/nothing-here", 404), ("DELETE", "/api/models/alice/m1", 405),
                                 ("GET", "/api/models/alice/m1/no-such-thing/x", 404), ("GET", "/gpt2/blob", 404)):
        resp = client.request(method, path, headers=bearer(token))
        assert resp.status_code == status, (path, resp.status_code)
        assert "x-error-code" not in resp.headers, (path, resp.headers)

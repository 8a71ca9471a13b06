"""Reading: tree, paths-info, revision info, and /resolve on every URL form (sections 2.5, 2.6, 3)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.helpers import (
    PREFIX,
    api,
    assert_error,
    bearer,
    commit,
    create_repo,
    file_op,
    git_blob_sha1,
    head,
    lfs_op,
    lfs_upload,
    sha256,
)
from tests.s3_support import S3_MODE

SMALL = b"hello world\n"
BIG = bytes(range(256)) * 20  # 5120 bytes: above the 1024-byte LFS threshold


@pytest.fixture
def repo(hub_client):
    """alice/r with a small file, nested dirs and one LFS file (committed inline, stored as LFS)."""
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "r")
    commit(client, token, "alice/r", [
        file_op("a.txt", SMALL),
        file_op("dir/b.txt", b"b"),
        file_op("dir/sub/c.txt", b"c"),
        file_op("dir/sub/d e?.txt", b"odd name"),
        file_op("weights.bin", BIG),
    ], summary="add files")
    return hub_client


def _tree(client, url, token):
    resp = client.get(url, headers=bearer(token))
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_tree_root_and_recursive(repo):
    client, token = repo.client, repo.token
    top = _tree(client, f"{api('alice/r')}/tree/main?recursive=false&expand=false", token)
    assert [(e["type"], e["path"]) for e in top] == [
        ("file", ".gitattributes"), ("file", "a.txt"), ("directory", "dir"), ("file", "weights.bin")]
    a = next(e for e in top if e["path"] == "a.txt")
    assert a["oid"] == git_blob_sha1(SMALL) and a["size"] == len(SMALL) and "lfs" not in a
    directory = next(e for e in top if e["path"] == "dir")
    assert re.fullmatch(r"[0-9a-f]{40}", directory["oid"])
    weights = next(e for e in top if e["path"] == "weights.bin")
    assert weights["size"] == len(BIG)
    assert weights["lfs"]["oid"] == sha256(BIG) and weights["lfs"]["size"] == len(BIG)
    assert weights["lfs"]["pointerSize"] > 100
    assert "lastCommit" not in weights

    full = _tree(client, f"{api('alice/r')}/tree/main?recursive=true&expand=false", token)
    assert [e["path"] for e in full] == [
        ".gitattributes", "a.txt", "dir", "dir/b.txt", "dir/sub", "dir/sub/c.txt", "dir/sub/d e?.txt",
        "weights.bin"]


def test_tree_sub_path_percent_encoded(repo):
    client, token = repo.client, repo.token
    for sub in ("dir%2Fsub", "dir/sub"):
        entries = _tree(client, f"{api('alice/r')}/tree/main/{sub}?recursive=false&expand=false", token)
        assert [e["path"] for e in entries] == ["dir/sub/c.txt", "dir/sub/d e?.txt"]
    entries = _tree(client, f"{api('alice/r')}/tree/refs%2Fheads%2Fmain/dir?recursive=true&expand=false", token)
    assert [e["path"] for e in entries] == ["dir/b.txt", "dir/sub", "dir/sub/c.txt", "dir/sub/d e?.txt"]


def test_tree_errors(repo):
    client, token = repo.client, repo.token
    resp = client.get(f"{api('alice/r')}/tree/main/nope", headers=bearer(token))
    assert_error(resp, 404, "EntryNotFound")
    resp = client.get(f"{api('alice/r')}/tree/main/a.txt", headers=bearer(token))
    assert_error(resp, 404, "EntryNotFound")
    resp = client.get(f"{api('alice/r')}/tree/nope-branch", headers=bearer(token))
    assert_error(resp, 404, "RevisionNotFound")
    resp = client.get(f"{api('alice/r')}/tree/main/..%2F..%2Fetc", headers=bearer(token))
    assert_error(resp, 404, "EntryNotFound")
    resp = client.get(f"{api('alice/missing')}/tree/main", headers=bearer(token))
    assert_error(resp, 404, "RepoNotFound")


def test_tree_expand_last_commit(repo):
    client, token = repo.client, repo.token
    first = head(client, token, "alice/r")
    commit(client, token, "alice/r", [file_op("a.txt", b"changed")], summary="change a")
    second = head(client, token, "alice/r")
    entries = _tree(client, f"{api('alice/r')}/tree/main?recursive=false&expand=true", token)
    by_path = {e["path"]: e for e in entries}
    assert by_path["a.txt"]["lastCommit"]["id"] == second
    assert by_path["a.txt"]["lastCommit"]["title"] == "change a"
    assert by_path["weights.bin"]["lastCommit"]["id"] == first
    assert by_path["dir"]["lastCommit"]["id"] == first
    assert by_path[".gitattributes"]["lastCommit"]["title"] in ("initial commit", "add files")
    assert all(re.fullmatch(r".+T.+Z", e["lastCommit"]["date"]) for e in entries)


def test_tree_cursor_pagination(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "many")
    commit(client, token, "alice/many", [file_op(f"d/f{i:02}.txt", str(i).encode()) for i in range(7)])
    url = f"{api('alice/many')}/tree/main/d?recursive=true&expand=true&limit=3"
    seen, pages = [], 0
    while url:
        resp = client.get(url, headers=bearer(token))
        assert resp.status_code == 200, resp.text
        seen += [e["path"] for e in resp.json()]
        assert all("lastCommit" in e for e in resp.json())
        pages += 1
        link = resp.headers.get("link")
        url = None
        if link:
            url = re.fullmatch(r'<(.+)>; rel="next"', link).group(1)
            parts = urlsplit(url)
            assert parts.scheme == "http" and parts.netloc == "testserver"
            assert parts.path == "/api/models/alice/many/tree/main/d"
            query = parse_qs(parts.query)
            assert query["recursive"] == ["true"] and query["expand"] == ["true"]
            assert query["limit"] == ["3"] and query["cursor"]
    assert pages == 3
    assert seen == [f"d/f{i:02}.txt" for i in range(7)]


def test_tree_pagination_keeps_encoded_sub_path(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "enc")
    commit(client, token, "alice/enc", [file_op(f"x/y/f{i}.txt", b"1") for i in range(3)])
    resp = client.get(f"{api('alice/enc')}/tree/refs%2Fheads%2Fmain/x%2Fy?recursive=false&expand=false&limit=2",
                      headers=bearer(token))
    assert resp.status_code == 200
    url = re.fullmatch(r'<(.+)>; rel="next"', resp.headers["link"]).group(1)
    resp2 = client.get(url, headers=bearer(token))
    assert resp2.status_code == 200, resp2.text
    assert [e["path"] for e in resp.json() + resp2.json()] == ["x/y/f0.txt", "x/y/f1.txt", "x/y/f2.txt"]


def test_paths_info_form_encoded(repo):
    client, token = repo.client, repo.token
    resp = client.post(f"{api('alice/r')}/paths-info/main",
                       content="paths=a.txt&paths=dir&paths=weights.bin&paths=missing.txt&expand=false",
                       headers={**bearer(token), "Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status_code == 200, resp.text
    by_path = {e["path"]: e for e in resp.json()}
    assert set(by_path) == {"a.txt", "dir", "weights.bin"}
    assert by_path["dir"]["type"] == "directory"
    assert by_path["weights.bin"]["lfs"]["oid"] == sha256(BIG)
    assert "lastCommit" not in by_path["a.txt"]

    resp = client.post(f"{api('alice/r')}/paths-info/refs%2Fheads%2Fmain",
                       data={"paths": ["dir/sub/c.txt"], "expand": "true"}, headers=bearer(token))
    assert resp.status_code == 200
    [entry] = resp.json()
    assert entry["lastCommit"]["title"] == "add files"

    resp = client.post(f"{api('alice/r')}/paths-info/nope", data={"paths": ["a.txt"]}, headers=bearer(token))
    assert_error(resp, 404, "RevisionNotFound")


def test_revision_endpoint(repo):
    client, token = repo.client, repo.token
    sha = head(client, token, "alice/r")
    client.post(f"{api('alice/r')}/tag/main", json={"tag": "v1.0"}, headers=bearer(token))
    for rev in ("main", "refs%2Fheads%2Fmain", sha, sha[:8], "v1.0", "refs%2Ftags%2Fv1.0"):
        resp = client.get(f"{api('alice/r')}/revision/{rev}", headers=bearer(token))
        assert resp.status_code == 200, (rev, resp.text)
        assert resp.json()["sha"] == sha


# --- resolve ------------------------------------------------------------------------------------------


def _resolve_urls(repo_type: str, repo_id: str, rev: str, path: str) -> list[str]:
    plural = {"model": "models", "dataset": "datasets", "space": "spaces"}[repo_type]
    return [f"/{PREFIX[repo_type]}{repo_id}/resolve/{rev}/{path}",
            f"/api/{plural}/{repo_id}/resolve/{rev}/{path}"]


@pytest.mark.parametrize("repo_type", ["model", "dataset", "space"])
def test_resolve_every_url_form(hub_client, repo_type):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "res", repo_type)
    commit(client, token, "alice/res", [file_op("sub/a.txt", SMALL)], repo_type=repo_type)
    sha = head(client, token, "alice/res", repo_type)
    client.post(f"{api('alice/res', repo_type)}/tag/main", json={"tag": "v1"}, headers=bearer(token))
    for rev in ("main", "refs%2Fheads%2Fmain", sha, sha[:7], "v1"):
        for url in _resolve_urls(repo_type, "alice/res", rev, "sub/a.txt"):
            h = client.head(url, headers={**bearer(token), "Accept-Encoding": "identity"})
            assert h.status_code == 200, (url, h.status_code, h.text)
            assert h.headers["x-repo-commit"] == sha
            assert h.headers["etag"] == f'"{git_blob_sha1(SMALL)}"'
            assert h.headers["content-length"] == str(len(SMALL))
            assert h.headers["accept-ranges"] == "bytes"
            assert h.headers["x-request-id"]
            assert "content-encoding" not in h.headers
            g = client.get(url, headers=bearer(token))
            assert g.status_code == 200 and g.content == SMALL


def test_resolve_regular_file_ranges(repo):
    client = repo.client
    url = "/alice/r/resolve/main/a.txt"
    resp = client.get(url, headers={"range": "bytes=2-5"})
    assert resp.status_code == 206
    assert resp.content == SMALL[2:6]
    assert resp.headers["content-range"] == f"bytes 2-5/{len(SMALL)}"
    assert resp.headers["content-length"] == "4"
    assert resp.headers["x-repo-commit"]
    resp = client.get(url, headers={"range": "bytes=5-"})
    assert resp.status_code == 206 and resp.content == SMALL[5:]
    resp = client.get(url, headers={"range": "bytes=-3"})
    assert resp.status_code == 206 and resp.content == SMALL[-3:]
    resp = client.get(url, headers={"range": f"bytes={len(SMALL)}-"})
    assert_error(resp, 416)
    assert resp.headers["content-range"] == f"bytes */{len(SMALL)}"


def test_resolve_lfs_file(repo):
    client, token = repo.client, repo.token
    sha = head(client, token, "alice/r")
    for url in ("/alice/r/resolve/main/weights.bin", "/api/models/alice/r/resolve/main/weights.bin"):
        h = client.head(url, headers={"Accept-Encoding": "identity"}, follow_redirects=False)
        assert h.status_code == 200, h.text
        assert h.headers["x-repo-commit"] == sha
        assert h.headers["x-linked-etag"] == f'"{sha256(BIG)}"'
        assert h.headers["etag"] == f'"{sha256(BIG)}"'
        assert h.headers["x-linked-size"] == str(len(BIG))
        assert h.headers["content-length"] == str(len(BIG))
        assert h.headers["accept-ranges"] == "bytes"
        g = client.get(url, follow_redirects=False)
        if S3_MODE:  # a 302 to a presigned S3 URL, with the metadata on the 302 itself (protocol section 3)
            assert g.status_code == 302
            assert g.headers["x-repo-commit"] == sha and g.headers["x-linked-size"] == str(len(BIG))
            assert g.headers["x-linked-etag"] == g.headers["etag"] == f'"{sha256(BIG)}"'
            g = client.get(url)
            assert g.status_code == 200 and g.content == BIG
            continue
        assert g.status_code == 200
        assert g.content == BIG
        assert g.headers["x-repo-commit"] == sha
    part = client.get("/alice/r/resolve/main/weights.bin", headers={"range": "bytes=1000-2999"})
    assert part.status_code == 206
    assert part.content == BIG[1000:3000]
    assert part.headers["content-range"] == f"bytes 1000-2999/{len(BIG)}"
    tail = client.get("/alice/r/resolve/main/weights.bin", headers={"range": "bytes=5000-"})
    assert tail.status_code == 206 and tail.content == BIG[5000:]
    past = client.get("/alice/r/resolve/main/weights.bin", headers={"range": f"bytes={len(BIG)}-"})
    if S3_MODE:
        assert past.status_code == 416  # answered by S3 after the redirect
    else:
        assert_error(past, 416)


def test_resolve_lfs_uploaded_through_batch(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "lfsr", "dataset")
    data = b"\x00\x01payload" * 1000
    oid = lfs_upload(client, token, "alice/lfsr", data, "dataset")
    commit(client, token, "alice/lfsr", [lfs_op("data/x.parquet", data)], repo_type="dataset")
    resp = client.get("/datasets/alice/lfsr/resolve/main/data%2Fx.parquet")
    resp = client.get("/datasets/alice/lfsr/resolve/main/data/x.parquet")
    assert resp.status_code == 200 and resp.content == data
    if S3_MODE:  # the final answer comes from S3; the hub's headers are on the 302
        resp = client.get("/datasets/alice/lfsr/resolve/main/data/x.parquet", follow_redirects=False)
    assert resp.headers["etag"] == f'"{oid}"'


def test_resolve_quoted_file_path(repo):
    client = repo.client
    resp = client.get("/alice/r/resolve/main/dir/sub/d%20e%3F.txt")
    assert resp.status_code == 200, resp.text
    assert resp.content == b"odd name"


def test_resolve_errors(repo):
    client, token = repo.client, repo.token
    sha = head(client, token, "alice/r")
    for method in ("HEAD", "GET"):
        resp = client.request(method, "/alice/r/resolve/main/missing.txt")
        assert resp.status_code == 404
        assert resp.headers["x-error-code"] == "EntryNotFound"
        assert resp.headers["x-repo-commit"] == sha
        assert resp.headers["x-request-id"] and resp.headers["x-error-message"]
        resp = client.request(method, "/alice/r/resolve/main/dir")  # a directory is not a file
        assert resp.status_code == 404 and resp.headers["x-error-code"] == "EntryNotFound"
        resp = client.request(method, "/alice/r/resolve/nope/a.txt")
        assert resp.status_code == 404 and resp.headers["x-error-code"] == "RevisionNotFound"
        resp = client.request(method, "/alice/nothing/resolve/main/a.txt")
        assert resp.status_code == 401 and resp.headers["x-error-code"] == "RepoNotFound"
        resp = client.request(method, "/alice/nothing/resolve/main/a.txt", headers=bearer(token))
        assert resp.status_code == 404 and resp.headers["x-error-code"] == "RepoNotFound"
    assert_error(client.get("/alice/r/resolve/main/..%2Fa.txt"), 404, "EntryNotFound")

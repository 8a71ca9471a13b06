"""``GET .../lfs-files`` and ``POST .../lfs-files/batch``: a repo's LFS objects and their permanent deletion,
as the Hub does (huggingface_hub's ``test_list_and_delete_lfs_files`` describes it)."""

from __future__ import annotations

import re
import subprocess

import pytest

from kohakuhub.db.models import LfsGrant, LfsObject, RepoLfsObject
from tests.api.helpers import (
    api,
    assert_error,
    bearer,
    commit,
    create_repo,
    file_op,
    files,
    git_dir,
    head,
    lfs_batch,
    lfs_op,
    lfs_upload,
    sha256,
)

A, B, BRANCH, SHARED = (bytes([n]) * (2000 + n) for n in (1, 2, 3, 4))  # above the 1 KiB test threshold


def _quota(client, token) -> int:
    body = client.get("/api/quota/alice", headers=bearer(token)).json()
    return body["private"]["used"] + body["public"]["used"]


def _list(client, token, repo_id="alice/lfs", **params):
    items, url = [], f"{api(repo_id)}/lfs-files" + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
    while url:
        resp = client.get(url, headers=bearer(token))
        assert resp.status_code == 200, resp.text
        items += resp.json()
        link = resp.headers.get("link")
        url = re.fullmatch(r'<(.+)>; rel="next"', link).group(1) if link else None
    return items


@pytest.fixture
def repo(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "lfs")
    create_repo(client, token, "other")
    for data in (A, B, BRANCH, SHARED):
        lfs_upload(client, token, "alice/lfs", data)
    commit(client, token, "alice/lfs", [lfs_op("lfs_file.bin", A), file_op("txt_file.txt", b"TXT")])
    commit(client, token, "alice/lfs", [lfs_op("dir/lfs_file_2.bin", B), lfs_op("shared.bin", SHARED)])
    assert client.post(f"{api('alice/lfs')}/branch/my-branch", json={}, headers=bearer(token)).status_code == 200
    commit(client, token, "alice/lfs", [lfs_op("lfs_file_branch.bin", BRANCH)], revision="my-branch")
    assert client.post(f"{api('alice/lfs')}/tag/main", json={"tag": "v1", "message": "release"},
                       headers=bearer(token)).status_code == 200
    commit(client, token, "alice/other", [lfs_op("copy.bin", SHARED)])
    return hub_client


def test_listing_shape_refs_and_paging(repo):
    client, token = repo.client, repo.token
    items = _list(client, token, limit=2)
    assert len(items) == 4 and all(set(i) == {"fileOid", "oid", "filename", "ref", "pushedAt", "size"} for i in items)
    by_name = {i["filename"]: i for i in items}
    assert set(by_name) == {"lfs_file.bin", "dir/lfs_file_2.bin", "shared.bin", "lfs_file_branch.bin"}
    assert by_name["lfs_file.bin"]["fileOid"] == sha256(A) and by_name["lfs_file.bin"]["size"] == len(A)
    assert by_name["lfs_file.bin"]["ref"] == "refs/heads/main"
    assert by_name["lfs_file_branch.bin"]["ref"] == "refs/heads/my-branch"
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", i["pushedAt"]) for i in items)
    assert items[0]["filename"] == "lfs_file_branch.bin"  # newest first


def test_delete_with_history_rewrite(repo):
    client, token = repo.client, repo.token
    used_before = _quota(client, token)
    v1_before = head(client, token, "alice/lfs", revision="v1")
    resp = client.post(f"{api('alice/lfs')}/lfs-files/batch", headers=bearer(token),
                       json={"deletions": {"sha": [sha256(A), sha256(SHARED)], "rewriteHistory": True}})
    assert resp.status_code == 200 and resp.json()["deleted"] == 2, resp.text
    # The pointer files are gone from every ref's history: main, the branch made from it, the tag.
    assert set(files(client, token, "alice/lfs")) == {".gitattributes", "txt_file.txt", "dir/lfs_file_2.bin"}
    assert "lfs_file.bin" not in files(client, token, "alice/lfs", revision="my-branch")
    assert "lfs_file_branch.bin" in files(client, token, "alice/lfs", revision="my-branch")
    v1 = head(client, token, "alice/lfs", revision="v1")
    assert v1 != v1_before and "shared.bin" not in files(client, token, "alice/lfs", revision="v1")
    titles = [c["title"] for c in client.get(f"{api('alice/lfs')}/commits/main", headers=bearer(token)).json()]
    assert titles == ["commit", "commit", "initial commit"]  # history kept, ids rewritten
    assert sorted(i["filename"] for i in _list(client, token)) == ["dir/lfs_file_2.bin", "lfs_file_branch.bin"]
    # Not readable here any more, even by the old commit id; the shared object stays readable in the other repo.
    resp = client.get(f"/alice/lfs/resolve/{v1_before}/lfs_file.bin", headers=bearer(token))
    assert_error(resp, 404, "EntryNotFound")
    assert client.get("/alice/other/resolve/main/copy.bin", headers=bearer(token)).content == SHARED
    batch = lfs_batch(client, token, "alice/lfs", [(sha256(A), len(A))], operation="download")
    assert batch.json()["objects"][0]["error"]["code"] == 404
    # A's bytes and rows are gone (nothing references it); the shared one is kept.
    assert not LfsObject.select().where(LfsObject.oid == sha256(A)).exists()
    assert not LfsGrant.select().where(LfsGrant.oid == sha256(A)).exists()
    assert LfsObject.select().where(LfsObject.oid == sha256(SHARED)).exists()
    assert used_before - _quota(client, token) >= len(A) + len(SHARED)
    fsck = subprocess.run(["git", "--git-dir", str(git_dir(repo.hub, "alice/lfs")), "fsck", "--strict"],
                          capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr


def test_delete_without_rewrite_keeps_pointers_but_not_content(repo):
    client, token = repo.client, repo.token
    sha_before = head(client, token, "alice/lfs")
    resp = client.post(f"{api('alice/lfs')}/lfs-files/batch", headers=bearer(token),
                       json={"deletions": {"sha": [sha256(B)], "rewriteHistory": False}})
    assert resp.status_code == 200, resp.text
    assert head(client, token, "alice/lfs") == sha_before and "dir/lfs_file_2.bin" in files(client, token, "alice/lfs")
    for method in ("GET", "HEAD"):
        resp = client.request(method, "/alice/lfs/resolve/main/dir/lfs_file_2.bin", headers=bearer(token))
        assert resp.status_code == 404 and resp.headers["x-error-code"] == "EntryNotFound"
    assert not RepoLfsObject.select().where(RepoLfsObject.oid == sha256(B)).exists()


def test_refusals_change_nothing(repo):
    client, token = repo.client, repo.token
    bob = repo.new_user("bob")
    before = (head(client, token, "alice/lfs"), _list(client, token), LfsObject.select().count(), _quota(client, token))
    url = f"{api('alice/lfs')}/lfs-files/batch"
    body = {"deletions": {"sha": [sha256(A)], "rewriteHistory": True}}
    assert_error(client.post(url, json=body, headers=bearer(bob)), 403)
    assert_error(client.get(f"{api('alice/lfs')}/lfs-files", headers=bearer(bob)), 403)
    assert_error(client.post(url, json=body), 401)
    for bad in ({}, {"deletions": []}, {"deletions": {"sha": "abc"}}, {"deletions": {"sha": ["A" * 64]}},
                {"deletions": {"sha": [sha256(A)], "rewriteHistory": "yes"}},
                {"deletions": {"sha": ["0" * 64] * 1001}}):
        assert_error(client.post(url, json=bad, headers=bearer(token)), 400)
    # Unknown objects are ignored: nothing to delete.
    resp = client.post(url, json={"deletions": {"sha": ["0" * 64]}}, headers=bearer(token))
    assert resp.status_code == 200 and resp.json()["deleted"] == 0
    after = (head(client, token, "alice/lfs"), _list(client, token), LfsObject.select().count(), _quota(client, token))
    assert after == before


def test_uploader_must_upload_again_after_deletion(repo):
    client, token = repo.client, repo.token
    client.post(f"{api('alice/lfs')}/lfs-files/batch", headers=bearer(token),
                json={"deletions": {"sha": [sha256(A)]}})
    resp = commit(client, token, "alice/lfs", [lfs_op("again.bin", A)], expect=None)
    assert_error(resp, 400, message="was never uploaded")
    resp = lfs_batch(client, token, "alice/lfs", [(sha256(A), len(A))])
    assert resp.json()["objects"][0]["actions"]["upload"], resp.text  # the batch API asks for the bytes again

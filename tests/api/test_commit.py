"""The NDJSON commit and preupload (protocol sections 5.2 and 5.3)."""

from __future__ import annotations

import pytest

import base64
import json

from kohakuhub.db.models import LfsObject

from tests.api.helpers import (
    NDJSON,
    api,
    assert_error,
    bearer,
    commit,
    create_repo,
    file_op,
    files,
    git_blob_sha1,
    head,
    lfs_op,
    lfs_upload,
    sha256,
)

BIG = b"0123456789abcdef" * 100  # 1600 bytes, above the 1024-byte threshold


def _read(client, token, path, rev="main", repo="alice/c"):
    resp = client.get(f"/{repo}/resolve/{rev}/{path}", headers=bearer(token))
    assert resp.status_code == 200, resp.text
    return resp.content


def _gitattributes(client, token, repo="alice/c"):
    return _read(client, token, ".gitattributes", repo=repo).decode()


def test_commit_response_shape(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "c")
    resp = commit(client, token, "alice/c", [file_op("a.txt", b"a")], summary="first")
    body = resp.json()
    assert len(body["commitOid"]) == 40 and body["commitOid"] == body["commitOid"].lower()
    assert body["commitUrl"] == f"http://testserver/alice/c/commit/{body['commitOid']}"
    assert head(client, token, "alice/c") == body["commitOid"]
    create_repo(client, token, "d", "dataset")
    resp = commit(client, token, "alice/d", [file_op("a.txt", b"a")], repo_type="dataset")
    assert resp.json()["commitUrl"] == f"http://testserver/datasets/alice/d/commit/{resp.json()['commitOid']}"


def test_commit_message_and_description(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "c")
    body = (json.dumps({"key": "header", "value": {"summary": "Title here", "description": "Body text"}}) + "\n"
            + json.dumps(file_op("x", b"1")) + "\n")
    resp = client.post(f"{api('alice/c')}/commit/main", content=body, headers={**bearer(token), **NDJSON})
    assert resp.status_code == 200, resp.text
    [latest] = client.get(f"{api('alice/c')}/commits/main?limit=1&expand[]=formatted", headers=bearer(token)).json()
    assert latest["title"] == "Title here"
    assert latest["message"] == "Body text"
    assert latest["formatted"]["title"] == "Title here"
    assert latest["authors"] == [{"user": "alice"}]


def test_every_operation(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "c")
    stored = b"uploaded-lfs-object" * 100
    lfs_upload(client, token, "alice/c", stored)
    commit(client, token, "alice/c", [
        file_op("keep.txt", b"keep"),
        file_op("del.txt", b"bye"),
        file_op("folder/one.txt", b"1"),
        file_op("folder/deep/two.txt", b"2"),
        file_op("folder2/x.txt", b"x"),
        lfs_op("model.safetensors", stored),
    ])
    assert _read(client, token, "model.safetensors") == stored

    commit(client, token, "alice/c", [
        {"key": "deletedFile", "value": {"path": "del.txt"}},
        {"key": "deletedFolder", "value": {"path": "folder/"}},
        {"key": "deletedFolder", "value": {"path": "folder2"}},
        {"key": "copyFile", "value": {"path": "copy.txt", "srcPath": "keep.txt"}},
        {"key": "copyFile", "value": {"path": "copies/model.safetensors", "srcPath": "model.safetensors"}},
        lfs_op("again.bin", oid=sha256(stored)),  # an LFS copy: no size
    ])
    tree = files(client, token, "alice/c")
    assert set(tree) == {".gitattributes", "keep.txt", "model.safetensors", "copy.txt",
                         "copies/model.safetensors", "again.bin"}
    assert _read(client, token, "copy.txt") == b"keep"
    assert _read(client, token, "copies/model.safetensors") == stored
    assert _read(client, token, "again.bin") == stored
    assert tree["copies/model.safetensors"]["lfs"]["oid"] == sha256(stored)


def test_copy_from_older_revision(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "c")
    first = commit(client, token, "alice/c", [file_op("v.txt", b"version 1")]).json()["commitOid"]
    commit(client, token, "alice/c", [file_op("v.txt", b"version 2")])
    commit(client, token, "alice/c", [{"key": "copyFile",
                                       "value": {"path": "old.txt", "srcPath": "v.txt", "srcRevision": first}}])
    assert _read(client, token, "old.txt") == b"version 1"


def test_overwrite_and_empty_file(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "c")
    commit(client, token, "alice/c", [file_op("a.txt", b"one"), file_op("empty", b"")])
    commit(client, token, "alice/c", [file_op("a.txt", b"two")])
    assert _read(client, token, "a.txt") == b"two"
    assert _read(client, token, "empty") == b""
    h = client.head("/alice/c/resolve/main/empty")
    assert h.headers["content-length"] == "0" and h.headers["etag"] == f'"{git_blob_sha1(b"")}"'


def test_delete_missing_file_is_404_entry_not_found(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "c")
    before = head(client, token, "alice/c")
    resp = commit(client, token, "alice/c", [file_op("new.txt", b"n"), {"key": "deletedFile", "value": {"path": "nope.txt"}}],
                  expect=None)
    assert_error(resp, 404, "EntryNotFound")
    assert head(client, token, "alice/c") == before
    resp = commit(client, token, "alice/c", [{"key": "deletedFolder", "value": {"path": "nodir/"}}], expect=None)
    assert_error(resp, 404, "EntryNotFound")
    commit(client, token, "alice/c", [file_op("dir/f.txt", b"f")])
    before = head(client, token, "alice/c")
    # deletedFile does not delete folders, deletedFolder does not delete files.
    resp = commit(client, token, "alice/c", [{"key": "deletedFile", "value": {"path": "dir"}}], expect=None)
    assert_error(resp, 404, "EntryNotFound")
    assert "A file with this name doesn't exist" in resp.json()["error"]
    resp = commit(client, token, "alice/c", [{"key": "deletedFolder", "value": {"path": "dir/f.txt"}}], expect=None)
    assert_error(resp, 404, "EntryNotFound")
    resp = commit(client, token, "alice/c", [{"key": "copyFile", "value": {"path": "x", "srcPath": "nope"}}],
                  expect=None)
    assert_error(resp, 404, "EntryNotFound")
    assert head(client, token, "alice/c") == before


def test_parent_commit(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "c")
    base = head(client, token, "alice/c")
    ok = commit(client, token, "alice/c", [file_op("a", b"1")], parent=base).json()["commitOid"]
    # A short prefix of the head works too.
    ok2 = commit(client, token, "alice/c", [file_op("b", b"2")], parent=ok[:7]).json()["commitOid"]
    stale = commit(client, token, "alice/c", [file_op("c", b"3")], parent=base, expect=None)
    assert_error(stale, 412, None)
    assert stale.json()["error"] == (
        "The branch was updated since you opened this page. Please refresh and try again.")
    assert head(client, token, "alice/c") == ok2
    assert "c" not in files(client, token, "alice/c")
    # A stale commit carrying inline LFS-sized content publishes no LFS object.
    objects = LfsObject.select().count()
    stale = commit(client, token, "alice/c", [file_op("big.txt", BIG)], parent=base, expect=None)
    assert_error(stale, 412, None)
    assert LfsObject.select().count() == objects
    assert list(hub_client.hub.settings.spool_dir.iterdir()) == []
    bad = commit(client, token, "alice/c", [file_op("c", b"3")], parent="xyz", expect=None)
    assert_error(bad, 400)
    assert head(client, token, "alice/c") == ok2


def test_large_inline_content_becomes_lfs_and_is_tracked(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "c")
    small = b"s" * 1023
    at_threshold = b"t" * 1024
    commit(client, token, "alice/c", [
        file_op("notes.txt", BIG),          # not covered by the default .gitattributes
        file_op("weights.bin", BIG + b"!"),  # *.bin is covered already
        file_op("small.txt", small),
        file_op("edge.txt", at_threshold),
    ])
    tree = files(client, token, "alice/c")
    assert tree["notes.txt"]["lfs"] == {"oid": sha256(BIG), "size": len(BIG),
                                        "pointerSize": tree["notes.txt"]["lfs"]["pointerSize"]}
    assert tree["notes.txt"]["size"] == len(BIG)
    assert "lfs" in tree["weights.bin"]
    assert "lfs" in tree["edge.txt"]
    assert "lfs" not in tree["small.txt"]
    attributes = _gitattributes(client, token)
    assert "notes.txt filter=lfs diff=lfs merge=lfs -text" in attributes
    assert "edge.txt filter=lfs diff=lfs merge=lfs -text" in attributes
    assert "weights.bin" not in attributes  # already covered by *.bin
    assert "small.txt" not in attributes
    assert _read(client, token, "notes.txt") == BIG
    # The git blob is the pointer, not the bytes.
    pointer = client.get(f"{api('alice/c')}/tree/main?recursive=true", headers=bearer(token)).json()
    assert [e for e in pointer if e["path"] == "notes.txt"][0]["oid"] != git_blob_sha1(BIG)


def test_gitattributes_in_same_commit_is_respected(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "c")
    custom = b"*.txt filter=lfs diff=lfs merge=lfs -text\n"
    commit(client, token, "alice/c", [file_op(".gitattributes", custom), file_op("big.txt", BIG),
                                      file_op("other.dat", BIG)])
    attributes = _gitattributes(client, token)
    assert attributes.startswith(custom.decode())
    assert "big.txt" not in attributes
    assert "other.dat filter=lfs" in attributes


def test_preupload_regular_mode_answers_regular(make_hub):
    hub = make_hub(upload_mode="regular")
    client, token = hub.client, hub.token
    create_repo(client, token, "c")
    commit(client, token, "alice/c", [file_op("existing.txt", b"hi"), file_op("big.txt", BIG)])
    sample = base64.b64encode(b"x" * 10).decode()
    resp = client.post(f"{api('alice/c')}/preupload/main", json={"files": [
        {"path": "a.bin", "sample": sample, "size": 10_000_000},
        {"path": "existing.txt", "sample": sample, "size": 2},
        {"path": "big.txt", "sample": sample, "size": len(BIG)},
        {"path": "empty.bin", "sample": "", "size": 0},
    ]}, headers=bearer(token))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    by_path = {f["path"]: f for f in body["files"]}
    assert all(f["uploadMode"] == "regular" for f in body["files"])
    assert all(f["shouldIgnore"] is False for f in body["files"])
    assert by_path["a.bin"].get("oid") is None
    assert by_path["existing.txt"]["oid"] == git_blob_sha1(b"hi")
    assert by_path["big.txt"]["oid"] == sha256(BIG)
    assert body["commitOid"] == head(client, token, "alice/c")


@pytest.mark.parametrize("mode", ["auto", "lfs"])
def test_preupload_hub_policy(make_hub, mode):
    hub = make_hub(upload_mode=mode)
    client, token = hub.client, hub.token
    create_repo(client, token, "c")
    resp = client.post(f"{api('alice/c')}/preupload/main", json={"files": [
        {"path": "below.txt", "sample": "", "size": 1023},
        {"path": "at.txt", "sample": "", "size": 1024},
        {"path": "above.txt", "sample": "", "size": 5000},
        {"path": "tiny.bin", "sample": "", "size": 10},  # *.bin is tracked by .gitattributes
        {"path": "empty.bin", "sample": "", "size": 0},
    ]}, headers=bearer(token))
    assert resp.status_code == 200, resp.text
    modes = {f["path"]: f["uploadMode"] for f in resp.json()["files"]}
    assert modes == {"below.txt": "regular", "at.txt": "lfs", "above.txt": "lfs", "tiny.bin": "lfs",
                     "empty.bin": "regular"}


def test_preupload_errors(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "c")
    resp = client.post(f"{api('alice/nope')}/preupload/main", json={"files": []}, headers=bearer(token))
    assert_error(resp, 404, "RepoNotFound")
    resp = client.post(f"{api('alice/c')}/preupload/nobranch", json={"files": []}, headers=bearer(token))
    assert_error(resp, 404, "RevisionNotFound")
    resp = client.post(f"{api('alice/c')}/preupload/main", json={"files": "x"}, headers=bearer(token))
    assert_error(resp, 400)
    resp = client.post(f"{api('alice/c')}/preupload/main", json={"files": [{"path": "a", "size": "big"}]},
                       headers=bearer(token))
    assert_error(resp, 400)


def test_commit_to_another_branch_and_encoded_revision(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "c")
    main = head(client, token, "alice/c")
    client.post(f"{api('alice/c')}/branch/dev", json={}, headers=bearer(token))
    commit(client, token, "alice/c", [file_op("dev.txt", b"d")], revision="dev")
    commit(client, token, "alice/c", [file_op("dev2.txt", b"d")], revision="refs%2Fheads%2Fdev")
    assert head(client, token, "alice/c") == main
    assert set(files(client, token, "alice/c", revision="dev")) == {".gitattributes", "dev.txt", "dev2.txt"}


def test_commit_lfs_size_mismatch_rejected(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "c")
    data = b"z" * 2000
    oid = lfs_upload(client, token, "alice/c", data)
    before = head(client, token, "alice/c")
    resp = commit(client, token, "alice/c", [lfs_op("z.bin", oid=oid, size=1999)], expect=None)
    assert 400 <= resp.status_code < 500 and resp.headers["x-error-message"]
    assert head(client, token, "alice/c") == before


def test_inline_lfs_content_referenced_again_in_same_commit(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "c")
    commit(client, token, "alice/c", [file_op("a.dat", BIG), lfs_op("b.dat", oid=sha256(BIG), size=len(BIG))])
    assert _read(client, token, "b.dat") == BIG
    assert list(hub_client.hub.settings.spool_dir.iterdir()) == []

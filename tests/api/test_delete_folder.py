"""Deleting a folder by its path, with or without the trailing slash (``delete_folder("sub")`` sends
``deletedFolder`` with ``"sub"``), as on the Hub; a wrong kind of path is the Hub's EntryNotFound."""

from __future__ import annotations

import pytest

from tests.api.helpers import api, assert_error, bearer, commit, create_repo, file_op, files, head, lfs_op, lfs_upload

BIG = b"B" * 4096  # above the test hubs' LFS threshold


@pytest.fixture
def repo(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "tree")
    lfs_upload(client, token, "alice/tree", BIG)
    commit(client, token, "alice/tree", [file_op("sub/a.txt", b"a"), file_op("sub/deep/b.txt", b"b"),
                                         lfs_op("sub/deep/w.bin", BIG), file_op("subway.txt", b"not in sub"),
                                         file_op("other/c.txt", b"c")])
    return hub_client


@pytest.mark.parametrize("path", ["sub", "sub/", "sub/deep", "sub/deep/"])
def test_folder_paths_with_and_without_slash(repo, path):
    client, token = repo.client, repo.token
    commit(client, token, "alice/tree", [{"key": "deletedFolder", "value": {"path": path}}])
    left = set(files(client, token, "alice/tree"))
    gone = path.rstrip("/")
    assert not [f for f in left if f.startswith(gone + "/")]
    assert {"subway.txt", "other/c.txt"} <= left  # a name that only starts like the folder stays
    if gone == "sub/deep":
        assert "sub/a.txt" in left


def test_wrong_kind_of_path_is_entry_not_found_and_changes_nothing(repo):
    client, token = repo.client, repo.token
    before = head(client, token, "alice/tree"), files(client, token, "alice/tree")
    for key, path, kind in (("deletedFolder", "subway.txt", "folder"), ("deletedFile", "sub", "file"),
                            ("deletedFolder", "missing", "folder"), ("deletedFile", "sub/", "file")):
        resp = commit(client, token, "alice/tree", [{"key": key, "value": {"path": path}}], expect=None)
        if resp.status_code == 422:  # "sub/" is not a file path at all
            assert key == "deletedFile"
            continue
        assert_error(resp, 404, "EntryNotFound", message=f"A {kind} with this name doesn't exist")
    assert (head(client, token, "alice/tree"), files(client, token, "alice/tree")) == before


def test_deleting_the_last_file_of_a_folder_removes_the_folder(repo):
    client, token = repo.client, repo.token
    commit(client, token, "alice/tree", [{"key": "deletedFile", "value": {"path": "other/c.txt"}}])
    resp = client.get(f"{api('alice/tree')}/tree/main/other", headers=bearer(token))
    assert_error(resp, 404, "EntryNotFound")

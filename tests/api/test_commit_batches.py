"""Commits of many small files: each batch of lines is stored as one git pack, in operation order."""

from __future__ import annotations

import subprocess

import pytest

from kohakuhub.api.routes import commits as commit_routes
from tests.api.helpers import assert_error, bearer, commit, create_repo, file_op, files, git_blob_sha1, head

BIG = b"0123456789abcdef" * 100  # above the 1024-byte LFS threshold of the test hub


def _read(client, token, path, repo="alice/many"):
    resp = client.get(f"/{repo}/resolve/main/{path}", headers=bearer(token))
    assert resp.status_code == 200, resp.text
    return resp.content


def _git_dirs(hub_client):
    return list(hub_client.hub.settings.git_dir.glob("*/*.git"))


def _packs(hub_client) -> int:
    return sum(len(list(d.glob("objects/pack/*.pack"))) for d in _git_dirs(hub_client))


def _fsck(hub_client) -> None:
    for git_dir in _git_dirs(hub_client):
        subprocess.run(["git", "--git-dir", str(git_dir), "fsck", "--strict", "--no-dangling"], check=True,
                       capture_output=True)


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(commit_routes, "BATCH_LINES", 50)


def test_many_files_over_several_batches(hub_client, small_batches):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "many")
    packs = _packs(hub_client)
    contents = {f"d{i // 40}/f{i}.txt": b"file %d\n" % i * (i % 4) for i in range(170)}  # repeats, empties
    ops = [file_op(path, data) for path, data in contents.items()]
    custom = b"*.txt filter=lfs diff=lfs merge=lfs -text\n"
    ops.insert(70, file_op(".gitattributes", custom))  # inline, in the middle of a packed batch
    ops.append(file_op("weights.dat", BIG))  # LFS path, unchanged
    commit(client, token, "alice/many", ops)

    tree = files(client, token, "alice/many")
    for path, data in contents.items():
        assert tree[path]["oid"] == git_blob_sha1(data) and "lfs" not in tree[path]
    assert _read(client, token, "d3/f121.txt") == contents["d3/f121.txt"]
    assert "lfs" in tree["weights.dat"] and _read(client, token, "weights.dat") == BIG
    attributes = _read(client, token, ".gitattributes").decode()
    assert attributes.startswith(custom.decode()) and "weights.dat filter=lfs" in attributes
    assert _packs(hub_client) >= packs + 3  # 172 lines in batches of 50: one pack per batch
    _fsck(hub_client)


def test_operations_keep_their_order_within_a_batch(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "many")
    filler = [file_op(f"fill/{i}", b"%d" % i) for i in range(40)]
    commit(client, token, "alice/many", [
        file_op("a/x.txt", b"first"),
        *filler,
        {"key": "deletedFolder", "value": {"path": "a"}},
        file_op("a/y.txt", b"second"),
        file_op("b.txt", b"old"),
        {"key": "deletedFile", "value": {"path": "b.txt"}},
        file_op("c.txt", b"old"),
        file_op("c.txt", b"new"),
        {"key": "copyFile", "value": {"path": "copy.txt", "srcPath": ".gitattributes"}},
    ])
    tree = files(client, token, "alice/many")
    assert "a/x.txt" not in tree and "b.txt" not in tree
    assert _read(client, token, "a/y.txt") == b"second"
    assert _read(client, token, "c.txt") == b"new"
    assert _read(client, token, "copy.txt") == _read(client, token, ".gitattributes")
    assert len([p for p in tree if p.startswith("fill/")]) == 40
    _fsck(hub_client)


def test_a_bad_line_writes_no_pack(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "many")
    before, packs = head(client, token, "alice/many"), _packs(hub_client)
    ops = [file_op(f"f/{i}", b"%d" % i) for i in range(100)] + [{"key": "nonsense", "value": {}}]
    assert_error(commit(client, token, "alice/many", ops, expect=None), 400)
    assert head(client, token, "alice/many") == before
    assert _packs(hub_client) == packs

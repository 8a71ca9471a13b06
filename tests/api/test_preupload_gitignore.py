"""Preupload answers ``shouldIgnore`` from the repo's ``.gitignore`` at the revision committed to, or from the
``gitIgnore`` the client sends when its commit adds one (as the Hub does); git's rules decide."""

from __future__ import annotations

from tests.api.helpers import api, assert_error, bearer, commit, create_repo, file_op, files, head


def _preupload(client, token, paths, *, revision="main", **extra):
    body = {"files": [{"path": p, "size": 2000 if p.endswith(".bin") else 10, "sample": ""} for p in paths], **extra}
    return client.post(f"{api('alice/ign')}/preupload/{revision}", json=body, headers=bearer(token))


def _ignored(resp) -> dict[str, bool]:
    assert resp.status_code == 200, resp.text
    return {f["path"]: f["shouldIgnore"] for f in resp.json()["files"]}


def test_should_ignore_follows_the_committed_gitignore_at_the_revision(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "ign")
    paths = ["nested/file.bin", "nested/deep/x.txt", "a.log", "keep.log", "build/out.bin", "build", "ok.txt"]
    # No .gitignore yet: nothing is ignored.
    assert _ignored(_preupload(client, token, paths)) == dict.fromkeys(paths, False)
    commit(client, token, "alice/ign", [file_op(".gitignore", b"nested/*\n*.log\n!keep.log\nbuild/\n")])
    answer = _ignored(_preupload(client, token, paths))
    assert answer == {"nested/file.bin": True, "nested/deep/x.txt": True, "a.log": True, "keep.log": False,
                      "build/out.bin": True, "build": False, "ok.txt": False}
    # Another branch without the .gitignore: its own rules (none) apply.
    first = client.get(f"{api('alice/ign')}/commits/main", headers=bearer(token)).json()[-1]["id"]
    assert client.post(f"{api('alice/ign')}/branch/old", json={"startingPoint": first},
                       headers=bearer(token)).status_code == 200
    assert _ignored(_preupload(client, token, paths, revision="old")) == dict.fromkeys(paths, False)
    # Regular and LFS upload modes both carry the flag.
    modes = {f["path"]: f["uploadMode"] for f in _preupload(client, token, paths).json()["files"]}
    assert modes["nested/file.bin"] == "lfs" and modes["a.log"] == "regular"


def test_gitignore_sent_by_the_client_wins(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "ign")
    commit(client, token, "alice/ign", [file_op(".gitignore", b"*.log\n")])
    answer = _ignored(_preupload(client, token, ["a.log", "data/x.csv", "data/keep.csv"],
                                 gitIgnore="data/*\n!data/keep.csv\n"))
    assert answer == {"a.log": False, "data/x.csv": True, "data/keep.csv": False}
    assert _ignored(_preupload(client, token, ["a.log"], gitIgnore="")) == {"a.log": False}


def test_bad_gitignore_field_is_refused_and_changes_nothing(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "ign")
    before = head(client, token, "alice/ign"), files(client, token, "alice/ign")
    for bad in (["*.log"], 3, {"a": 1}):
        assert_error(_preupload(client, token, ["a.log"], gitIgnore=bad), 400, message="gitIgnore")
    assert (head(client, token, "alice/ign"), files(client, token, "alice/ign")) == before

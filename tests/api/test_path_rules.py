"""File paths are refused and accepted as the Hub does, on every surface that takes one.

A backslash is an ordinary character of a name (``a\\b.txt`` is one file at the root, as in git); what
would escape the repo, under either separator, is refused: 422 on writes (commit lines, preupload,
deletes), "not found" on reads (tree, resolve, commits of a path) and left out of paths-info. Each refusal
changes nothing.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.api.helpers import api, assert_error, bearer, commit, create_repo, file_op, files, head, ndjson, NDJSON

ODD_BUT_FINE = ["a\\b.txt", "win\\dir\\file.txt", "sub/back\\slash.bin", "..a\\b", "dots...\\x", "x:y.txt"]
ESCAPES = ["..\\ddd", "a\\..\\..\\etc\\passwd", "sub/..\\..\\x", "x\\.git\\config", "\\abs", "\\\\host\\share\\x",
           "C:\\Windows\\x", "c:/x", "../x", "a/../../b", "/abs", ".git/config", "sub/.GIT/hooks/x", "./a", "a//b"]


@pytest.fixture
def repo(hub_client):
    create_repo(hub_client.client, hub_client.token, "paths")
    commit(hub_client.client, hub_client.token, "alice/paths",
           [file_op(path, path.encode()) for path in ODD_BUT_FINE] + [file_op("keep/me.txt", b"keep")])
    return hub_client


def _state(hc):
    client, token = hc.client, hc.token
    refs = client.get(f"{api('alice/paths')}/refs", headers=bearer(token)).json()
    return head(client, token, "alice/paths"), files(client, token, "alice/paths"), refs


def test_backslash_names_are_ordinary_files(repo):
    client, token = repo.client, repo.token
    listed = files(client, token, "alice/paths")
    assert set(ODD_BUT_FINE) <= set(listed)
    root = {e["path"]: e["type"] for e in client.get(f"{api('alice/paths')}/tree/main", headers=bearer(token)).json()}
    assert root["a\\b.txt"] == "file" and root["win\\dir\\file.txt"] == "file"  # no "win" directory
    for path in ODD_BUT_FINE:
        resp = client.get(f"/alice/paths/resolve/main/{quote(path)}", headers=bearer(token))
        assert resp.status_code == 200 and resp.content == path.encode(), (path, resp.status_code)
    info = client.post(f"{api('alice/paths')}/paths-info/main", data={"paths": ODD_BUT_FINE}, headers=bearer(token))
    assert sorted(e["path"] for e in info.json()) == sorted(ODD_BUT_FINE)
    preupload = client.post(f"{api('alice/paths')}/preupload/main", headers=bearer(token),
                            json={"files": [{"path": p, "size": 1, "sample": ""} for p in ODD_BUT_FINE]})
    assert preupload.status_code == 200 and [f["path"] for f in preupload.json()["files"]] == ODD_BUT_FINE
    # Deleting them by name, file and folder forms alike.
    commit(client, token, "alice/paths", [{"key": "deletedFile", "value": {"path": "a\\b.txt"}},
                                          {"key": "deletedFolder", "value": {"path": "sub"}}])
    left = files(client, token, "alice/paths")
    assert "a\\b.txt" not in left and "sub/back\\slash.bin" not in left and "win\\dir\\file.txt" in left


@pytest.mark.parametrize("path", ESCAPES)
def test_escaping_paths_are_refused_on_writes(repo, path):
    client, token = repo.client, repo.token
    before = _state(repo)
    for ops in ([file_op(path, b"x")], [{"key": "deletedFile", "value": {"path": path}}],
                [{"key": "deletedFolder", "value": {"path": path}}],
                [{"key": "copyFile", "value": {"path": path, "srcPath": "keep/me.txt"}}],
                [{"key": "copyFile", "value": {"path": "copy.txt", "srcPath": path}}],
                [{"key": "lfsFile", "value": {"path": path, "algo": "sha256", "oid": "0" * 64, "size": 1}}]):
        resp = client.post(f"{api('alice/paths')}/commit/main", content=ndjson(ops),
                           headers={**bearer(token), **NDJSON})
        assert resp.status_code in (404, 422), (path, ops, resp.text)
        if resp.status_code == 404:  # copyFile from a source that cannot exist
            assert ops[0]["key"] == "copyFile" and resp.headers["x-error-code"] == "EntryNotFound", resp.text
        else:
            assert_error(resp, 422)
    resp = client.post(f"{api('alice/paths')}/preupload/main", headers=bearer(token),
                       json={"files": [{"path": path, "size": 1, "sample": ""}]})
    assert_error(resp, 422)
    assert _state(repo) == before


@pytest.mark.parametrize("path", ESCAPES)
def test_escaping_paths_find_nothing_on_reads(repo, path):
    client, token = repo.client, repo.token
    # Fully encoded: a client's own URL normalization would otherwise remove literal "../" before sending.
    encoded = quote(path, safe="")
    for url in (f"/alice/paths/resolve/main/{encoded}", f"{api('alice/paths')}/resolve/main/{encoded}"):
        for method in ("GET", "HEAD"):
            resp = client.request(method, url, headers=bearer(token), follow_redirects=False)
            assert resp.status_code == 404, (url, method, resp.status_code)
            assert resp.headers["x-error-code"] == "EntryNotFound"
    resp = client.get(f"{api('alice/paths')}/tree/main/{quote(path, safe='')}", headers=bearer(token))
    assert_error(resp, 404, "EntryNotFound")
    resp = client.post(f"{api('alice/paths')}/paths-info/main", data={"paths": [path, "keep/me.txt"]},
                       headers=bearer(token))
    assert [e["path"] for e in resp.json()] == ["keep/me.txt"]
    resp = client.get(f"{api('alice/paths')}/commits/main/{quote(path, safe='')}", headers=bearer(token))
    assert resp.status_code in (200, 400, 404, 422), resp.text
    if resp.status_code == 200:
        assert resp.json() == []  # no history of a path that cannot exist


def test_encoded_dot_segments_do_not_climb_out_of_the_route(repo):
    client, token = repo.client, repo.token
    for raw in ("%2e%2e/%2e%2e/etc/passwd", "keep/%2e%2e/%2e%2e/x", "..%2F..%2Fx", "..%5C..%5Cx", "keep%2F..%2Fme.txt"):
        resp = client.get(f"/alice/paths/resolve/main/{raw}", headers=bearer(token))
        assert resp.status_code == 404 and resp.headers["x-error-code"] == "EntryNotFound", (raw, resp.text)

"""A moved repo's old id keeps resolving for every reader on every read route: a 307 to the same request at
the new id (query kept), private repos included for those who may read them; to anyone else the old id is
a missing repo, with nothing that names the new one."""

from __future__ import annotations

import pytest

from tests.api.helpers import LFS_HEADERS, api, bearer, commit, create_repo, file_op, lfs_op, lfs_upload, sha256

BIG = b"M" * 3000  # above the test hub's LFS threshold


@pytest.fixture
def moved(hub_client):
    """alice's private repo moved into the org acme (old id alice/old, new id acme/new), with readers."""
    client, token = hub_client.client, hub_client.token
    assert client.post("/org/create", json={"name": "acme"}, headers=bearer(token)).status_code == 200
    create_repo(client, token, "old", private=True)
    lfs_upload(client, token, "alice/old", BIG)
    commit(client, token, "alice/old", [file_op("dir/a.txt", b"hello"), lfs_op("w.bin", BIG)])
    tokens = {"owner": token}
    for name, grant in (("visitor", "org"), ("collab", "repo"), ("outsider", None)):
        tokens[name] = hub_client.new_user(name)
    resp = client.post("/api/repos/move", json={"fromRepo": "alice/old", "toRepo": "acme/new"}, headers=bearer(token))
    assert resp.status_code == 200, resp.text
    assert client.post("/org/acme/members", json={"username": "visitor", "role": "visitor"},
                       headers=bearer(token)).status_code == 200
    assert client.put(f"{api('acme/new')}/collaborators/collab", json={"role": "read"},
                      headers=bearer(token)).status_code == 200
    return hub_client, tokens


def _reads(client):
    batch = {"operation": "download", "transfers": ["basic"], "objects": [{"oid": sha256(BIG), "size": len(BIG)}]}
    return [
        ("GET", "{api}?blobs=true", {}),
        ("GET", "{api}/revision/main", {}),
        ("GET", "{api}/tree/main?recursive=true", {}),
        ("GET", "{api}/tree/main/dir", {}),
        ("POST", "{api}/paths-info/main", {"data": {"paths": ["dir/a.txt", "w.bin"]}}),
        ("GET", "{api}/refs", {}),
        ("GET", "{api}/commits/main", {}),
        ("GET", "{api}/auth-check", {}),
        ("GET", "/{id}/resolve/main/dir/a.txt", {}),
        ("HEAD", "/{id}/resolve/main/w.bin", {}),
        ("GET", "/{id}/resolve/main/w.bin", {}),
        ("GET", "{api}/resolve/main/dir/a.txt", {}),
        ("GET", "/{id}.git/info/refs?service=git-upload-pack", {}),
        ("POST", "/{id}.git/info/lfs/objects/batch", {"json": batch, "headers": LFS_HEADERS}),
    ]


@pytest.mark.parametrize("reader", ["owner", "visitor", "collab"])
def test_readers_are_redirected_on_every_read_route(moved, reader):
    hub_client, tokens = moved
    client = hub_client.client
    for method, template, kwargs in _reads(client):
        old = template.format(api=api("alice/old"), id="alice/old")
        new = template.format(api=api("acme/new"), id="acme/new")
        headers = {**kwargs.get("headers", {}), **bearer(tokens[reader])}
        rest = {k: v for k, v in kwargs.items() if k != "headers"}
        resp = client.request(method, old, headers=headers, follow_redirects=False, **rest)
        assert resp.status_code == 307, (reader, old, resp.status_code, resp.text[:200])
        assert resp.headers["location"] == f"http://testserver{new}", resp.headers["location"]
        # One hop, the hub's own 307 (on S3 the new URL itself answers a 302 to storage, compared as it is).
        followed = client.request(method, resp.headers["location"], headers=headers, follow_redirects=False, **rest)
        direct = client.request(method, new, headers=headers, follow_redirects=False, **rest)
        assert followed.status_code == direct.status_code and followed.status_code in (200, 302), (old, followed.text)
        if method == "GET" and "resolve" in old and direct.status_code == 200:
            assert followed.content == direct.content


@pytest.mark.parametrize("caller", ["outsider", None])
def test_others_see_a_missing_repo(moved, caller):
    hub_client, tokens = moved
    client = hub_client.client
    token = tokens.get(caller) if caller else None
    for method, template, kwargs in _reads(client):
        old = template.format(api=api("alice/old"), id="alice/old")
        missing = template.format(api=api("alice/never"), id="alice/never")
        headers = {**kwargs.get("headers", {}), **bearer(token)}
        rest = {k: v for k, v in kwargs.items() if k != "headers"}
        resp = client.request(method, old, headers=headers, follow_redirects=False, **rest)
        other = client.request(method, missing, headers=headers, follow_redirects=False, **rest)
        assert resp.status_code == other.status_code == (401 if caller is None else 404), (old, resp.status_code)
        assert "location" not in resp.headers and "acme" not in resp.text
        assert resp.headers.get("x-error-message") == other.headers.get("x-error-message")

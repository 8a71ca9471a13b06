"""Branches, tags, refs, commit history and super-squash (protocol section 2.7)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.helpers import api, assert_error, bearer, commit, create_repo, file_op, files, head


@pytest.fixture
def repo(hub_client):
    create_repo(hub_client.client, hub_client.token, "g")
    commit(hub_client.client, hub_client.token, "alice/g", [file_op("a.txt", b"a")], summary="add a")
    return hub_client


def _refs(client, token, repo="alice/g"):
    resp = client.get(f"{api(repo)}/refs", headers=bearer(token))
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_refs_shape(repo):
    client, token = repo.client, repo.token
    sha = head(client, token, "alice/g")
    body = _refs(client, token)
    assert body == {"branches": [{"name": "main", "ref": "refs/heads/main", "targetCommit": sha}],
                    "converts": [], "tags": []}
    with_prs = client.get(f"{api('alice/g')}/refs?include_prs=1", headers=bearer(token)).json()
    assert with_prs["pullRequests"] == []


def test_branch_create_delete_conflicts(repo):
    client, token = repo.client, repo.token
    base = api("alice/g")
    first = client.get(f"{base}/commits/main", headers=bearer(token)).json()[-1]["id"]
    sha = head(client, token, "alice/g")

    assert client.post(f"{base}/branch/dev", json={}, headers=bearer(token)).status_code == 200
    assert client.post(f"{base}/branch/old", json={"startingPoint": first}, headers=bearer(token)).status_code == 200
    assert client.post(f"{base}/branch/feature%2Fx", headers=bearer(token)).status_code == 200  # no body
    branches = {b["name"]: b["targetCommit"] for b in _refs(client, token)["branches"]}
    assert branches == {"main": sha, "dev": sha, "old": first, "feature/x": sha}
    assert head(client, token, "alice/g", revision="feature%2Fx") == sha

    assert_error(client.post(f"{base}/branch/dev", json={}, headers=bearer(token)), 409)
    assert_error(client.post(f"{base}/branch/main", json={}, headers=bearer(token)), 409)
    assert_error(client.post(f"{base}/branch/feature", json={}, headers=bearer(token)), 409)  # vs feature/x
    assert_error(client.post(f"{base}/branch/new", json={"startingPoint": "nope"}, headers=bearer(token)),
                 404, "RevisionNotFound")
    for bad in ("refs%2Fpr%2F5", "a..b", "with%20space", "x.lock", "-dash"):
        assert_error(client.post(f"{base}/branch/{bad}", json={}, headers=bearer(token)), 400)

    assert client.delete(f"{base}/branch/dev", headers=bearer(token)).status_code == 200
    assert client.delete(f"{base}/branch/feature%2Fx", headers=bearer(token)).status_code == 200
    assert_error(client.delete(f"{base}/branch/dev", headers=bearer(token)), 404, "RevisionNotFound")
    resp = client.delete(f"{base}/branch/main", headers=bearer(token))
    assert 400 <= resp.status_code < 500 and resp.headers["x-error-message"]
    assert {b["name"] for b in _refs(client, token)["branches"]} == {"main", "old"}
    assert_error(client.get(f"{base}/revision/dev", headers=bearer(token)), 404, "RevisionNotFound")


def test_branch_needs_write_access(repo):
    client = repo.client
    bob = repo.new_user("bob")
    assert_error(client.post(f"{api('alice/g')}/branch/x", json={}, headers=bearer(bob)), 403)
    assert_error(client.post(f"{api('alice/g')}/branch/x", json={}), 401)
    assert [b["name"] for b in _refs(client, repo.token)["branches"]] == ["main"]


def test_tags(repo):
    client, token = repo.client, repo.token
    base = api("alice/g")
    first = client.get(f"{base}/commits/main", headers=bearer(token)).json()[-1]["id"]
    sha = head(client, token, "alice/g")
    # Revision in the URL, tag name in the body.
    assert client.post(f"{base}/tag/main", json={"tag": "v1"}, headers=bearer(token)).status_code == 200
    assert client.post(f"{base}/tag/{first}", json={"tag": "v0", "message": "annotated"},
                       headers=bearer(token)).status_code == 200
    assert client.post(f"{base}/tag/refs%2Fheads%2Fmain", json={"tag": "rel/1"}, headers=bearer(token)).status_code == 200
    tags = {t["name"]: (t["ref"], t["targetCommit"]) for t in _refs(client, token)["tags"]}
    assert tags == {"v1": ("refs/tags/v1", sha), "v0": ("refs/tags/v0", first), "rel/1": ("refs/tags/rel/1", sha)}
    assert head(client, token, "alice/g", revision="v0") == first  # annotated tags peel to the commit

    assert_error(client.post(f"{base}/tag/main", json={"tag": "v1"}, headers=bearer(token)), 409)
    assert_error(client.post(f"{base}/tag/nope", json={"tag": "v2"}, headers=bearer(token)), 404, "RevisionNotFound")
    assert_error(client.post(f"{base}/tag/main", json={"tag": "bad tag"}, headers=bearer(token)), 400)
    assert_error(client.post(f"{base}/tag/main", json={}, headers=bearer(token)), 400)

    assert client.delete(f"{base}/tag/v1", headers=bearer(token)).status_code == 200
    assert client.delete(f"{base}/tag/rel%2F1", headers=bearer(token)).status_code == 200
    assert_error(client.delete(f"{base}/tag/v1", headers=bearer(token)), 404, "RevisionNotFound")
    assert [t["name"] for t in _refs(client, token)["tags"]] == ["v0"]
    # Commits cannot go to a tag.
    resp = commit(client, token, "alice/g", [file_op("t", b"t")], revision="v0", expect=None)
    assert_error(resp, 404, "RevisionNotFound")


def test_commits_pagination(repo):
    client, token = repo.client, repo.token
    for i in range(6):
        commit(client, token, "alice/g", [file_op(f"f{i}", b"x")], summary=f"c{i}")
    expected = [f"c{i}" for i in reversed(range(6))] + ["add a", "initial commit"]
    url = f"{api('alice/g')}/commits/main?limit=3&expand[]=formatted"
    titles, pages = [], 0
    while url:
        resp = client.get(url, headers=bearer(token))
        assert resp.status_code == 200, resp.text
        assert resp.headers["x-total-count"] == "8"
        for item in resp.json():
            assert re.fullmatch(r"[0-9a-f]{40}", item["id"])
            assert item["date"].endswith("Z")
            assert item["formatted"]["title"] == item["title"]
            titles.append(item["title"])
        pages += 1
        link = resp.headers.get("link")
        url = None
        if link:
            url = re.fullmatch(r'<(.+)>; rel="next"', link).group(1)
            parts = urlsplit(url)
            assert parts.scheme == "http" and parts.netloc == "testserver"
            query = parse_qs(parts.query)
            assert query["limit"] == ["3"] and query["expand[]"] == ["formatted"]
    assert titles == expected and pages == 3
    assert_error(client.get(f"{api('alice/g')}/commits/nope", headers=bearer(token)), 404, "RevisionNotFound")
    assert_error(client.get(f"{api('alice/g')}/commits/main?p=-1", headers=bearer(token)), 400)


def test_super_squash(repo):
    client, token = repo.client, repo.token
    base = api("alice/g")
    for i in range(3):
        commit(client, token, "alice/g", [file_op(f"f{i}", str(i).encode())])
    before = files(client, token, "alice/g")
    client.post(f"{base}/tag/main", json={"tag": "keep"}, headers=bearer(token))
    old_head = head(client, token, "alice/g")

    resp = client.post(f"{base}/super-squash/main", json={"message": "squashed"}, headers=bearer(token))
    assert resp.status_code == 200, resp.text
    commits = client.get(f"{base}/commits/main", headers=bearer(token)).json()
    assert [c["title"] for c in commits] == ["squashed"]
    assert commits[0]["id"] == head(client, token, "alice/g") != old_head
    assert files(client, token, "alice/g") == before
    assert head(client, token, "alice/g", revision="keep") == old_head  # tags keep old history

    assert_error(client.post(f"{base}/super-squash/keep", json={}, headers=bearer(token)), 400)
    assert_error(client.post(f"{base}/super-squash/nope", json={}, headers=bearer(token)), 404, "RevisionNotFound")
    # Without a message, a default one is used.
    assert client.post(f"{base}/super-squash/refs%2Fheads%2Fmain", headers=bearer(token)).status_code == 200

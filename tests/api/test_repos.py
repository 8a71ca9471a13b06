"""Repo lifecycle, info and listing (protocol sections 2.2-2.4)."""

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
    head,
)

SHA_RE = re.compile(r"^[0-9a-f]{40}$")
DATE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.mark.parametrize("repo_type", ["model", "dataset", "space"])
def test_create_each_type_starts_with_initial_commit(hub_client, repo_type):
    client, token = hub_client.client, hub_client.token
    body = create_repo(client, token, "thing", repo_type)
    assert body["url"] == f"http://testserver/{PREFIX[repo_type]}alice/thing"
    info = client.get(api("alice/thing", repo_type), headers=bearer(token)).json()
    assert info["id"] == "alice/thing"
    assert SHA_RE.match(info["sha"])
    assert [s["rfilename"] for s in info["siblings"]] == [".gitattributes"]
    commits = client.get(f"{api('alice/thing', repo_type)}/commits/main", headers=bearer(token)).json()
    assert [c["title"] for c in commits] == ["initial commit"]
    assert commits[0]["authors"] == [{"user": "alice"}]


def test_same_name_in_different_types_is_allowed(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "same", "model")
    create_repo(client, token, "same", "dataset")
    assert client.get("/api/datasets/alice/same", headers=bearer(token)).status_code == 200


def test_create_existing_is_409_with_url(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "dup", "dataset")
    for name in ("dup", "DUP"):  # ids are unique case-insensitively
        resp = client.post("/api/repos/create", json={"name": name, "type": "dataset"}, headers=bearer(token))
        assert_error(resp, 409)
        assert resp.json()["url"] == "http://testserver/datasets/alice/dup"


def test_create_with_organization_null_uses_token_user_and_rejects_foreign_namespace(hub_client):
    client, token = hub_client.client, hub_client.token
    hub_client.new_user("bob")
    resp = client.post("/api/repos/create", json={"name": "mine", "organization": None}, headers=bearer(token))
    assert resp.status_code == 200
    assert resp.json()["url"] == "http://testserver/alice/mine"
    resp = client.post("/api/repos/create", json={"name": "theirs", "organization": "bob"}, headers=bearer(token))
    assert_error(resp, 403)
    assert_error(client.post("/api/repos/create", json={"name": "anon"}), 401)


def test_create_rejects_bad_type_and_visibility(hub_client):
    client, token = hub_client.client, hub_client.token
    assert_error(client.post("/api/repos/create", json={"name": "x", "type": "kernel-ish"}, headers=bearer(token)), 400)
    assert_error(client.post("/api/repos/create", json={"name": "x", "visibility": "secret"}, headers=bearer(token)), 400)
    assert client.get("/api/models/alice/x", headers=bearer(token)).status_code == 404


def test_delete_repo(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "gone", "dataset")
    resp = client.request("DELETE", "/api/repos/delete", json={"name": "gone", "type": "dataset"}, headers=bearer(token))
    assert resp.status_code == 200, resp.text
    assert_error(client.get("/api/datasets/alice/gone", headers=bearer(token)), 404, "RepoNotFound")
    resp = client.request("DELETE", "/api/repos/delete", json={"name": "gone", "type": "dataset"}, headers=bearer(token))
    assert_error(resp, 404, "RepoNotFound")
    # The id can be reused, with a fresh history.
    create_repo(client, token, "gone", "dataset")
    commits = client.get("/api/datasets/alice/gone/commits/main", headers=bearer(token)).json()
    assert len(commits) == 1


def test_delete_someone_elses_repo(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "keep")
    bob = hub_client.new_user("bob")
    resp = client.request("DELETE", "/api/repos/delete", json={"name": "keep", "organization": "alice"},
                          headers=bearer(bob))
    assert_error(resp, 403)
    assert client.get("/api/models/alice/keep").status_code == 200


def test_move_keeps_history_branches_tags_and_redirects(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "old")
    commit(client, token, "alice/old", [file_op("a.txt", b"hello")], summary="add a")
    assert client.post(f"{api('alice/old')}/branch/dev", json={}, headers=bearer(token)).status_code == 200
    assert client.post(f"{api('alice/old')}/tag/main", json={"tag": "v1"}, headers=bearer(token)).status_code == 200
    sha = head(client, token, "alice/old")

    resp = client.post("/api/repos/move", json={"fromRepo": "alice/old", "toRepo": "alice/new", "type": "model"},
                       headers=bearer(token))
    assert resp.status_code == 200, resp.text

    assert head(client, token, "alice/new") == sha
    titles = [c["title"] for c in client.get(f"{api('alice/new')}/commits/main", headers=bearer(token)).json()]
    assert titles == ["add a", "initial commit"]
    refs = client.get(f"{api('alice/new')}/refs", headers=bearer(token)).json()
    assert {b["name"] for b in refs["branches"]} == {"main", "dev"}
    assert [t["name"] for t in refs["tags"]] == ["v1"]

    # Old id: 307 to the new id, on the API and on file URLs, keeping the rest of the path and the query.
    old_info = client.get(api("alice/old") + "?blobs=true", headers=bearer(token), follow_redirects=False)
    assert old_info.status_code == 307
    assert old_info.headers["location"] == "http://testserver/api/models/alice/new?blobs=true"
    old_file = client.get("/alice/old/resolve/main/a.txt", headers=bearer(token), follow_redirects=False)
    assert old_file.status_code == 307
    assert old_file.headers["location"] == "http://testserver/alice/new/resolve/main/a.txt"
    assert old_file.headers["x-request-id"]
    followed = client.get("/alice/old/resolve/main/a.txt", headers=bearer(token))
    assert followed.status_code == 200 and followed.content == b"hello"
    assert followed.headers["x-repo-commit"] == sha


def test_old_id_in_a_body_gets_a_404_naming_the_new_id_not_a_redirect_loop(hub_client):
    # delete and move name the repo in the body: a 307 to the same URL would loop forever.
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "before")
    assert client.post("/api/repos/move", json={"fromRepo": "alice/before", "toRepo": "alice/after"},
                       headers=bearer(token)).status_code == 200
    for method, path, body in (("DELETE", "/api/repos/delete", {"name": "before"}),
                               ("POST", "/api/repos/move", {"fromRepo": "alice/before", "toRepo": "alice/x"})):
        resp = client.request(method, path, json=body, headers=bearer(token), follow_redirects=False)
        assert_error(resp, 404, "RepoNotFound", message="moved to alice/after")
    assert client.get(api("alice/after"), headers=bearer(token)).status_code == 200


def test_move_to_existing_and_back(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "a")
    create_repo(client, token, "b")
    resp = client.post("/api/repos/move", json={"fromRepo": "alice/a", "toRepo": "alice/b", "type": "model"},
                       headers=bearer(token))
    assert_error(resp, 409)
    assert "A model repository called alice/b already exists" in resp.json()["error"]
    # Moving away and back: the old id works again, no redirect loop.
    assert client.post("/api/repos/move", json={"fromRepo": "alice/a", "toRepo": "alice/c", "type": "model"},
                       headers=bearer(token)).status_code == 200
    assert client.post("/api/repos/move", json={"fromRepo": "alice/c", "toRepo": "alice/a", "type": "model"},
                       headers=bearer(token)).status_code == 200
    assert client.get(api("alice/a"), headers=bearer(token), follow_redirects=False).status_code == 200
    assert client.get(api("alice/c"), headers=bearer(token), follow_redirects=False).status_code == 307
    # A new repo can take a redirected id over.
    create_repo(client, token, "c")
    assert client.get(api("alice/c"), headers=bearer(token), follow_redirects=False).status_code == 200


def test_move_redirect_of_private_repo_is_hidden(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "secret-old", private=True)
    client.post("/api/repos/move", json={"fromRepo": "alice/secret-old", "toRepo": "alice/secret-new",
                                         "type": "model"}, headers=bearer(token))
    bob = hub_client.new_user("bob")
    assert_error(client.get(api("alice/secret-old"), headers=bearer(bob), follow_redirects=False), 404, "RepoNotFound")
    assert_error(client.get(api("alice/secret-old"), follow_redirects=False), 401, "RepoNotFound")


def test_settings_visibility(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "vis")
    resp = client.put(f"{api('alice/vis')}/settings", json={"visibility": "private"}, headers=bearer(token))
    assert resp.status_code == 200, resp.text
    assert client.get(api("alice/vis"), headers=bearer(token)).json()["private"] is True
    assert_error(client.get(api("alice/vis")), 401, "RepoNotFound")
    resp = client.put(f"{api('alice/vis')}/settings", json={"visibility": "public"}, headers=bearer(token))
    assert resp.status_code == 200
    assert client.get(api("alice/vis")).json()["private"] is False
    bob = hub_client.new_user("bob")
    assert_error(client.put(f"{api('alice/vis')}/settings", json={"visibility": "private"}, headers=bearer(bob)), 403)
    assert_error(client.put(f"{api('alice/vis')}/settings", json={"visibility": "nope"}, headers=bearer(token)), 400)
    assert client.get(api("alice/vis")).json()["private"] is False


README = b"""---
license: mit
library_name: transformers
tags:
- text-generation
- demo
language: en
pipeline_tag: text-generation
---
# Card
"""


def test_info_at_head_and_revision(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "info")
    first = head(client, token, "alice/info")
    commit(client, token, "alice/info", [file_op("README.md", README), file_op("sub/x.txt", b"x" * 10)])

    info = client.get(api("alice/info"), headers=bearer(token)).json()
    second = info["sha"]
    assert SHA_RE.match(second) and second != first
    assert DATE_RE.match(info["lastModified"]) and DATE_RE.match(info["createdAt"])
    assert info["private"] is False and info["author"] == "alice"
    assert sorted(s["rfilename"] for s in info["siblings"]) == [".gitattributes", "README.md", "sub/x.txt"]
    assert info["cardData"]["license"] == "mit"
    assert info["library_name"] == "transformers"
    assert info["pipeline_tag"] == "text-generation"
    assert {"text-generation", "demo", "transformers", "license:mit", "en"} <= set(info["tags"])

    blobs = client.get(api("alice/info") + "?blobs=true", headers=bearer(token)).json()
    sizes = {s["rfilename"]: s.get("size") for s in blobs["siblings"]}
    assert sizes["sub/x.txt"] == 10

    old = client.get(f"{api('alice/info')}/revision/{first}", headers=bearer(token)).json()
    assert old["sha"] == first
    assert [s["rfilename"] for s in old["siblings"]] == [".gitattributes"]
    assert "cardData" not in old and old["tags"] == []
    assert DATE_RE.match(old["lastModified"])

    short = client.get(f"{api('alice/info')}/revision/{second[:7]}", headers=bearer(token)).json()
    assert short["sha"] == second
    enc = client.get(f"{api('alice/info')}/revision/refs%2Fheads%2Fmain", headers=bearer(token)).json()
    assert enc["sha"] == second

    resp = client.get(f"{api('alice/info')}/revision/nope", headers=bearer(token))
    assert_error(resp, 404, "RevisionNotFound")


def test_private_repo_is_hidden(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "hidden", private=True)
    commit(client, token, "alice/hidden", [file_op("f.txt", b"secret")])
    bob = hub_client.new_user("bob")
    urls = [api("alice/hidden"), f"{api('alice/hidden')}/revision/main", f"{api('alice/hidden')}/refs",
            f"{api('alice/hidden')}/tree/main", f"{api('alice/hidden')}/commits/main",
            "/alice/hidden/resolve/main/f.txt"]
    for url in urls:
        anon = client.get(url)
        assert_error(anon, 401, "RepoNotFound")
        other = client.get(url, headers=bearer(bob))
        assert_error(other, 404, "RepoNotFound")
        missing = client.get(url.replace("hidden", "never-existed"), headers=bearer(bob))
        assert_error(missing, 404, "RepoNotFound")
        # Indistinguishable from a missing repo.
        assert other.headers["x-error-message"] == missing.headers["x-error-message"]
        assert other.json() == missing.json()
    assert client.get(api("alice/hidden"), headers=bearer(token)).json()["private"] is True
    assert client.head("/alice/hidden/resolve/main/f.txt").status_code == 401

    ids = lambda resp: [r["id"] for r in resp.json()]  # noqa: E731
    assert "alice/hidden" not in ids(client.get("/api/models"))
    assert "alice/hidden" not in ids(client.get("/api/models", headers=bearer(bob)))
    assert "alice/hidden" not in ids(client.get("/api/models?author=alice", headers=bearer(bob)))
    assert "alice/hidden" in ids(client.get("/api/models", headers=bearer(token)))


def _ids(resp):
    assert resp.status_code == 200, resp.text
    return [r["id"] for r in resp.json()]


def test_list_filters_and_sort(hub_client):
    client, token = hub_client.client, hub_client.token
    bob = hub_client.new_user("bob")
    for name in ("alpha", "beta", "gamma"):
        create_repo(client, token, name)
    create_repo(client, bob, "bob-alpha")
    create_repo(client, token, "ds-alpha", "dataset")

    assert set(_ids(client.get("/api/models"))) == {"alice/alpha", "alice/beta", "alice/gamma", "bob/bob-alpha"}
    assert set(_ids(client.get("/api/models?author=bob"))) == {"bob/bob-alpha"}
    assert set(_ids(client.get("/api/models?author=ALICE"))) == {"alice/alpha", "alice/beta", "alice/gamma"}
    assert set(_ids(client.get("/api/models?search=alpha"))) == {"alice/alpha", "bob/bob-alpha"}
    assert _ids(client.get("/api/datasets?search=alpha")) == ["alice/ds-alpha"]
    assert _ids(client.get("/api/spaces")) == []

    # Newest first by default and with sort=createdAt; direction=1 reverses.
    assert _ids(client.get("/api/models?author=alice&sort=createdAt")) == ["alice/gamma", "alice/beta", "alice/alpha"]
    assert _ids(client.get("/api/models?author=alice&sort=createdAt&direction=1")) == [
        "alice/alpha", "alice/beta", "alice/gamma"]
    # A commit bumps lastModified.
    commit(client, token, "alice/alpha", [file_op("f", b"1")])
    assert _ids(client.get("/api/models?author=alice&sort=lastModified"))[0] == "alice/alpha"

    listed = client.get("/api/models?author=alice").json()[0]
    assert DATE_RE.match(listed["lastModified"]) and DATE_RE.match(listed["createdAt"])
    assert {"id", "private", "author", "downloads", "likes", "tags"} <= set(listed)

    assert_error(client.get("/api/models?sort=bogus"), 400)
    assert_error(client.get("/api/models?limit=0"), 400)
    assert_error(client.get("/api/models?limit=abc"), 400)
    assert_error(client.get("/api/kernels-nope"), 404)


def test_list_pagination_link_is_absolute_and_complete(hub_client):
    client, token = hub_client.client, hub_client.token
    names = [f"repo{i}" for i in range(5)]
    for name in names:
        create_repo(client, token, name)
    seen: list[str] = []
    url = "/api/models?author=alice&sort=createdAt&direction=1&limit=2"
    pages = 0
    while url:
        resp = client.get(url)
        assert resp.status_code == 200
        seen += _ids(resp)
        pages += 1
        link = resp.headers.get("link")
        if not link:
            break
        match = re.fullmatch(r'<(.+)>; rel="next"', link)
        assert match, link
        url = match.group(1)
        parts = urlsplit(url)
        assert parts.scheme == "http" and parts.netloc == "testserver"  # absolute
        query = parse_qs(parts.query)
        assert query["author"] == ["alice"] and query["sort"] == ["createdAt"]
        assert query["direction"] == ["1"] and query["limit"] == ["2"] and query["cursor"]
    assert pages == 3
    assert seen == [f"alice/{n}" for n in names]
    assert "link" not in client.get("/api/models?author=alice&limit=5").headers


def test_namespace_is_stored_as_its_owner_spells_it(hub_client):
    client, token = hub_client.client, hub_client.token
    body = create_repo(client, token, "Case", organization="ALICE")
    assert body["url"] == "http://testserver/alice/Case"
    assert client.get(api("alice/Case"), headers=bearer(token)).json()["id"] == "alice/Case"
    resp = client.post("/api/repos/move", json={"fromRepo": "alice/Case", "toRepo": "Alice/Renamed", "type": "model"},
                       headers=bearer(token))
    assert resp.status_code == 200
    assert resp.json()["url"] == "http://testserver/alice/Renamed"
    assert _ids(client.get("/api/models?author=alice")) == ["alice/Renamed"]

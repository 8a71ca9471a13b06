"""``GET /api/settings/repositories`` and ``/api/organizations/{org}/settings/repositories``: a namespace's
repos of every type with their storage, as ``list_user_repos`` and ``hf repos ls`` read them."""

from __future__ import annotations

import re

from tests.api.helpers import assert_error, bearer, commit, create_repo, file_op

ITEM_KEYS = {"id", "type", "updatedAt", "visibility", "storage", "storagePercent"}


def _all(client, url, token):
    items, pages = [], 0
    while url:
        resp = client.get(url, headers=bearer(token))
        assert resp.status_code == 200, resp.text
        items += resp.json()
        pages += 1
        link = resp.headers.get("link")
        url = re.fullmatch(r'<(.+)>; rel="next"', link).group(1) if link else None
    return items, pages


def test_own_repos_with_storage_and_paging(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "m1")
    create_repo(client, token, "d1", "dataset")
    create_repo(client, token, "s1", "space", private=True)
    commit(client, token, "alice/m1", [file_op("big.txt", b"x" * 900)])
    bob = hub_client.new_user("bob")
    create_repo(client, bob, "not-alices")
    items, pages = _all(client, "/api/settings/repositories?limit=2", token)
    assert pages == 2
    by_id = {item["id"]: item for item in items}
    assert set(by_id) == {"alice/m1", "alice/d1", "alice/s1"}
    assert all(set(item) == ITEM_KEYS for item in items)
    assert items[0]["id"] == "alice/m1"  # most recently updated first
    assert {i["id"]: (i["type"], i["visibility"]) for i in items} == {
        "alice/m1": ("model", "public"), "alice/d1": ("dataset", "public"), "alice/s1": ("space", "private")}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", i["updatedAt"]) for i in items)
    total = sum(i["storage"] for i in items)
    assert by_id["alice/m1"]["storage"] > by_id["alice/d1"]["storage"] > 0
    assert abs(sum(i["storagePercent"] for i in items) - 100) < 0.1
    assert total == client.get("/api/quota/alice", headers=bearer(token)).json()["private"]["used"] + \
        client.get("/api/quota/alice", headers=bearer(token)).json()["public"]["used"]


def test_organization_repos_for_members_only(hub_client):
    client, token = hub_client.client, hub_client.token
    assert client.post("/org/create", json={"name": "acme"}, headers=bearer(token)).status_code == 200
    create_repo(client, token, "shared", private=True, organization="acme")
    items, _ = _all(client, "/api/organizations/acme/settings/repositories", token)
    assert [(i["id"], i["visibility"]) for i in items] == [("acme/shared", "private")]
    outsider = hub_client.new_user("outsider")
    assert_error(client.get("/api/organizations/acme/settings/repositories", headers=bearer(outsider)), 404)
    assert_error(client.get("/api/organizations/acme/settings/repositories"), 401)
    assert_error(client.get("/api/settings/repositories"), 401)
    assert_error(client.get("/api/organizations/nobody/settings/repositories", headers=bearer(token)), 404)
    assert_error(client.get("/api/settings/repositories?limit=0", headers=bearer(token)), 400)
    assert_error(client.get("/api/settings/repositories?cursor=x", headers=bearer(token)), 400)

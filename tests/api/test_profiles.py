"""User and organization overviews, an org's members and a namespace's storage, over raw HTTP; and the
stock client's get_user_overview, get_organization_overview and list_organization_members against a live hub."""

from __future__ import annotations

import httpx
from huggingface_hub import HfApi

from tests.api.helpers import assert_error, bearer, create_repo


def _org(hub_client, name: str = "lab") -> None:
    resp = hub_client.client.post("/org/create", json={"name": name, "description": "A lab"},
                                  headers=hub_client.auth())
    assert resp.status_code == 200, resp.text


def test_user_overview_counts_only_what_the_viewer_may_see(hub_client) -> None:
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "pub")
    create_repo(client, token, "secret", private=True)
    create_repo(client, token, "data", "dataset")
    _org(hub_client)
    client.put("/api/auth/profile", json={"fullname": "Alice L."}, headers=bearer(token))

    own = client.get("/api/users/alice/overview", headers=bearer(token)).json()
    assert own["user"] == "alice" and own["fullname"] == "Alice L." and own["type"] == "user"
    assert (own["numModels"], own["numDatasets"], own["numSpaces"]) == (2, 1, 0)
    assert [o["name"] for o in own["orgs"]] == ["lab"]
    assert own["createdAt"].endswith("Z")
    anonymous = client.get("/api/users/ALICE/overview").json()  # any case, as the Hub
    assert (anonymous["user"], anonymous["numModels"]) == ("alice", 1)

    bob = hub_client.new_user("bob")
    assert client.get("/api/users/alice/overview", headers=bearer(bob)).json()["numModels"] == 1
    client.put("/api/models/alice/secret/collaborators/bob", json={"role": "read"}, headers=bearer(token))
    assert client.get("/api/users/alice/overview", headers=bearer(bob)).json()["numModels"] == 2


def test_unknown_names_and_orgs_as_users_are_404(hub_client) -> None:
    _org(hub_client)
    assert_error(hub_client.client.get("/api/users/nobody/overview"), 404)
    assert_error(hub_client.client.get("/api/users/lab/overview"), 404)  # an org is not a user
    assert_error(hub_client.client.get("/api/organizations/alice/overview"), 404)  # nor a user an org
    assert_error(hub_client.client.get("/api/organizations/nobody/members"), 404)


def test_org_overview_and_members(hub_client) -> None:
    client, token = hub_client.client, hub_client.token
    _org(hub_client)
    hub_client.new_user("bob")
    assert client.post("/org/lab/members", json={"username": "bob", "role": "member"},
                       headers=hub_client.auth()).status_code == 200
    create_repo(client, token, "model-a", organization="lab")
    create_repo(client, token, "hidden", organization="lab", private=True)

    overview = client.get("/api/organizations/lab/overview").json()
    assert overview["name"] == "lab" and overview["details"] == "A lab" and overview["type"] == "org"
    assert (overview["numUsers"], overview["numModels"]) == (2, 1)
    assert client.get("/api/organizations/lab/overview", headers=bearer(token)).json()["numModels"] == 2
    members = client.get("/api/organizations/lab/members").json()
    assert [(m["user"], m["role"]) for m in members] == [("alice", "super-admin"), ("bob", "member")]


def test_storage_shows_buckets_and_xet_savings_to_the_namespace_only(hub_client) -> None:
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "pub")
    answer = client.get("/api/storage/alice", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["namespace"] == "alice" and body["public"]["used"] > 0  # its .gitattributes
    assert body["xet"] == {"files": 0, "logical_bytes": 0, "stored_bytes": 0, "saved_bytes": 0}
    assert_error(client.get("/api/storage/alice"), 401)
    assert_error(client.get("/api/storage/alice", headers=bearer(hub_client.new_user("bob"))), 404)


def test_the_client_reads_profiles(live_server) -> None:
    api = HfApi(endpoint=live_server.url, token=live_server.token)
    org = "profile-org"
    with httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {live_server.token}"}) as http:
        assert http.post("/org/create", json={"name": org}).status_code == 200
    user = api.get_user_overview("alice")
    assert user.username == "alice" and user.user_type == "user" and org in [o.name for o in user.orgs]
    overview = api.get_organization_overview(org)
    assert overview.name == org and overview.num_users == 1
    assert [m.username for m in api.list_organization_members(org)] == ["alice"]

"""The lists' filters from card metadata: ``filter=`` (and the client's ``pipeline_tag``) match the tags of
main's README.md, kept current by every write; ``/api/{models,datasets,spaces}-tags-by-type``; repos made
before the index existed are indexed at start; and the stock client's list_models(filter=...) and
get_model_tags()."""

from __future__ import annotations

from huggingface_hub import HfApi

from kohakuhub.db.models import RepoCardIndex, RepoTag
from tests.api.helpers import assert_error, bearer, commit, create_repo, file_op

CARD = b"""---
license: mit
library_name: transformers
pipeline_tag: text-classification
language: [en, fr]
datasets: [squad]
tags: [sentiment, true, 3]
---
# A model
"""


def _ids(client, **params) -> list[str]:
    resp = client.get("/api/models", params=params)
    assert resp.status_code == 200, resp.text
    return sorted(item["id"] for item in resp.json())


def test_filters_match_every_kind_of_card_tag(hub_client) -> None:
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "tagged")
    create_repo(client, token, "plain")
    commit(client, token, "alice/tagged", [file_op("README.md", CARD)])
    commit(client, token, "alice/plain", [file_op("README.md", b"---\nlicense: apache-2.0\n---\n")])

    for tag in ("license:mit", "transformers", "text-classification", "en", "fr", "dataset:squad", "sentiment",
                "3"):
        assert _ids(client, filter=tag) == ["alice/tagged"], tag
    assert _ids(client, pipeline_tag="text-classification") == ["alice/tagged"]
    assert _ids(client, filter=["license:mit", "en"]) == ["alice/tagged"]  # every filter must match
    assert _ids(client, filter="license:mit,en") == ["alice/tagged"]  # the Hub's comma form
    assert _ids(client, filter=["license:mit", "license:apache-2.0"]) == []
    assert _ids(client, filter="True") == []  # a YAML boolean is not a tag
    listed = {item["id"]: item["tags"] for item in client.get("/api/models").json()}
    assert listed["alice/plain"] == ["license:apache-2.0"] and "sentiment" in listed["alice/tagged"]


def test_tags_follow_main_and_nothing_else(hub_client) -> None:
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "m")
    commit(client, token, "alice/m", [file_op("README.md", CARD)])
    assert client.post("/api/models/alice/m/branch/dev", headers=bearer(token)).status_code == 200
    commit(client, token, "alice/m", [file_op("README.md", b"---\nlicense: gpl-3.0\n---\n")], revision="dev")
    assert _ids(client, filter="license:mit") == ["alice/m"]  # a branch's card is not the repo's
    commit(client, token, "alice/m", [file_op("README.md", b"---\nlicense: gpl-3.0\n---\n")])
    assert _ids(client, filter="license:mit") == [] and _ids(client, filter="license:gpl-3.0") == ["alice/m"]
    commit(client, token, "alice/m", [{"key": "deletedFile", "value": {"path": "README.md"}}])
    assert _ids(client, filter="license:gpl-3.0") == []


def test_tags_by_type_count_public_repos_only(hub_client) -> None:
    client, token = hub_client.client, hub_client.token
    for name, private in (("a", False), ("b", False), ("hidden", True)):
        create_repo(client, token, name, private=private)
        commit(client, token, f"alice/{name}", [file_op("README.md", CARD)])
    body = client.get("/api/models-tags-by-type").json()
    assert {"id": "license:mit", "label": "mit", "type": "license", "count": 2} in body["license"]
    assert body["library"][0]["id"] == "transformers" and body["pipeline_tag"][0]["id"] == "text-classification"
    assert {t["id"] for t in body["language"]} == {"en", "fr"}
    assert client.get("/api/datasets-tags-by-type").json() == {}
    # A private repo's tags never leak, to anyone, through the listing either.
    assert _ids(client, filter="license:mit") == ["alice/a", "alice/b"]


def test_bad_filters_are_refused(hub_client) -> None:
    assert_error(hub_client.client.get("/api/models", params={"filter": [f"t{i}" for i in range(21)]}), 400,
                 message="At most 20")
    assert_error(hub_client.client.get("/api/models", params={"filter": "x" * 256}), 400, message="longer")


def test_repos_without_an_index_are_indexed_at_start(hub_client) -> None:
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "old")
    commit(client, token, "alice/old", [file_op("README.md", CARD)])
    RepoTag.delete().execute()
    RepoCardIndex.delete().execute()  # as after migration 8 on an existing hub
    assert _ids(client, filter="license:mit") == []
    assert hub_client.hub.repos.cards.index_missing() == 1
    assert _ids(client, filter="license:mit") == ["alice/old"]
    assert hub_client.hub.repos.cards.index_missing() == 0


def test_the_client_filters_and_reads_tags(live_server) -> None:
    api = HfApi(endpoint=live_server.url, token=live_server.token)
    repo = api.create_repo("alice/filtered-by-client", exist_ok=True).repo_id
    api.upload_file(path_or_fileobj=CARD, path_in_repo="README.md", repo_id=repo)
    assert repo in [m.id for m in api.list_models(filter=["license:mit", "dataset:squad"])]
    assert repo in [m.id for m in api.list_models(pipeline_tag="text-classification", author="alice")]
    assert repo not in [m.id for m in api.list_models(filter="license:other")]
    assert "license:mit" in [tag["id"] for tag in api.get_model_tags()["license"]]

"""``POST /api/validate-yaml`` validates card metadata as the Hub does, and a commit (NDJSON file or copy)
whose README.md has invalid metadata is refused with the Hub's words, changing nothing."""

from __future__ import annotations

import pytest

from tests.api.helpers import api, assert_error, bearer, commit, create_repo, file_op, files, head

VALID = {
    "model": "---\nlicense: mit\nlanguage: [en, no]\ntags: [a, 2023]\nbase_model: org/base\n"
             "model-index:\n- name: m\n  results:\n  - task: {type: text-classification}\n"
             "    dataset: {type: imdb, name: IMDB}\n    metrics: [{type: accuracy, value: 0.9}]\n---\n# Card\n",
    "dataset": "---\nlicense: cc-by-4.0\ntask_categories: [text-classification]\nconfigs:\n- config_name: default\n"
               "  data_files: data/*.csv\ndataset_info: {features: []}\n---\n",
    "space": "---\ntitle: Demo\nemoji: 🚀\ncolorFrom: red\ncolorTo: gray\nsdk: gradio\nsdk_version: '4.0'\n"
             "app_port: 7860\nshort_description: short\npinned: false\n---\n",
}
INVALID = [
    ("model", "---\nmodel-index: foo\n---\n", '"model-index" must be an array'),
    ("model", "---\nlicense: asdf\n---\n", '"license" must be one of [apache-2.0, mit,'),
    ("model", "---\nbase_model: Kokoro 82M\n---\n",
     '"base_model" with value "Kokoro 82M" is not valid. Use a model id from https://hf.co/models.'),
    ("model", "---\nmodel-index:\n- name: m\n  results:\n  - task: {type: t}\n    metrics: []\n---\n",
     '"model-index[0].results[0].dataset" is required'),
    ("model", "---\n- a list\n---\n", '"value" must be of type object'),
    ("model", "---\nlicense: [mit\n---\n", "Invalid YAML in the metadata"),
    ("dataset", "---\nconfigs:\n- data_files: x.csv\n---\n", '"configs[0].config_name" is required'),
    ("space", "---\ncolorFrom: orange\n---\n",
     '"colorFrom" must be one of [red, yellow, green, blue, indigo, purple, pink, gray]'),
    ("space", "---\nshort_description: " + "x" * 61 + "\n---\n",
     '"short_description" length must be less than or equal to 60 characters'),
    ("space", "---\nsdk: flask\n---\n", '"sdk" must be one of [gradio, streamlit, docker, static]'),
]


def _validate(client, content, repo_type=None, accept=None):
    body = {"content": content} | ({"repoType": repo_type} if repo_type else {})
    return client.post("/api/validate-yaml", json=body, headers={"Accept": accept} if accept else {})


@pytest.mark.parametrize("repo_type", list(VALID))
def test_valid_cards_pass(hub_client, repo_type):
    resp = _validate(hub_client.client, VALID[repo_type], repo_type)
    assert resp.status_code == 200 and resp.json() == {"errors": [], "warnings": []}


@pytest.mark.parametrize(("repo_type", "card", "message"), INVALID)
def test_invalid_cards_are_400_with_the_hubs_messages(hub_client, repo_type, card, message):
    resp = _validate(hub_client.client, card, repo_type)
    assert resp.status_code == 400
    assert resp.headers["x-error-message"].startswith("Invalid metadata in README.md")
    assert any(message in e["message"] for e in resp.json()["errors"]), resp.json()
    assert resp.json()["warnings"] == []
    # RepoCard.validate() asks for text: the Hub's "- Error: ..." lines.
    text = _validate(hub_client.client, card, repo_type, accept="text/plain")
    assert text.status_code == 400 and text.headers["content-type"].startswith("text/plain")
    assert f"- Error: {message}" in text.text


def test_rules_depend_on_the_repo_type(hub_client):
    space_card = "---\ncolorFrom: orange\n---\n"
    assert _validate(hub_client.client, space_card, "model").status_code == 200  # colorFrom means nothing there
    assert _validate(hub_client.client, "---\nsdk: flask\n---\n").status_code == 200  # repoType defaults to model


@pytest.mark.parametrize("card", ["no metadata at all", "---\n---\n# empty", "---\n\n---\n", ""])
def test_missing_metadata_is_a_warning(hub_client, card):
    resp = _validate(hub_client.client, card, "model")
    assert resp.status_code == 200
    assert resp.json() == {"errors": [], "warnings": [{"message": "empty or missing yaml metadata in repo card"}]}


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"content": 3}', b'{"repoType": "model"}',
                                  b'{"content": "x", "repoType": "kernel"}'])
def test_malformed_requests_get_json_errors(hub_client, body):
    resp = hub_client.client.post("/api/validate-yaml", content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.json()["errors"][0]["message"], resp.text


@pytest.fixture
def repo(hub_client):
    create_repo(hub_client.client, hub_client.token, "card")
    commit(hub_client.client, hub_client.token, "alice/card", [file_op("README.md", VALID["model"].encode()),
                                                               file_op("docs/bad.md", b"---\nlicense: asdf\n---\n")])
    return hub_client


def test_commit_with_invalid_readme_is_refused_and_changes_nothing(repo):
    client, token = repo.client, repo.token
    before = head(client, token, "alice/card"), files(client, token, "alice/card")
    big = b"---\nlicense: asdf\n---\n" + b"x" * 5000  # above the test hub's LFS threshold: still read
    for ops in ([file_op("README.md", b"---\nlicense: asdf\n---\n")], [file_op("README.md", big)],
                [file_op("ok.txt", b"fine"), file_op("README.md", b"---\nmodel-index: foo\n---\n")],
                [{"key": "copyFile", "value": {"path": "README.md", "srcPath": "docs/bad.md"}}]):
        resp = commit(client, token, "alice/card", ops, expect=None)
        assert_error(resp, 400, message="Sorry, your push was rejected during YAML metadata verification:")
        assert " - Error: " in resp.json()["error"]
    assert (head(client, token, "alice/card"), files(client, token, "alice/card")) == before


def test_only_the_root_readme_is_a_card_and_other_commits_pass(repo):
    client, token = repo.client, repo.token
    commit(client, token, "alice/card", [file_op("sub/README.md", b"---\nlicense: asdf\n---\n")])
    commit(client, token, "alice/card", [file_op("README.md", b"# no metadata: a warning, not an error\n")])
    dataset = create_repo(client, token, "ds", "dataset")
    assert dataset["repo_id"] == "alice/ds"
    commit(client, token, "alice/ds", [file_op("README.md", VALID["dataset"].encode())], repo_type="dataset")
    resp = client.get(f"{api('alice/ds', 'dataset')}/revision/main", headers=bearer(token))
    assert resp.json()["cardData"]["license"] == "cc-by-4.0"

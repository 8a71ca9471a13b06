"""The Hub's error texts and codes where clients match on them (huggingface_hub's own test suite does):
"Reference refs/heads/x already exists" (409), "Invalid reference for a branch" (400),
"Cannot delete refs/heads/main" (403) and "Invalid rev id" (404 RevisionNotFound)."""

from __future__ import annotations

from tests.api.helpers import api, assert_error, bearer, commit, create_repo, file_op


def _refs(client, token, repo_id):
    body = client.get(f"{api(repo_id)}/refs", headers=bearer(token)).json()
    return ({b["name"]: b["targetCommit"] for b in body["branches"]},
            {t["name"]: t["targetCommit"] for t in body["tags"]})


def test_branch_texts(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "texts")
    commit(client, token, "alice/texts", [file_op("a.txt", b"a")])
    base = api("alice/texts")
    assert client.post(f"{base}/branch/cool-branch", json={}, headers=bearer(token)).status_code == 200
    before = _refs(client, token, "alice/texts")

    for name in ("cool-branch", "main"):
        resp = client.post(f"{base}/branch/{name}", json={}, headers=bearer(token))
        assert_error(resp, 409, message=f"Reference refs/heads/{name} already exists")
    for bad in ("refs%2Fpr%2F5", "refs%2Fsomething%2Frandom"):
        assert_error(client.post(f"{base}/branch/{bad}", json={}, headers=bearer(token)), 400,
                     message="Invalid reference for a branch")
    resp = client.delete(f"{base}/branch/main", headers=bearer(token))
    assert_error(resp, 403, message="Cannot delete refs/heads/main")
    assert_error(client.delete(f"{base}/branch/missing", headers=bearer(token)), 404, "RevisionNotFound",
                 message="Invalid rev id: missing")
    assert _refs(client, token, "alice/texts") == before  # every refusal changed nothing


def test_a_branch_and_a_tag_may_share_a_name(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "shared")
    base = api("alice/shared")
    assert client.post(f"{base}/tag/main", json={"tag": "tag"}, headers=bearer(token)).status_code == 200
    assert client.post(f"{base}/branch/tag", json={}, headers=bearer(token)).status_code == 200
    branches, tags = _refs(client, token, "alice/shared")
    assert set(branches) == {"main", "tag"} and set(tags) == {"tag"}
    # Deleting the tag's name as a branch deletes the branch; once gone, it is an invalid rev id.
    assert client.delete(f"{base}/branch/tag", headers=bearer(token)).status_code == 200
    assert_error(client.delete(f"{base}/branch/tag", headers=bearer(token)), 404, "RevisionNotFound",
                 message="Invalid rev id: tag")
    assert _refs(client, token, "alice/shared")[1] == tags


def test_tag_texts(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "tags")
    base = api("alice/tags")
    assert client.post(f"{base}/tag/main", json={"tag": "tag_1"}, headers=bearer(token)).status_code == 200
    before = _refs(client, token, "alice/tags")
    for body in ({"tag": "tag_1"}, {"tag": "tag_1", "message": "annotated"}):
        assert_error(client.post(f"{base}/tag/main", json=body, headers=bearer(token)), 409,
                     message="Reference refs/tags/tag_1 already exists")
    # The revision is resolved first: a missing one is RevisionNotFound even with an invalid tag name.
    assert_error(client.post(f"{base}/tag/foobar", json={"tag": "invalid tag"}, headers=bearer(token)), 404,
                 "RevisionNotFound", message="Invalid rev id: foobar")
    assert_error(client.post(f"{base}/tag/main", json={"tag": "invalid tag"}, headers=bearer(token)), 400,
                 message="Invalid reference for a tag")
    assert_error(client.delete(f"{base}/tag/v0", headers=bearer(token)), 404, "RevisionNotFound",
                 message="Invalid rev id: v0")
    assert_error(client.delete(f"{base}/tag/main", headers=bearer(token)), 404, "RevisionNotFound")
    assert _refs(client, token, "alice/tags") == before


def test_invalid_revision_text_on_reads(hub_client):
    client, token = hub_client.client, hub_client.token
    create_repo(client, token, "reads")
    base = api("alice/reads")
    for path in ("/revision/nope", "/tree/nope", "/commits/nope"):
        resp = client.get(base + path, headers=bearer(token))
        assert_error(resp, 404, "RevisionNotFound", message="Invalid rev id")
    resp = client.head("/alice/reads/resolve/nope/.gitattributes", headers=bearer(token))
    assert resp.status_code == 404 and resp.headers["x-error-code"] == "RevisionNotFound"

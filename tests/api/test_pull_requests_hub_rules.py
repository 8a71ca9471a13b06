"""Pull requests and the rest of issue 16 together: a gated repo's discussions and pull requests (the
changes of a pull request are content), the path rules and README metadata checks on pull request commits,
and permanently_delete_lfs_files rewriting refs/pr/N with the branches."""

from __future__ import annotations

import subprocess

import pytest

from tests.api.helpers import (
    NDJSON,
    api,
    assert_error,
    bearer,
    commit,
    create_repo,
    file_op,
    files,
    git_dir,
    head,
    lfs_batch,
    lfs_op,
    lfs_upload,
    ndjson,
    sha256,
)

GATED = "alice/g"
SECRET = b"the gated repo's secret line\n"
CARD = b"---\nlicense: mit\n---\n# a card\n"
BAD_CARD = b"---\nlicense: not-a-license\n---\n"
YAML_REFUSAL = "Sorry, your push was rejected during YAML metadata verification:"
WEIGHTS, PR_WEIGHTS = b"W" * 3000, b"P" * 3001  # above the test hub's 1 KiB LFS threshold


def _pr_commit(hc, token, repo, ops, *, expect: int | None = 200):
    resp = hc.client.post(f"{api(repo)}/commit/main?create_pr=1", content=ndjson(ops, summary="propose"),
                          headers={**bearer(token), **NDJSON})
    if expect is not None:
        assert resp.status_code == expect, resp.text
    return resp


def _state(hc, repo: str) -> tuple:
    """Refs (pull requests' too) and every discussion with its events, as the owner sees them."""
    refs = hc.client.get(f"{api(repo)}/refs?include_prs=1", headers=hc.auth()).json()
    listing = hc.client.get(f"{api(repo)}/discussions", headers=hc.auth()).json()
    details = [hc.client.get(f"{api(repo)}/discussions/{d['num']}", headers=hc.auth()).json()
               for d in listing["discussions"]]
    return refs, listing, details


def _handle(hc, user: str, status: str) -> None:
    resp = hc.client.post(f"{api(GATED)}/user-access-request/handle", json={"user": user, "status": status},
                          headers=hc.auth())
    assert resp.status_code == 200, resp.text


@pytest.fixture
def gated(hub_client):
    """alice's gated alice/g (manual approval) with her pull request #1 adding a secret file; bob's access
    request is pending, carol was granted access, dave writes to the repo."""
    hc = hub_client
    hc.bob, hc.carol, hc.dave = hc.new_user("bob"), hc.new_user("carol"), hc.new_user("dave")
    create_repo(hc.client, hc.token, "g")
    commit(hc.client, hc.token, GATED, [file_op("README.md", CARD), file_op("a.txt", b"a\n")])
    assert hc.client.put(f"{api(GATED)}/settings", json={"gated": "manual"}, headers=hc.auth()).status_code == 200
    assert hc.client.put(f"{api(GATED)}/collaborators/dave", json={"role": "write"},
                         headers=hc.auth()).status_code == 200
    resp = hc.client.post(f"{api(GATED)}/ask-access", json={}, headers=bearer(hc.bob))
    assert resp.json() == {"status": "pending"}, resp.text
    resp = hc.client.post(f"{api(GATED)}/user-access-request/grant", json={"user": "carol"}, headers=hc.auth())
    assert resp.status_code == 200, resp.text
    _pr_commit(hc, hc.token, GATED, [file_op("secret.txt", SECRET)])
    return hc


def test_gated_readers_take_part_in_discussions_but_see_no_pull_request_changes(gated):
    hc, client = gated, gated.client
    listed = client.get(f"{api(GATED)}/discussions", headers=bearer(hc.bob))
    assert listed.status_code == 200 and [d["num"] for d in listed.json()["discussions"]] == [1]
    for query in ("", "?diff=1"):
        resp = client.get(f"{api(GATED)}/discussions/1{query}", headers=bearer(hc.bob))
        assert_error(resp, 403, "GatedRepo", message="awaiting a review")
        assert b"secret" not in resp.content
        assert_error(client.get(f"{api(GATED)}/discussions/1{query}"), 401, "GatedRepo")
    # The pull request's ref is content like any revision's.
    assert_error(client.get(f"{api(GATED)}/compare/main...refs%2Fpr%2F1", headers=bearer(hc.bob)), 403, "GatedRepo")
    assert_error(client.get(f"/{GATED}/resolve/refs%2Fpr%2F1/secret.txt", headers=bearer(hc.bob)), 403, "GatedRepo")
    # Discussions are metadata: bob opens one, comments on the pull request and reads his discussion.
    opened = client.post(f"{api(GATED)}/discussions", json={"title": "How do I get access?"}, headers=bearer(hc.bob))
    assert opened.status_code == 200 and opened.json()["num"] == 2, opened.text
    assert client.post(f"{api(GATED)}/discussions/1/comment", json={"comment": "Looks useful"},
                       headers=bearer(hc.bob)).status_code == 200
    mine = client.get(f"{api(GATED)}/discussions/2", headers=bearer(hc.bob))
    assert mine.status_code == 200 and mine.json()["isPullRequest"] is False
    # Writers are never gated: dave sees the changes.
    details = client.get(f"{api(GATED)}/discussions/1?diff=1", headers=bearer(hc.dave)).json()
    assert [f["newPath"] for f in details["files"]] == ["secret.txt"] and "+the gated" in details["diff"]


def test_opening_a_pull_request_on_a_gated_repo_needs_access(gated):
    hc, client = gated, gated.client
    before = _state(hc, GATED)
    assert_error(_pr_commit(hc, hc.bob, GATED, [file_op("bob.txt", b"b")], expect=None), 403, "GatedRepo")
    assert_error(client.post(f"{api(GATED)}/discussions", json={"title": "empty one", "pullRequest": True},
                             headers=bearer(hc.bob)), 403, "GatedRepo")
    assert_error(client.post(f"{api(GATED)}/preupload/main?create_pr=1", headers=bearer(hc.bob),
                             json={"files": [{"path": "p.txt", "size": 1, "sample": ""}]}), 403, "GatedRepo")
    assert_error(client.get(f"{api(GATED)}/xet-write-token/main?create_pr=1", headers=bearer(hc.bob)),
                 403, "GatedRepo")
    resp = lfs_batch(client, hc.bob, GATED, [(sha256(WEIGHTS), len(WEIGHTS))], ref=None)
    assert resp.status_code == 403 and resp.headers["x-error-code"] == "GatedRepo", resp.text
    # Anonymous callers are asked to sign in, as for any pull request.
    assert_error(_pr_commit(hc, None, GATED, [file_op("x.txt", b"x")], expect=None), 401)
    assert _state(hc, GATED) == before


def test_access_opens_pull_requests_and_its_rejection_stops_them(gated):
    hc, client = gated, gated.client
    pr = _pr_commit(hc, hc.carol, GATED, [file_op("carol.txt", b"c\n")]).json()
    assert pr["pullRequestUrl"].endswith("/discussions/2")
    assert lfs_upload(client, hc.carol, GATED, WEIGHTS, ref="refs/pr/2") == sha256(WEIGHTS)
    commit(client, hc.carol, GATED, [lfs_op("w.bin", WEIGHTS)], revision="refs%2Fpr%2F2")
    details = client.get(f"{api(GATED)}/discussions/2?diff=1", headers=bearer(hc.carol)).json()
    assert sorted(f["newPath"] for f in details["files"]) == ["carol.txt", "w.bin"]
    opened = client.post(f"{api(GATED)}/discussions", json={"title": "empty one", "pullRequest": True},
                         headers=bearer(hc.carol))
    assert opened.status_code == 200 and opened.json()["gitReference"] == "refs/pr/3", opened.text
    _handle(hc, "carol", "rejected")
    before = _state(hc, GATED)
    resp = commit(client, hc.carol, GATED, [file_op("more.txt", b"m")], revision="refs%2Fpr%2F2", expect=None)
    assert_error(resp, 403, "GatedRepo", message="rejected")
    assert_error(client.get(f"{api(GATED)}/discussions/2", headers=bearer(hc.carol)), 403, "GatedRepo")
    assert _state(hc, GATED) == before
    # Still a participant of the conversation.
    assert client.post(f"{api(GATED)}/discussions/2/comment", json={"comment": "why?"},
                       headers=bearer(hc.carol)).status_code == 200


@pytest.fixture
def card_repo(hub_client):
    hc = hub_client
    hc.bob = hc.new_user("bob")
    create_repo(hc.client, hc.token, "card")
    commit(hc.client, hc.token, "alice/card", [file_op("README.md", CARD), file_op(".gitignore", b"*.log\n"),
                                               file_op("docs/bad.md", BAD_CARD)])
    return hc


@pytest.mark.parametrize("ops", [
    [file_op("README.md", BAD_CARD)],
    [file_op("ok.txt", b"fine"), file_op("README.md", b"---\nmodel-index: foo\n---\n")],
    [{"key": "copyFile", "value": {"path": "README.md", "srcPath": "docs/bad.md"}}],
], ids=["file", "among-others", "copy"])
def test_pull_request_commits_get_the_card_checks(card_repo, ops):
    hc, repo = card_repo, "alice/card"
    _pr_commit(hc, hc.bob, repo, [file_op("first.txt", b"1")])
    before = _state(hc, repo)
    assert_error(_pr_commit(hc, hc.bob, repo, ops, expect=None), 400, message=YAML_REFUSAL)
    assert_error(commit(hc.client, hc.bob, repo, ops, revision="refs%2Fpr%2F1", expect=None), 400,
                 message=YAML_REFUSAL)
    assert _state(hc, repo) == before  # no pull request opened, refs/pr/1 did not move


@pytest.mark.parametrize("path", ["../escape.txt", "..\\escape.txt", "a/.git/config", "C:\\x.txt"])
def test_pull_request_commits_get_the_path_rules(card_repo, path):
    hc, repo = card_repo, "alice/card"
    _pr_commit(hc, hc.bob, repo, [file_op("first.txt", b"1")])
    before = _state(hc, repo)
    assert_error(_pr_commit(hc, hc.bob, repo, [file_op(path, b"x")], expect=None), 422)
    assert_error(commit(hc.client, hc.bob, repo, [file_op(path, b"x")], revision="refs%2Fpr%2F1", expect=None), 422)
    assert_error(hc.client.post(f"{api(repo)}/preupload/main?create_pr=1", headers=bearer(hc.bob),
                                json={"files": [{"path": path, "size": 1, "sample": ""}]}), 422)
    assert _state(hc, repo) == before


def test_pull_request_preupload_follows_gitignore(card_repo):
    hc, repo = card_repo, "alice/card"
    body = {"files": [{"path": "run.log", "size": 1, "sample": ""}, {"path": "keep.txt", "size": 1, "sample": ""}]}
    for url in (f"{api(repo)}/preupload/main?create_pr=1", f"{api(repo)}/preupload/refs%2Fpr%2F1"):
        if url.endswith("pr%2F1"):
            _pr_commit(hc, hc.bob, repo, [file_op("first.txt", b"1")])
        answer = hc.client.post(url, json=body, headers=bearer(hc.bob)).json()["files"]
        assert {f["path"]: f["shouldIgnore"] for f in answer} == {"run.log": True, "keep.txt": False}, url
    answer = hc.client.post(f"{api(repo)}/preupload/refs%2Fpr%2F1", headers=bearer(hc.bob),
                            json={**body, "gitIgnore": "keep.txt\n"}).json()["files"]
    assert {f["path"]: f["shouldIgnore"] for f in answer} == {"run.log": False, "keep.txt": True}


def test_lfs_deletion_rewrites_pull_request_refs(hub_client):
    hc, client, repo = hub_client, hub_client.client, "alice/lfs"
    bob = hc.new_user("bob")
    create_repo(client, hc.token, "lfs")
    lfs_upload(client, hc.token, repo, WEIGHTS)
    commit(client, hc.token, repo, [lfs_op("weights.bin", WEIGHTS), file_op("t.txt", b"t\n")])
    _pr_commit(hc, bob, repo, [file_op("note.txt", b"n\n")])  # #1 starts at a commit holding weights.bin
    lfs_upload(client, hc.token, repo, PR_WEIGHTS, ref=None)
    _pr_commit(hc, hc.token, repo, [lfs_op("pr.bin", PR_WEIGHTS)])  # #2 adds its own LFS file
    resp = client.post(f"{api(repo)}/lfs-files/batch", headers=hc.auth(),
                       json={"deletions": {"sha": [sha256(WEIGHTS), sha256(PR_WEIGHTS)], "rewriteHistory": True}})
    assert resp.status_code == 200 and resp.json()["deleted"] == 2, resp.text
    main = head(client, hc.token, repo)
    assert set(files(client, hc.token, repo, revision="refs%2Fpr%2F1")) == {".gitattributes", "t.txt", "note.txt"}
    assert "pr.bin" not in files(client, hc.token, repo, revision="refs%2Fpr%2F2")
    assert_error(client.get(f"/{repo}/resolve/refs%2Fpr%2F2/pr.bin", headers=hc.auth()), 404, "EntryNotFound")
    assert client.get(f"{api(repo)}/lfs-files", headers=hc.auth()).json() == []
    # The changes start where the rewritten history meets main, not at the commit the pull request started
    # from (which held the deleted file, so everything would look deleted).
    first = client.get(f"{api(repo)}/discussions/1?diff=1", headers=hc.auth()).json()
    assert first["mergeBase"] == main and first["changes"]["targetCommitId"] == main
    assert [(f["status"], f["newPath"]) for f in first["files"]] == [("added", "note.txt")]
    assert [e["data"]["subject"] for e in first["events"] if e["type"] == "commit"] == ["propose"]
    assert client.get(f"{api(repo)}/discussions/2", headers=hc.auth()).json()["files"] == []
    merged = client.post(f"{api(repo)}/discussions/1/merge", headers=hc.auth())
    assert merged.status_code == 200, merged.text
    assert "note.txt" in files(client, hc.token, repo)
    fsck = subprocess.run(["git", "--git-dir", str(git_dir(hc.hub, repo)), "fsck", "--strict"],
                          capture_output=True, text=True)
    assert fsck.returncode == 0, fsck.stderr

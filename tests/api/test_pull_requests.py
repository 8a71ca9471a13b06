"""Pull requests over raw HTTP: opening them (create_pr commits, create_pull_request), refs/pr/N on every
revision-taking route, who may commit to them, uploads for them, merging (fast-forward, merge commit,
conflicts), and that every refusal changes nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

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
    head,
    lfs_batch,
    lfs_op,
    lfs_upload,
    ndjson,
    sha256,
)

REPO = "alice/m"
PR1 = "refs%2Fpr%2F1"
BIG = b"P" * 5000  # above the test hub's 1 KiB LFS threshold


@pytest.fixture
def hub(hub_client):
    """alice owns alice/m (README.md, c.txt); bob and eve may read it; carol writes to it."""
    hc = hub_client
    hc.bob, hc.eve, hc.carol = hc.new_user("bob"), hc.new_user("eve"), hc.new_user("carol")
    create_repo(hc.client, hc.token, "m")
    commit(hc.client, hc.token, REPO, [file_op("README.md", b"# m\n"), file_op("c.txt", b"one\ntwo\nthree\n")])
    resp = hc.client.put(f"{api(REPO)}/collaborators/carol", json={"role": "write"}, headers=hc.auth())
    assert resp.status_code == 200, resp.text
    return hc


def _pr_commit(hub, token, ops, *, revision="main", summary="propose", description="", parent=None,
               expect: int | None = 200):
    """``create_commit(create_pr=True)``: a commit that opens a pull request against ``revision``."""
    resp = hub.client.post(f"{api(REPO)}/commit/{revision}?create_pr=1",
                           content=ndjson(ops, summary=summary, description=description, parent=parent),
                           headers={**bearer(token), **NDJSON})
    if expect is not None:
        assert resp.status_code == expect, resp.text
    return resp


def _details(hub, num: int, query: str = "") -> dict:
    resp = hub.client.get(f"{api(REPO)}/discussions/{num}{query}", headers=hub.auth())
    assert resp.status_code == 200, resp.text
    return resp.json()


def _merge(hub, token, num: int, body: dict | None = None):
    return hub.client.post(f"{api(REPO)}/discussions/{num}/merge", json=body, headers=bearer(token))


def _status(hub, token, num: int, status: str):
    return hub.client.post(f"{api(REPO)}/discussions/{num}/status", json={"status": status}, headers=bearer(token))


class Unchanged:
    """Asserts a refused call moved no ref (pull requests' included) and changed no discussion."""

    def __init__(self, hub) -> None:
        self.hub = hub

    def _state(self):
        client, auth = self.hub.client, self.hub.auth()
        refs = client.get(f"{api(REPO)}/refs?include_prs=1", headers=auth).json()
        listing = client.get(f"{api(REPO)}/discussions", headers=auth).json()
        return refs, listing, [_details(self.hub, d["num"]) for d in listing["discussions"]]

    def __enter__(self):
        self.before = self._state()
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            assert self._state() == self.before, "a refused call changed refs or discussions"
        return False


def test_create_pr_commit_opens_refs_pr_n_and_leaves_main(hub):
    main = head(hub.client, hub.token, REPO)
    resp = _pr_commit(hub, hub.token, [file_op("new.txt", b"new\n"), {"key": "deletedFile", "value": {"path": "c.txt"}}],
                      summary="Add new.txt", description="Please review")
    body = resp.json()
    assert body["pullRequestUrl"] == f"http://testserver/{REPO}/discussions/1"
    oid = body["commitOid"]
    assert body["commitUrl"] == f"http://testserver/{REPO}/commit/{oid}"
    assert head(hub.client, hub.token, REPO) == main and "new.txt" not in files(hub.client, hub.token, REPO)
    # refs/pr/1 works wherever a revision does.
    assert head(hub.client, hub.token, REPO, revision=PR1) == oid
    assert set(files(hub.client, hub.token, REPO, revision=PR1)) == {".gitattributes", "README.md", "new.txt"}
    assert hub.client.get(f"/{REPO}/resolve/{PR1}/new.txt").content == b"new\n"
    assert hub.client.get(f"/{REPO}/resolve/{PR1}/c.txt").status_code == 404
    infos = hub.client.post(f"{api(REPO)}/paths-info/{PR1}", data={"paths": ["new.txt", "c.txt"]}).json()
    assert [i["path"] for i in infos] == ["new.txt"]
    commits = hub.client.get(f"{api(REPO)}/commits/{PR1}").json()
    assert [c["title"] for c in commits][:2] == ["Add new.txt", "commit"] and commits[0]["id"] == oid
    refs = hub.client.get(f"{api(REPO)}/refs?include_prs=1").json()
    assert refs["pullRequests"] == [{"name": "refs/pr/1", "ref": "refs/pr/1", "targetCommit": oid}]
    assert [b["name"] for b in refs["branches"]] == ["main"]
    # The pull request: open, against main, its description and its commit as events, its changes.
    details = _details(hub, 1, "?diff=1")
    assert (details["title"], details["status"], details["isPullRequest"]) == ("Add new.txt", "open", True)
    assert details["changes"] == {"base": "refs/heads/main", "head": "refs/pr/1", "targetCommitId": main,
                                  "headCommitId": oid}
    assert details["filesWithConflicts"] == [] and details["mergeBase"] == main
    assert [e["type"] for e in details["events"]] == ["comment", "commit"]
    assert details["events"][0]["data"]["latest"]["raw"] == "Please review"
    assert details["events"][1]["data"] == {"subject": "Add new.txt", "oid": oid}
    assert {(f["status"], f["newPath"] or f["oldPath"]) for f in details["files"]} == {("added", "new.txt"),
                                                                                     ("deleted", "c.txt")}
    assert "diff --git a/new.txt b/new.txt" in details["diff"] and "+new" in details["diff"]
    assert "deleted file mode 100644" in details["diff"] and "-three" in details["diff"]
    assert "diff" not in _details(hub, 1)


def test_numbers_are_shared_with_discussions(hub):
    assert hub.client.post(f"{api(REPO)}/discussions", json={"title": "a question"}, headers=hub.auth()).json()["num"] == 1
    assert _pr_commit(hub, hub.bob, [file_op("x", b"x")]).json()["pullRequestUrl"].endswith("/discussions/2")
    opened = hub.client.post(f"{api(REPO)}/discussions", json={"title": "draft", "pullRequest": True},
                             headers=bearer(hub.bob)).json()
    assert (opened["num"], opened["status"], opened["gitReference"]) == (3, "draft", "refs/pr/3")
    refs = hub.client.get(f"{api(REPO)}/refs?include_prs=1").json()["pullRequests"]
    assert [r["name"] for r in refs] == ["refs/pr/2", "refs/pr/3"]
    assert refs[1]["targetCommit"] == head(hub.client, hub.token, REPO)  # a new draft starts at main


def test_readers_open_pull_requests_and_commit_only_to_their_own(hub):
    preupload = {"files": [{"path": "p.txt", "size": 3, "sample": "YWJj"}]}
    assert hub.client.post(f"{api(REPO)}/preupload/main?create_pr=1", json=preupload,
                           headers=bearer(hub.bob)).status_code == 200
    _pr_commit(hub, hub.bob, [file_op("bob.txt", b"1")])
    assert hub.client.post(f"{api(REPO)}/preupload/{PR1}", json=preupload, headers=bearer(hub.bob)).status_code == 200
    second = commit(hub.client, hub.bob, REPO, [file_op("bob.txt", b"2")], revision=PR1).json()["commitOid"]
    by_writer = commit(hub.client, hub.carol, REPO, [file_op("carol.txt", b"c")], revision=PR1).json()["commitOid"]
    assert hub.client.get(f"{api(REPO)}/commit/{by_writer}").json()["parents"] == [second]
    alice_pr = _pr_commit(hub, hub.token, [file_op("alice.txt", b"a")]).json()["pullRequestUrl"]
    assert alice_pr.endswith("/discussions/2")
    with Unchanged(hub):
        assert_error(commit(hub.client, hub.eve, REPO, [file_op("eve.txt", b"e")], revision=PR1, expect=None), 403)
        assert_error(commit(hub.client, hub.bob, REPO, [file_op("x", b"x")], revision="refs%2Fpr%2F2", expect=None), 403)
        assert_error(commit(hub.client, hub.bob, REPO, [file_op("x", b"x")], expect=None), 403)
        assert_error(hub.client.post(f"{api(REPO)}/preupload/main", json=preupload, headers=bearer(hub.bob)), 403)
        assert_error(hub.client.post(f"{api(REPO)}/preupload/{PR1}", json=preupload, headers=bearer(hub.eve)), 403)
        assert_error(hub.client.post(f"{api(REPO)}/branch/bob-branch", headers=bearer(hub.bob)), 403)
        assert_error(_pr_commit(hub, None, [file_op("x", b"x")], expect=None), 401)
    events = [e["type"] for e in _details(hub, 1)["events"]]
    assert events == ["commit", "commit", "commit"]
    assert [e["author"]["name"] for e in _details(hub, 1)["events"]] == ["bob", "bob", "carol"]


def test_private_repo_pull_requests_need_read_access(hub):
    create_repo(hub.client, hub.token, "secret", private=True)
    with Unchanged(hub):
        resp = hub.client.post(f"{api('alice/secret')}/commit/main?create_pr=1", content=ndjson([file_op("x", b"x")]),
                               headers={**bearer(hub.bob), **NDJSON})
        assert_error(resp, 404, "RepoNotFound")
        assert_error(hub.client.get(f"{api('alice/secret')}/xet-write-token/main?create_pr=1",
                                    headers=bearer(hub.bob)), 404, "RepoNotFound")


def test_lfs_and_xet_uploads_for_a_pull_request(hub):
    oid = sha256(BIG)
    with Unchanged(hub):
        assert_error(lfs_batch(hub.client, hub.bob, REPO, [(oid, len(BIG))], ref="main"), 403)
    # Without a ref the upload is for a pull request the commit will open: readers may.
    assert lfs_upload(hub.client, hub.bob, REPO, BIG, ref=None) == oid
    _pr_commit(hub, hub.bob, [lfs_op("weights.bin", BIG)])
    got = hub.client.get(f"/{REPO}/resolve/{PR1}/weights.bin")
    assert got.status_code == 200 and got.content == BIG
    tree = {e["path"]: e for e in hub.client.get(f"{api(REPO)}/tree/{PR1}").json()}
    assert tree["weights.bin"]["lfs"]["oid"] == oid
    body = {"operation": "upload", "transfers": ["basic"], "objects": [{"oid": oid, "size": len(BIG)}]}
    for ref, status in (("refs/pr/1", 200), ("main", 403), ("refs/pr/9", 403)):
        resp = hub.client.post(f"/{REPO}.git/info/lfs/objects/batch", headers=bearer(hub.bob),
                               json={**body, "ref": {"name": ref}})
        assert resp.status_code == status, (ref, resp.text)
    assert_error(hub.client.post(f"/{REPO}.git/info/lfs/objects/batch", headers=bearer(hub.eve),
                                 json={**body, "ref": {"name": "refs/pr/1"}}), 403)
    assert_error(hub.client.post(f"/{REPO}.git/info/lfs/objects/batch", headers=bearer(hub.bob),
                                 json={**body, "ref": "refs/pr/1"}), 400, message="'ref'")
    # Xet: a reader gets a write token for a pull request (create_pr, or one they opened), not for main.
    assert_error(hub.client.get(f"{api(REPO)}/xet-write-token/main", headers=bearer(hub.bob)), 403)
    for url in (f"{api(REPO)}/xet-write-token/None?create_pr=1", f"{api(REPO)}/xet-write-token/{PR1}",
                f"{api(REPO)}/xet-write-token/refs/pr/1"):
        resp = hub.client.get(url, headers=bearer(hub.bob))
        assert resp.status_code == 200 and resp.json()["accessToken"], (url, resp.text)
    assert_error(hub.client.get(f"{api(REPO)}/xet-write-token/{PR1}", headers=bearer(hub.eve)), 403)
    assert hub.client.get(f"{api(REPO)}/xet-read-token/{PR1}").status_code == 200


def test_fast_forward_merge(hub):
    oid = _pr_commit(hub, hub.bob, [file_op("ff.txt", b"ff")]).json()["commitOid"]
    with Unchanged(hub):
        assert_error(_merge(hub, hub.bob, 1), 403, message="merge")  # the author may not merge
        assert_error(_merge(hub, None, 1), 401)
        assert_error(_merge(hub, hub.new_user("ro", role="read"), 1), 403)
    resp = _merge(hub, hub.carol, 1, {"comment": "Thanks!"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["mergeCommitId"] == oid and resp.json()["newStatus"]["data"] == {"status": "merged"}
    assert head(hub.client, hub.token, REPO) == oid  # fast-forward: main is the pull request's head
    details = _details(hub, 1)
    assert details["status"] == "merged" and details["changes"]["mergeCommitId"] == oid
    assert [e["type"] for e in details["events"]][-2:] == ["comment", "status-change"]
    assert details["events"][-2]["data"]["latest"]["raw"] == "Thanks!"
    assert details["files"][0]["newPath"] == "ff.txt"  # the changes stay visible once merged
    listing = hub.client.get(f"{api(REPO)}/discussions?status=closed").json()
    assert [d["num"] for d in listing["discussions"]] == [1]
    with Unchanged(hub):
        assert_error(_merge(hub, hub.token, 1), 400, message="merged")
        assert_error(commit(hub.client, hub.bob, REPO, [file_op("late", b"x")], revision=PR1, expect=None), 400,
                     message="merged")
        assert_error(_status(hub, hub.token, 1, "open"), 400, message="merged")


def test_merge_commit_when_both_sides_moved(hub):
    pr_head = _pr_commit(hub, hub.bob, [file_op("c.txt", b"ONE\ntwo\nthree\n"), file_op("pr.txt", b"p")]).json()
    main = commit(hub.client, hub.token, REPO, [file_op("c.txt", b"one\ntwo\nTHREE\n")]).json()["commitOid"]
    resp = _merge(hub, hub.token, 1)
    assert resp.status_code == 200, resp.text
    merged = resp.json()["mergeCommitId"]
    info = hub.client.get(f"{api(REPO)}/commit/{merged}").json()
    assert info["parents"] == [main, pr_head["commitOid"]] and info["title"] == "propose (#1)"
    assert head(hub.client, hub.token, REPO) == merged
    assert hub.client.get(f"/{REPO}/resolve/main/c.txt").content == b"ONE\ntwo\nTHREE\n"
    assert hub.client.get(f"/{REPO}/resolve/main/pr.txt").content == b"p"
    assert _details(hub, 1)["changes"]["mergeCommitId"] == merged


def test_conflicting_merge_is_409_and_changes_nothing(hub):
    _pr_commit(hub, hub.bob, [file_op("c.txt", b"theirs\n")])
    commit(hub.client, hub.token, REPO, [file_op("c.txt", b"ours\n")])
    assert _details(hub, 1)["filesWithConflicts"] == ["c.txt"]
    with Unchanged(hub):
        resp = _merge(hub, hub.token, 1)
        assert_error(resp, 409, message="c.txt")
        assert resp.json()["error"].endswith("nothing was merged")
    assert _details(hub, 1)["status"] == "open"


def test_draft_pull_request_lifecycle(hub):
    opened = hub.client.post(f"{api(REPO)}/discussions", json={"title": "Draft work", "pullRequest": True,
                                                                "description": "WIP"}, headers=bearer(hub.bob))
    assert opened.json()["status"] == "draft"
    with Unchanged(hub):
        assert_error(_merge(hub, hub.token, 1), 400, message="draft")
    oid = commit(hub.client, hub.bob, REPO, [file_op("draft.txt", b"d")], revision=PR1).json()["commitOid"]
    assert _status(hub, hub.bob, 1, "open").status_code == 200  # the author publishes it
    assert _merge(hub, hub.token, 1).json()["mergeCommitId"] == oid
    # An empty pull request has nothing to merge; a closed one takes no commits until reopened.
    hub.client.post(f"{api(REPO)}/discussions", json={"title": "Empty", "pullRequest": True}, headers=bearer(hub.bob))
    _status(hub, hub.bob, 2, "open")
    with Unchanged(hub):
        assert_error(_merge(hub, hub.token, 2), 400, message="no changes")
    assert _status(hub, hub.bob, 2, "closed").status_code == 200
    with Unchanged(hub):
        assert_error(commit(hub.client, hub.bob, REPO, [file_op("x", b"x")], revision="refs%2Fpr%2F2", expect=None),
                     400, message="reopen")
        assert_error(_merge(hub, hub.token, 2), 400, message="closed")
    assert _status(hub, hub.bob, 2, "open").status_code == 200
    commit(hub.client, hub.bob, REPO, [file_op("x", b"x")], revision="refs%2Fpr%2F2")
    hub.client.post(f"{api(REPO)}/discussions", json={"title": "Just talk"}, headers=bearer(hub.bob))
    with Unchanged(hub):
        assert_error(_merge(hub, hub.token, 3), 400, message="not a pull request")
        assert_error(_merge(hub, hub.token, 9), 404)
        # A discussion's number is no ref: a writer is told it does not exist, a reader that they may not.
        assert_error(commit(hub.client, hub.token, REPO, [file_op("x", b"x")], revision="refs%2Fpr%2F3",
                            expect=None), 404, "RevisionNotFound")
        assert_error(commit(hub.client, hub.bob, REPO, [file_op("x", b"x")], revision="refs%2Fpr%2F3",
                            expect=None), 403)


def test_parents_stale_heads_and_other_targets(hub):
    first = head(hub.client, hub.token, REPO)
    later = commit(hub.client, hub.token, REPO, [file_op("later.txt", b"l")]).json()["commitOid"]
    # parentCommit with create_pr: the pull request starts from that commit, not main's head.
    oid = _pr_commit(hub, hub.bob, [file_op("old.txt", b"o")], parent=first[:10]).json()["commitOid"]
    assert hub.client.get(f"{api(REPO)}/commit/{oid}").json()["parents"] == [first]
    details = _details(hub, 1)
    assert details["mergeBase"] == first and details["changes"]["targetCommitId"] == later
    # A stale parent on the pull request's ref is refused (412), as on branches.
    with Unchanged(hub):
        assert_error(commit(hub.client, hub.bob, REPO, [file_op("s", b"s")], revision=PR1, parent=first,
                            expect=None), 412)
    commit(hub.client, hub.bob, REPO, [file_op("s", b"s")], revision=PR1, parent=oid)
    # Against another branch: it merges there, main stays.
    assert hub.client.post(f"{api(REPO)}/branch/dev", headers=hub.auth()).status_code == 200
    _pr_commit(hub, hub.bob, [file_op("dev.txt", b"d")], revision="dev")
    assert _details(hub, 2)["changes"]["base"] == "refs/heads/dev"
    main = head(hub.client, hub.token, REPO)
    merged = _merge(hub, hub.token, 2).json()["mergeCommitId"]
    assert head(hub.client, hub.token, REPO, revision="dev") == merged and head(hub.client, hub.token, REPO) == main
    # A deleted target branch cannot be merged into.
    _pr_commit(hub, hub.bob, [file_op("dev2.txt", b"d")], revision="dev")
    assert hub.client.delete(f"{api(REPO)}/branch/dev", headers=hub.auth()).status_code == 200
    with Unchanged(hub):
        assert_error(_merge(hub, hub.token, 3), 409, message="no longer exists")


def test_concurrent_pull_requests_get_distinct_numbers(hub):
    def open_one(i: int):
        if i % 2:
            return hub.client.post(f"{api(REPO)}/discussions", json={"title": f"talk {i}"}, headers=bearer(hub.bob))
        return _pr_commit(hub, hub.bob, [file_op(f"f{i}.txt", b"x")], expect=None)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(open_one, range(8)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    listing = hub.client.get(f"{api(REPO)}/discussions").json()
    assert sorted(d["num"] for d in listing["discussions"]) == list(range(1, 9))
    prs = {d["num"] for d in listing["discussions"] if d["isPullRequest"]}
    refs = hub.client.get(f"{api(REPO)}/refs?include_prs=1").json()["pullRequests"]
    assert {int(r["name"].rsplit("/", 1)[1]) for r in refs} == prs and len(prs) == 4


def test_concurrent_commits_to_one_pull_request_lose_nothing(hub):
    start = _pr_commit(hub, hub.bob, [file_op("base.txt", b"b")]).json()["commitOid"]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda i: commit(hub.client, hub.bob, REPO, [file_op(f"c{i}.txt", b"c")],
                                                 revision=PR1, expect=None), range(4)))
    assert all(a.status_code == 200 for a in answers)
    assert {f"c{i}.txt" for i in range(4)} <= set(files(hub.client, hub.token, REPO, revision=PR1))
    # Stale parents: of two commits naming the same parent, exactly one lands.
    tip = head(hub.client, hub.token, REPO, revision=PR1)
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda i: commit(hub.client, hub.bob, REPO, [file_op(f"p{i}.txt", b"p")],
                                                 revision=PR1, parent=tip, expect=None), range(2)))
    assert sorted(a.status_code for a in answers) == [200, 412]
    assert start != tip

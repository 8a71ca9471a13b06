"""History of a path, a commit's diff and comparisons (kohakuhub/api/routes/history.py, refs.py)."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pygit2
import pytest

from tests.api.helpers import (
    api,
    assert_error,
    bearer,
    commit,
    create_repo,
    file_op,
    git_dir,
    head,
    lfs_op,
    lfs_upload,
    sha256,
)

REPO = "alice/h"
BIG = b"B" * 5000  # above the test hub's 1 KiB LFS threshold
BIGGER = b"C" * 7000


def _get(hc, route: str, token: str | None = "me", **params):
    return hc.client.get(f"{api(REPO)}{route}", params=params,
                         headers=bearer(hc.token if token == "me" else token))


def _ids(resp) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [c["title"] for c in resp.json()]


@pytest.fixture
def repo(hub_client):
    """main: initial, add a+d/x, edit a, add d/y, delete a, edit d/x (titles c0..c5)."""
    hc = hub_client
    create_repo(hc.client, hc.token, "h")
    steps = [
        ("c1", [file_op("a.txt", b"one\n"), file_op("d/x.txt", b"x\n")]),
        ("c2", [file_op("a.txt", b"one\ntwo\n")]),
        ("c3", [file_op("d/y.txt", b"y\n")]),
        ("c4", [{"key": "deletedFile", "value": {"path": "a.txt"}}]),
        ("c5", [file_op("d/x.txt", b"x2\n")]),
    ]
    for title, ops in steps:
        commit(hc.client, hc.token, REPO, ops, summary=title)
    return hc


def test_path_history_of_a_file_a_folder_and_a_deleted_file(repo):
    assert _ids(_get(repo, "/commits/main", path="d/x.txt")) == ["c5", "c1"]
    assert _ids(_get(repo, "/commits/main/d/x.txt")) == ["c5", "c1"]
    assert _ids(_get(repo, "/commits/main/d")) == ["c5", "c3", "c1"]
    assert _ids(_get(repo, "/commits/main/a.txt")) == ["c4", "c2", "c1"]  # gone at main, history kept
    assert _ids(_get(repo, "/commits/main/nothing.txt")) == []
    assert _ids(_get(repo, "/commits/main/d%2Fx.txt")) == ["c5", "c1"]  # an encoded slash is a slash
    assert _ids(_get(repo, "/commits/main", path="d%2Fx.txt")) == []  # decoded once: a name with "%2F" in it
    assert _ids(_get(repo, "/commits/main/.gitattributes"))[-1] == "initial commit"
    # An older revision starts the walk there.
    first_c3 = next(c["id"] for c in _get(repo, "/commits/main").json() if c["title"] == "c3")
    assert _ids(_get(repo, f"/commits/{first_c3}/d")) == ["c3", "c1"]
    # The root is the whole history, with its total.
    whole = _get(repo, "/commits/main/")
    assert len(whole.json()) == 6 and whole.headers["x-total-count"] == "6"


def test_path_history_pages_with_link_and_no_total(repo):
    resp = _get(repo, "/commits/main/d", limit=2)
    assert _ids(resp) == ["c5", "c3"]
    assert "x-total-count" not in resp.headers  # counting would walk the whole history
    nxt = urlsplit(resp.headers["link"].split(";")[0].strip("<>"))
    assert nxt.path.endswith("/commits/main/d") and parse_qs(nxt.query)["p"] == ["1"]
    last = _get(repo, "/commits/main/d", limit=2, p=1)
    assert _ids(last) == ["c1"] and "link" not in last.headers
    assert _ids(_get(repo, "/commits/main/d", limit=2, p=5)) == []
    middle = _get(repo, "/commits/main/d", limit=1, p=1)
    assert _ids(middle) == ["c3"] and "link" in middle.headers
    # ?path= keeps the filter in the next link too.
    resp = _get(repo, "/commits/main", path="d", limit=1)
    assert parse_qs(urlsplit(resp.headers["link"].split(";")[0].strip("<>")).query)["path"] == ["d"]


def test_path_history_refuses_bad_input(repo):
    for bad in ("../etc", "a/../b", ".git/config", "a\0b"):
        assert_error(_get(repo, "/commits/main", path=bad), 400, message="path")
    assert_error(_get(repo, "/commits/main", path="a" * 5000), 400, message="path")
    assert_error(_get(repo, "/commits/nope/a.txt"), 404, "RevisionNotFound")
    assert_error(_get(repo, "/commits/main/a.txt", p="x"), 400)


def _merge_history(hc) -> dict[str, str]:
    """main: base(a, b) -> m1(a edited); side: s1(b edited) from base; then merge M = main + side.

    Built with pygit2 on the bare repo: the HTTP API makes no merges, git pushes can.
    """
    create_repo(hc.client, hc.token, "h")
    commit(hc.client, hc.token, REPO, [file_op("a.txt", b"a\n"), file_op("b.txt", b"b\n")], summary="base")
    base = head(hc.client, hc.token, REPO)
    commit(hc.client, hc.token, REPO, [file_op("a.txt", b"a2\n")], summary="m1")
    m1 = head(hc.client, hc.token, REPO)
    repo = pygit2.Repository(str(git_dir(hc.hub, REPO)))
    sig = pygit2.Signature("Bob", "bob@example.com", int(time.time()) + 10, 0)

    def tree_with(tree: pygit2.Tree, name: str, data: bytes) -> pygit2.Oid:
        builder = repo.TreeBuilder(tree)
        builder.insert(name, repo.create_blob(data), pygit2.GIT_FILEMODE_BLOB)
        return builder.write()

    s1 = repo.create_commit(None, sig, sig, "s1", tree_with(repo[base].tree, "b.txt", b"b2\n"), [pygit2.Oid(hex=base)])
    merged_tree = tree_with(repo[m1].tree, "b.txt", b"b2\n")
    later = pygit2.Signature("Bob", "bob@example.com", int(time.time()) + 20, 0)
    merge = repo.create_commit("refs/heads/main", later, later, "merge side", merged_tree, [pygit2.Oid(hex=m1), s1])
    return {"base": base, "m1": m1, "s1": str(s1), "merge": str(merge)}


def test_path_history_is_simplified_across_merges(hub_client):
    ids = _merge_history(hub_client)
    # a.txt: the merge took it from main (TREESAME to the first parent), so only main's commits.
    assert _ids(_get(hub_client, "/commits/main/a.txt")) == ["m1", "base"]
    # b.txt: the merge took it from the side branch, whose commit is listed; the merge is not.
    assert _ids(_get(hub_client, "/commits/main/b.txt")) == ["s1", "base"]
    # The merge itself diffs against its first parent: it brought b.txt.
    body = _get(hub_client, f"/commit/{ids['merge']}").json()
    assert body["parents"] == [ids["m1"], ids["s1"]] and body["base"] == ids["m1"]
    assert [(f["status"], f["newPath"]) for f in body["files"]] == [("modified", "b.txt")]


def test_commit_diff_of_text_changes(repo):
    listing = {c["title"]: c["id"] for c in _get(repo, "/commits/main").json()}
    body = _get(repo, f"/commit/{listing['c2']}").json()
    assert body["id"] == listing["c2"] and body["title"] == "c2" and body["parents"] == [listing["c1"]]
    assert body["authors"] == [{"user": "alice"}] and body["date"].endswith("Z")
    assert body["filesChanged"] == 1 and body["truncated"] is False
    (change,) = body["files"]
    assert change == {
        "status": "modified", "oldPath": "a.txt", "newPath": "a.txt",
        "oldOid": change["oldOid"], "newOid": change["newOid"], "oldSize": 4, "newSize": 8,
        "oldMode": "100644", "newMode": "100644", "lfs": None, "binary": False,
        "additions": 1, "deletions": 0, "diff": "@@ -1 +1,2 @@\n one\n+two\n", "truncated": False,
    }
    deleted = _get(repo, f"/commit/{listing['c4']}").json()["files"]
    assert [(f["status"], f["oldPath"], f["newPath"], f["newOid"], f["deletions"]) for f in deleted] == [
        ("deleted", "a.txt", None, None, 2)]
    # A branch name or a short id names the commit too.
    assert _get(repo, "/commit/main").json()["title"] == "c5"
    assert _get(repo, f"/commit/{listing['c5'][:7]}").json()["id"] == listing["c5"]


def test_root_commit_diffs_against_the_empty_tree(repo):
    root = _get(repo, "/commits/main").json()[-1]
    body = _get(repo, f"/commit/{root['id']}").json()
    assert body["parents"] == [] and body["base"] is None
    assert [(f["status"], f["oldPath"], f["newPath"]) for f in body["files"]] == [
        ("added", None, ".gitattributes")]
    assert body["files"][0]["diff"].startswith("@@ -0,0 +1")


def test_lfs_binary_and_renamed_changes(hub_client):
    hc = hub_client
    create_repo(hc.client, hc.token, "h")
    for data in (BIG, BIGGER):
        lfs_upload(hc.client, hc.token, REPO, data)
    commit(hc.client, hc.token, REPO, [lfs_op("w.bin", BIG), file_op("raw.bin", b"\x00\x01\x02"),
                                       file_op("old.txt", b"same\n")])
    added = _get(hc, "/commit/main").json()["files"]
    by_path = {f["newPath"]: f for f in added}
    assert by_path["w.bin"]["lfs"] == {"old": None, "new": {"oid": sha256(BIG), "size": len(BIG)}}
    assert by_path["w.bin"]["newSize"] == len(BIG) and by_path["w.bin"]["diff"] is None
    assert by_path["raw.bin"]["binary"] is True and by_path["raw.bin"]["diff"] is None
    assert by_path["raw.bin"]["newSize"] == 3
    commit(hc.client, hc.token, REPO, [lfs_op("w.bin", BIGGER),
                                       {"key": "deletedFile", "value": {"path": "old.txt"}},
                                       file_op("new.txt", b"same\n")])
    changed = {f["newPath"] or f["oldPath"]: f for f in _get(hc, "/commit/main").json()["files"]}
    lfs = changed["w.bin"]
    assert lfs["status"] == "modified" and lfs["diff"] is None and lfs["additions"] == 0
    assert lfs["lfs"] == {"old": {"oid": sha256(BIG), "size": len(BIG)},
                          "new": {"oid": sha256(BIGGER), "size": len(BIGGER)}}
    assert (lfs["oldSize"], lfs["newSize"]) == (len(BIG), len(BIGGER))
    assert lfs["oldOid"] != lfs["newOid"] and len(lfs["newOid"]) == 40  # the pointers' git blob ids
    renamed = changed["new.txt"]
    assert (renamed["status"], renamed["oldPath"], renamed["newPath"]) == ("renamed", "old.txt", "new.txt")
    assert renamed["diff"] is None and renamed["oldOid"] == renamed["newOid"]


def test_huge_commits_are_bounded(make_hub):
    hc = make_hub(lfs_threshold_bytes=10 << 20)
    create_repo(hc.client, hc.token, "h")
    lines = b"".join(b"line %06d\n" % i for i in range(7_000))  # 77 KB of text, cut at 64 KiB
    ops = [file_op(f"big{i}.txt", lines) for i in range(10)]  # past the 512 KiB an answer may carry
    ops += [file_op("huge.txt", b"z\n" * 600_000)]  # 1.2 MB: above the 1 MiB a diff may load
    ops += [file_op(f"many/{i:03d}.txt", b"%d\n" % i) for i in range(300)]
    commit(hc.client, hc.token, REPO, ops)
    resp = _get(hc, "/commit/main")
    body = resp.json()
    assert body["filesChanged"] == 311 and len(body["files"]) == 300 and body["truncated"] is True
    assert len(resp.content) < 700_000
    files = {f["newPath"]: f for f in body["files"]}
    first = files["big0.txt"]
    assert first["truncated"] is True and first["additions"] == 7_000
    assert 60_000 < len(first["diff"]) <= 64 << 10 and first["diff"].endswith("\n")
    assert files["huge.txt"]["diff"] is None and files["huge.txt"]["truncated"] is True
    patched = [f for f in body["files"] if f["diff"]]
    assert sum(len(f["diff"]) for f in patched) <= 512 << 10
    big = [f for f in body["files"] if f["newPath"].startswith("big")]
    assert all(f["truncated"] for f in big) and big[-1]["diff"] is None  # the budget was spent before it


def test_compare(repo):
    client, token = repo.client, repo.token
    fork_point = head(client, token, REPO)
    assert client.post(f"{api(REPO)}/branch/feature%2Fx", headers=bearer(token)).status_code == 200
    commit(client, token, REPO, [file_op("f.txt", b"f\n")], revision="feature%2Fx", summary="f1")
    commit(client, token, REPO, [file_op("f.txt", b"f\ng\n")], revision="feature%2Fx", summary="f2")
    commit(client, token, REPO, [file_op("m.txt", b"m\n")], summary="m1")
    main, feature = head(client, token, REPO), head(client, token, REPO, revision="feature%2Fx")
    body = _get(repo, "/compare/main...feature%2Fx").json()
    assert body["base"] == main and body["head"] == feature
    assert body["mergeBase"] == fork_point
    assert [c["title"] for c in body["commits"]] == ["f2", "f1"] and body["commitsTruncated"] is False
    # From the merge base: m.txt, added on main since, is not in what the branch brings.
    assert [(f["status"], f["newPath"], f["additions"]) for f in body["files"]] == [("added", "f.txt", 2)]
    assert _get(repo, "/compare/main...feature/x").json()["head"] == feature  # an unencoded slash too
    back = _get(repo, "/compare/feature%2Fx...main").json()
    assert [c["title"] for c in back["commits"]] == ["m1"]
    assert [f["newPath"] for f in back["files"]] == ["m.txt"]
    same = _get(repo, "/compare/main...main").json()
    assert same["commits"] == [] and same["files"] == [] and same["filesChanged"] == 0


def test_compare_refuses_bad_specs(repo):
    for bad in ("main", "main..main", "...main", "main...", "a" * 600 + "...main"):
        assert_error(_get(repo, f"/compare/{bad}"), 400, message="...")
    assert_error(_get(repo, "/compare/main...nope"), 404, "RevisionNotFound")
    assert_error(_get(repo, "/compare/nope...main"), 404, "RevisionNotFound")


def test_unknown_commit_and_private_repos(repo):
    client = repo.client
    assert_error(_get(repo, "/commit/nope"), 404, "RevisionNotFound")
    assert_error(_get(repo, "/commit/" + "0" * 40), 404, "RevisionNotFound")
    create_repo(client, repo.token, "secret", private=True)
    bob = repo.new_user("bob")
    for path in ("/commit/main", "/compare/main...main", "/commits/main/README.md"):
        hidden = client.get(f"{api('alice/secret')}{path}", headers=bearer(bob))
        missing = client.get(f"{api('alice/no-such')}{path}", headers=bearer(bob))
        assert_error(hidden, 404, "RepoNotFound")
        assert hidden.json() == missing.json()
        assert_error(client.get(f"{api('alice/secret')}{path}"), 401, "RepoNotFound")
        assert client.get(f"{api('alice/secret')}{path}", headers=bearer(repo.token)).status_code == 200


@pytest.mark.parametrize("repo_type", ["dataset", "space"])
def test_other_repo_types(hub_client, repo_type):
    hc = hub_client
    create_repo(hc.client, hc.token, "t", repo_type)
    commit(hc.client, hc.token, "alice/t", [file_op("x.txt", b"x\n")], repo_type=repo_type, summary="x")
    base = api("alice/t", repo_type)
    assert [c["title"] for c in hc.client.get(f"{base}/commits/main/x.txt", headers=bearer(hc.token)).json()] == ["x"]
    assert hc.client.get(f"{base}/commit/main", headers=bearer(hc.token)).json()["files"][0]["newPath"] == "x.txt"
    root = hc.client.get(f"{base}/commits/main", headers=bearer(hc.token)).json()[-1]["id"]
    compared = hc.client.get(f"{base}/compare/{root[:8]}...main", headers=bearer(hc.token)).json()
    assert [c["title"] for c in compared["commits"]] == ["x"] and compared["mergeBase"] == root

"""Discussions and pull requests through the stock client, in every upload mode (HfApi's community methods,
create_pr uploads through Xet or LFS, refs/pr/N on every read path, merges)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import LFS_THRESHOLD, OTHER_USER

pytestmark = pytest.mark.e2e

SHA1 = re.compile(r"^[0-9a-f]{40}$")
# Each mode exercises the discussion methods on another repo type.
REPO_TYPE = {"xet": "model", "noxet": "dataset", "noxet-lfs": "space"}
BIG = LFS_THRESHOLD + 4096


def _comment(author: str, content: str, *, edited: bool = False, hidden: bool = False, edits: int = 0) -> dict:
    return {"class": "DiscussionComment", "type": "comment", "author": author, "content": content, "edited": edited,
            "hidden": hidden, "edits": edits}


def test_discussion_methods(hf):
    repo_type = REPO_TYPE[hf.mode]
    repo_id = hf.repo_id("talk")
    r = hf.run("discussions:discussions", repo_id=repo_id, repo_type=repo_type, other_username=OTHER_USER).result
    prefix = "" if repo_type == "model" else f"{repo_type}s/"
    assert r["created"] == {"num": 1, "title": "Is it cased?", "author": OTHER_USER, "status": "open", "is_pr": False,
                            "url": f"{hf.hub.server.url}/{prefix}{repo_id}/discussions/1",
                            "events": [_comment(OTHER_USER, "Asking for a friend")]}
    assert r["pr"] == {"num": 2, "status": "draft", "is_pr": True, "git_reference": "refs/pr/2",
                       "target_branch": "refs/heads/main", "conflicts": [], "merge_commit": None,
                       "same_as_details": True}
    assert r["comment"] == {"content": "Yes, **cased**.", "rendered": "<p>Yes, <strong>cased</strong>.</p>\n",
                            "author": hf.username}
    assert r["edited"] == {"id_kept": True, "content": "Yes, it is cased.", "edited": True,
                           "history": ["Yes, **cased**."], "last_edited_by": hf.username}
    renamed = {"class": "DiscussionTitleChange", "type": "title-change", "author": OTHER_USER,
               "old": "Is it cased?", "new": "Is the model cased?"}
    closed = {"class": "DiscussionStatusChange", "type": "status-change", "author": OTHER_USER,
              "new_status": "closed"}
    assert r["renamed"] == renamed and r["closed"] == closed
    assert r["hidden"] == _comment(hf.username, "", hidden=True)
    assert r["details"] == {"title": "Is the model cased?", "status": "closed", "events": [
        _comment(OTHER_USER, "Asking for a friend"), _comment(hf.username, "Yes, it is cased.", edited=True, edits=1),
        renamed, _comment(OTHER_USER, "Thanks"), closed]}
    assert [(d["num"], d["status"], d["is_pr"], d["author"]) for d in r["listing"]] == [
        (3, "open", False, hf.username), (2, "draft", True, hf.username), (1, "closed", False, OTHER_USER)]
    assert {(d["repo_id"], d["repo_type"]) for d in r["listing"]} == {(repo_id, repo_type)}
    assert r["filtered"] == {"pull_requests": [2], "discussions": [3, 1], "open": [3, 2], "closed": [1],
                             "by_other": [1], "by_nobody": []}
    refused = r["refused"]
    assert refused["edit_by_other"]["status"] == 403 and "author" in refused["edit_by_other"]["message"]
    assert refused["rename_by_other"]["status"] == 403
    assert refused["merge_by_other"]["status"] == 403
    assert refused["anonymous"]["status"] == 401
    assert refused["missing"]["status"] == 404 and "#99" in refused["missing"]["message"]
    assert r["after_refusals"] == {"title": "Another one", "comment": "Yes, it is cased."}


def test_discussions_span_pages(hf):
    r = hf.run("discussions:many_discussions", repo_id=hf.repo_id("pages"), count=53).result
    assert r["nums"] == list(range(53, 0, -1))  # every page, newest first


def test_pull_requests_from_a_reader(hf):
    run = hf.run("discussions:pull_request_uploads", repo_id=hf.repo_id("pr"), big_size=BIG)
    r = run.result
    assert r["main_unchanged"]
    assert r["pr_revisions"] == ["refs/pr/1", "refs/pr/2", "refs/pr/3"] and r["pr_nums"] == [1, 2, 3]
    assert all(url.endswith(f"/discussions/{n}") for url, n in zip(r["pr_urls"], (1, 2, 3), strict=True))
    assert r["downloads"]["small"] == "proposed\n" and r["downloads"]["big"] == r["big_sha256"]
    assert r["files_at_pr"] == [".gitattributes", "more.txt", "weights.bin"]  # README.md deleted in the PR
    # With hf_xet the reader's big file went through Xet (the hub then advertises its Xet hash), without it
    # through the LFS batch API; both for a pull request they opened.
    assert r["tree_big"] == [{"lfs": r["big_sha256"], "xet": hf.xet}] and r["paths_info"] == ["weights.bin"]
    assert r["commits_at_pr"][:2] == ["One more", "Add weights"] and r["pr_info_sha"] == r["commit_ids"]["more"]
    assert r["fs"] == {"ls": [".gitattributes", "more.txt", "weights.bin"], "read_big": r["big_sha256"]}
    assert [(name, ref) for name, ref, _ in r["refs"]] == [(f"refs/pr/{n}", f"refs/pr/{n}") for n in (1, 2, 3)]
    assert r["refs"][1][2] == r["commit_ids"]["more"] and r["refs_without"] is None
    assert r["refused"]["push_to_main"]["status"] == 403 and r["refused"]["merge_by_author"]["status"] == 403
    details = r["details"]
    assert details["title"] == "Add weights" and details["status"] == "open" and details["author"] == OTHER_USER
    assert details["target"] == "refs/heads/main" and details["conflicts"] == [] and details["diff_has_weights"]
    assert details["events"] == [
        _comment(OTHER_USER, "Big"),
        {"class": "DiscussionCommit", "type": "commit", "author": OTHER_USER, "summary": "Add weights",
         "oid": r["commit_ids"]["big"]},
        {"class": "DiscussionCommit", "type": "commit", "author": OTHER_USER, "summary": "One more",
         "oid": r["commit_ids"]["more"]},
    ]
    merged = r["merged"]
    assert merged["status"] == "merged" and merged["merge_commit"] == merged["main"] == r["commit_ids"]["more"]
    assert merged["main_files"] == r["files_at_pr"] and merged["big_on_main"] == r["big_sha256"]
    assert merged["last_events"] == [_comment(hf.username, "Merging, thanks"), {
        "class": "DiscussionStatusChange", "type": "status-change", "author": hf.username, "new_status": "merged"}]
    lfs_batches = [line for line in run.requests if line.startswith("POST ") and "/info/lfs/objects/batch" in line]
    assert bool(lfs_batches) is not hf.xet, run.requests


def test_merge_flows(hf):
    r = hf.run("discussions:merge_flows", repo_id=hf.repo_id("merge")).result
    draft = r["draft"]
    assert draft["status"] == "draft" and draft["empty_commit_is_head"] and draft["commits"] == 3
    assert draft["merge_error"]["type"] == "BadRequestError" and "draft" in draft["merge_error"]["message"]
    assert r["first"]["status"] == "merged" and SHA1.match(r["first"]["merge_commit"]) and r["first"]["file"] == "Content"
    second = r["second"]
    assert second["status"] == "merged" and second["merge_commit"] == second["head"]
    assert second["title"] == "Upload c.txt with huggingface_hub (#2)"  # a merge commit: both sides had moved
    assert second["content"] == "ONE\ntwo\nTHREE\n"
    conflict = r["conflict"]
    assert conflict["files"] == ["c.txt"] and conflict["error"]["status"] == 409 and "c.txt" in conflict["error"]["message"]
    assert conflict["main_unchanged"] and conflict["status"] == "open"


def test_gated_repo_pull_requests(hf):
    r = hf.run("discussions:gated_pull_requests", repo_id=hf.repo_id("gatedpr"), big_size=BIG).result
    before = r["before"]
    # Discussions are open to the repo's readers; a pull request's changes and opening one need access.
    assert before["listed"] == [1] and before["asked"] == 2 and before["commented"] == "Looks useful"
    for refused in ("details", "upload", "create_pull_request"):
        assert before[refused]["type"] == "GatedRepoError" and before[refused]["status"] == 403, before[refused]
    assert "awaiting" not in before["details"]["message"] and "restricted" in before["details"]["message"]
    assert before["nums_after_refusals"] == [2, 1]  # no pull request opened by the refused calls
    assert r["after"] == {"num": 3, "diff_names_big": True, "owners_diff_names_secret": True, "big_matches": True}

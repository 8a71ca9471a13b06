"""Repo lifecycle, visibility, errors, move and squash through the stock client."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import LFS_THRESHOLD

pytestmark = pytest.mark.e2e

SHA1 = re.compile(r"^[0-9a-f]{40}$")


def test_repo_lifecycle(hf):
    ids = {kind: hf.repo_id(kind) for kind in ("model", "dataset", "space", "private")}
    r = hf.run("repos:lifecycle", model_id=ids["model"], dataset_id=ids["dataset"], space_id=ids["space"],
               private_id=ids["private"]).result
    url = hf.hub.server.url
    assert r["urls"]["model"] == [f"{url}/{ids['model']}", ids["model"], "model"]
    assert r["urls"]["dataset"] == [f"{url}/datasets/{ids['dataset']}", ids["dataset"], "dataset"]
    assert r["urls"]["space"] == [f"{url}/spaces/{ids['space']}", ids["space"], "space"]
    assert r["exist_ok_url"] == f"{url}/{ids['model']}"
    assert r["duplicate_error"] == "HfHubHTTPError"
    info = r["info"]
    assert info["id"] == ids["model"] and info["private"] is False
    assert SHA1.match(info["sha"])
    assert info["siblings"] == [".gitattributes"]
    # A new repo has one commit, "initial commit", holding .gitattributes (protocol section 2.2).
    assert r["commits"] == [{"id": info["sha"], "title": "initial commit", "authors": [hf.username]}]
    assert r["refs"] == {"branches": [["main", info["sha"]]], "tags": [], "converts": []}
    assert r["dataset_info_id"] == ids["dataset"]
    assert r["space_private"] is True and r["private_private"] is True
    assert r["exists"] == {
        "model": True, "dataset": True, "dataset_as_model": False, "space": True, "missing": False,
        "private_owner": True, "private_anonymous": False, "private_other_user": False,
        "space_other_user": False, "public_anonymous": True, "public_other_user": True,
    }
    assert r["dataset_download"] == "dataset file\n" and r["space_download"] == "space file\n"
    assert r["after_delete"] == {
        "dataset_exists": False, "space_exists": False, "delete_again": "RepositoryNotFoundError",
        "delete_missing_ok": None, "recreate": f"{url}/datasets/{ids['dataset']}",
    }


def test_private_repo_hidden_from_others(hf):
    r = hf.run("repos:private_access", repo_id=hf.repo_id("private")).result
    assert r["owner_download"] == "secret\n"
    assert r["other"] == {
        "repo_info": "RepositoryNotFoundError", "list_files": "RepositoryNotFoundError",
        "download": "RepositoryNotFoundError", "upload": "RepositoryNotFoundError",
        "delete": "RepositoryNotFoundError", "file_exists": False,
    }
    assert r["anonymous"] == {
        "repo_info": "RepositoryNotFoundError", "download": "RepositoryNotFoundError",
        "file_exists": False, "revision_exists": False,
    }


def test_not_found_errors(hf):
    r = hf.run("repos:errors", repo_id=hf.repo_id("errors")).result
    message = r.pop("missing_repo_message")
    assert message.startswith("404 Client Error") and "(Request ID: " in message
    http = r.pop("http")
    assert http["duplicate_repo"]["status"] == 409
    assert http["stale_parent"]["status"] == 412
    assert "The branch was updated since you opened this page" in http["stale_parent"]["message"]
    assert http["bad_path"]["status"] == 422
    assert http["branch_exists"]["status"] == 409
    # An invalid token is a 401 without X-Error-Code: a plain HfHubHTTPError, not "repo not found".
    assert http["invalid_token"]["type"] == "HfHubHTTPError" and http["invalid_token"]["status"] == 401
    assert "Invalid credentials in Authorization header" in http["invalid_token"]["message"]
    preupload = http["missing_repo_preupload"]
    assert preupload["type"] == "RepositoryNotFoundError" and preupload["status"] == 404
    assert "/preupload/main" in preupload["message"] and "(Request ID: " in preupload["message"]
    assert r == {
        "missing_repo_info": "RepositoryNotFoundError",
        "missing_repo_download": "RepositoryNotFoundError",
        "missing_repo_tree": "RepositoryNotFoundError",
        "missing_repo_upload": "RepositoryNotFoundError",
        "bad_revision_info": "RevisionNotFoundError",
        "bad_revision_download": "RevisionNotFoundError",
        "bad_revision_tree": "RevisionNotFoundError",
        "bad_revision_commits": "RevisionNotFoundError",
        "bad_revision_upload": "RevisionNotFoundError",
        "missing_file_download": "RemoteEntryNotFoundError",
        "missing_file_is_remote_entry": True,
        "missing_folder_tree": "RemoteEntryNotFoundError",
        "file_as_folder_tree": "RemoteEntryNotFoundError",
        "delete_missing_file": "RemoteEntryNotFoundError",
        "delete_missing_folder": "RemoteEntryNotFoundError",
    }


def test_move_repo_keeps_old_id_working(hf):
    old, new = hf.repo_id("before-move"), hf.repo_id("after-move")
    r = hf.run("repos:move", repo_id=old, new_id=new, big_size=LFS_THRESHOLD + 1000).result
    assert r["new_id"] == new and r["new_sha"] == r["commit"]
    assert r["after_move_sha"] == r["after_move_commit"] and r["after_move_download_ok"]
    assert sorted(r["new_files"]) == [".gitattributes", "a/file.txt", "after-move.dat"]
    assert r["old_info_id"] == new  # the old id redirects to the new one
    assert r["old_download"] == r["new_download"] == "moved content\n"
    assert r["old_exists"] is True
    assert r["move_onto_existing"].startswith("HfHubHTTPError")
    assert "already exists" in r["move_onto_existing"]


def test_super_squash_history(hf):
    r = hf.run("repos:squash", repo_id=hf.repo_id("squash")).result
    assert len(r["before"]) == 4
    assert r["after"] == [{"id": r["sha"], "title": "squashed", "authors": [hf.username]}]
    assert r["sha"] not in r["before"]
    assert r["files_after"] == r["files_before"] == [".gitattributes", "f0.txt", "f1.txt", "f2.txt"]
    assert r["content"] == "v2\n"
    assert r["squash_tag"] == "BadRequestError"
    assert r["squash_missing"] == "RevisionNotFoundError"

"""Refs, downloads by revision, the local cache, existence checks and HfFileSystem."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import LFS_THRESHOLD
from tests.e2e.scripts.downloads import DEAD_ENDPOINT
from tests.s3_support import S3_MODE

pytestmark = pytest.mark.e2e


def test_branches_tags_and_cached_downloads(hf):
    repo_id = hf.repo_id("refs")
    r = hf.run("downloads:refs_and_revisions", repo_id=repo_id).result
    c1, c2, c3 = r["c1"], r["c2"], r["c3"]
    assert r["branches"]["main"] == c1 and r["branches"]["dev"] != c2  # dev moved on after c2
    assert r["branches"]["feature/slash"] == c3
    assert r["tags"]["v1.0"] == c1 and r["tags"]["dev-tag"] == r["branches"]["dev"]
    assert r["dev_commits"][1] == c2 and r["dev_commits"][2] == c1
    assert r["downloads"] == {"main": "v1\n", "dev": "v2\n", "slash": "v3\n", "tag": "v1\n",
                              "annotated_tag": "v2\n", "sha": "v2\n"}
    assert r["info_at_tag"] == c1 and r["info_at_slash"] == c3

    cached = r["cached"]
    assert cached["sha"] == "v2\n" and cached["sha_requests"] == []
    assert cached["local_only_dev"] == "v2\n" and cached["local_only_tag"] == "v1\n"
    assert cached["local_only_requests"] == []

    # A new offline process whose HF_ENDPOINT is dead gets every revision it downloaded from the cache.
    offline = hf.run("downloads:from_cache", extra_env={"HF_ENDPOINT": DEAD_ENDPOINT, "HF_HUB_OFFLINE": "1"},
                     repo_id=repo_id, commit=c2).result
    assert offline["endpoint"] == DEAD_ENDPOINT
    assert (offline["by_main"], offline["by_sha"], offline["by_branch"], offline["by_tag"]) == (
        "v1\n", "v2\n", "v2\n", "v1\n")
    assert offline["missing"] == "LocalEntryNotFoundError"
    assert offline["requests"] == []

    assert r["exists"] == {
        "file": True, "missing_file": False, "dev_only_on_main": False, "dev_only_on_dev": True,
        "file_bad_revision": False, "file_missing_repo": False, "rev_branch": True, "rev_slash": True,
        "rev_tag": True, "rev_sha": True, "rev_missing": False, "rev_missing_repo": False,
    }
    assert r["conflicts"] == {
        "branch_again": "HfHubHTTPError", "branch_exist_ok": None, "tag_again": "HfHubHTTPError",
        "tag_exist_ok": None, "tag_bad_revision": "RevisionNotFoundError",
        "branch_bad_start": "RevisionNotFoundError", "delete_main": r["conflicts"]["delete_main"],
    }
    assert r["conflicts"]["delete_main"] in ("HfHubHTTPError", "BadRequestError")
    assert r["after_delete"] == {
        "branches": ["main"], "tags": ["dev-tag"], "rev_dev": False, "rev_tag": False,
        "download_dev": "RevisionNotFoundError", "delete_missing_branch": "RevisionNotFoundError",
        "delete_missing_tag": "RevisionNotFoundError",
    }


def test_hf_file_system(hf):
    size = LFS_THRESHOLD + 4096
    repo_id = hf.repo_id("fs")
    r = hf.run("downloads:filesystem", repo_id=repo_id, big_size=size).result
    root = f"datasets/{repo_id}"
    assert r["ls_root"] == [[f"{root}/.gitattributes", "file"], [f"{root}/data", "directory"]]
    assert r["ls_data"] == [[f"{root}/data/blob.dat", "file", size], [f"{root}/data/small.txt", "file", 16]]
    assert r["small_all"] == "0123456789abcdef" and r["small_tail"] == "abcd"
    assert r["chunk_ok"] and r["whole_ok"]
    # A seek + read is a ranged GET of just the block around the offset (206), not the whole file.
    ranged = r["range_requests"]
    if S3_MODE:  # each ranged resolve GET is redirected, and the client sends the same range to S3
        assert all("[bytes=" in q and ("/resolve/" in q or " @" in q) for q in ranged)
        ranged = [q for q in ranged if "/resolve/" in q]
    assert ranged and all("/resolve/" in q and "[bytes=" in q for q in ranged)
    assert r["info"] == {"size": size, "type": "file", "lfs": True}
    assert r["glob"] == [f"{root}/data/small.txt"]
    assert r["exists"] is True and r["missing"] is False
    assert r["cat_range"] == "2345"

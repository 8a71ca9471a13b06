"""Uploads, commits, listings and metadata through the stock client, in every upload mode."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import CHUNK_SIZE, LFS_THRESHOLD, MULTIPART_THRESHOLD
from tests.s3_support import S3_MODE

pytestmark = pytest.mark.e2e

SHA1 = re.compile(r"^[0-9a-f]{40}$")
WEIRD_PATH = "subfolder/to?/awful?filename%you:should,never.give"  # quoted in /resolve URLs (section 1)
BIG = LFS_THRESHOLD + LFS_THRESHOLD // 2  # above the LFS threshold, below the multipart one


def _count(requests, method, fragment):
    return sum(1 for r in requests if r.startswith(f"{method} ") and fragment in r)


def test_upload_file_and_inspect(hf):
    repo_id = hf.repo_id("upload")
    r = hf.run("files:upload_and_inspect", repo_id=repo_id, big_size=BIG).result
    c1, c2 = r["commits_returned"]
    assert SHA1.match(c1) and SHA1.match(c2)
    assert r["info"]["sha"] == c2
    assert r["commit_url"] == f"{hf.hub.server.url}/{repo_id}/commit/{c2}"
    assert r["info"]["siblings"] == r["files"] == [".gitattributes", "docs/hello.txt", "weights/model.dat"]

    # files_metadata=True: sizes, blob ids, and lfs for the big file only (sibling keys: sha256/size).
    meta = r["siblings_meta"]
    assert meta["docs/hello.txt"]["size"] == 12 and meta["docs/hello.txt"]["lfs"] is None
    assert meta["weights/model.dat"]["size"] == BIG
    assert meta["weights/model.dat"]["lfs"] == {"sha256": r["big_sha256"], "size": BIG}
    assert all(m["blob_id"] for m in meta.values())

    # Tree: directories carry an oid; the file above the threshold is LFS with its real size.
    recursive = r["tree_recursive"]
    assert set(recursive) == {".gitattributes", "docs", "docs/hello.txt", "weights", "weights/model.dat"}
    assert recursive["docs"]["type"] == "directory" and recursive["docs"]["oid"]
    big = recursive["weights/model.dat"]
    assert big["size"] == BIG and big["lfs"] == {"sha256": r["big_sha256"], "size": BIG}
    # Xet is advertised exactly for files uploaded through Xet (protocol section 6).
    assert (big["xet_hash"] is not None) is hf.xet
    assert recursive["docs/hello.txt"]["lfs"] is None and recursive["docs/hello.txt"]["size"] == 12
    assert set(r["tree_root"]) == {".gitattributes", "docs", "weights"}
    assert set(r["tree_sub"]) == {"weights/model.dat"}
    assert all(e["last_commit"] is None for e in recursive.values())

    # expand=True sets last_commit to the commit that last touched each path.
    expanded = r["tree_expanded"]
    assert expanded["weights/model.dat"]["last_commit"] == {"oid": c2, "title": "add weights"}
    assert expanded["docs/hello.txt"]["last_commit"] == {"oid": c1, "title": "add hello"}
    assert expanded["docs"]["last_commit"] == {"oid": c1, "title": "add hello"}

    assert set(r["paths_info"]) == {"docs/hello.txt", "weights"}
    assert r["paths_info"]["weights"]["type"] == "directory"
    assert r["paths_info_expanded"]["weights/model.dat"]["last_commit"]["oid"] == c2
    assert r["paths_info_expanded"]["weights/model.dat"]["lfs"]["sha256"] == r["big_sha256"]

    commits = r["commits"]
    assert [c["id"] for c in commits[:2]] == [c2, c1]  # newest first
    assert [c["title"] for c in commits] == ["add weights", "add hello", "initial commit"]
    assert all(c["authors"] == [hf.username] for c in commits)

    assert r["downloaded"] == {"small": r["small_sha256"], "big": r["big_sha256"]}

    # Preupload answers "lfs" for the big file: hf_xet uploads it through Xet (its own requests are not
    # recorded here; tests/e2e/test_xet.py follows them), HF_HUB_DISABLE_XET=1 through the LFS batch API.
    requests = r["requests"]
    if not hf.xet:
        assert _count(requests, "POST", ".git/info/lfs/objects/batch") == 1
        if S3_MODE:  # the bytes go straight to S3 (a presigned PUT to a staging key), not to the hub
            assert sum(r.startswith("PUT /hub-") and " @" in r and "partNumber=" not in r for r in requests) == 1
            assert _count(requests, "PUT", "/api/lfs/") == 0
        else:
            assert _count(requests, "PUT", "/api/lfs/objects/") == 1  # single-part upload
        assert _count(requests, "POST", "/api/lfs/verify/") == 1
    else:
        assert _count(requests, "POST", "/info/lfs/objects/batch") == 0
    assert _count(requests, "POST", "/commit/main") == 2


@pytest.mark.parametrize("hf", ["noxet-lfs"], indirect=True)
def test_multipart_lfs_upload(hf):
    size = 3 * CHUNK_SIZE + 512 * 1024
    assert size >= MULTIPART_THRESHOLD
    repo_id = hf.repo_id("multipart")
    r = hf.run("files:upload_and_inspect", repo_id=repo_id, big_size=size)
    result, requests = r.result, r.result["requests"]
    # four parts (three whole chunks and the rest), to the hub (local storage) or straight to S3
    assert _count(requests, "PUT", "partNumber=" if S3_MODE else "/api/lfs/parts/") == 4
    assert _count(requests, "POST", "/api/lfs/complete/") == 1
    assert _count(requests, "PUT", "/api/lfs/objects/") == 0
    assert result["siblings_meta"]["weights/model.dat"]["lfs"] == {"sha256": result["big_sha256"], "size": size}
    assert result["downloaded"]["big"] == result["big_sha256"]


def test_create_commit_all_operations(hf):
    repo_id = hf.repo_id("ops")
    r = hf.run("files:commit_operations", repo_id=repo_id, big_size=BIG).result
    assert SHA1.match(r["first"]) and SHA1.match(r["second"])
    assert r["sha"] == r["second"] == r["noop_oid"]
    assert r["commit_url"] == f"{hf.hub.server.url}/{repo_id}/commit/{r['second']}"
    assert r["files"] == [".gitattributes", "README.md", "big.dat", "copies/big.dat", "copies/keep.txt",
                          "fileobj.txt", "keep.txt", WEIRD_PATH]
    assert r["weird"] == "awful\n"
    assert r["card"] == {"license": "mit", "tags": ["e2e-test"]}
    assert "e2e-test" in r["tags"]
    assert r["copy_small"] == "keep me\n"
    assert r["copy_big"] == r["big_sha256"]
    assert r["tree"]["copies/big.dat"]["lfs"] == {"sha256": r["big_sha256"], "size": BIG}
    assert r["tree"]["copies/keep.txt"]["lfs"] is None
    assert r["fileobj"] == "from a file object\n"
    assert r["first_message"] == ["several additions"]
    assert r["head_title"] == "second"
    assert r["stale_parent"] == "HfHubHTTPError"  # 412
    # Re-uploading identical content is a no-op: no new commit (protocol section 5.1, step 5).
    assert r["commits_after_noop"] == r["commits_before_noop"] == 3


def test_upload_folder_hundreds_of_files(hf):
    r = hf.run("files:upload_folder_many", repo_id=hf.repo_id("folder"), count=300).result
    assert r["file_count"] == 301 and r["files_match"]
    assert r["sha"] == r["commit"]
    assert r["tree_files"] == 301
    assert len(r["tree_dirs"]) == 5 + 5 * 7
    assert r["snapshot_files"] == r["snapshot_expected"] and len(r["snapshot_files"]) == 60
    assert r["snapshot_content_ok"]
    assert r["expanded_count"] == 341 and r["expanded_with_last_commit"] == 341  # 7 pages of 50
    assert r["again_same_dir"]
    # A re-run only resolves the revision (protocol section 4): no HEAD or GET of cached files.
    assert not any("/resolve/" in q for q in r["again_requests"]), r["again_requests"]

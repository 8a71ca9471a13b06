"""The rest of the Hub's behaviour the client relies on (issue 16, item 6), with the stock client."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

NOT_FOUND = "RepositoryNotFoundError"


@pytest.mark.parametrize("hf", ["xet"], indirect=True)
def test_one_part_repo_ids_are_repo_not_found(hf):
    name = hf.repo_id("onepart").split("/")[1]
    r = hf.run("behaviours:one_part_ids", name=name).result
    for caller in ("signed_in", "anonymous"):
        observed = r[caller]
        exists = {key: observed.pop(key) for key in ("repo_exists", "file_exists", "revision_exists")}
        assert exists == {"repo_exists": False, "file_exists": False, "revision_exists": False}, caller
        assert observed == {key: NOT_FOUND for key in observed}, (caller, observed)
    assert (r["status"], r["anonymous_status"]) == (404, 401)
    assert r["created"] == f"{hf.username}/{name}" and r["deleted_exists"] is False


@pytest.mark.parametrize("hf", ["xet", "noxet-lfs"], indirect=True)
def test_gitignore_is_honoured(hf):
    from tests.e2e.conftest import LFS_THRESHOLD

    r = hf.run("behaviours:gitignore", repo_a=hf.repo_id("ignore-a"), repo_b=hf.repo_id("ignore-b"),
               big_size=LFS_THRESHOLD + 1000).result
    assert r["a_files"] == [".gitattributes", ".gitignore", "debug.log", "kept.txt"]
    # The ignored big file was not even uploaded: no LFS batch or Xet transfer for it.
    transfers = [line for line in r["a_requests"] if "/info/lfs/" in line or "xet-write-token" in line]
    assert r["a_requests"] and not transfers, r["a_requests"]
    assert r["b_files"] == [".gitattributes", ".gitignore", "kept.txt"]
    assert r["b_after_commit"] == [".gitattributes", ".gitignore", "kept.txt", "late.txt"]

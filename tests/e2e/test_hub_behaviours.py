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

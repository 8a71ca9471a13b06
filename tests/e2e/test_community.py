"""Gated repos, access requests, likes, download counts and profiles with the stock client, in every mode
(with hf_xet, without, and against an LFS-mode hub)."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import PASSWORD
from tests.image_bytes import png

pytestmark = pytest.mark.e2e


def _new_user(hf) -> tuple[str, str]:
    name = f"carol{uuid.uuid4().hex[:6]}"
    hf.hub.server.cli("admin", "create-user", name, "--email", f"{name}@example.com", "--password", PASSWORD)
    return name, hf.hub.server.new_token(name)


def test_gated_setting_round_trips(hf):
    r = hf.run("community:gated_settings", model_id=hf.repo_id("gset"), dataset_id=hf.repo_id("gsetd")).result
    expected = [[gated, private] for gated in ("auto", "manual", False) for private in (True, False)]
    assert r["seen"] == {"model": expected, "dataset": expected}
    assert len(r["listed_gated"]) == 1 and r["listed_open"] == []
    assert r["bad_value"]["status"] == 400 and r["after_bad_value"] == "manual"


def test_gated_access_requests(hf):
    carol, carol_token = _new_user(hf)
    repo_id = hf.repo_id("gated")
    r = hf.run("community:gated_access", repo_id=repo_id, carol_token=carol_token, carol=carol, timeout=300).result
    before = r["before"]
    assert before["bob_download"]["type"] == "GatedRepoError" and before["bob_download"]["status"] == 403
    # The Hub's text, which the client's own test matches.
    assert f"Access to model {repo_id} is restricted and you are not in the authorized list" in \
        before["bob_download"]["message"]
    assert before["bob_snapshot"] == "GatedRepoError"
    assert before["bob_auth_check"] == "GatedRepoError" and before["bob_file_exists"] == "GatedRepoError"
    assert before["bob_repo_exists"] is True and before["bob_info_gated"] == "manual"
    assert before["bob_files"] == [".gitattributes", "README.md", "config.json", "w.bin"]
    assert before["anonymous_download"]["type"] == "GatedRepoError"
    assert before["anonymous_download"]["status"] == 401 and "Please log in" in before["anonymous_download"]["message"]
    assert before["anonymous_auth_check"] == "GatedRepoError"
    assert before["owner_download"] is True

    steps = r["steps"]
    assert steps["ask"] == [200, {"status": "pending"}]
    assert steps["pending"] == [["bob", "bob@example.com", "pending", {"Company": "ACME", "I agree to the terms": True}]]
    assert steps["pending_download"]["type"] == "GatedRepoError"
    assert "awaiting a review" in steps["pending_download"]["message"]
    assert steps["bob_lists_requests"]["status"] == 403
    assert steps["accepted"] == ["bob"]
    after = steps["bob_after_accept"]
    assert after["config"] == '{"a": 1}\n' and after["weights"] is True and after["auth_check"] is None
    assert after["snapshot"] == [".gitattributes", "README.md", "config.json", "w.bin"]
    assert steps["rejected"] == ["bob"]
    assert steps["rejected_download"]["type"] == "GatedRepoError"
    assert "Not this time" in steps["rejected_download"]["message"]
    assert steps["cancelled_to_pending"] == ["bob"]
    grant = steps["grant"]
    assert grant["answer"]["user"] == carol and grant["accepted"] == [carol] and grant["email"] is None
    assert grant["carol_download"] == '{"a": 1}\n'
    assert steps["errors"] == {"grant_twice": "BadRequestError", "accept_accepted": "HfHubHTTPError",
                               "reject_unknown_user": "HfHubHTTPError", "reject_rejected": "HfHubHTTPError",
                               "cancel_cancelled": "HfHubHTTPError"}


def test_likes(hf):
    prefix = f"likes-{hf.mode}-{uuid.uuid4().hex[:6]}"
    r = hf.run("community:likes", prefix=prefix).result
    one, two = (f"{hf.username}/{prefix}-{n}" for n in ("one", "two"))
    assert r["liked"] == [200, 200, 200, 200]
    assert r["info_likes"] == [1, 2]
    assert r["likers"] == ["alice", "bob"]
    assert r["liked_by_bob"] == {"user": "bob", "models": sorted([one, two]),
                                 "datasets": [f"{hf.username}/{prefix}-data"], "total_is_the_sum": True}
    assert r["liked_by_bob_anonymous"] == sorted([one, two])
    assert r["by_likes"] == [two, one]
    assert r["by_trending"] == [[two, 20], [one, 10]]
    assert r["after_unlike"] == {"likes": 1, "likers": ["alice"],
                                 "bob_models": sorted(m for m in r["liked_by_bob"]["models"] if m != two)}
    assert r["unlike_missing"] == "RepositoryNotFoundError"


def test_downloads_are_counted(hf):
    prefix = f"dl-{hf.mode}-{uuid.uuid4().hex[:6]}"
    r = hf.run("community:downloads", prefix=prefix).result
    popular, quiet = f"{hf.username}/{prefix}-popular", f"{hf.username}/{prefix}-quiet"
    assert r["start"] == {"popular": 0, "dataset": 0}
    assert r["popular"] == [2, 2]  # alice twice (one window: one download) and bob
    assert r["quiet"] == 1  # bob's snapshot (its config.json); alice's weights download is not one
    assert r["dataset"] == 1  # two files within the window: one download
    assert r["by_downloads"] == [popular, quiet]
    assert r["listed"] == {popular: 2, quiet: 1}


def test_profiles(hf):
    org = f"builders{uuid.uuid4().hex[:6]}"
    r = hf.run("community:profiles", org=org, avatar=list(png(4, 4))).result  # JSON carries the bytes as a list
    assert r["uploaded"] == 200
    assert r["whoami"] == {"fullname": "Bob Builder", "avatar_is_ours": True, "orgs": [[org, "Builders Inc."]]}
    assert r["avatar"] == {"status": 200, "type": "image/png", "same_bytes": True}
    assert r["user_overview"]["fullname"] == "Bob Builder" and r["user_overview"]["avatar_is_ours"] is True
    assert isinstance(r["user_overview"]["num_likes"], int)
    assert r["org_overview"] == {"fullname": "Builders Inc.", "name": org}

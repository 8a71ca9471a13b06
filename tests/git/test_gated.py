"""git and git-lfs on a gated repo: clone and fetch need an accepted access request, as downloads do; the
repo's writers are never gated."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from tests.git.conftest import LFS_THRESHOLD, Git, GitHub


def test_clone_of_a_gated_repo_needs_an_accepted_request(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    alice = git_hub.api()
    repo_id = git_hub.new_repo()
    weights = os.urandom(LFS_THRESHOLD + 1)
    alice.upload_file(path_or_fileobj=b"{}\n", path_in_repo="config.json", repo_id=repo_id)
    alice.upload_file(path_or_fileobj=weights, path_in_repo="w.bin", repo_id=repo_id)
    alice.update_repo_settings(repo_id, gated="manual")

    refused = git.run("clone", git_hub.remote(repo_id, git_hub.bob_token), str(tmp_path / "bob"), check=False)
    assert refused.returncode != 0 and "restricted and you are not in the authorized list" in refused.stderr, \
        refused.stderr
    assert not (tmp_path / "bob" / "config.json").exists()
    anonymous = git.run("clone", git_hub.remote(repo_id, ""), str(tmp_path / "anon"), check=False)
    assert anonymous.returncode != 0  # asked for credentials (401), none configured

    owner = tmp_path / "alice"
    git.run("clone", git_hub.remote(repo_id), str(owner))  # the owner is never gated
    assert (owner / "w.bin").read_bytes() == weights

    headers = {"Authorization": f"Bearer {git_hub.bob_token}"}
    asked = httpx.post(f"{git_hub.url}/api/models/{repo_id}/ask-access", json={}, headers=headers)
    assert asked.json() == {"status": "pending"}, asked.text
    alice.accept_access_request(repo_id, "bob")
    clone = tmp_path / "bob-ok"
    git.run("clone", git_hub.remote(repo_id, git_hub.bob_token), str(clone))
    assert (clone / "w.bin").read_bytes() == weights  # the LFS object came through the batch API

    alice.upload_file(path_or_fileobj=b'{"v": 2}\n', path_in_repo="config.json", repo_id=repo_id)
    alice.reject_access_request(repo_id, "bob", rejection_reason=None)
    fetch = git.run("fetch", "origin", cwd=clone, check=False)
    assert fetch.returncode != 0 and "rejected" in fetch.stderr, fetch.stderr

"""End to end with the real huggingface_hub client and real git: a private org repo is invisible and
read-only to non-members on every surface, and writable by a member."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from tests.git.conftest import LFS_THRESHOLD, Git, GitHub


def _post(hub: GitHub, path: str, token: str, body: dict) -> dict:
    resp = httpx.post(f"{hub.url}{path}", json=body, headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_private_org_repo_non_member_vs_member(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    org = f"org{uuid.uuid4().hex[:8]}"
    alice, bob = git_hub.server.token, git_hub.bob_token
    _post(git_hub, "/org/create", alice, {"name": org})
    repo_id = f"{org}/weights"
    alice_api, bob_api = HfApi(endpoint=git_hub.url, token=alice), HfApi(endpoint=git_hub.url, token=bob)
    alice_api.create_repo(repo_id, private=True)
    alice_api.upload_file(path_or_fileobj=b"hello\n", path_in_repo="README.md", repo_id=repo_id)
    assert org in {o["name"] for o in alice_api.whoami()["orgs"]}

    # bob, not a member: the repo does not exist for him, on the HF API and over git
    with pytest.raises(RepositoryNotFoundError):
        bob_api.repo_info(repo_id)
    assert repo_id not in {m.id for m in bob_api.list_models(author=org)}
    with pytest.raises(RepositoryNotFoundError):
        bob_api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo_id)
    with pytest.raises(HfHubHTTPError):
        bob_api.create_repo(f"{org}/bobs", private=True)
    clone = git.run("clone", git_hub.remote(repo_id, bob), str(tmp_path / "nope"), check=False)
    assert clone.returncode != 0 and "not found" in clone.stderr.lower(), clone.stderr

    # alice's clone, pushed with bob's credentials: refused, nothing moves
    work = tmp_path / "work"
    git.run("clone", git_hub.remote(repo_id, alice), str(work))
    head = git.out("rev-parse", "HEAD", cwd=work)
    (work / "pushed.txt").write_text("from git\n")
    git.run("add", ".", cwd=work)
    git.run("commit", "-m", "git push", cwd=work)
    git.run("remote", "set-url", "origin", git_hub.remote(repo_id, bob), cwd=work)
    push = git.run("push", "origin", "main", cwd=work, check=False)
    assert push.returncode != 0, push.stderr
    assert alice_api.repo_info(repo_id).sha == head

    # bob becomes a member (write): he sees the repo and can push with git and upload with the client
    _post(git_hub, f"/org/{org}/members", alice, {"username": "bob", "role": "member"})
    assert bob_api.whoami()["orgs"] == [{"type": "org", "id": bob_api.whoami()["orgs"][0]["id"], "name": org,
                                         "fullname": org, "avatarUrl": "", "roleInOrg": "write",
                                         "isEnterprise": False}]
    assert bob_api.repo_info(repo_id).sha == head
    assert repo_id in {m.id for m in bob_api.list_models(author=org)}
    big = os.urandom(LFS_THRESHOLD + 77)
    (work / "model.weights").write_bytes(big)
    git.run("lfs", "track", "*.weights", cwd=work)
    git.run("add", ".", cwd=work)
    git.run("commit", "-m", "lfs by bob", cwd=work)
    git.run("push", "origin", "main", cwd=work)
    pushed = git.out("rev-parse", "HEAD", cwd=work)
    assert alice_api.repo_info(repo_id).sha == pushed
    info = bob_api.upload_file(path_or_fileobj=b"by the client\n", path_in_repo="client.txt", repo_id=repo_id)
    assert info.oid != pushed
    files = set(alice_api.list_repo_files(repo_id))
    assert {"README.md", "pushed.txt", "model.weights", "client.txt"} <= files
    bob_api.create_repo(f"{org}/bobs", private=True)

    # a visitor reads but cannot push
    _post(git_hub, "/org/create", alice, {"name": f"{org}-b"})
    git.run("remote", "set-url", "origin", git_hub.remote(repo_id, bob), cwd=work)
    httpx.put(f"{git_hub.url}/org/{org}/members/bob", json={"role": "visitor"},
              headers={"Authorization": f"Bearer {alice}"}).raise_for_status()
    (work / "late.txt").write_text("late\n")
    git.run("add", ".", cwd=work)
    git.run("commit", "-m", "after demotion", cwd=work)
    assert git.run("push", "origin", "main", cwd=work, check=False).returncode != 0
    assert alice_api.repo_info(repo_id).sha == info.oid

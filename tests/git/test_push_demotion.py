"""Issue 4, "Bad input and failure": an org admin demoted while a push is running.

The push is judged by the permissions at its start (the write check runs when its HTTP request arrives,
api/routes/git_http.py); the next request is judged by the new ones. The push is made slow by hand: a
raw receive-pack request whose body stops after the commands and the first part of the pack, until the
hub's git holds the pushed objects in quarantine (proof that the request was admitted) and the pusher has
been demoted through the org API.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.git.conftest import LFS_THRESHOLD, Git, GitHub
from tests.git.test_hostile import (
    basic,
    commit_files,
    leftovers,
    make_pack,
    push_dirs,
    push_request,
    quarantined,
    wait_until,
)

FIRST_PART = 64 * 1024


def _api(hub: GitHub, method: str, path: str, token: str, body: dict | None = None) -> httpx.Response:
    return httpx.request(method, f"{hub.url}{path}", json=body, headers={"Authorization": f"Bearer {token}"},
                         timeout=30)


def test_admin_demoted_during_push(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    alice, bob = git_hub.server.token, git_hub.bob_token
    org = f"org{uuid.uuid4().hex[:8]}"
    repo_id = f"{org}/w"
    assert _api(git_hub, "POST", "/org/create", alice, {"name": org}).status_code == 200
    assert _api(git_hub, "POST", f"/org/{org}/members", alice, {"username": "bob", "role": "admin"}).status_code == 200
    alice_api = git_hub.api(alice)
    alice_api.create_repo(repo_id, private=True)
    old = alice_api.upload_file(path_or_fileobj=b"base\n", path_in_repo="base.txt", repo_id=repo_id).oid

    work = tmp_path / "work"
    git.run("clone", "-q", git_hub.remote(repo_id, bob), str(work))
    # Random bytes below the LFS threshold: a pack that neither compresses nor fits one read.
    new = commit_files(git, work, {"big.dat": os.urandom(LFS_THRESHOLD - 4096), "note.txt": b"slow push\n"})
    request = push_request(old, new, make_pack(git, work, new, old))
    repo_dir = git_hub.repo_dir(repo_id)
    dirs_before = push_dirs()
    seen_during_push: dict[str, int] = {}

    def slow_body() -> Iterator[bytes]:
        yield request[:FIRST_PART]
        # The hub admitted the push (checked bob's write access) and git is receiving the pack.
        wait_until(lambda: quarantined(repo_dir), 20, "waiting for the push to reach git")
        resp = _api(git_hub, "PUT", f"/org/{org}/members/bob", alice, {"role": "visitor"})
        assert resp.status_code == 200 and resp.json()["role"] == "visitor", resp.text
        # A request that starts now is judged by the new role, while the push is still running.
        refs = httpx.get(f"{git_hub.url}/{repo_id}.git/info/refs?service=git-receive-pack",
                         headers={"Authorization": basic(bob)}, timeout=30)
        seen_during_push["receive_pack_refs"] = refs.status_code
        seen_during_push["upload_pack_refs"] = httpx.get(
            f"{git_hub.url}/{repo_id}.git/info/refs?service=git-upload-pack",
            headers={"Authorization": basic(bob)}, timeout=30).status_code
        for start in range(FIRST_PART, len(request), FIRST_PART):
            yield request[start:start + FIRST_PART]

    response = httpx.post(f"{git_hub.url}/{repo_id}.git/git-receive-pack", content=slow_body(), timeout=60,
                          headers={"Content-Type": "application/x-git-receive-pack-request",
                                   "Authorization": basic(bob)})
    assert seen_during_push == {"receive_pack_refs": 403, "upload_pack_refs": 200}
    # The push was judged by bob's role at its start (admin): accepted, the branch moved.
    assert response.status_code == 200, response.text
    assert b"unpack ok" in response.content and b"ok refs/heads/main" in response.content, response.content[-500:]
    assert git_hub.refs(repo_id)["refs/heads/main"] == new
    assert alice_api.repo_info(repo_id).sha == new
    assert "big.dat" in alice_api.list_repo_files(repo_id)
    wait_until(lambda: not (push_dirs() - dirs_before), 10, "the push's socket directory left behind")
    assert leftovers(repo_dir) == []

    # The next push is judged by the new role (visitor: read only): refused with 403, nothing moves.
    commit_files(git, work, {"later.txt": b"after the demotion\n"})
    push = git.run("push", "origin", "main", cwd=work, check=False)
    assert push.returncode != 0 and "403" in push.stderr, push.stderr
    assert git_hub.refs(repo_id)["refs/heads/main"] == new
    members = _api(git_hub, "GET", f"/org/{org}/members", alice).json()["members"]
    assert {"username": "bob", "role": "visitor"} in members
    # ... while reading still works for a visitor.
    git.run("fetch", "-q", "origin", cwd=work)
    assert git.out("rev-parse", "origin/main", cwd=work) == new
    fsck = git_hub.bare(repo_id, "fsck", "--strict", "--no-progress", check=False)
    assert fsck.returncode == 0, fsck.stderr

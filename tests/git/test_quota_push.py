"""Quotas on git push: the new blobs and the LFS objects the pointers bring are counted before refs move."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx

from tests.git.conftest import Git, GitHub

_ADMINS: set[str] = set()


def quota(hub: GitHub) -> dict:
    resp = httpx.get(f"{hub.url}/api/quota/alice", headers={"Authorization": f"Bearer {hub.server.token}"})
    assert resp.status_code == 200, resp.text
    return resp.json()


def set_limit(hub: GitHub, admin: str, value: int | None) -> None:
    resp = httpx.put(f"{hub.url}/api/quota/alice", json={"public": value},
                     headers={"Authorization": f"Bearer {admin}"})
    assert resp.status_code == 200, resp.text


def admin_token(hub: GitHub) -> str:
    name = "quotaroot"
    if hub.url not in _ADMINS:  # one admin per session server
        hub.server.cli("admin", "create-user", name, "--email", f"{name}@example.com",
                       "--password", "correct-horse-battery", "--admin")
        _ADMINS.add(hub.url)
    return hub.server.new_token(name)


def test_push_exactly_at_limit_then_one_byte_over(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    admin = admin_token(git_hub)
    repo_id = git_hub.new_repo()
    work = tmp_path / "c"
    git.run("clone", git_hub.remote(repo_id), str(work))
    try:
        used = quota(git_hub)["public"]["used"]
        set_limit(git_hub, admin, used + 1000)
        (work / "a.txt").write_bytes(b"a" * 1000)
        git.run("add", ".", cwd=work)
        git.run("commit", "-m", "exactly at the limit", cwd=work)
        git.run("push", "origin", "main", cwd=work)
        assert quota(git_hub)["public"]["used"] == used + 1000
        (work / "b.txt").write_bytes(b"b")
        git.run("add", ".", cwd=work)
        git.run("commit", "-m", "one byte over", cwd=work)
        before = git.out("--git-dir", str(git_hub.repo_dir(repo_id)), "rev-parse", "refs/heads/main")
        result = git.run("push", "origin", "main", cwd=work, check=False)
        assert result.returncode != 0
        assert "remote: KohakuHub: Quota exceeded for alice (public)" in result.stderr, result.stderr
        assert "this push needs 1 bytes" in result.stderr
        assert git.out("--git-dir", str(git_hub.repo_dir(repo_id)), "rev-parse", "refs/heads/main") == before
        assert quota(git_hub)["public"]["used"] == used + 1000
    finally:
        set_limit(git_hub, admin, None)


def test_push_counts_lfs_pointer_objects(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    admin = admin_token(git_hub)
    repo_id = git_hub.new_repo()
    work = tmp_path / "c"
    git.run("clone", git_hub.remote(repo_id), str(work))
    try:
        data = os.urandom(3000)
        git.run("lfs", "track", "*.weights", cwd=work)
        (work / "m.weights").write_bytes(data)
        git.run("add", ".", cwd=work)
        git.run("commit", "-m", "lfs", cwd=work)
        gitattributes = (work / ".gitattributes").read_bytes()
        oid = hashlib.sha256(data).hexdigest()
        pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(data)}\n".encode()
        used = quota(git_hub)["public"]["used"]
        # Room for the LFS object (the batch upload passes) but not for it plus the pointer and .gitattributes.
        set_limit(git_hub, admin, used + len(data) + len(pointer) + len(gitattributes) - 1)
        result = git.run("push", "origin", "main", cwd=work, check=False)
        assert result.returncode != 0
        assert "remote: KohakuHub: Quota exceeded for alice (public)" in result.stderr, result.stderr
        assert quota(git_hub)["public"]["used"] == used
        set_limit(git_hub, admin, used + len(data) + len(pointer) + len(gitattributes))
        git.run("push", "origin", "main", cwd=work)
        assert quota(git_hub)["public"]["used"] == used + len(data) + len(pointer) + len(gitattributes)
        # A force push that drops the commit shrinks the repo back (re-measured), LFS objects stay counted.
        git.run("reset", "--hard", "HEAD~1", cwd=work)
        git.run("push", "--force", "origin", "main", cwd=work)
        assert quota(git_hub)["public"]["used"] == used + len(data)
        resp = httpx.post(f"{git_hub.url}/api/quota/alice/recalculate", headers={"Authorization": f"Bearer {admin}"})
        assert resp.json()["public"]["used"] == used + len(data)
    finally:
        set_limit(git_hub, admin, None)

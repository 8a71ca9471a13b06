"""Pull request refs over git's smart HTTP: ``git fetch origin refs/pr/N`` brings a pull request's commits
(LFS files smudged), ls-remote lists them; pull requests are written through the HF API, not by pushes."""

from __future__ import annotations

import os
from pathlib import Path

from huggingface_hub import CommitOperationAdd, HfApi

from tests.git.conftest import LFS_THRESHOLD, Git, GitHub

LFS_BYTES = os.urandom(LFS_THRESHOLD + 2048)


def test_fetch_a_pull_request_ref(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    repo_id = git_hub.new_repo()
    git_hub.api().upload_file(path_or_fileobj=b"v1\n", path_in_repo="README.md", repo_id=repo_id)
    # bob may only read alice's repo: he proposes a change with an LFS file.
    bob = HfApi(endpoint=git_hub.url, token=git_hub.bob_token)
    proposed = bob.create_commit(repo_id, create_pr=True, commit_message="Propose weights", operations=[
        CommitOperationAdd("weights.bin", LFS_BYTES), CommitOperationAdd("README.md", b"v2\n")])
    assert proposed.pr_revision == "refs/pr/1"
    work = tmp_path / "c"
    git.run("clone", git_hub.remote(repo_id, ""), str(work))  # anonymous: the repo is public
    remote_refs = dict(line.split("\t")[::-1] for line in git.out("ls-remote", "origin", cwd=work).splitlines())
    assert remote_refs["refs/pr/1"] == proposed.oid
    assert (work / "README.md").read_text() == "v1\n" and not (work / "weights.bin").exists()
    git.run("fetch", "origin", "refs/pr/1", cwd=work)
    assert git.out("rev-parse", "FETCH_HEAD", cwd=work) == proposed.oid
    git.run("checkout", "-q", "FETCH_HEAD", cwd=work)
    assert (work / "README.md").read_text() == "v2\n"
    assert (work / "weights.bin").read_bytes() == LFS_BYTES  # git-lfs fetched the object through the PR
    # A refspec keeps it as a local ref; a later commit to the pull request is fetched too.
    more = bob.upload_file(path_or_fileobj=b"more\n", path_in_repo="more.txt", repo_id=repo_id,
                           revision="refs/pr/1")
    git.run("fetch", "origin", "refs/pr/1:refs/remotes/origin/pr/1", cwd=work)
    assert git.out("rev-parse", "origin/pr/1", cwd=work) == more.oid
    assert git.out("log", "--format=%s", "-2", "origin/pr/1", cwd=work).splitlines() == [
        "Upload more.txt with huggingface_hub", "Propose weights"]


def test_pushes_do_not_write_pull_request_refs(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    repo_id = git_hub.new_repo()
    opened = git_hub.api().upload_file(path_or_fileobj=b"x\n", path_in_repo="x.txt", repo_id=repo_id, create_pr=True)
    work = tmp_path / "c"
    git.run("clone", git_hub.remote(repo_id), str(work))
    git.run("fetch", "origin", "refs/pr/1", cwd=work)
    git.run("checkout", "-q", "FETCH_HEAD", cwd=work)  # on top of the pull request: a fast-forward
    (work / "y.txt").write_text("y\n")
    git.run("add", "y.txt", cwd=work)
    git.run("commit", "-qm", "y", cwd=work)
    before = git_hub.refs(repo_id)
    push = git.run("push", "origin", "HEAD:refs/pr/1", cwd=work, check=False)
    assert push.returncode != 0
    assert "refs/pr/1: only branches (refs/heads/) and tags (refs/tags/) can be pushed" in push.stderr
    assert git_hub.refs(repo_id) == before and before["refs/pr/1"] == opened.oid

"""A moved repo's old id keeps working for git: clone and fetch (with LFS files) through the old URL follow
the redirect, for a private repo too when the caller may read it; others get the not-found answer."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from tests.git.conftest import LFS_THRESHOLD, Git, GitHub

UPLOAD = "service=git-upload-pack"


def test_private_moved_repo_clones_through_the_old_url(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    api = git_hub.api()
    old_id = git_hub.new_repo(private=True)
    big = os.urandom(LFS_THRESHOLD + 100)
    api.upload_file(path_or_fileobj=b"small\n", path_in_repo="small.txt", repo_id=old_id)
    head = api.upload_file(path_or_fileobj=big, path_in_repo="big.bin", repo_id=old_id).oid
    new_id = old_id + "-moved"
    api.move_repo(old_id, new_id)

    # Anonymous: the not-found challenge (git asks for credentials), never a hint of the new name.
    anonymous = httpx.get(f"{git_hub.url}/{old_id}.git/info/refs?{UPLOAD}", timeout=30)
    assert anonymous.status_code == 401 and "location" not in anonymous.headers
    # Bob may not read it: not found, as for a repo that never existed.
    basic = httpx.BasicAuth("git", git_hub.bob_token)
    assert httpx.get(f"{git_hub.url}/{old_id}.git/info/refs?{UPLOAD}", auth=basic, timeout=30).status_code == 404
    # The owner: a redirect to the new name, which git follows, and git-lfs fetches the big file.
    redirect = httpx.get(f"{git_hub.url}/{old_id}.git/info/refs?{UPLOAD}",
                         auth=httpx.BasicAuth("git", git_hub.server.token), timeout=30)
    assert redirect.status_code == 307
    assert redirect.headers["location"] == f"{git_hub.url}/{new_id}.git/info/refs?{UPLOAD}"
    work = tmp_path / "old-url"
    result = git.run("clone", git_hub.remote(old_id), str(work))
    assert "redirecting to" in result.stderr, result.stderr
    assert git.out("rev-parse", "HEAD", cwd=work) == head
    assert (work / "big.bin").read_bytes() == big and (work / "small.txt").read_bytes() == b"small\n"
    # Fetching later through the old URL works too (git-lfs asks the old LFS URL, which redirects).
    api.upload_file(path_or_fileobj=os.urandom(LFS_THRESHOLD + 7), path_in_repo="later.bin", repo_id=new_id)
    git.run("pull", "-q", cwd=work)
    assert (work / "later.bin").stat().st_size == LFS_THRESHOLD + 7
    assert git.out("lfs", "ls-files", "-n", cwd=work).split() == ["big.bin", "later.bin"]

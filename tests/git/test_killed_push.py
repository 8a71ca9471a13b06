"""``kill -9`` of the hub while a push's pack is arriving.

After a restart the branch is where it was, the repository is consistent (``git fsck``) and serves the
old commit to a fresh clone, and pushing again, with stock git, lands the new commit with its bytes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import kill_server, restart_server, start_server, stop_server
from tests.git.conftest import LFS_THRESHOLD, GitHub, make_git
from tests.git.test_hostile import BLOB_SIZE, PUSH_TYPE, basic, clone, commit_files, make_pack, push_request


@pytest.fixture
def hubs(tmp_path: Path) -> Iterator[list[GitHub]]:
    """The hub as a list: the test adds the restarted one."""
    server = start_server(tmp_path / "data", {"KOHAKU_HUB_LFS_THRESHOLD_BYTES": str(LFS_THRESHOLD)})
    found = [GitHub(server, make_git(tmp_path / "home"), "", "")]
    yield found
    for hub in found:
        if hub.server.process.poll() is None:
            stop_server(hub.server)


def _killing_body(hub: GitHub, body: bytes, after: int) -> Iterator[bytes]:
    for start in range(0, len(body), 256 * 1024):
        if start >= after and hub.server.process.poll() is None:
            kill_server(hub.server)
        yield body[start:start + 256 * 1024]


def test_killed_mid_push_keeps_the_old_commit_and_the_retry_lands(hubs: list[GitHub], tmp_path: Path) -> None:
    hub = hubs[0]
    repo_id = hub.new_repo()
    old = hub.api().upload_file(path_or_fileobj=b"base\n", path_in_repo="base.txt", repo_id=repo_id).oid
    work = clone(hub, hub.git, repo_id, tmp_path / "work")
    # Plain git blobs (.dat is not LFS-tracked): ~6 MiB of incompressible pack.
    files = {f"b{i}.dat": os.urandom(BLOB_SIZE) for i in range(6)}
    new = commit_files(hub.git, work, files)
    body = push_request(old, new, make_pack(hub.git, work, new, old))
    with pytest.raises(httpx.HTTPError):
        httpx.post(f"{hub.url}/{repo_id}.git/git-receive-pack", timeout=30,
                   content=_killing_body(hub, body, after=len(body) // 2),
                   headers={"Content-Type": PUSH_TYPE, "Authorization": basic(hub.server.token)})
    assert hub.server.process.returncode is not None

    restarted = GitHub(restart_server(hub.server), hub.git, "", "")
    hubs.append(restarted)
    assert restarted.refs(repo_id)["refs/heads/main"] == old
    restarted.bare(repo_id, "fsck", "--strict", "--no-dangling")
    fresh = clone(restarted, hub.git, repo_id, tmp_path / "fresh")
    assert hub.git.out("rev-parse", "HEAD", cwd=fresh) == old
    assert sorted(p.name for p in fresh.iterdir() if p.name != ".git") == [".gitattributes", "base.txt"]

    # The retry is a plain `git push` to the restarted hub.
    hub.git.run("push", restarted.remote(repo_id), "main", cwd=work)
    assert restarted.refs(repo_id)["refs/heads/main"] == new
    restarted.bare(repo_id, "fsck", "--strict", "--no-dangling")
    again = clone(restarted, hub.git, repo_id, tmp_path / "again")
    for name, data in files.items():
        assert (again / name).read_bytes() == data, name

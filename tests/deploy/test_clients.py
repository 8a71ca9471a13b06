"""Real clients through nginx only (issue 6): huggingface_hub, git + git-lfs, and 50 concurrent commits to
one branch spread over the 4 uvicorn workers."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.api.helpers import NDJSON, create_repo, file_op, ndjson
from tests.deploy.conftest import WORKERS, MiB, Deployment, deploy_group
from tests.e2e.conftest import HfClient, Hub
from tests.git.conftest import make_git
from tests.s3_support import moto

pytestmark = deploy_group


def _hosts(requests: list[str]) -> set[str]:
    """Hosts other than HF_ENDPOINT's that the client talked to (the recorder marks them with '@')."""
    return {line.rsplit(" @", 1)[1].split(" ")[0] for line in requests if " @" in line}


def test_huggingface_hub_client_subset(deployment: Deployment, tmp_path: Path):
    hub = Hub(dataclasses.replace(deployment.api, url=deployment.url), deployment.other_token, "lfs")
    hf = HfClient("noxet-lfs", hub, tmp_path)
    result = hf.run("deploy:client_subset", repo_id=hf.repo_id("deploy"), big_size=5 * MiB).result
    s3_host = urlsplit(moto().endpoint).netloc
    assert _hosts(result["all_requests"]) == {s3_host}  # nginx and S3 only, never the API's own port
    up = result["upload_requests"]
    assert sum(r.startswith("PUT ") and "partNumber=" in r and r.endswith(f"@{s3_host}") for r in up) == 5
    assert sum(r.startswith("POST /api/lfs/complete/") for r in up) == 1  # completion through nginx
    down = result["download_requests"]
    assert any(r.startswith("GET /") and "/resolve/main/weights/big.bin" in r for r in down)  # the 302
    assert any(r.startswith("GET ") and r.endswith(f"@{s3_host}") for r in down)  # the presigned GET
    assert result["downloaded"] == result["expected"]["weights/big.bin"]
    assert result["branches"] == ["dev", "main"]
    expected = {k: v for k, v in result["expected"].items() if v}
    assert {k: v for k, v in result["main"].items() if k != ".gitattributes"} == expected
    assert {k: v for k, v in result["dev"].items() if k != ".gitattributes"} == {
        **expected, "dev.txt": hashlib.sha256(b"dev only\n").hexdigest()}


@pytest.mark.skipif(shutil.which("git-lfs") is None, reason="git-lfs is needed (scripts/test.sh installs it)")
def test_git_push_then_clone_and_lfs_pull(deployment: Deployment, tmp_path: Path):
    git = make_git(tmp_path / "home")
    name = f"git-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=deployment.url) as http:
        create_repo(http, deployment.token, name)
    remote = f"http://git:{deployment.token}@{deployment.url.removeprefix('http://')}/alice/{name}"
    work = tmp_path / "work"
    git.run("clone", remote, str(work))
    weights = os.urandom(2 * MiB)
    (work / "model.bin").write_bytes(weights)
    (work / "notes.txt").write_text("pushed through nginx\n")
    git.run("lfs", "track", "*.bin", cwd=work)
    git.run("add", ".", cwd=work)
    git.run("commit", "-m", "weights", cwd=work)
    git.run("push", "origin", "main", cwd=work)  # git-lfs: batch via nginx, bytes to S3; then receive-pack
    pushed = git.out("rev-parse", "HEAD", cwd=work)

    fresh = tmp_path / "fresh"
    git.env["GIT_LFS_SKIP_SMUDGE"] = "1"
    git.run("clone", remote, str(fresh))
    assert (fresh / "model.bin").read_bytes().startswith(b"version https://git-lfs.github.com/spec/v1")
    git.run("lfs", "pull", cwd=fresh)
    assert (fresh / "model.bin").read_bytes() == weights
    assert git.out("rev-parse", "HEAD", cwd=fresh) == pushed
    info = httpx.get(f"{deployment.url}/api/models/alice/{name}", headers=deployment.auth()).json()
    assert info["sha"] == pushed


def _worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def test_50_concurrent_commits_to_one_branch_all_land_in_a_linear_history(deployment: Deployment,
                                                                          tmp_path: Path):
    name = f"burst-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=deployment.url, timeout=120,
                      limits=httpx.Limits(max_connections=50)) as http:
        create_repo(http, deployment.token, name)

        def commit(n: int) -> httpx.Response:
            body = ndjson([file_op(f"burst/{n:02d}.txt", f"commit {n}\n".encode())], summary=f"commit {n}")
            return http.post(f"/api/models/alice/{name}/commit/main", content=body,
                             headers={**NDJSON, **deployment.auth()})

        with ThreadPoolExecutor(50) as pool:
            answers = list(pool.map(commit, range(50)))
    assert [a.status_code for a in answers] == [200] * 50, [a.text for a in answers if a.status_code != 200]
    oids = {a.json()["commitOid"] for a in answers}
    assert len(oids) == 50
    assert len(_worker_pids(deployment.api.process.pid)) == WORKERS  # none died under the burst

    git = make_git(tmp_path / "home")
    clone = tmp_path / "clone.git"
    git.run("clone", "--bare", f"{deployment.url}/alice/{name}", str(clone))
    history = git.out("rev-list", "--parents", "main", cwd=clone).splitlines()
    assert all(len(line.split()) <= 2 for line in history)  # no merges: one parent each (root: none)
    assert len(history) == 51  # the initial commit and the 50
    assert oids <= {line.split()[0] for line in history}
    files = git.out("ls-tree", "--name-only", "main", "burst/", cwd=clone).splitlines()
    assert files == [f"burst/{n:02d}.txt" for n in range(50)]

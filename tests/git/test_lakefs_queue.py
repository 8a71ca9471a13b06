"""A git push queues the lakeFS mirror like any other write, and ``kohakuhub admin lakefs`` reports and resyncs.

A live hub (uvicorn) mirrors into a lakeFS address where nothing listens: pushes still succeed, each one
queues the repo (the push transport tells the versioning backend's ref listeners), and the admin command
shows the lag and lakeFS's error. The mirror's replay itself is tested in tests/api/test_lakefs_mirror.py.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from huggingface_hub import HfApi

from tests.conftest import free_port, start_server, stop_server
from tests.git.conftest import make_git


@pytest.fixture(scope="module")
def mirrored_server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("lakefs-git") / "data", {
        "KOHAKU_HUB_LAKEFS_ENDPOINT": f"http://127.0.0.1:{free_port()}",
        "KOHAKU_HUB_LAKEFS_ACCESS_KEY": "AKIAKOHAKUHUBTEST",
        "KOHAKU_HUB_LAKEFS_SECRET_KEY": "t" * 40,
        "KOHAKU_HUB_LAKEFS_STORAGE_NAMESPACE": "s3://hub/lakefs/{repo}",
    })
    try:
        yield server
    finally:
        stop_server(server)


def _pending(server, label: str) -> int:
    """The pending column of ``kohakuhub admin lakefs status`` for repo ``label`` (type:namespace/name)."""
    for line in server.cli("admin", "lakefs", "status").splitlines():
        if line.startswith(f"{label} "):
            return int(line.split()[1])
    return 0


def _cli(server, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kohakuhub.cli.main", *args, "--data-dir", str(server.data_dir)],
                          env=server.env, capture_output=True, text=True, timeout=120)


def test_a_push_is_queued_and_the_status_shows_lag_and_error(mirrored_server, tmp_path):
    server = mirrored_server
    git = make_git(tmp_path / "home")
    HfApi(endpoint=server.url, token=server.token).create_repo("alice/pushed")
    before = _pending(server, "model:alice/pushed")
    assert before >= 1  # the initial commit
    remote = f"http://git:{server.token}@{server.url.removeprefix('http://')}/alice/pushed.git"
    work = tmp_path / "work"
    git.run("clone", remote, str(work))
    (work / "new.txt").write_text("pushed\n")
    git.run("add", "new.txt", cwd=work)
    git.run("commit", "-m", "a pushed commit", cwd=work)
    git.run("push", "origin", "main", cwd=work)  # lakeFS is down: the push does not notice
    git.run("push", "origin", "main:refs/heads/side", cwd=work)
    assert _pending(server, "model:alice/pushed") == before + 2

    status = server.cli("admin", "lakefs", "status")
    [row] = [line for line in status.splitlines() if line.startswith("model:alice/pushed ")]
    # pending, since (a date and time), commits lakeFS lacks (the initial and the pushed one), commits
    # mirrored, failures in a row, then lakeFS's error
    assert re.match(r"model:alice/pushed +\d+ +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +2 +0 +\d+ ", row), row


def test_resync_queues_one_repo_or_all_and_refuses_bad_input(mirrored_server):
    server = mirrored_server
    HfApi(endpoint=server.url, token=server.token).create_repo("alice/again", repo_type="dataset")
    before = _pending(server, "dataset:alice/again")
    assert "queued 1 repo(s)" in server.cli("admin", "lakefs", "resync", "dataset/alice/again")
    assert _pending(server, "dataset:alice/again") == before + 1
    everything = server.cli("admin", "lakefs", "resync", "--all")
    assert re.search(r"queued \d+ repo\(s\)", everything)
    for args, message in ((("resync",), "name one repo"), (("resync", "x/y", "--all"), "name one repo"),
                          (("resync", "dataset/alice/missing"), "no repo dataset/alice/missing")):
        done = _cli(server, "admin", "lakefs", *args)
        assert done.returncode != 0 and message in done.stderr, done.stderr
    assert _pending(server, "dataset:alice/again") == before + 2  # the refusals queued nothing


def test_the_lakefs_commands_say_when_the_mirror_is_off(live_server):
    done = _cli(live_server, "admin", "lakefs", "status")
    assert done.returncode == 2 and "the lakeFS mirror is off" in done.stderr

"""Fixtures for git over HTTP: a live hub, and the real git and git-lfs binaries with isolated config."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from tests.conftest import LiveServer, start_server, stop_server
from tests.databases import hub_sql

MiB = 1024 * 1024
LFS_THRESHOLD = 1 * MiB

if shutil.which("git") is None or shutil.which("git-lfs") is None:
    pytest.skip("git and git-lfs are needed (scripts/test.sh installs them)", allow_module_level=True)


@dataclass
class Git:
    """Runs git in a sandbox: its own HOME and global config, git-lfs filters installed, no prompts."""

    home: Path
    env: dict[str, str]

    def run(self, *args: str, cwd: Path | None = None, check: bool = True,
            input: bytes | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["git", *args], cwd=cwd, env=self.env, capture_output=True, input=input,
                                timeout=300)
        out = subprocess.CompletedProcess(result.args, result.returncode,
                                          result.stdout.decode(errors="replace"),
                                          result.stderr.decode(errors="replace"))
        if check and out.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed ({out.returncode}):\n{out.stderr}")
        return out

    def out(self, *args: str, cwd: Path | None = None) -> str:
        return self.run(*args, cwd=cwd).stdout.strip()


def make_git(home: Path) -> Git:
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "KOHAKU_HUB_"))}
    env.update({
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",  # a missing credential fails instead of waiting for a keyboard
        "GIT_ASKPASS": "true",
    })
    git = Git(home, env)
    git.run("config", "--global", "user.name", "Tester")
    git.run("config", "--global", "user.email", "tester@example.com")
    git.run("config", "--global", "init.defaultBranch", "main")
    git.run("config", "--global", "credential.helper", "")
    git.run("lfs", "install", "--skip-repo")
    return git


@dataclass
class GitHub:
    """A live hub plus what git tests need: users, tokens and URL builders."""

    server: LiveServer
    git: Git
    bob_token: str
    alice_read_token: str

    @property
    def url(self) -> str:
        return self.server.url

    def api(self, token: str | None = None) -> HfApi:
        return HfApi(endpoint=self.url, token=token or self.server.token)

    def remote(self, repo_id: str, token: str | None = None, *, prefix: str = "", suffix: str = ".git") -> str:
        """``http://user:token@host/[prefix]ns/name[.git]``; ``token=""`` gives an anonymous URL."""
        host = self.url.removeprefix("http://")
        token = self.server.token if token is None else token
        auth = f"git:{token}@" if token else ""
        return f"http://{auth}{host}/{prefix}{repo_id}{suffix}"

    def new_repo(self, *, private: bool = False, repo_type: str = "model") -> str:
        repo_id = f"alice/g-{uuid.uuid4().hex[:10]}"
        self.api().create_repo(repo_id, private=private, repo_type=repo_type,
                               space_sdk="static" if repo_type == "space" else None)
        return repo_id

    def repo_dir(self, repo_id: str, repo_type: str = "model") -> Path:
        """The bare repository on the hub's disk (for fsck and leftover checks)."""
        [(key,)] = hub_sql(self.server.data_dir, "SELECT key FROM repo WHERE full_key = ?",
                           (f"{repo_type}/{repo_id}".lower(),))
        return self.server.data_dir / "repos" / key[:2] / f"{key}.git"

    def bare(self, repo_id: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run git directly on the hub's bare repository (no hub involved)."""
        return subprocess.run(["git", "--git-dir", str(self.repo_dir(repo_id)), *args], env=self.git.env,
                              capture_output=True, text=True, check=check, timeout=120)

    def refs(self, repo_id: str) -> dict[str, str]:
        """Every ref of the bare repository with its id, and ``HEAD`` with the branch it names."""
        listing = self.bare(repo_id, "for-each-ref", "--format=%(refname) %(objectname)").stdout
        refs = dict(line.split(" ") for line in listing.splitlines())
        refs["HEAD"] = self.bare(repo_id, "symbolic-ref", "HEAD").stdout.strip()
        return refs

    @property
    def log_path(self) -> Path:
        """The server's combined stdout/stderr (written by ``launch_server``)."""
        return self.server.data_dir.parent / f"server-{self.url.rsplit(':', 1)[1]}.log"


@pytest.fixture(scope="session")
def git_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitHub]:
    server = start_server(tmp_path_factory.mktemp("github") / "data",
                          {"KOHAKU_HUB_LFS_THRESHOLD_BYTES": str(LFS_THRESHOLD)})
    try:
        server.cli("admin", "create-user", "bob", "--email", "bob@example.com", "--password", "correct-horse-battery")
        hub = GitHub(server, make_git(tmp_path_factory.mktemp("githome")), server.new_token("bob"),
                     server.new_token("alice", role="read"))
        yield hub
    finally:
        stop_server(server)


@pytest.fixture
def git(git_hub: GitHub) -> Git:
    return git_hub.git

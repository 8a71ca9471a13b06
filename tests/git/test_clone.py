"""Clone, fetch and ls-remote with the real git and git-lfs: the same history as the HF API."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd

from tests.git.conftest import LFS_THRESHOLD, Git, GitHub

LFS_BYTES = os.urandom(LFS_THRESHOLD + 4096)


def build_repo(hub: GitHub, *, private: bool = False, repo_type: str = "model") -> str:
    """A repo made through the HF API: three commits, an LFS file, a branch, a tag."""
    repo_id = hub.new_repo(private=private, repo_type=repo_type)
    api = hub.api()
    api.upload_file(path_or_fileobj=b"v1\n", path_in_repo="README.md", repo_id=repo_id, repo_type=repo_type)
    api.create_commit(repo_id, repo_type=repo_type, commit_message="weights", operations=[
        CommitOperationAdd("weights.bin", LFS_BYTES),
        CommitOperationAdd("data/odd.custom", b"x" * (LFS_THRESHOLD + 1)),  # LFS without a pattern
        CommitOperationAdd("nested/deep/file.txt", b"deep\n"),
    ])
    api.create_branch(repo_id, repo_type=repo_type, branch="dev")
    api.upload_file(path_or_fileobj=b"dev only\n", path_in_repo="dev.txt", repo_id=repo_id,
                    repo_type=repo_type, revision="dev")
    api.create_tag(repo_id, repo_type=repo_type, tag="v1.0", tag_message="release")
    return repo_id


@pytest.fixture(scope="module")
def built(git_hub: GitHub) -> str:
    return build_repo(git_hub)


def test_clone_has_same_history_refs_and_lfs_bytes(git_hub: GitHub, git: Git, built: str, tmp_path: Path) -> None:
    api = git_hub.api()
    git.run("clone", git_hub.remote(built, ""), str(tmp_path / "c"))
    work = tmp_path / "c"
    assert git.out("rev-parse", "HEAD", cwd=work) == api.repo_info(built).sha
    assert git.out("log", "--format=%H", cwd=work).split() == [c.commit_id for c in api.list_repo_commits(built)]
    refs = api.list_repo_refs(built)
    remote_heads = dict(line.split("\t")[::-1] for line in git.out("ls-remote", "--heads", "origin", cwd=work).splitlines())
    assert remote_heads == {f"refs/heads/{b.name}": b.target_commit for b in refs.branches}
    assert git.out("rev-parse", "v1.0^{commit}", cwd=work) == refs.tags[0].target_commit
    assert git.out("cat-file", "-t", "v1.0", cwd=work) == "tag"  # annotated, as created
    # git-lfs smudged the LFS files during checkout: real bytes, never pointers.
    assert (work / "weights.bin").read_bytes() == LFS_BYTES
    assert (work / "data/odd.custom").read_bytes() == b"x" * (LFS_THRESHOLD + 1)
    assert "data/odd.custom filter=lfs" in (work / ".gitattributes").read_text()
    assert git.out("status", "--porcelain", cwd=work) == ""
    assert git.run("fsck", "--strict", cwd=work).returncode == 0


def test_lfs_pull_after_clone_without_smudge(git_hub: GitHub, git: Git, built: str, tmp_path: Path) -> None:
    work = tmp_path / "c"
    git.env["GIT_LFS_SKIP_SMUDGE"] = "1"
    try:
        git.run("clone", git_hub.remote(built, ""), str(work))
    finally:
        del git.env["GIT_LFS_SKIP_SMUDGE"]
    assert (work / "weights.bin").read_bytes().startswith(b"version https://git-lfs.github.com/spec/v1")
    git.run("lfs", "pull", cwd=work)
    assert (work / "weights.bin").read_bytes() == LFS_BYTES
    git.run("lfs", "fetch", "--all", cwd=work)
    git.run("lfs", "fsck", cwd=work)


@pytest.mark.parametrize("suffix", [".git", ""])
@pytest.mark.parametrize("repo_type", ["dataset", "space"])
def test_url_forms_for_every_repo_type(git_hub: GitHub, git: Git, tmp_path: Path, suffix: str, repo_type: str) -> None:
    repo_id = git_hub.new_repo(repo_type=repo_type)
    git_hub.api().upload_file(path_or_fileobj=b"hi\n", path_in_repo="a.txt", repo_id=repo_id, repo_type=repo_type)
    url = git_hub.remote(repo_id, "", prefix=f"{repo_type}s/", suffix=suffix)
    git.run("clone", url, str(tmp_path / "c"))
    assert (tmp_path / "c" / "a.txt").read_bytes() == b"hi\n"
    assert git.out("rev-parse", "HEAD", cwd=tmp_path / "c") == git_hub.api().repo_info(repo_id, repo_type=repo_type).sha


@pytest.mark.parametrize("version", ["0", "1", "2"])
def test_every_protocol_version(git_hub: GitHub, git: Git, built: str, tmp_path: Path, version: str) -> None:
    git.run("-c", f"protocol.version={version}", "clone", "--no-checkout", git_hub.remote(built, "", suffix=""),
            str(tmp_path / "c"))
    branches = {b.name: b.target_commit for b in git_hub.api().list_repo_refs(built).branches}
    assert git.out("rev-parse", "origin/dev", cwd=tmp_path / "c") == branches["dev"]
    assert git.out("rev-parse", "HEAD", cwd=tmp_path / "c") == git_hub.api().repo_info(built).sha


@pytest.mark.parametrize("version", ["0", "2"])
def test_shallow_clone_then_deepen(git_hub: GitHub, git: Git, built: str, tmp_path: Path, version: str) -> None:
    work = tmp_path / "c"
    git.run("-c", f"protocol.version={version}", "clone", "--depth", "1", git_hub.remote(built, ""), str(work))
    assert git.out("rev-list", "--count", "HEAD", cwd=work) == "1"
    assert (work / "weights.bin").read_bytes() == LFS_BYTES
    git.run("-c", f"protocol.version={version}", "fetch", "--unshallow", cwd=work)
    assert int(git.out("rev-list", "--count", "HEAD", cwd=work)) == len(git_hub.api().list_repo_commits(built))


def test_partial_clone_fetches_blobs_on_demand(git_hub: GitHub, git: Git, built: str, tmp_path: Path) -> None:
    work = tmp_path / "c"
    git.run("clone", "--filter=blob:none", "--no-checkout", git_hub.remote(built, ""), str(work))
    assert git.out("config", "remote.origin.promisor", cwd=work) == "true"
    missing = git.out("rev-list", "--objects", "--all", "--missing=print", cwd=work)
    assert any(line.startswith("?") for line in missing.splitlines())  # blobs were left out
    git.run("checkout", "main", cwd=work)  # fetches the blobs it needs, lazily
    assert (work / "nested/deep/file.txt").read_bytes() == b"deep\n"
    assert (work / "weights.bin").read_bytes() == LFS_BYTES


def test_incremental_fetch_after_api_commit(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    repo_id = build_repo(git_hub)
    work = tmp_path / "c"
    git.run("clone", git_hub.remote(repo_id, ""), str(work))
    api = git_hub.api()
    info = api.upload_file(path_or_fileobj=b"new\n", path_in_repo="new.txt", repo_id=repo_id)
    api.create_branch(repo_id, branch="later")
    git.run("fetch", "origin", cwd=work)
    assert git.out("rev-parse", "origin/main", cwd=work) == info.oid
    assert git.out("rev-parse", "origin/later", cwd=work) == info.oid
    git.run("pull", "--ff-only", cwd=work)
    assert (work / "new.txt").read_bytes() == b"new\n"


def test_ls_remote_lists_all_refs(git_hub: GitHub, git: Git, built: str) -> None:
    listing = git.out("ls-remote", git_hub.remote(built, ""))
    names = {line.split("\t")[1] for line in listing.splitlines()}
    assert {"HEAD", "refs/heads/main", "refs/heads/dev", "refs/tags/v1.0", "refs/tags/v1.0^{}"} <= names

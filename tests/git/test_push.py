"""Push with the real git and git-lfs: what lands is what the HF API shows; what breaks the rules lands nowhere."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import httpx
from huggingface_hub import hf_hub_download

from tests.git.conftest import LFS_THRESHOLD, Git, GitHub


def clone(hub: GitHub, git: Git, repo_id: str, where: Path, token: str | None = None) -> Path:
    git.run("clone", hub.remote(repo_id, token), str(where))
    return where


def refs_of(git: Git, bare: Path) -> str:
    return git.out("--git-dir", str(bare), "for-each-ref", "--format=%(refname) %(objectname)")


def pointer(data: bytes) -> bytes:
    oid = hashlib.sha256(data).hexdigest()
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(data)}\n".encode()


def test_pushed_small_and_lfs_files_are_served_by_the_api(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    repo_id = git_hub.new_repo()
    api = git_hub.api()
    before = api.repo_info(repo_id).last_modified
    work = clone(git_hub, git, repo_id, tmp_path / "c")
    big = os.urandom(LFS_THRESHOLD * 2 + 123)
    (work / "small.txt").write_bytes(b"small file\n")
    (work / "model.weights").write_bytes(big)
    git.run("lfs", "track", "*.weights", cwd=work)
    git.run("add", ".", cwd=work)
    time.sleep(1)  # lastModified (the head commit's date) has second precision
    git.run("commit", "-m", "push small and LFS", cwd=work)
    git.run("push", "origin", "main", cwd=work)  # git-lfs's pre-push hook uploads through the batch API
    head = git.out("rev-parse", "HEAD", cwd=work)

    info = api.repo_info(repo_id)
    assert info.sha == head
    assert info.last_modified > before
    listed = next(m for m in api.list_models(author="alice", sort="lastModified") if m.id == repo_id)
    assert listed.last_modified >= info.last_modified  # the listing's lastModified moved too
    listed = next(m for m in api.list_models(author="alice", sort="lastModified") if m.id == repo_id)
    assert listed.last_modified >= info.last_modified  # the listing's lastModified moved too
    assert api.list_repo_commits(repo_id)[0].commit_id == head
    entries = {e.path: e for e in api.list_repo_tree(repo_id, recursive=True)}
    assert entries["model.weights"].lfs.sha256 == hashlib.sha256(big).hexdigest()
    cache = tmp_path / "cache"
    assert Path(hf_hub_download(repo_id, "small.txt", endpoint=git_hub.url, cache_dir=cache)).read_bytes() == b"small file\n"
    assert Path(hf_hub_download(repo_id, "model.weights", endpoint=git_hub.url, cache_dir=cache)).read_bytes() == big
    # The object is now reachable through the repo for anyone who can read it (anonymous, public repo).
    batch = httpx.post(f"{git_hub.url}/{repo_id}.git/info/lfs/objects/batch", json={
        "operation": "download", "objects": [{"oid": hashlib.sha256(big).hexdigest(), "size": len(big)}]})
    assert "download" in batch.json()["objects"][0]["actions"]
    assert git.run("--git-dir", str(git_hub.repo_dir(repo_id)), "fsck", "--strict").returncode == 0


def test_new_branches_tags_deletes_and_force_push(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    repo_id = git_hub.new_repo()
    api = git_hub.api()
    work = clone(git_hub, git, repo_id, tmp_path / "c")
    (work / "a.txt").write_text("a\n")
    git.run("add", ".", cwd=work)
    git.run("commit", "-m", "a", cwd=work)
    git.run("tag", "light", cwd=work)
    git.run("tag", "-a", "annotated", "-m", "annotated tag", cwd=work)
    git.run("push", "origin", "HEAD:refs/heads/feature", "light", "annotated", cwd=work)
    refs = api.list_repo_refs(repo_id)
    head = git.out("rev-parse", "HEAD", cwd=work)
    assert {b.name: b.target_commit for b in refs.branches}["feature"] == head
    assert {t.name: t.target_commit for t in refs.tags} == {"light": head, "annotated": head}

    git.run("push", "origin", ":refs/heads/feature", ":refs/tags/light", cwd=work)
    refs = api.list_repo_refs(repo_id)
    assert [b.name for b in refs.branches] == ["main"]
    assert [t.name for t in refs.tags] == ["annotated"]

    git.run("push", "origin", "main", cwd=work)
    git.run("reset", "--hard", "HEAD~1", cwd=work)
    (work / "b.txt").write_text("b\n")
    git.run("add", ".", cwd=work)
    git.run("commit", "-m", "rewritten", cwd=work)
    assert git.run("push", "origin", "main", cwd=work, check=False).returncode != 0  # not a fast-forward
    git.run("push", "--force", "origin", "main", cwd=work)
    assert api.repo_info(repo_id).sha == git.out("rev-parse", "HEAD", cwd=work)
    assert api.list_repo_files(repo_id) == [".gitattributes", "b.txt"]


def _rejected_push(git_hub: GitHub, git: Git, tmp_path: Path, files: dict[str, bytes], token: str | None = None) -> str:
    """Commit ``files`` on a fresh repo, push, assert nothing changed; return git's stderr."""
    repo_id = git_hub.new_repo()
    bare = git_hub.repo_dir(repo_id)
    before = refs_of(git, bare)
    work = clone(git_hub, git, repo_id, tmp_path / "c", token)
    for name, data in files.items():
        (work / name).write_bytes(data)
    git.run("add", ".", cwd=work)
    git.run("commit", "-m", "rejected", cwd=work)
    push = git.run("push", "origin", "main", cwd=work, check=False)
    assert push.returncode != 0
    assert "remote: KohakuHub: push rejected; nothing was changed" in push.stderr
    assert refs_of(git, bare) == before
    assert git.run("--git-dir", str(bare), "fsck", "--strict").returncode == 0
    return push.stderr


def test_plain_file_over_lfs_threshold_is_rejected_with_advice(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    stderr = _rejected_push(git_hub, git, tmp_path, {"huge.data": os.urandom(LFS_THRESHOLD)})
    assert "remote: KohakuHub: huge.data is 1,048,576 bytes" in stderr
    assert 'git lfs track "huge.data"' in stderr


def test_pointer_to_an_object_never_uploaded_is_rejected(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    # Committed as plain text (no LFS filter), so git-lfs uploads nothing: the hub must notice.
    stderr = _rejected_push(git_hub, git, tmp_path, {"ghost.bin.txt": pointer(b"never uploaded")})
    assert "ghost.bin.txt: LFS object" in stderr and "is not on the hub" in stderr


def test_pointer_to_another_users_object_is_rejected(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    secret = os.urandom(LFS_THRESHOLD + 7)
    bob_repo = "bob/" + git_hub.new_repo().split("/")[1]
    bob = git_hub.api(git_hub.bob_token)
    bob.create_repo(bob_repo, private=True)
    bob.upload_file(path_or_fileobj=secret, path_in_repo="secret.bin", repo_id=bob_repo)
    # Alice knows the oid and size, not the bytes: a pointer must not give her repo access to them.
    stderr = _rejected_push(git_hub, git, tmp_path, {"stolen.txt": pointer(secret)})
    assert "stolen.txt: LFS object" in stderr


def test_pointer_size_mismatch_is_rejected(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    repo_id = git_hub.new_repo()
    data = os.urandom(LFS_THRESHOLD + 11)
    git_hub.api().upload_file(path_or_fileobj=data, path_in_repo="real.bin", repo_id=repo_id)
    work = clone(git_hub, git, repo_id, tmp_path / "c")
    lying = pointer(data).replace(f"size {len(data)}".encode(), f"size {len(data) + 1}".encode())
    (work / "liar.txt").write_bytes(lying)
    git.run("add", "liar.txt", cwd=work)
    git.run("commit", "-m", "lying pointer", cwd=work)
    # --no-verify skips git-lfs's pre-push upload (it would stop first): the hub must refuse on its own.
    push = git.run("push", "--no-verify", "origin", "main", cwd=work, check=False)
    assert push.returncode != 0
    assert f"liar.txt: the pointer says {len(data) + 1} bytes" in push.stderr

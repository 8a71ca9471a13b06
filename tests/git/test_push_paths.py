"""Paths over git push follow the HF API's rules: a backslash inside a name is an ordinary character, and
nothing that would escape a client's folder (``..\\x``, ``x\\.git\\config``, a drive prefix) gets in, not even
in an intermediate commit. A refused push changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.git.conftest import Git, GitHub


def _clone(git_hub: GitHub, git: Git, tmp_path: Path) -> tuple[str, Path]:
    repo_id = git_hub.new_repo()
    work = tmp_path / "work"
    git.run("clone", "-q", git_hub.remote(repo_id), str(work))
    return repo_id, work


def _commit(git: Git, work: Path, names: dict[str, bytes], message: str) -> None:
    for name, data in names.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_bytes(data)
    # git itself refuses some of these names on checkout (core.protectNTFS); a hand-made commit has them.
    git.run("-c", "core.protectNTFS=false", "add", "-A", cwd=work)
    git.run("commit", "-q", "-m", message, cwd=work)


def test_backslash_names_push_and_read_back(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    repo_id, work = _clone(git_hub, git, tmp_path)
    _commit(git, work, {"a\\b.txt": b"one file\n", "dir/win\\name.txt": b"two\n"}, "backslashes")
    git.run("push", "-q", "origin", "main", cwd=work)
    api = git_hub.api()
    assert {"a\\b.txt", "dir/win\\name.txt"} <= set(api.list_repo_files(repo_id))
    assert Path(api.hf_hub_download(repo_id, "a\\b.txt", cache_dir=tmp_path / "c")).read_bytes() == b"one file\n"


# A ".git" piece is refused by git's own fsck of the received objects (hasDotgit), before the hub's check.
@pytest.mark.parametrize(("name", "refusal"), [
    ("..\\ddd", "remote: KohakuHub: Invalid path '..\\\\ddd'"),
    ("x\\..\\..\\y", "remote: KohakuHub: Invalid path 'x\\\\..\\\\..\\\\y'"),
    ("C:\\evil.txt", "remote: KohakuHub: Invalid path 'C:\\\\evil.txt'"),
    ("sub\\.git\\config", "hasDotgit"),
])
def test_escaping_names_are_refused_even_in_an_earlier_commit(git_hub: GitHub, git: Git, tmp_path: Path,
                                                              name: str, refusal: str) -> None:
    repo_id, work = _clone(git_hub, git, tmp_path)
    before = git_hub.refs(repo_id)
    _commit(git, work, {name: b"escape\n"}, "hostile")
    # The tip no longer has it; the first commit does.
    git.run("-c", "core.protectNTFS=false", "rm", "-q", "--cached", name, cwd=work)
    (work / name).unlink()
    _commit(git, work, {"fine.txt": b"fine\n"}, "clean tip")
    result = git.run("push", "origin", "main", cwd=work, check=False)
    assert result.returncode != 0, result.stderr
    assert refusal in result.stderr, result.stderr
    assert git_hub.refs(repo_id) == before

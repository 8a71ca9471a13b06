"""A push whose README.md brings invalid card metadata is refused with the Hub's words, and changes
nothing; a README that does not change, or one without metadata, passes."""

from __future__ import annotations

from pathlib import Path

from tests.git.conftest import Git, GitHub


def _clone(git_hub: GitHub, git: Git, tmp_path: Path, repo_type: str = "model") -> tuple[str, Path]:
    repo_id = git_hub.new_repo(repo_type=repo_type)
    work = tmp_path / "work"
    prefix = "" if repo_type == "model" else f"{repo_type}s/"
    git.run("clone", "-q", git_hub.remote(repo_id, prefix=prefix), str(work))
    return repo_id, work


def _commit(git: Git, work: Path, name: str, text: str) -> None:
    (work / name).parent.mkdir(parents=True, exist_ok=True)
    (work / name).write_text(text)
    git.run("add", "-A", cwd=work)
    git.run("commit", "-q", "-m", f"write {name}", cwd=work)


def test_invalid_card_metadata_refuses_the_push(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    repo_id, work = _clone(git_hub, git, tmp_path)
    before = git_hub.refs(repo_id)
    _commit(git, work, "README.md", "---\nlicense: asdf\nmodel-index: foo\n---\n# card\n")
    result = git.run("push", "origin", "main", cwd=work, check=False)
    assert result.returncode != 0
    assert ("remote: KohakuHub: refs/heads/main: Sorry, your push was rejected during YAML metadata verification:"
            in result.stderr), result.stderr
    assert 'remote: KohakuHub:  - Error: "license" must be one of [apache-2.0' in result.stderr
    assert 'remote: KohakuHub:  - Error: "model-index" must be an array' in result.stderr
    assert git_hub.refs(repo_id) == before
    # A new branch carrying the same README is refused too.
    result = git.run("push", "origin", "main:refs/heads/other", cwd=work, check=False)
    assert result.returncode != 0 and "YAML metadata verification" in result.stderr
    assert git_hub.refs(repo_id) == before
    # Fixed: the push goes through.
    _commit(git, work, "README.md", "---\nlicense: mit\n---\n# card\n")
    git.run("push", "-q", "origin", "main", cwd=work)
    assert git_hub.api().model_info(repo_id).card_data["license"] == "mit"


def test_space_rules_apply_to_spaces(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    repo_id, work = _clone(git_hub, git, tmp_path, "space")
    _commit(git, work, "README.md", "---\ntitle: x\ncolorFrom: orange\nsdk: static\n---\n")
    result = git.run("push", "origin", "main", cwd=work, check=False)
    assert result.returncode != 0 and '"colorFrom" must be one of [red, yellow' in result.stderr, result.stderr
    _commit(git, work, "README.md", "---\ntitle: x\ncolorFrom: red\nsdk: static\n---\n")
    git.run("push", "-q", "origin", "main", cwd=work)


def test_unchanged_or_plain_readmes_pass(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    repo_id, work = _clone(git_hub, git, tmp_path)
    _commit(git, work, "README.md", "# no metadata at all\n")
    _commit(git, work, "docs/README.md", "---\nlicense: asdf\n---\n")  # not the repo card
    git.run("push", "-q", "origin", "main", cwd=work)
    assert set(git_hub.api().list_repo_files(repo_id)) >= {"README.md", "docs/README.md"}

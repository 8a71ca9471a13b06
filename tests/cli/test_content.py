"""``upload``, ``download``, ``repo files|commits|diff``, ``branch`` and ``tag`` against one repo."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.conftest import LFS_THRESHOLD, KohubCli, unique

pytestmark = pytest.mark.e2e

BIG = os.urandom(5 * LFS_THRESHOLD)  # stored as LFS (through Xet: the installed client has hf_xet)


@dataclass
class Content:
    """A repo with two commits on main (initial, "first") and one more on branch dev."""

    cli: KohubCli
    repo: str
    folder: Path
    first: str
    dev: str


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".cache" not in p.parts
    }


@pytest.fixture(scope="module")
def content(module_cli: KohubCli, tmp_path_factory: pytest.TempPathFactory) -> Content:
    cli, tmp = module_cli, tmp_path_factory.mktemp("content")
    repo = f"alice/{unique('content')}"
    cli.alice("repo", "create", repo)
    folder = tmp / "checkpoint"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("hello\n")
    (folder / "sub" / "big.bin").write_bytes(BIG)
    (folder / "train.log").write_text("not uploaded\n")
    (folder / "sub" / "x.tmp").write_text("not uploaded\n")
    # With progress bars (the default): what a user sees must not break the command.
    first = cli.alice(
        "upload", repo, str(folder), "--exclude", "*.log", "--exclude", "*.tmp", "-m", "first", "--json"
    ).json()["commit"]
    cli.alice("branch", "create", repo, "dev")
    (tmp / "a.txt").write_text("changed\n")
    dev = cli.alice("upload", repo, str(tmp / "a.txt"), "a.txt", "-r", "dev", "-q", "--json").json()["commit"]
    return Content(cli, repo, folder, first, dev)


def test_files_commits_and_refs(content):
    cli, repo = content.cli, content.repo
    files = {e["path"]: e for e in cli.alice("repo", "files", repo, "--json").json() if e["type"] == "file"}
    assert sorted(files) == [".gitattributes", "a.txt", "sub/big.bin"]
    assert files["sub/big.bin"]["lfs"]["size"] == len(BIG)
    commits = cli.alice("repo", "commits", repo, "--json").json()
    assert [c["title"] for c in commits] == ["first", "initial commit"] and commits[0]["id"] == content.first
    assert [c["id"] for c in cli.alice("repo", "commits", repo, "-r", "dev", "-n", "1", "--json").json()] == [
        content.dev
    ]

    branches = {b["name"]: b["targetCommit"] for b in cli.alice("branch", "list", repo, "--json").json()}
    assert branches == {"main": content.first, "dev": content.dev}
    cli.alice("tag", "create", repo, "v0", "-r", content.first, "-m", "release")
    assert [(t["name"], t["targetCommit"]) for t in cli.alice("tag", "list", repo, "--json").json()] == [
        ("v0", content.first)
    ]
    cli.alice("tag", "delete", repo, "v0", "--yes")
    assert cli.alice("tag", "list", repo, "--json").json() == []


def test_diffs(content):
    cli, repo = content.cli, content.repo
    compared = cli.alice("repo", "diff", repo, "main", "dev", "--json").json()
    assert (compared["base"], compared["head"]) == (content.first, content.dev)
    assert [(f["status"], f["newPath"]) for f in compared["files"]] == [("modified", "a.txt")]
    assert "-hello\n+changed" in compared["files"][0]["diff"]
    assert "+changed" in cli.alice("repo", "diff", repo, "main", "dev").out
    commit = cli.alice("repo", "diff", repo, content.first[:12], "--json").json()
    assert commit["id"] == content.first
    added = {f["newPath"]: f for f in commit["files"]}
    assert sorted(added) == ["a.txt", "sub/big.bin"] and added["sub/big.bin"]["lfs"]["new"]["size"] == len(
        BIG
    )


def test_downloads(content, tmp_path):
    cli, repo = content.cli, content.repo
    everything = tmp_path / "everything"
    # --endpoint alone reaches the hub too, Xet transfers included.
    cli.alice(
        "--endpoint",
        cli.hub.url,
        "download",
        repo,
        "--local-dir",
        str(everything),
        "-q",
        env={"HF_ENDPOINT": None},
    )
    got = _tree(everything)
    assert sorted(got) == [".gitattributes", "a.txt", "sub/big.bin"]
    assert (got["a.txt"], got["sub/big.bin"]) == (b"hello\n", BIG)
    one = cli.alice("download", repo, "a.txt", "-r", "dev", "-q", "--json").json()["path"]
    assert Path(one).read_text() == "changed\n"
    only_sub = tmp_path / "only-sub"
    cli.alice("download", repo, "--include", "sub/*", "--local-dir", str(only_sub), "-q")
    assert _tree(only_sub) == {"sub/big.bin": BIG}
    no_bin = tmp_path / "no-bin"
    cli.alice("download", repo, "--exclude", "*.bin", "--local-dir", str(no_bin), "-q")
    assert sorted(_tree(no_bin)) == [".gitattributes", "a.txt"]


def test_upload_patterns_delete_and_branch_deletion(module_cli, tmp_path):
    cli, repo = module_cli, f"alice/{unique('patterns')}"
    cli.alice("repo", "create", repo)
    (tmp_path / "sub").mkdir()
    for name in ("a.txt", "sub/b.bin", "README.md"):
        (tmp_path / name).write_text(name)
    cli.alice("upload", repo, str(tmp_path), "--exclude", "*.md", "-q")
    # Only the matching files are added, and remote files matching --delete go.
    cli.alice("upload", repo, str(tmp_path), "--include", "*.md", "--delete", "sub/*", "-q")
    assert sorted(
        e["path"] for e in cli.alice("repo", "files", repo, "--json").json() if e["type"] == "file"
    ) == [".gitattributes", "README.md", "a.txt"]
    cli.alice("branch", "create", repo, "tmp")
    cli.alice("branch", "delete", repo, "tmp", "--yes")
    assert [b["name"] for b in cli.alice("branch", "list", repo, "--json").json()] == ["main"]


def test_content_refusals(cli, tmp_path):
    repo = f"alice/{unique('guarded')}"
    cli.alice("repo", "create", repo)
    head = cli.alice("repo", "info", repo, "--json").json()["sha"]
    main = cli("branch", "delete", repo, "main", "--yes", token=cli.hub.alice_token)
    assert main.code == 1 and main.err.strip() == "Error: Cannot delete refs/heads/main: it is the default branch"

    (tmp_path / "f.txt").write_text("from bob\n")
    bob = cli.hub.bob_token
    upload = cli("upload", repo, str(tmp_path / "f.txt"), "-q", token=bob)
    assert (
        upload.code == 1
        and upload.err.strip() == f"Error: You don't have the rights to write to model {repo}"
    )
    branch = cli("branch", "create", repo, "bob-branch", token=bob)
    assert (
        branch.code == 1
        and branch.err.strip() == f"Error: You don't have the rights to write to model {repo}"
    )
    missing = cli("download", repo, "nope.txt", "-q", token=bob)
    assert missing.code == 1 and missing.err.startswith("Error: nope.txt does not exist at revision")
    bad_rev = cli("repo", "diff", repo, "main", "no-such-branch", token=bob)
    assert bad_rev.code == 1 and "no-such-branch" in bad_rev.err

    assert cli.alice("repo", "info", repo, "--json").json()["sha"] == head
    assert [b["name"] for b in cli.alice("branch", "list", repo, "--json").json()] == ["main"]
    single = cli("upload", repo, str(tmp_path / "f.txt"), "--include", "*.txt", token=cli.hub.alice_token)
    assert single.code == 2

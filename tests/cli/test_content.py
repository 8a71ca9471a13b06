"""``upload``, ``download``, ``repo files|commits|diff``, ``branch`` and ``tag`` against one repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli.conftest import LFS_THRESHOLD, unique

pytestmark = pytest.mark.e2e

BIG = os.urandom(5 * LFS_THRESHOLD)  # stored as LFS (through Xet: the installed client has hf_xet)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


def test_upload_history_refs_and_download(cli, tmp_path):
    repo = f"alice/{unique('content')}"
    cli.alice("repo", "create", repo)
    folder = tmp_path / "checkpoint"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("hello\n")
    (folder / "sub" / "big.bin").write_bytes(BIG)
    (folder / "train.log").write_text("not uploaded\n")
    (folder / "sub" / "x.tmp").write_text("not uploaded\n")
    first = cli.alice("upload", repo, str(folder), "--exclude", "*.log", "--exclude", "*.tmp", "-m", "first",
                      "--json").json()

    files = {e["path"]: e for e in cli.alice("repo", "files", repo, "--json").json() if e["type"] == "file"}
    assert sorted(files) == [".gitattributes", "a.txt", "sub/big.bin"]
    assert files["sub/big.bin"]["lfs"]["size"] == len(BIG)
    commits = cli.alice("repo", "commits", repo, "--json").json()
    assert [c["title"] for c in commits] == ["first", "initial commit"] and commits[0]["id"] == first["commit"]

    cli.alice("branch", "create", repo, "dev")
    (tmp_path / "a.txt").write_text("changed\n")
    second = cli.alice("upload", repo, str(tmp_path / "a.txt"), "a.txt", "-r", "dev", "-q", "--json").json()
    branches = {b["name"]: b["targetCommit"] for b in cli.alice("branch", "list", repo, "--json").json()}
    assert branches == {"main": first["commit"], "dev": second["commit"]}
    cli.alice("tag", "create", repo, "v1", "-r", first["commit"], "-m", "release")
    assert [(t["name"], t["targetCommit"]) for t in cli.alice("tag", "list", repo, "--json").json()] == \
        [("v1", first["commit"])]

    compared = cli.alice("repo", "diff", repo, "main", "dev", "--json").json()
    assert [(f["status"], f["newPath"]) for f in compared["files"]] == [("modified", "a.txt")]
    assert "-hello\n+changed" in compared["files"][0]["diff"]
    assert "+changed" in cli.alice("repo", "diff", repo, "main", "dev").out
    commit = cli.alice("repo", "diff", repo, "v1", "--json").json()
    assert commit["id"] == first["commit"]
    added = {f["newPath"]: f for f in commit["files"]}
    assert sorted(added) == ["a.txt", "sub/big.bin"] and added["sub/big.bin"]["lfs"]["new"]["size"] == len(BIG)

    # Downloads: everything, one file of a branch, with patterns; --endpoint alone reaches the hub too.
    everything = tmp_path / "everything"
    cli.alice("--endpoint", cli.hub.url, "download", repo, "--local-dir", str(everything), "-q",
              env={"HF_ENDPOINT": None})
    assert _tree(everything) == {".gitattributes": _tree(everything)[".gitattributes"], "a.txt": b"hello\n",
                                 "sub/big.bin": BIG}
    one = cli.alice("download", repo, "a.txt", "-r", "dev", "-q", "--json").json()["path"]
    assert Path(one).read_text() == "changed\n"
    only_sub = tmp_path / "only-sub"
    cli.alice("download", repo, "--include", "sub/*", "--local-dir", str(only_sub), "-q")
    assert _tree(only_sub) == {"sub/big.bin": BIG}
    no_bin = tmp_path / "no-bin"
    cli.alice("download", repo, "--exclude", "*.bin", "--local-dir", str(no_bin), "-q")
    assert sorted(_tree(no_bin)) == [".gitattributes", "a.txt"]

    # An upload that adds only matching files and deletes remote ones by pattern.
    (folder / "README.md").write_text("# card\n")
    cli.alice("upload", repo, str(folder), "--include", "*.md", "--delete", "sub/*", "-q")
    assert sorted(e["path"] for e in cli.alice("repo", "files", repo, "--json").json() if e["type"] == "file") == \
        [".gitattributes", "README.md", "a.txt"]

    cli.alice("tag", "delete", repo, "v1", "--yes")
    cli.alice("branch", "delete", repo, "dev", "--yes")
    assert cli.alice("tag", "list", repo, "--json").json() == []
    assert [b["name"] for b in cli.alice("branch", "list", repo, "--json").json()] == ["main"]


def test_content_refusals(cli, tmp_path):
    repo = f"alice/{unique('guarded')}"
    cli.alice("repo", "create", repo)
    head = cli.alice("repo", "info", repo, "--json").json()["sha"]
    main = cli("branch", "delete", repo, "main", "--yes", token=cli.hub.alice_token)
    assert main.code == 1 and main.err.strip() == "Error: The default branch 'main' cannot be deleted"

    (tmp_path / "f.txt").write_text("from bob\n")
    bob = cli.hub.bob_token
    upload = cli("upload", repo, str(tmp_path / "f.txt"), "-q", token=bob)
    assert upload.code == 1 and f"You don't have the rights to write to model {repo}" in upload.err
    branch = cli("branch", "create", repo, "bob-branch", token=bob)
    assert branch.code == 1 and branch.err.strip() == f"Error: You don't have the rights to write to model {repo}"
    missing = cli("download", repo, "nope.txt", "-q", token=bob)
    assert missing.code == 1 and "nope.txt" in missing.err and "Traceback" not in missing.err
    bad_rev = cli("repo", "diff", repo, "main", "no-such-branch", token=bob)
    assert bad_rev.code == 1 and "no-such-branch" in bad_rev.err

    assert cli.alice("repo", "info", repo, "--json").json()["sha"] == head
    assert [b["name"] for b in cli.alice("branch", "list", repo, "--json").json()] == ["main"]
    single = cli("upload", repo, str(tmp_path / "f.txt"), "--include", "*.txt", token=cli.hub.alice_token)
    assert single.code == 2

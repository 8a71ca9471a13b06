"""The rest of the Hub's behaviour the client relies on (issue 16, item 6), with the stock client."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

NOT_FOUND = "RepositoryNotFoundError"


@pytest.mark.parametrize("hf", ["xet"], indirect=True)
def test_one_part_repo_ids_are_repo_not_found(hf):
    name = hf.repo_id("onepart").split("/")[1]
    r = hf.run("behaviours:one_part_ids", name=name).result
    for caller in ("signed_in", "anonymous"):
        observed = r[caller]
        exists = {key: observed.pop(key) for key in ("repo_exists", "file_exists", "revision_exists")}
        assert exists == {"repo_exists": False, "file_exists": False, "revision_exists": False}, caller
        assert observed == {key: NOT_FOUND for key in observed}, (caller, observed)
    assert (r["status"], r["anonymous_status"]) == (404, 401)
    assert r["created"] == f"{hf.username}/{name}" and r["deleted_exists"] is False


@pytest.mark.parametrize("hf", ["xet", "noxet-lfs"], indirect=True)
def test_gitignore_is_honoured(hf):
    from tests.e2e.conftest import LFS_THRESHOLD

    r = hf.run("behaviours:gitignore", repo_a=hf.repo_id("ignore-a"), repo_b=hf.repo_id("ignore-b"),
               big_size=LFS_THRESHOLD + 1000).result
    assert r["a_files"] == [".gitattributes", ".gitignore", "debug.log", "kept.txt"]
    # The ignored big file was not even uploaded: no LFS batch or Xet transfer for it.
    transfers = [line for line in r["a_requests"] if "/info/lfs/" in line or "xet-write-token" in line]
    assert r["a_requests"] and not transfers, r["a_requests"]
    assert r["b_files"] == [".gitattributes", ".gitignore", "kept.txt"]
    assert r["b_after_commit"] == [".gitattributes", ".gitignore", "kept.txt", "late.txt"]


@pytest.mark.parametrize("hf", ["noxet"], indirect=True)
def test_delete_folder_paths_and_error_texts(hf):
    r = hf.run("behaviours:folders_and_texts", repo_id=hf.repo_id("texts")).result
    assert r["after_delete_folder"] == [".gitattributes", "other/c.txt", "subway.txt"]
    assert r["after_folder_op"] == [".gitattributes", "subway.txt"]
    assert r["delete_folder_missing"]["type"] == "RemoteEntryNotFoundError"
    assert "A folder with this name doesn't exist" in r["delete_folder_missing"]["message"]
    assert r["delete_file_is_folder"]["type"] == "RemoteEntryNotFoundError"
    assert r["backslash_download"] == "win\n"
    assert r["dotdot_backslash"]["status"] == 422
    for key, branch in (("branch_twice", "cool-branch"), ("branch_main", "main")):
        assert r[key]["status"] == 409 and f"Reference refs/heads/{branch} already exists" in r[key]["message"]
    assert r["branch_refs_pr"]["type"] == "BadRequestError"
    assert "Invalid reference for a branch" in r["branch_refs_pr"]["message"]
    assert r["delete_main"]["type"] == "HfHubHTTPError" and "Cannot delete refs/heads/main" in r["delete_main"]["message"]
    for key in ("delete_missing_branch", "delete_tag_as_branch", "delete_tag_missing"):
        assert r[key]["type"] == "RevisionNotFoundError" and "Invalid rev id" in r[key]["message"], r[key]
    assert r["tag_twice"]["status"] == 409
    assert r["tag_missing_revision"]["type"] == "RevisionNotFoundError"
    assert r["tag_invalid_name"]["type"] == "BadRequestError"
    assert r["deleted_tag_info"] == "RevisionNotFoundError"
    assert r["bad_revision_info"]["type"] == "RevisionNotFoundError"
    assert r["branches"] == ["cool-branch", "cool-tag", "main"]


@pytest.mark.parametrize("hf", ["noxet"], indirect=True)
def test_card_metadata_is_validated(hf):
    r = hf.run("behaviours:cards", repo_id=hf.repo_id("cards")).result
    assert r["invalid_commit"].startswith("Invalid metadata in README.md.")
    assert '- "model-index" must be an array' in r["invalid_commit"]
    assert [line.split(" ")[1].split("/")[-1] for line in r["invalid_commit_requests"]] == ["validate-yaml"]
    assert r["empty_warnings"] == ["Warnings while validating metadata in README.md:\n"
                                   "- empty or missing yaml metadata in repo card"]
    assert r["card_validate"].startswith("ValueError") and '- Error: "license" must be one of' in r["card_validate"]
    assert r["space_validate"].startswith("ValueError") and '"colorFrom" must be one of' in r["space_validate"]
    assert r["card_data"] == {"license": "apache-2.0", "tags": ["e2e"]}
    assert r["copy_refused"]["type"] == "BadRequestError" and r["copy_refused"]["status"] == 400
    assert "Sorry, your push was rejected during YAML metadata verification" in r["copy_refused"]["message"]
    assert r["readme_after"].startswith("---\nlicense: apache-2.0\n") and "# pushed" in r["readme_after"]


def _hf_cli(hf, *args: str) -> list | dict:
    import json
    import shutil
    import subprocess

    binary = shutil.which("hf")
    assert binary, "the hf CLI (installed with huggingface_hub) is not on PATH"
    result = subprocess.run([binary, *args, "--format", "json"], env=hf.env(), capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return json.loads(result.stdout)


@pytest.mark.parametrize("hf", ["noxet"], indirect=True)
def test_hf_cli_lists_repos(hf):
    import httpx

    url, token = hf.hub.server.url, hf.hub.server.token
    marker = hf.repo_id("cli").split("/")[1]
    auth = {"Authorization": f"Bearer {token}"}
    org = f"org-{marker}"[:40]
    assert httpx.post(f"{url}/org/create", json={"name": org}, headers=auth).status_code == 200
    for name, repo_type, private, namespace in ((f"{marker}-a", "model", False, None),
                                                (f"{marker}-b", "model", True, None),
                                                (f"{marker}-c", "dataset", False, None),
                                                (f"{marker}-s", "space", False, None),
                                                (f"{marker}-o", "model", False, org)):
        body = {"name": name, "type": repo_type, "organization": namespace,
                "visibility": "private" if private else "public"}
        assert httpx.post(f"{url}/api/repos/create", json=body, headers=auth).status_code == 200
    # hf repos ls: the caller's repos of every type (storage listing), filtered by type and search, limited.
    mine = _hf_cli(hf, "repos", "ls", "--search", marker, "--limit", "0")
    assert sorted(r["id"] for r in mine) == sorted(f"{hf.username}/{marker}-{x}" for x in "abcs")
    assert {r["id"].rsplit("-", 1)[1]: r["visibility"] for r in mine} == {
        "a": "public", "b": "private", "c": "public", "s": "public"}
    datasets = _hf_cli(hf, "repos", "ls", "--type", "dataset", "--search", marker)
    assert [r["id"] for r in datasets] == [f"{hf.username}/{marker}-c"]
    assert len(_hf_cli(hf, "repos", "ls", "--search", marker, "--limit", "2")) == 2
    assert [r["id"] for r in _hf_cli(hf, "repos", "ls", "--namespace", org)] == [f"{org}/{marker}-o"]
    # hf models ls / datasets ls / spaces ls: the Hub's lists with search, author and limit.
    models = _hf_cli(hf, "models", "ls", "--search", marker, "--limit", "10")
    assert sorted(m["id"] for m in models) == sorted([f"{hf.username}/{marker}-a", f"{hf.username}/{marker}-b",
                                                      f"{org}/{marker}-o"])
    assert len(_hf_cli(hf, "models", "ls", "--search", marker, "--limit", "1")) == 1
    assert [m["id"] for m in _hf_cli(hf, "models", "ls", "--search", marker, "--author", org)] == [f"{org}/{marker}-o"]
    assert [d["id"] for d in _hf_cli(hf, "datasets", "ls", "--search", marker)] == [f"{hf.username}/{marker}-c"]
    assert [s["id"] for s in _hf_cli(hf, "spaces", "ls", "--search", marker)] == [f"{hf.username}/{marker}-s"]


@pytest.mark.parametrize("hf", ["xet", "noxet-lfs"], indirect=True)
def test_moved_private_repo_keeps_resolving_for_readers(hf):
    from tests.e2e.conftest import LFS_THRESHOLD

    old, new = hf.repo_id("moved-old"), hf.repo_id("moved-new")
    r = hf.run("behaviours:moved_private", repo_id=old, new_id=new, big_size=LFS_THRESHOLD + 10).result
    assert r["info_id"] == new
    assert r["files"] == [".gitattributes", "w/a.txt", "w/big.bin"]
    assert r["tree"] == r["paths_info"] == ["w/a.txt", "w/big.bin"]
    assert r["commits"] == 3 and r["download_ok"] and r["snapshot_text"] == "hello\n"
    assert r["exists"] is True and r["file_exists"] is True
    assert r["other_info"] == r["other_download"] == "RepositoryNotFoundError"
    assert r["anonymous_exists"] is False


@pytest.mark.parametrize("hf", ["xet", "noxet-lfs"], indirect=True)
def test_list_and_permanently_delete_lfs_files(hf):
    from tests.e2e.conftest import LFS_THRESHOLD

    r = hf.run("behaviours:lfs_files", repo_id=hf.repo_id("lfs-files"), other_id=hf.repo_id("lfs-other"),
               big_size=LFS_THRESHOLD + 10).result
    assert r["listed"] == ["lfs_file.bin", "lfs_file_2.bin", "lfs_file_branch.bin"]
    assert r["refs"] == {"lfs_file.bin": "refs/heads/main", "lfs_file_2.bin": "refs/heads/main",
                         "lfs_file_branch.bin": "refs/heads/my-branch"}
    assert r["sizes"] == [LFS_THRESHOLD + 10]
    assert r["after"] == ["lfs_file_branch.bin"]
    assert r["files"] == [".gitattributes", "txt_file.txt", "txt_file_2.txt"]
    assert r["branch_files"] == [".gitattributes", "lfs_file_branch.bin", "txt_file.txt", "txt_file_2.txt"]
    assert r["download"] in ("RemoteEntryNotFoundError", "EntryNotFoundError") and r["not_found_is_entry"]
    assert r["shared_still_readable"] is True
    assert r["other_by_bob"] == "HfHubHTTPError"  # bob may read the public repo but not manage its storage

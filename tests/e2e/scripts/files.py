"""Uploads, commits and listings (protocol sections 2.3, 2.5, 2.6, 5)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from huggingface_hub import (
    CommitOperationAdd,
    CommitOperationCopy,
    CommitOperationDelete,
    HfApi,
    hf_hub_download,
    snapshot_download,
)

from tests.e2e.scripts.common import error_of, file_sha256, random_file, sha256, tree_rows, workdir

WEIRD_PATH = "subfolder/to?/awful?filename%you:should,never.give"
README = "---\nlicense: mit\ntags:\n- e2e-test\n---\n# A model card\n"


def upload_and_inspect(ctx: Any, repo_id: str, big_size: int) -> dict:
    """upload_file (small and above the LFS threshold), then every way of looking at the result."""
    api = HfApi()
    api.create_repo(repo_id)
    small = b"hello world\n"
    c1 = api.upload_file(path_or_fileobj=small, path_in_repo="docs/hello.txt", repo_id=repo_id,
                         commit_message="add hello")
    big_path = workdir(ctx, "upload") / "model.dat"
    big = random_file(big_path, big_size)
    c2 = api.upload_file(path_or_fileobj=str(big_path), path_in_repo="weights/model.dat", repo_id=repo_id,
                         commit_message="add weights")
    info = api.repo_info(repo_id)
    meta = api.repo_info(repo_id, files_metadata=True)
    cache = f"{ctx.workdir}/cache"
    return {
        "commits_returned": [c1.oid, c2.oid],
        "commit_url": c2.commit_url,
        "info": {"sha": info.sha, "siblings": sorted(s.rfilename for s in info.siblings)},
        "siblings_meta": {s.rfilename: {"size": s.size, "blob_id": s.blob_id,
                                        "lfs": None if s.lfs is None else {"sha256": s.lfs.sha256,
                                                                           "size": s.lfs.size}}
                          for s in meta.siblings},
        "files": sorted(api.list_repo_files(repo_id)),
        "tree_root": tree_rows(api.list_repo_tree(repo_id)),
        "tree_recursive": tree_rows(api.list_repo_tree(repo_id, recursive=True)),
        "tree_expanded": tree_rows(api.list_repo_tree(repo_id, recursive=True, expand=True)),
        "tree_sub": tree_rows(api.list_repo_tree(repo_id, path_in_repo="weights")),
        "paths_info": tree_rows(api.get_paths_info(repo_id, ["docs/hello.txt", "weights", "missing.txt"])),
        "paths_info_expanded": tree_rows(api.get_paths_info(repo_id, ["weights/model.dat"], expand=True)),
        "commits": [{"id": c.commit_id, "title": c.title, "authors": c.authors}
                    for c in api.list_repo_commits(repo_id)],
        "small_sha256": sha256(small),
        "big_sha256": sha256(big),
        "downloaded": {
            "small": file_sha256(hf_hub_download(repo_id, "docs/hello.txt", cache_dir=cache)),
            "big": file_sha256(hf_hub_download(repo_id, "weights/model.dat", cache_dir=cache)),
        },
        "requests": ctx.take_requests(),
    }


def commit_operations(ctx: Any, repo_id: str, big_size: int) -> dict:
    """create_commit with Add (bytes, path, file object), Delete file, Delete folder and Copy."""
    api = HfApi()
    api.create_repo(repo_id)
    big_path = workdir(ctx, "ops") / "big.dat"
    big = random_file(big_path, big_size)
    first = api.create_commit(repo_id, operations=[
        CommitOperationAdd("keep.txt", b"keep me\n"),
        CommitOperationAdd("folder/a.txt", b"a\n"),
        CommitOperationAdd("folder/sub/b.txt", b"b\n"),
        CommitOperationAdd("remove-me.txt", b"bye\n"),
        CommitOperationAdd("big.dat", str(big_path)),
        CommitOperationAdd(WEIRD_PATH, b"awful\n"),
        CommitOperationAdd("README.md", README.encode()),
    ], commit_message="first", commit_description="several additions")
    second = api.create_commit(repo_id, operations=[
        CommitOperationDelete("remove-me.txt"),
        CommitOperationDelete("folder/"),
        CommitOperationCopy("keep.txt", "copies/keep.txt"),
        CommitOperationCopy("big.dat", "copies/big.dat"),
        CommitOperationAdd("fileobj.txt", io.BytesIO(b"from a file object\n")),
    ], commit_message="second", parent_commit=first.oid)
    stale = error_of(api.create_commit, repo_id, operations=[CommitOperationAdd("late.txt", b"late\n")],
                     commit_message="stale", parent_commit=first.oid)
    commits_before_noop = len(api.list_repo_commits(repo_id))
    noop = api.upload_file(path_or_fileobj=b"keep me\n", path_in_repo="keep.txt", repo_id=repo_id)
    cache = f"{ctx.workdir}/cache"
    info = api.repo_info(repo_id)
    head = api.list_repo_commits(repo_id)[0]
    return {
        "first": first.oid,
        "second": second.oid,
        "commit_url": second.commit_url,
        "sha": info.sha,
        "files": sorted(api.list_repo_files(repo_id)),
        "tree": tree_rows(api.list_repo_tree(repo_id, recursive=True)),
        "copy_small": open(hf_hub_download(repo_id, "copies/keep.txt", cache_dir=cache)).read(),
        "copy_big": file_sha256(hf_hub_download(repo_id, "copies/big.dat", cache_dir=cache)),
        "weird": open(hf_hub_download(repo_id, WEIRD_PATH, cache_dir=cache)).read(),
        "card": info.card_data.to_dict() if info.card_data else None,
        "tags": info.tags,
        "fileobj": open(hf_hub_download(repo_id, "fileobj.txt", cache_dir=cache)).read(),
        "big_sha256": sha256(big),
        "first_message": [c.message for c in api.list_repo_commits(repo_id) if c.commit_id == first.oid],
        "head_title": head.title,
        "stale_parent": stale,
        "noop_oid": noop.oid,
        "commits_before_noop": commits_before_noop,
        "commits_after_noop": len(api.list_repo_commits(repo_id)),
    }


def upload_folder_many(ctx: Any, repo_id: str, count: int) -> dict:
    """upload_folder of hundreds of nested files, listing them, and snapshot_download with patterns."""
    api = HfApi()
    api.create_repo(repo_id, repo_type="dataset")
    root = workdir(ctx, "folder")
    expected: dict[str, str] = {}
    for i in range(count):
        rel = f"part{i % 5}/group{i % 7}/file{i:04d}.txt"
        content = f"file number {i}\n" * (1 + i % 3)
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content)
        expected[rel] = content
    commit = api.upload_folder(folder_path=str(root), repo_id=repo_id, repo_type="dataset",
                               commit_message="many files")
    files = api.list_repo_files(repo_id, repo_type="dataset")
    tree = list(api.list_repo_tree(repo_id, repo_type="dataset", recursive=True))
    expanded = list(api.list_repo_tree(repo_id, repo_type="dataset", recursive=True, expand=True))
    ctx.take_requests()
    target = Path(snapshot_download(repo_id, repo_type="dataset", allow_patterns=["part1/**"],
                                    cache_dir=f"{ctx.workdir}/cache"))
    first_requests = ctx.take_requests()
    got = {str(p.relative_to(target)): p.read_text() for p in target.rglob("*") if p.is_file()}
    again = snapshot_download(repo_id, repo_type="dataset", allow_patterns=["part1/**"],
                              cache_dir=f"{ctx.workdir}/cache")
    return {
        "commit": commit.oid,
        "sha": api.dataset_info(repo_id).sha,
        "commits": [c.title for c in api.list_repo_commits(repo_id, repo_type="dataset")],
        "file_count": len(files),
        "files_match": sorted(files) == sorted([*expected, ".gitattributes"]),
        "tree_files": sum(1 for e in tree if hasattr(e, "blob_id")),
        "tree_dirs": sorted(e.path for e in tree if not hasattr(e, "blob_id")),
        "expanded_count": len(expanded),
        "expanded_with_last_commit": sum(1 for e in expanded if e.last_commit is not None),
        "snapshot_files": sorted(got),
        "snapshot_expected": sorted(k for k in expected if k.startswith("part1/")),
        "snapshot_content_ok": all(got[k] == expected[k] for k in got),
        "snapshot_requests": first_requests,
        "again_same_dir": again == str(target),
        "again_requests": ctx.take_requests(),
    }

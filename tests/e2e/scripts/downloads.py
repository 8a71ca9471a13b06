"""Branches, tags, downloads by revision, the cache, existence checks and HfFileSystem (sections 2.7, 3, 4)."""

from __future__ import annotations

from typing import Any

from huggingface_hub import HfApi, HfFileSystem, hf_hub_download

from tests.e2e.scripts.common import error_of, random_file, workdir

DEAD_ENDPOINT = "http://127.0.0.1:9"  # discard port: nothing listens, connections are refused


def _read(repo_id: str, filename: str, cache: str, **kwargs: Any) -> str:
    with open(hf_hub_download(repo_id, filename, cache_dir=cache, **kwargs)) as f:
        return f.read()


def refs_and_revisions(ctx: Any, repo_id: str) -> dict:
    """create/delete branch and tag, downloads by branch, tag and sha, then again from the cache."""
    api = HfApi()
    api.create_repo(repo_id)
    c1 = api.upload_file(path_or_fileobj=b"v1\n", path_in_repo="file.txt", repo_id=repo_id).oid
    api.create_branch(repo_id, branch="dev")
    c2 = api.upload_file(path_or_fileobj=b"v2\n", path_in_repo="file.txt", repo_id=repo_id, revision="dev").oid
    api.upload_file(path_or_fileobj=b"only on dev\n", path_in_repo="dev-only.txt", repo_id=repo_id,
                    revision="dev")
    api.create_branch(repo_id, branch="feature/slash", revision=c1)
    c3 = api.upload_file(path_or_fileobj=b"v3\n", path_in_repo="file.txt", repo_id=repo_id,
                         revision="feature/slash").oid
    api.create_tag(repo_id, tag="v1.0", revision=c1)
    api.create_tag(repo_id, tag="dev-tag", revision="dev", tag_message="annotated")
    refs = api.list_repo_refs(repo_id)
    cache = f"{ctx.workdir}/cache"
    result: dict[str, Any] = {
        "c1": c1, "c2": c2, "c3": c3,
        "branches": {b.name: b.target_commit for b in refs.branches},
        "tags": {t.name: t.target_commit for t in refs.tags},
        "dev_commits": [c.commit_id for c in api.list_repo_commits(repo_id, revision="dev")],
        "downloads": {
            "main": _read(repo_id, "file.txt", cache),
            "dev": _read(repo_id, "file.txt", cache, revision="dev"),
            "slash": _read(repo_id, "file.txt", cache, revision="feature/slash"),
            "tag": _read(repo_id, "file.txt", cache, revision="v1.0"),
            "annotated_tag": _read(repo_id, "file.txt", cache, revision="dev-tag"),
            "sha": _read(repo_id, "file.txt", cache, revision=c2),
        },
        "info_at_tag": api.repo_info(repo_id, revision="v1.0").sha,
        "info_at_slash": api.repo_info(repo_id, revision="feature/slash").sha,
    }
    ctx.take_requests()
    result["cached"] = {
        "sha": _read(repo_id, "file.txt", cache, revision=c2),
        "sha_requests": ctx.take_requests(),
        "local_only_dev": _read(repo_id, "file.txt", cache, revision="dev", local_files_only=True),
        "local_only_tag": _read(repo_id, "file.txt", cache, revision="v1.0", local_files_only=True),
        "local_only_requests": ctx.take_requests(),
    }
    result["exists"] = {
        "file": api.file_exists(repo_id, "file.txt"),
        "missing_file": api.file_exists(repo_id, "nope.txt"),
        "dev_only_on_main": api.file_exists(repo_id, "dev-only.txt"),
        "dev_only_on_dev": api.file_exists(repo_id, "dev-only.txt", revision="dev"),
        "file_bad_revision": api.file_exists(repo_id, "file.txt", revision="nope"),
        "file_missing_repo": api.file_exists(f"{repo_id}-missing", "file.txt"),
        "rev_branch": api.revision_exists(repo_id, "dev"),
        "rev_slash": api.revision_exists(repo_id, "feature/slash"),
        "rev_tag": api.revision_exists(repo_id, "v1.0"),
        "rev_sha": api.revision_exists(repo_id, c1),
        "rev_missing": api.revision_exists(repo_id, "nope"),
        "rev_missing_repo": api.revision_exists(f"{repo_id}-missing", "main"),
    }
    result["conflicts"] = {
        "branch_again": error_of(api.create_branch, repo_id, branch="dev"),
        "branch_exist_ok": error_of(api.create_branch, repo_id, branch="dev", exist_ok=True),
        "tag_again": error_of(api.create_tag, repo_id, tag="v1.0"),
        "tag_exist_ok": error_of(api.create_tag, repo_id, tag="v1.0", exist_ok=True),
        "tag_bad_revision": error_of(api.create_tag, repo_id, tag="x", revision="nope"),
        "branch_bad_start": error_of(api.create_branch, repo_id, branch="y", revision="nope"),
        "delete_main": error_of(api.delete_branch, repo_id, branch="main"),
    }
    api.delete_branch(repo_id, branch="dev")
    api.delete_branch(repo_id, branch="feature/slash")
    api.delete_tag(repo_id, tag="v1.0")
    refs = api.list_repo_refs(repo_id)
    result["after_delete"] = {
        "branches": sorted(b.name for b in refs.branches),
        "tags": sorted(t.name for t in refs.tags),
        "rev_dev": api.revision_exists(repo_id, "dev"),
        "rev_tag": api.revision_exists(repo_id, "v1.0"),
        "download_dev": error_of(hf_hub_download, repo_id, "file.txt", revision="dev",
                                 cache_dir=f"{ctx.workdir}/fresh"),
        "delete_missing_branch": error_of(api.delete_branch, repo_id, branch="dev"),
        "delete_missing_tag": error_of(api.delete_tag, repo_id, tag="v1.0"),
    }
    return result


def from_cache(ctx: Any, repo_id: str, commit: str) -> dict:
    """Run offline with HF_ENDPOINT on a dead port: what refs_and_revisions downloaded comes from the cache."""
    cache = f"{ctx.workdir}/cache"
    return {
        "endpoint": ctx.endpoint,
        "by_main": _read(repo_id, "file.txt", cache),
        "by_sha": _read(repo_id, "file.txt", cache, revision=commit),
        "by_branch": _read(repo_id, "file.txt", cache, revision="dev"),
        "by_tag": _read(repo_id, "file.txt", cache, revision="v1.0"),
        "missing": error_of(hf_hub_download, repo_id, "never-downloaded.txt", cache_dir=cache),
        "requests": ctx.take_requests(),
    }


def filesystem(ctx: Any, repo_id: str, big_size: int) -> dict:
    """HfFileSystem: ls, info, glob, open/read, seek + ranged read (section 3, range reads)."""
    api = HfApi()
    api.create_repo(repo_id, repo_type="dataset")
    big_path = workdir(ctx, "fs") / "blob.dat"
    big = random_file(big_path, big_size)
    api.upload_file(path_or_fileobj=str(big_path), path_in_repo="data/blob.dat", repo_id=repo_id,
                    repo_type="dataset")
    api.upload_file(path_or_fileobj=b"0123456789abcdef", path_in_repo="data/small.txt", repo_id=repo_id,
                    repo_type="dataset")
    fs = HfFileSystem()
    root = f"datasets/{repo_id}"
    listing = fs.ls(root, detail=True)
    sub = fs.ls(f"{root}/data", detail=True)
    with fs.open(f"{root}/data/small.txt", "rb") as f:
        small_all = f.read()
        f.seek(10)
        small_tail = f.read(4)
    offset = big_size // 2 + 123
    ctx.take_requests()
    with fs.open(f"{root}/data/blob.dat", "rb", block_size=64 * 1024) as f:
        f.seek(offset)
        chunk = f.read(1000)
    range_requests = ctx.take_requests()
    with fs.open(f"{root}/data/blob.dat", "rb") as f:
        whole = f.read()
    info = fs.info(f"{root}/data/blob.dat")
    return {
        "ls_root": sorted((e["name"], e["type"]) for e in listing),
        "ls_data": sorted((e["name"], e["type"], e["size"]) for e in sub),
        "small_all": small_all.decode(),
        "small_tail": small_tail.decode(),
        "chunk_ok": chunk == big[offset:offset + 1000],
        "range_requests": range_requests,
        "whole_ok": whole == big,
        "info": {"size": info["size"], "type": info["type"], "lfs": info.get("lfs") is not None},
        "glob": sorted(fs.glob(f"{root}/**/*.txt")),
        "exists": fs.exists(f"{root}/data/small.txt"),
        "missing": fs.exists(f"{root}/data/nope.txt"),
        "cat_range": fs.cat_file(f"{root}/data/small.txt", start=2, end=6).decode(),
    }

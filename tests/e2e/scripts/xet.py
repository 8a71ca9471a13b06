"""Xet scenarios: the stock client with hf_xet (or with HF_HUB_DISABLE_XET=1) on the same files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from huggingface_hub import HfApi, HfFileSystem, hf_hub_download, snapshot_download

from tests.e2e.scripts.common import file_sha256, sha256, workdir


def upload_sizes(ctx: Any, repo_id: str, sizes: list[int]) -> dict:
    """upload_folder of one random ``.bin`` file per size (``*.bin`` is LFS-tracked: "lfs" from 1 byte)."""
    api = HfApi()
    api.create_repo(repo_id)
    folder = workdir(ctx, "sizes")
    expected = {}
    for size in sizes:
        data = os.urandom(size)
        (folder / f"{size}.bin").write_bytes(data)
        expected[f"{size}.bin"] = sha256(data)
    api.upload_folder(folder_path=str(folder), repo_id=repo_id, commit_message="sizes")
    tree = {e.path: getattr(e, "xet_hash", None) for e in api.list_repo_tree(repo_id) if e.path.endswith(".bin")}
    return {"expected": expected, "xet_hashes": tree}


def download_all(ctx: Any, repo_id: str, paths: list[str], tag: str) -> dict:
    """hf_hub_download each file, snapshot_download the repo, and read a range of each non-empty file
    (HfFileSystem: ranged reads)."""
    cache = f"{ctx.workdir}/cache-{tag}"
    single = {p: file_sha256(hf_hub_download(repo_id, p, cache_dir=cache)) for p in paths}
    snapshot = Path(snapshot_download(repo_id, cache_dir=f"{cache}-snapshot"))
    fs = HfFileSystem()
    ranges = {}
    for p in paths:
        size = fs.info(f"{repo_id}/{p}")["size"]
        if size:
            with fs.open(f"{repo_id}/{p}", "rb") as f:
                f.seek(size // 3)
                ranges[p] = sha256(f.read(min(size - size // 3, 100_000)))
    return {"single": single, "snapshot": {p: file_sha256(snapshot / p) for p in paths}, "ranges": ranges}


def upload_file(ctx: Any, repo_id: str, path_in_repo: str, local: str, create: bool = False) -> str:
    api = HfApi()
    if create:
        api.create_repo(repo_id, exist_ok=True)
    return api.upload_file(path_or_fileobj=local, path_in_repo=path_in_repo, repo_id=repo_id).oid

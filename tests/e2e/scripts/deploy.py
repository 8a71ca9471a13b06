"""The client subset run through the production topology (tests/deploy): nginx in front of 4 workers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from huggingface_hub import HfApi, hf_hub_download, snapshot_download

from tests.e2e.scripts.common import file_sha256, random_file, sha256, workdir


def _files(folder: str) -> dict[str, str]:
    root = Path(folder)
    return {str(p.relative_to(root)): file_sha256(p) for p in sorted(root.rglob("*"))
            if p.is_file() and ".cache" not in p.parts}


def client_subset(ctx: Any, repo_id: str, big_size: int) -> dict:
    """Create, upload small and large (LFS multipart), branches, hf_hub_download (302) and snapshots."""
    api = HfApi()
    api.create_repo(repo_id)
    big = random_file(workdir(ctx, "upload") / "big.bin", big_size)
    created = ctx.take_requests()
    api.upload_file(path_or_fileobj=b"small file\n", path_in_repo="small.txt", repo_id=repo_id)
    api.upload_file(path_or_fileobj=str(workdir(ctx, "upload") / "big.bin"), path_in_repo="weights/big.bin",
                    repo_id=repo_id)
    upload_requests = ctx.take_requests()
    api.create_branch(repo_id, branch="dev")
    api.upload_file(path_or_fileobj=b"dev only\n", path_in_repo="dev.txt", repo_id=repo_id, revision="dev")
    local = hf_hub_download(repo_id, "weights/big.bin", cache_dir=f"{ctx.workdir}/cache")
    download_requests = ctx.take_requests()
    return {
        "expected": {"small.txt": sha256(b"small file\n"), "weights/big.bin": sha256(big),
                     ".gitattributes": None},
        "downloaded": file_sha256(local),
        "xet_hash": next(e.xet_hash for e in api.list_repo_tree(repo_id, "weights") if e.path == "weights/big.bin"),
        "branches": sorted(b.name for b in api.list_repo_refs(repo_id).branches),
        "main": _files(snapshot_download(repo_id, local_dir=f"{ctx.workdir}/main")),
        "dev": _files(snapshot_download(repo_id, revision="dev", local_dir=f"{ctx.workdir}/dev")),
        "upload_requests": upload_requests,
        "download_requests": download_requests,
        "all_requests": created + upload_requests + download_requests + ctx.take_requests(),
    }

"""Large-file transfer against a hub on S3 (issue 5): multipart upload and downloads through the 302."""

from __future__ import annotations

import hashlib
from typing import Any

from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_download, hf_hub_url

from tests.e2e.scripts.common import random_file, workdir


def _file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def upload_and_download_big(ctx: Any, repo_id: str, size: int) -> dict:
    """upload_file of ``size`` random bytes (LFS multipart), then hf_hub_download of it."""
    api = HfApi()
    api.create_repo(repo_id)
    path = workdir(ctx, "upload") / "big.bin"
    data = random_file(path, size)
    expected = hashlib.sha256(data).hexdigest()
    del data
    ctx.take_requests()
    commit = api.upload_file(path_or_fileobj=str(path), path_in_repo="weights/big.bin", repo_id=repo_id)
    upload_requests = ctx.take_requests()
    meta = get_hf_file_metadata(hf_hub_url(repo_id, "weights/big.bin"))
    local = hf_hub_download(repo_id, "weights/big.bin", cache_dir=f"{ctx.workdir}/cache")
    return {
        "expected": expected,
        "commit": commit.oid,
        "meta": {"commit": meta.commit_hash, "etag": meta.etag, "size": meta.size, "location": meta.location},
        "downloaded": _file_sha256(local),
        "upload_requests": upload_requests,
        "download_requests": ctx.take_requests(),
    }

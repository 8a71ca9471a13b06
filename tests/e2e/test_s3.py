"""End to end on S3 (issue 5): the stock client (HF_HUB_DISABLE_XET=1) uploads a 150 MB file through the
multipart path straight to S3 (MinIO) and downloads it following the hub's 302 to a presigned URL."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.conftest import start_server, stop_server
from tests.e2e.conftest import OTHER_USER, HfClient, Hub, MiB
from tests.s3_support import s3, s3_settings

pytestmark = pytest.mark.e2e

SIZE = 150 * 1000 * 1000


@pytest.fixture(scope="module")
def s3_lfs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    env = {f"KOHAKU_HUB_{k.upper()}": str(v) for k, v in s3_settings().items()}
    server = start_server(tmp_path_factory.mktemp("s3lfs") / "data", {
        **env, "KOHAKU_HUB_UPLOAD_MODE": "lfs", "KOHAKU_HUB_LFS_THRESHOLD_BYTES": str(MiB),
        "KOHAKU_HUB_LFS_MULTIPART_THRESHOLD_BYTES": str(64 * MiB),
        "KOHAKU_HUB_LFS_MULTIPART_CHUNK_SIZE_BYTES": str(16 * MiB),
    })
    try:
        server.cli("admin", "create-user", OTHER_USER, "--email", f"{OTHER_USER}@example.com",
                   "--password", "correct-horse-battery")
        yield Hub(server, server.new_token(OTHER_USER), "lfs")
    finally:
        stop_server(server)


def test_150mb_multipart_upload_and_download_through_s3(s3_lfs_server: Hub, tmp_path):
    hf = HfClient("noxet-lfs", s3_lfs_server, tmp_path)
    repo_id = hf.repo_id("s3big")
    result = hf.run("s3:upload_and_download_big", timeout=600, repo_id=repo_id, size=SIZE).result
    assert result["downloaded"] == result["expected"]
    s3_host = urlsplit(s3().endpoint).netloc
    up = result["upload_requests"]
    parts = [r for r in up if r.startswith("PUT ") and "partNumber=" in r]
    assert len(parts) == -(-SIZE // (16 * MiB)) and all(r.endswith(f"@{s3_host}") for r in parts)
    assert sum(r.startswith("POST /api/lfs/complete/") for r in up) == 1  # completion on the hub
    assert not any("/api/lfs/parts/" in r or "/api/lfs/objects/" in r for r in up)  # no bytes via the hub
    meta = result["meta"]
    assert meta["commit"] == result["commit"] and meta["etag"] == result["expected"] and meta["size"] == SIZE
    down = result["download_requests"]
    # HEAD (metadata from the hub), GET resolve -> 302, GET of the presigned URL on S3.
    assert any(r.startswith("GET ") and "/resolve/" in r for r in down)
    assert any(r.startswith("GET ") and r.endswith(f"@{s3_host}") for r in down), down

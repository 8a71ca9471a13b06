"""Xet with the stock client: uploads and downloads through the CAS, the same files read without Xet
(HF_HUB_DISABLE_XET=1, git-lfs), and chunk dedup of a file that differs in a few bytes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import HfClient

pytestmark = pytest.mark.e2e

KiB, MiB = 1024, 1024 * 1024
SIZES = [0, 1, 63 * KiB, 10 * MiB, 150 * MiB]


def test_every_size_through_xet_then_every_other_client(auto_server, tmp_path: Path) -> None:
    xet = HfClient("xet", auto_server, tmp_path / "xet")
    repo_id = xet.repo_id("sizes")
    up = xet.run("xet:upload_sizes", repo_id=repo_id, sizes=SIZES, timeout=600).result
    expected = up["expected"]
    # Stored as Xet (advertised) exactly when preupload said "lfs": every .bin file but the empty one.
    assert {p for p, h in up["xet_hashes"].items() if h} == {f"{s}.bin" for s in SIZES if s}
    paths = sorted(expected)

    down = xet.run("xet:download_all", repo_id=repo_id, paths=paths, tag="xet", timeout=600).result
    assert down["single"] == expected and down["snapshot"] == expected
    xet_ranges = down["ranges"]

    plain = HfClient("noxet", auto_server, tmp_path / "plain")
    down = plain.run("xet:download_all", repo_id=repo_id, paths=paths, tag="plain", timeout=600).result
    assert down["single"] == expected and down["snapshot"] == expected
    assert down["ranges"] == xet_ranges and set(xet_ranges) == {p for p in paths if p != "0.bin"}

    clone = tmp_path / "clone"
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_LFS_SKIP_SMUDGE": "1"}
    url = auto_server.server.url.replace("http://", f"http://alice:{auto_server.server.token}@")
    subprocess.run(["git", "clone", "-q", f"{url}/{repo_id}", str(clone)], check=True, env=env, timeout=120)
    subprocess.run(["git", "lfs", "pull"], cwd=clone, check=True, env=env, timeout=300, capture_output=True)
    for path, digest in expected.items():
        assert hashlib.sha256((clone / path).read_bytes()).hexdigest() == digest, path


def test_a_few_changed_bytes_upload_only_a_few_chunks(auto_server, tmp_path: Path) -> None:
    xet = HfClient("xet", auto_server, tmp_path / "xet")
    repo_id = xet.repo_id("dedup")
    base = os.urandom(32 * MiB)
    changed = bytearray(base)
    for offset in (5 * MiB, 20 * MiB):
        changed[offset:offset + 8] = b"modified"
    (tmp_path / "base.bin").write_bytes(base)
    (tmp_path / "changed.bin").write_bytes(changed)

    def stored() -> int:
        return json.loads(auto_server.server.cli("admin", "storage-stats"))["stored_bytes"]

    xet.run("xet:upload_file", repo_id=repo_id, path_in_repo="base.bin", local=str(tmp_path / "base.bin"),
            create=True)
    before = stored()
    xet.run("xet:upload_file", repo_id=repo_id, path_in_repo="changed.bin", local=str(tmp_path / "changed.bin"))
    added = stored() - before
    # Two edits touch at most two or three 64 KiB chunks each (CDC boundaries resynchronize after an edit).
    assert 0 < added < 1 * MiB, added
    down = xet.run("xet:download_all", repo_id=repo_id, paths=["changed.bin"], tag="dedup").result
    assert down["single"]["changed.bin"] == hashlib.sha256(changed).hexdigest()
    plain = HfClient("noxet", auto_server, tmp_path / "plain")
    down = plain.run("xet:download_all", repo_id=repo_id, paths=["changed.bin"], tag="plain").result
    assert down["single"]["changed.bin"] == hashlib.sha256(changed).hexdigest()

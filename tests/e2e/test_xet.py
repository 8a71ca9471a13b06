"""Xet with the stock client: uploads and downloads through the CAS, the same files read without Xet
(HF_HUB_DISABLE_XET=1, git-lfs), and chunk dedup of a file that differs in a few bytes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
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

    def xet_storage() -> dict:  # what the storage page shows the namespace
        answer = httpx.get(f"{auto_server.server.url}/api/storage/{repo_id.split('/')[0]}",
                           headers={"Authorization": f"Bearer {auto_server.server.token}"})
        assert answer.status_code == 200, answer.text
        return answer.json()["xet"]

    shown_before = xet_storage()
    xet.run("xet:upload_file", repo_id=repo_id, path_in_repo="base.bin", local=str(tmp_path / "base.bin"),
            create=True)
    before = stored()
    xet.run("xet:upload_file", repo_id=repo_id, path_in_repo="changed.bin", local=str(tmp_path / "changed.bin"))
    added = stored() - before
    # Two edits touch at most two or three 64 KiB chunks each (CDC boundaries resynchronize after an edit).
    assert 0 < added < 1 * MiB, added
    shown = {key: xet_storage()[key] - shown_before[key] for key in shown_before}
    assert shown["files"] == 2 and shown["logical_bytes"] == 2 * len(base)
    assert shown["saved_bytes"] == shown["logical_bytes"] - shown["stored_bytes"] > len(base) - 2 * MiB, shown
    down = xet.run("xet:download_all", repo_id=repo_id, paths=["changed.bin"], tag="dedup").result
    assert down["single"]["changed.bin"] == hashlib.sha256(changed).hexdigest()
    plain = HfClient("noxet", auto_server, tmp_path / "plain")
    down = plain.run("xet:download_all", repo_id=repo_id, paths=["changed.bin"], tag="plain").result
    assert down["single"]["changed.bin"] == hashlib.sha256(changed).hexdigest()


@pytest.mark.slow
def test_one_gib_through_xet_and_back(auto_server, tmp_path: Path) -> None:
    xet = HfClient("xet", auto_server, tmp_path / "xet")
    repo_id = xet.repo_id("gib")
    source = tmp_path / "one.bin"
    digest = hashlib.sha256()
    with source.open("wb") as f:
        for _ in range(64):
            block = os.urandom(16 * MiB)
            digest.update(block)
            f.write(block)
    xet.run("xet:upload_file", repo_id=repo_id, path_in_repo="one.bin", local=str(source), create=True,
            timeout=900)
    source.unlink()
    for client in (xet, HfClient("noxet", auto_server, tmp_path / "plain")):
        down = client.run("xet:download_all", repo_id=repo_id, paths=["one.bin"], tag="gib", timeout=900).result
        assert down["single"]["one.bin"] == down["snapshot"]["one.bin"] == digest.hexdigest()
        shutil.rmtree(client.workdir, ignore_errors=True)


def test_interrupted_upload_resumes_without_storing_twice(auto_server, tmp_path: Path) -> None:
    """The client is killed after some xorbs landed; the retry re-queries dedup and sends only the rest."""
    xet = HfClient("xet", auto_server, tmp_path / "xet")
    repo_id = xet.repo_id("resume")
    size = 400 * MiB
    source = tmp_path / "big.bin"
    with source.open("wb") as f:
        for _ in range(size // (16 * MiB)):
            f.write(os.urandom(16 * MiB))

    def stats() -> dict:
        return json.loads(auto_server.server.cli("admin", "storage-stats"))

    before = stats()
    log = auto_server.log_path
    seen = log.stat().st_size
    proc = xet.spawn("xet:upload_file", repo_id=repo_id, path_in_repo="big.bin", local=str(source), create=True)
    try:  # kill the client as soon as the hub has accepted its first xorb (the access log tells at once)
        deadline = time.monotonic() + 120
        while b'/api/xet/cas/v1/xorbs/default/' not in log.read_bytes()[seen:] and proc.poll() is None:
            assert time.monotonic() < deadline, "no xorb arrived"
            time.sleep(0.02)
    finally:
        proc.kill()
        proc.wait()
    partial = stats()
    assert partial["files"] == before["files"]  # killed before its shard: nothing registered
    xet.run("xet:upload_file", repo_id=repo_id, path_in_repo="big.bin", local=str(source), create=True,
            timeout=600)
    after = stats()
    assert after["files"] == before["files"] + 1
    # The retry reuses every xorb the killed attempt stored (the dedup answer carries them). The only bytes
    # that can be stored twice are chunks the client cut before its first dedup hit: when the killed
    # attempt's first stored xorb is not the file's first one, that is part of one xorb (<= 64 MiB). Without
    # the reuse, every xorb that landed before the kill is stored again.
    assert size <= after["stored_bytes"] - before["stored_bytes"] < size + 64 * MiB
    down = xet.run("xet:download_all", repo_id=repo_id, paths=["big.bin"], tag="resume", timeout=600).result
    assert down["single"]["big.bin"] == hashlib.sha256(source.read_bytes()).hexdigest()


def test_lfs_uploads_stay_plain_for_xet_clients(auto_server, tmp_path: Path) -> None:
    """A file uploaded through LFS is not advertised as Xet; the Xet client downloads it plainly."""
    plain = HfClient("noxet", auto_server, tmp_path / "plain")
    repo_id = plain.repo_id("lfs-for-xet")
    data = os.urandom(2 * MiB)
    (tmp_path / "w.bin").write_bytes(data)
    plain.run("xet:upload_file", repo_id=repo_id, path_in_repo="w.bin", local=str(tmp_path / "w.bin"), create=True)
    xet = HfClient("xet", auto_server, tmp_path / "xet")
    run = xet.run("xet:download_all", repo_id=repo_id, paths=["w.bin"], tag="xet")
    assert run.result["single"]["w.bin"] == hashlib.sha256(data).hexdigest()
    assert not any("xet-read-token" in q for q in run.requests)  # nothing advertised Xet

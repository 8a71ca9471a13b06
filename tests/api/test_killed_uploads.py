"""``kill -9`` of the hub in the middle of an LFS multipart upload and of a Xet upload.

After a restart over the same data the repo shows what it showed before, the half-sent object is served
by nothing (batch download, CAS reconstruction, resolve), and the client's retry goes through and
serves the exact bytes. Both layouts: with KOHAKU_HUB_TEST_S3=1 the parts go to MinIO and the hub is
killed between them; on local storage the hub receives the parts and is killed inside one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.helpers import (
    LFS_HEADERS, api, bearer, commit, create_repo, file_op, lfs_batch, lfs_op, lfs_upload, sha256,
)
from tests.api.test_xet import CAS, Upload
from tests.conftest import LiveServer, kill_server, restart_server, start_server, stop_server
from tests.servers.minio import MIN_PART_SIZE

MiB = 1 << 20
CHUNK = MIN_PART_SIZE  # S3's minimum part: the same numbers on both layouts
BIG = 3 * CHUNK + 123  # four parts
SETTINGS = {"KOHAKU_HUB_LFS_THRESHOLD_BYTES": "1024", "KOHAKU_HUB_LFS_MULTIPART_THRESHOLD_BYTES": str(CHUNK),
            "KOHAKU_HUB_LFS_MULTIPART_CHUNK_SIZE_BYTES": str(CHUNK)}


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[list[LiveServer]]:
    """The hub as a list: a test replaces the killed server with the restarted one."""
    servers = [start_server(tmp_path / "data", SETTINGS)]
    yield servers
    for server in servers:
        if server.process.poll() is None:
            stop_server(server)


def _client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=60)


def _files(client: httpx.Client, token: str, repo_id: str) -> set[str]:
    resp = client.get(f"{api(repo_id)}/tree/main", params={"recursive": "true"}, headers=bearer(token))
    assert resp.status_code == 200, resp.text
    return {e["path"] for e in resp.json() if e["type"] == "file"}


def _killing_body(server: LiveServer, data: bytes, after: int) -> Iterator[bytes]:
    """``data`` in 256 KiB pieces; the hub is killed once ``after`` bytes are out."""
    for start in range(0, len(data), 256 * 1024):
        if start >= after and server.process.poll() is None:
            kill_server(server)
        yield data[start:start + 256 * 1024]


def _not_served(client: httpx.Client, token: str, repo_id: str, oid: str, size: int) -> None:
    resp = lfs_batch(client, token, repo_id, [(oid, size)], operation="download")
    assert resp.status_code == 200, resp.text
    assert resp.json()["objects"][0]["error"]["code"] == 404, resp.text


def test_killed_mid_lfs_multipart_upload(hub: list[LiveServer]) -> None:
    server = hub[0]
    token, repo_id = server.token, "alice/killed-lfs"
    data = os.urandom(BIG)
    with _client(server) as client:
        create_repo(client, token, "killed-lfs")
        commit(client, token, repo_id, [file_op("before.txt", b"before")])
        before = _files(client, token, repo_id)
        oid = sha256(data)
        resp = lfs_batch(client, token, repo_id, [(oid, len(data))])
        assert resp.status_code == 200, resp.text
        upload = resp.json()["objects"][0]["actions"]["upload"]
        header = upload["header"]
        assert int(header["chunk_size"]) == CHUNK and "4" in header, header
        # Parts 1 and 2 land; part 3 is cut off by the kill (inside the hub, or before it reaches S3).
        for number in (1, 2):
            put = client.put(header[str(number)], content=data[(number - 1) * CHUNK: number * CHUNK])
            assert put.status_code == 200, put.text
        third = data[2 * CHUNK: 3 * CHUNK]
        if header["3"].startswith(server.url):
            with pytest.raises(httpx.HTTPError):
                client.put(header["3"], content=_killing_body(server, third, after=CHUNK // 2))
        else:
            kill_server(server)
        assert server.process.returncode is not None

    hub.append(restart_server(server))
    with _client(hub[-1]) as client:
        assert _files(client, token, repo_id) == before
        _not_served(client, token, repo_id, oid, len(data))
        # Completing the interrupted upload with what landed is refused: nothing is published. (The
        # restarted hub listens on another port; the signed path and query are what count.)
        complete = upload["href"].replace(server.url, hub[-1].url)
        parts = [{"partNumber": n, "etag": "x"} for n in (1, 2)]
        done = client.post(complete, json={"oid": oid, "parts": parts}, headers=LFS_HEADERS)
        assert done.status_code >= 400, done.text
        _not_served(client, token, repo_id, oid, len(data))
        # The client's retry: a new batch, every part, verify, then the commit that uses it.
        assert lfs_upload(client, token, repo_id, data) == oid
        commit(client, token, repo_id, [lfs_op("big.bin", data)])
        assert _files(client, token, repo_id) == before | {"big.bin"}
        got = client.get(f"/{repo_id}/resolve/main/big.bin", headers=bearer(token), follow_redirects=True)
        assert got.status_code == 200 and got.content == data


def _xet_token(client: httpx.Client, token: str, repo_id: str) -> str:
    resp = client.get(f"{api(repo_id)}/xet-write-token/main", headers=bearer(token))
    assert resp.status_code == 200, resp.text
    return resp.json()["accessToken"]


def test_killed_mid_xet_upload(hub: list[LiveServer]) -> None:
    server = hub[0]
    token, repo_id = server.token, "alice/killed-xet"
    # Two files, one xorb each: the first xorb lands, the second is cut off by the kill.
    first = Upload(os.urandom(300 * 1024))
    second = Upload(os.urandom(6 * MiB), compression="none")
    with _client(server) as client:
        create_repo(client, token, "killed-xet")
        commit(client, token, repo_id, [file_op("before.txt", b"before")])
        before = _files(client, token, repo_id)
        xet = _xet_token(client, token, repo_id)
        resp = client.post(f"{CAS}/xorbs/default/{first.xorb_hex}", content=first.xorb, headers=bearer(xet))
        assert resp.status_code == 200, resp.text
        with pytest.raises(httpx.HTTPError):
            client.post(f"{CAS}/xorbs/default/{second.xorb_hex}", headers=bearer(xet),
                        content=_killing_body(server, second.xorb, after=len(second.xorb) // 2))
        assert server.process.returncode is not None

    hub.append(restart_server(server))
    with _client(hub[-1]) as client:
        assert _files(client, token, repo_id) == before
        xet = _xet_token(client, token, repo_id)
        # The cut-off xorb is unknown: its file cannot be registered, reconstructed or committed.
        resp = client.post(f"{CAS}/shards", content=second.shard(), headers=bearer(xet))
        assert resp.status_code == 400 and "never uploaded" in resp.text, resp.text
        assert client.get(f"{CAS}/reconstructions/{second.file_hex}", headers=bearer(xet)).status_code == 404
        _not_served(client, token, repo_id, second.sha256, len(second.data))
        # The retry: the finished xorb is known already, the other is sent again, then both shards.
        resp = client.post(f"{CAS}/xorbs/default/{first.xorb_hex}", content=first.xorb, headers=bearer(xet))
        assert resp.status_code == 200 and resp.json() == {"was_inserted": False}, resp.text
        resp = client.post(f"{CAS}/xorbs/default/{second.xorb_hex}", content=second.xorb, headers=bearer(xet))
        assert resp.status_code == 200, resp.text
        for up in (first, second):
            resp = client.post(f"{CAS}/shards", content=up.shard(), headers=bearer(xet))
            assert resp.status_code == 200, resp.text
        commit(client, token, repo_id, [lfs_op("first.bin", first.data), lfs_op("second.bin", second.data)])
        assert _files(client, token, repo_id) == before | {"first.bin", "second.bin"}
        for name, up in (("first.bin", first), ("second.bin", second)):
            got = client.get(f"/{repo_id}/resolve/main/{name}", headers=bearer(token), follow_redirects=True)
            assert got.status_code == 200 and got.content == up.data, name

"""Commits against a real server process: concurrent writers, and a server killed mid-commit."""

from __future__ import annotations

import base64
import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pygit2

from tests.api.helpers import NDJSON, file_op, ndjson
from tests.conftest import LiveServer, restart_server, start_server, stop_server
from tests.databases import hub_sql


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _create(url: str, token: str, name: str) -> None:
    resp = httpx.post(f"{url}/api/repos/create", json={"name": name}, headers=_auth(token), timeout=30)
    assert resp.status_code == 200, resp.text


def _head(url: str, token: str, repo_id: str) -> str:
    resp = httpx.get(f"{url}/api/models/{repo_id}/revision/main", headers=_auth(token), timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()["sha"]


def _files(url: str, token: str, repo_id: str) -> set[str]:
    resp = httpx.get(f"{url}/api/models/{repo_id}/tree/main?recursive=true&expand=false", headers=_auth(token),
                     timeout=30)
    assert resp.status_code == 200, resp.text
    return {e["path"] for e in resp.json() if e["type"] == "file"}


def _git_repo(data_dir: Path, repo_id: str) -> pygit2.Repository:
    ns, name = repo_id.split("/")
    [(key,)] = hub_sql(data_dir, "SELECT key FROM repo WHERE full_key = ?", (f"model/{ns}/{name}".lower(),))
    return pygit2.Repository(str(data_dir / "repos" / key[:2] / f"{key}.git"))


def test_concurrent_commits_to_one_branch_all_land(live_server: LiveServer):
    url, token, repo_id = live_server.url, live_server.token, "alice/concurrent-api"
    _create(url, token, "concurrent-api")
    base = _head(url, token, repo_id)
    barrier = threading.Barrier(20)

    def one(i: int) -> tuple[int, str]:
        body = ndjson([file_op(f"worker-{i:02}.txt", f"written by {i}\n".encode())], summary=f"worker {i}")
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            resp = client.post(f"{url}/api/models/{repo_id}/commit/main", content=body,
                               headers={**_auth(token), **NDJSON})
        return resp.status_code, resp.text

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(one, range(20)))
    assert all(status == 200 for status, _ in results), results
    oids = {json.loads(text)["commitOid"] for _, text in results}
    assert len(oids) == 20

    assert _files(url, token, repo_id) == {".gitattributes"} | {f"worker-{i:02}.txt" for i in range(20)}
    commits = httpx.get(f"{url}/api/models/{repo_id}/commits/main?limit=100", headers=_auth(token)).json()
    assert len(commits) == 21
    assert {c["id"] for c in commits[:20]} == oids
    assert commits[-1]["id"] == base

    # Linear: every commit has exactly one parent, back to the initial commit.
    repo = _git_repo(live_server.data_dir, repo_id)
    commit = repo[repo.references["refs/heads/main"].target]
    chain = []
    while commit.parents:
        assert len(commit.parents) == 1
        chain.append(str(commit.id))
        commit = commit.parents[0]
    assert str(commit.id) == base and set(chain) == oids


def test_server_killed_mid_commit_leaves_previous_commit(tmp_path: Path):
    server = start_server(tmp_path / "data")
    restarted = None
    try:
        url, token, repo_id = server.url, server.token, "alice/crash"
        _create(url, token, "crash")
        resp = httpx.post(f"{url}/api/models/{repo_id}/commit/main",
                          content=ndjson([file_op("before.txt", b"before")]), headers={**_auth(token), **NDJSON})
        assert resp.status_code == 200
        before = _head(url, token, repo_id)

        chunk = base64.b64encode(os.urandom(3 * 256 * 1024))  # 1 MiB of base64 per chunk
        sent = {"bytes": 0}

        def body():
            yield ndjson([file_op("small.txt", b"in the doomed commit")])[:-1] + b"\n"
            yield b'{"key":"file","value":{"path":"huge.bin","encoding":"base64","content":"'
            for _ in range(64):
                yield chunk
                sent["bytes"] += len(chunk)
                if sent["bytes"] >= 24 * len(chunk):
                    os.kill(server.process.pid, signal.SIGKILL)
                    server.process.wait(10)
            yield b'"}}\n'

        try:
            resp = httpx.post(f"{url}/api/models/{repo_id}/commit/main", content=body(),
                              headers={**_auth(token), **NDJSON}, timeout=30)
            raise AssertionError(f"the commit should not have completed: {resp.status_code}")
        except httpx.HTTPError:
            pass
        assert server.process.returncode == -signal.SIGKILL

        # Nothing was published to the LFS store (only the killed request's scratch file may remain).
        blobs = server.data_dir / "blobs"
        assert [p for p in blobs.rglob("*") if p.is_file() and ".tmp" not in p.parts] == []
        restarted = restart_server(server)
        url = restarted.url
        assert _head(url, token, repo_id) == before
        assert _files(url, token, repo_id) == {".gitattributes", "before.txt"}
        repo = _git_repo(server.data_dir, repo_id)
        assert str(repo.references["refs/heads/main"].target) == before

        resp = httpx.post(f"{url}/api/models/{repo_id}/commit/main",
                          content=ndjson([file_op("after.txt", b"after")], parent=before),
                          headers={**_auth(token), **NDJSON}, timeout=30)
        assert resp.status_code == 200, resp.text
        assert _files(url, token, repo_id) == {".gitattributes", "before.txt", "after.txt"}
        got = httpx.get(f"{url}/alice/crash/resolve/main/after.txt", headers=_auth(token))
        assert got.status_code == 200 and got.content == b"after"
    finally:
        if restarted is not None:
            stop_server(restarted)
        if server.process.poll() is None:
            stop_server(server)


def test_client_disconnect_mid_commit_writes_nothing_and_cleans_up(live_server: LiveServer):
    import socket
    from urllib.parse import urlsplit

    url, token, repo_id = live_server.url, live_server.token, "alice/disconnect-api"
    _create(url, token, "disconnect-api")
    before = _head(url, token, repo_id)
    spool = live_server.data_dir / "blobs" / ".tmp"
    spooled_before = set(spool.glob("*")) if spool.exists() else set()

    content = base64.b64encode(os.urandom(3 * 1024 * 1024))  # 4 MiB of base64: spooled to disk
    body = (ndjson([file_op("small.txt", b"x")])
            + b'{"key":"file","value":{"path":"big.bin","encoding":"base64","content":"' + content + b'"}}\n')
    cut = len(body) - 1000
    host = urlsplit(url)
    with socket.create_connection((host.hostname, host.port)) as sock:
        sock.sendall(
            f"POST /api/models/{repo_id}/commit/main HTTP/1.1\r\nHost: {host.netloc}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/x-ndjson\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:cut])
        time.sleep(0.5)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        leftovers = (set(spool.glob("*")) if spool.exists() else set()) - spooled_before
        if not leftovers:
            break
        time.sleep(0.1)
    assert not leftovers, leftovers
    assert _head(url, token, repo_id) == before
    assert _files(url, token, repo_id) == {".gitattributes"}

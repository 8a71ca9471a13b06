"""Raw-HTTP helpers shared by the API tests (no huggingface_hub: exact statuses and headers)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from fastapi.testclient import TestClient

PLURAL = {"model": "models", "dataset": "datasets", "space": "spaces"}
PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
NDJSON = {"Content-Type": "application/x-ndjson"}
LFS_HEADERS = {"Accept": "application/vnd.git-lfs+json", "Content-Type": "application/vnd.git-lfs+json"}


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def api(repo_id: str, repo_type: str = "model") -> str:
    """``/api/{type}s/{ns}/{name}``."""
    return f"/api/{PLURAL[repo_type]}/{repo_id}"


def assert_error(resp, status: int, code: str | None = None, *, message: str | None = None) -> None:
    """Every error carries X-Error-Message and X-Request-Id, and X-Error-Code exactly when expected."""
    assert resp.status_code == status, (resp.status_code, resp.headers, resp.text[:500])
    assert resp.headers.get("x-request-id"), resp.headers
    assert resp.headers.get("x-error-message"), resp.headers
    assert resp.headers.get("x-error-code") == code, resp.headers
    if message is not None:
        assert message in resp.headers["x-error-message"], resp.headers["x-error-message"]


def create_repo(client: TestClient, token: str, name: str, repo_type: str = "model", *,
                private: bool = False, organization: str | None = None) -> dict:
    body: dict[str, Any] = {"name": name, "organization": organization, "type": repo_type,
                            "visibility": "private" if private else "public"}
    resp = client.post("/api/repos/create", json=body, headers=bearer(token))
    assert resp.status_code == 200, resp.text
    return resp.json()


def file_op(path: str, data: bytes) -> dict:
    return {"key": "file", "value": {"path": path, "content": base64.b64encode(data).decode(),
                                     "encoding": "base64"}}


def lfs_op(path: str, data: bytes | None = None, *, oid: str | None = None, size: int | None = None) -> dict:
    value: dict[str, Any] = {"path": path, "algo": "sha256"}
    value["oid"] = oid if oid is not None else sha256(data or b"")
    if size is not None or data is not None:
        value["size"] = size if size is not None else len(data or b"")
    return {"key": "lfsFile", "value": value}


def ndjson(ops: list[dict], *, summary: str = "commit", description: str = "",
           parent: str | None = None) -> bytes:
    header: dict[str, Any] = {"summary": summary, "description": description}
    if parent is not None:
        header["parentCommit"] = parent
    lines = [{"key": "header", "value": header}, *ops]
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def commit(client: TestClient, token: str, repo_id: str, ops: list[dict], *, repo_type: str = "model",
           revision: str = "main", summary: str = "commit", parent: str | None = None,
           expect: int | None = 200):
    resp = client.post(f"{api(repo_id, repo_type)}/commit/{revision}",
                       content=ndjson(ops, summary=summary, parent=parent),
                       headers={**bearer(token), **NDJSON})
    if expect is not None:
        assert resp.status_code == expect, resp.text
    return resp


def head(client: TestClient, token: str, repo_id: str, repo_type: str = "model", revision: str = "main") -> str:
    resp = client.get(f"{api(repo_id, repo_type)}/revision/{revision}", headers=bearer(token))
    assert resp.status_code == 200, resp.text
    return resp.json()["sha"]


def files(client: TestClient, token: str, repo_id: str, repo_type: str = "model",
          revision: str = "main") -> dict[str, dict]:
    resp = client.get(f"{api(repo_id, repo_type)}/tree/{revision}?recursive=true&expand=false",
                      headers=bearer(token))
    assert resp.status_code == 200, resp.text
    return {e["path"]: e for e in resp.json() if e["type"] == "file"}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_batch(client: TestClient, token: str | None, repo_id: str, objects: list[tuple[str, int]], *,
              operation: str = "upload", repo_type: str = "model", multipart: bool = True,
              ref: str | None = "main"):
    """A batch request; ``ref=None`` sends none (the client's upload for a pull request it opens)."""
    body = {"operation": operation, "transfers": ["basic", "multipart"] if multipart else ["basic"],
            "objects": [{"oid": o, "size": s} for o, s in objects], "hash_algo": "sha256"}
    if ref is not None:
        body["ref"] = {"name": ref}
    headers = dict(LFS_HEADERS)
    if token:
        headers.update(bearer(token))
    return client.post(f"/{PREFIX[repo_type]}{repo_id}.git/info/lfs/objects/batch", json=body, headers=headers)


def lfs_upload(client: TestClient, token: str, repo_id: str, data: bytes, repo_type: str = "model", *,
               ref: str | None = "main") -> str:
    """Upload ``data`` through the batch API (basic or multipart, as the hub answers) and verify it."""
    oid = sha256(data)
    resp = lfs_batch(client, token, repo_id, [(oid, len(data))], repo_type=repo_type, ref=ref)
    assert resp.status_code == 200, resp.text
    obj = resp.json()["objects"][0]
    assert "error" not in obj, obj
    actions = obj.get("actions")
    if not actions:
        return oid
    upload = actions["upload"]
    header = upload.get("header") or {}
    if "chunk_size" in header:
        chunk = int(header["chunk_size"])
        parts = []
        for number in range(1, len(data) // chunk + (1 if len(data) % chunk else 0) + 1):
            put = client.put(header[str(number)], content=data[(number - 1) * chunk: number * chunk])
            assert put.status_code == 200, put.text
            parts.append({"partNumber": number, "etag": put.headers["etag"]})
        done = client.post(upload["href"], json={"oid": oid, "parts": parts}, headers=LFS_HEADERS)
        assert done.status_code == 200, done.text
    else:
        put = client.put(upload["href"], content=data)
        assert put.status_code == 200, put.text
    verify = actions.get("verify")
    if verify:
        v = client.post(verify["href"], json={"oid": oid, "size": len(data)},
                        headers={**LFS_HEADERS, **bearer(token)})
        assert v.status_code == 200, v.text
    return oid


def git_dir(hub, repo_id: str, repo_type: str = "model"):
    """Path of the repo's bare git directory (for "nothing was written" checks)."""
    from kohakuhub.db.models import Repo

    ns, name = repo_id.split("/")
    row = Repo.get(Repo.full_key == f"{repo_type}/{ns}/{name}".lower())
    return hub.settings.git_dir / row.key[:2] / f"{row.key}.git"

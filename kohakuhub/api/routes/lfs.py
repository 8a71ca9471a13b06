"""The git-lfs batch API and the hub-served transfer URLs (protocol sections 5.4 and 10).

The client and git-lfs send no Authorization on upload, part and completion URLs, so each href carries
its own expiring HMAC signature. With S3 the blob store hands out presigned URLs instead (later issue).
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from kohakuhub.api.deps import CallerDep, Hub, HubDep, find_repo
from kohakuhub.api.errors import LFS_CONTENT_TYPE, base_url
from kohakuhub.api.routes.files import BlobFileResponse
from kohakuhub.errors import (
    BadRequestError,
    ForbiddenError,
    IntegrityError,
    NotFoundError,
    PayloadTooLargeError,
)
from kohakuhub.lib.hashing import is_sha256_hex
from kohakuhub.lib.http_range import parse_range
from kohakuhub.services.auth import Access, Caller
from kohakuhub.services.lfs import BatchDecision
from kohakuhub.storage.base import lfs_key

router = APIRouter(tags=["lfs"])

MAX_BATCH_OBJECTS = 1000


def _lfs_json(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status, media_type=LFS_CONTENT_TYPE)


# --- batch -------------------------------------------------------------------------------------------


async def _batch(request: Request, hub: Hub, caller: Caller | None, plural: str, namespace: str,
                 name: str) -> JSONResponse:
    try:
        body = await request.json()
    except ValueError:
        raise BadRequestError("The batch request body is not valid JSON") from None
    operation = body.get("operation") if isinstance(body, dict) else None
    objects = body.get("objects") if isinstance(body, dict) else None
    if operation not in ("upload", "download") or not isinstance(objects, list):
        raise BadRequestError("A batch request needs 'operation' (upload|download) and 'objects'")
    if len(objects) > MAX_BATCH_OBJECTS:
        raise PayloadTooLargeError(f"At most {MAX_BATCH_OBJECTS} objects per batch")
    pairs = []
    for item in objects:
        if not isinstance(item, dict) or not isinstance(item.get("size"), int) or isinstance(item["size"], bool):
            raise BadRequestError("Each object needs a string 'oid' and an integer 'size'")
        pairs.append((str(item.get("oid")), item["size"]))
    multipart_ok = "multipart" in (body.get("transfers") or [])

    def decide() -> list[BatchDecision]:
        need = Access.WRITE if operation == "upload" else Access.READ
        ref = find_repo(hub, caller, plural, namespace, name, need)
        return hub.lfs.batch(caller, ref, operation, pairs)

    decisions = await run_in_threadpool(decide)
    links = TransferLinks(request, hub, caller)
    return _lfs_json({
        "transfer": "basic",
        "hash_algo": "sha256",
        "objects": [links.answer(d, multipart_ok) for d in decisions],
    })


class TransferLinks:
    """Builds the signed hrefs of batch answers."""

    def __init__(self, request: Request, hub: Hub, caller: Caller | None) -> None:
        self.base = base_url(request)
        self.hub = hub
        self.uid = str(caller.user_id) if caller else "0"
        self.ttl = hub.settings.lfs_url_ttl_seconds
        self.expires_at = int(time.time()) + self.ttl

    def url(self, path: str, **params: str) -> str:
        query = self.hub.signer.sign(path, expires_at=self.expires_at, **params)
        return f"{self.base}{path}?{urlencode(query)}"

    def answer(self, d: BatchDecision, multipart_ok: bool) -> dict[str, Any]:
        item: dict[str, Any] = {"oid": d.oid, "size": d.size}
        if d.action == "error":
            item["error"] = {"code": d.error_code, "message": d.error_message}
            return item
        if d.action == "none":
            return item
        item["authenticated"] = True
        if d.action == "download":
            store = self.hub.lfs.store
            href = store.presigned_get_url(lfs_key(d.oid), expires_in=self.ttl) or self.url(
                f"/api/lfs/objects/{d.oid}")
            item["actions"] = {"download": {"href": href, "expires_in": self.ttl}}
            return item
        size = str(d.size)
        verify = {"href": self.url(f"/api/lfs/verify/{d.oid}", size=size), "expires_in": self.ttl}
        if d.parts and multipart_ok:
            upload_id = secrets.token_hex(12)
            header = {"chunk_size": str(d.chunk_size)}
            for number in range(1, d.parts + 1):
                header[str(number)] = self.url(f"/api/lfs/parts/{d.oid}/{upload_id}/{number}")
            upload = {"href": self.url(f"/api/lfs/complete/{d.oid}/{upload_id}", size=size,
                                       parts=str(d.parts), uid=self.uid), "header": header}
        else:
            upload = {"href": self.url(f"/api/lfs/objects/{d.oid}", size=size, uid=self.uid)}
        item["actions"] = {"upload": {**upload, "expires_in": self.ttl}, "verify": verify}
        return item


def _batch_route(prefix: str, plural: str | None):
    async def endpoint(namespace: str, name: str, request: Request, hub: HubDep, caller: CallerDep,
                       plural_param: str = "") -> JSONResponse:
        return await _batch(request, hub, caller, plural or plural_param, namespace, name)

    return endpoint


for _prefix, _plural in (("/datasets/", "datasets"), ("/spaces/", "spaces"), ("/", "models")):
    router.add_api_route(_prefix + "{namespace}/{name}.git/info/lfs/objects/batch",
                         _batch_route(_prefix, _plural), methods=["POST"])
    router.add_api_route(_prefix + "{namespace}/{name}/info/lfs/objects/batch",
                         _batch_route(_prefix, _plural), methods=["POST"])


@router.post("/{namespace}/{name}.git/info/lfs/locks/verify")
@router.post("/{plural}/{namespace}/{name}.git/info/lfs/locks/verify")
def locks_verify(namespace: str, name: str, plural: str = "") -> JSONResponse:
    # git-lfs asks before pushing; the hub does not implement locking, which git-lfs accepts.
    return _lfs_json({"ours": [], "theirs": []})


# --- signed transfer URLs -----------------------------------------------------------------------------


def _check_signature(request: Request, hub: Hub) -> dict[str, str]:
    query = dict(request.query_params)
    if not hub.signer.verify(request.url.path, query):
        raise ForbiddenError("This transfer URL is invalid or has expired; request a new one from the batch API")
    return query


async def _receive(request: Request, dest_dir: Path, limit: int) -> tuple[Path, str, int]:
    """Stream the request body to a temp file, hashing as it arrives."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, name = tempfile.mkstemp(dir=dest_dir, prefix="upload-")
    path = Path(name)
    try:
        with open(fd, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLargeError(f"Body exceeds the announced size of {limit} bytes")
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, digest.hexdigest(), size


@router.put("/api/lfs/objects/{oid}")
async def upload_object(oid: str, request: Request, hub: HubDep) -> Response:
    query = _check_signature(request, hub)
    size = int(query["size"])
    path, digest, received = await _receive(request, hub.settings.spool_dir, size)
    uploader = Caller(int(query["uid"]), "") if query.get("uid", "0") != "0" else None
    await run_in_threadpool(hub.lfs.store_file, path, oid=oid, size=size, uploader=uploader,
                            hashed=(digest, received))
    return Response(status_code=200)


@router.get("/api/lfs/objects/{oid}")
def download_object(oid: str, request: Request, hub: HubDep) -> Response:
    _check_signature(request, hub)
    store = hub.lfs.store
    local = store.local_path(lfs_key(oid))
    if local is None or not is_sha256_hex(oid):
        raise NotFoundError(f"Object {oid} not found")
    parse_range(request.headers.get("range"), local.stat().st_size)  # a bad range gets the hub's 416
    return BlobFileResponse(local, media_type="application/octet-stream", headers={"ETag": f'"{oid}"'})


@router.post("/api/lfs/verify/{oid}")
def verify_object(oid: str, request: Request, hub: HubDep) -> JSONResponse:
    query = _check_signature(request, hub)
    hub.lfs.verify(oid, int(query["size"]))
    return _lfs_json({"message": "ok"})


def _parts_dir(hub: Hub, oid: str, upload_id: str) -> Path:
    return hub.settings.spool_dir / f"multipart-{oid}-{upload_id}"


@router.put("/api/lfs/parts/{oid}/{upload_id}/{number}")
async def upload_part(oid: str, upload_id: str, number: int, request: Request, hub: HubDep) -> Response:
    _check_signature(request, hub)
    directory = _parts_dir(hub, oid, upload_id)
    limit = hub.settings.lfs_multipart_chunk_size_bytes
    path, digest, _ = await _receive(request, directory, limit)
    path.replace(directory / f"{number}.part")
    # The etag names the part's content, so completion can check it received the parts it was given.
    (directory / f"{number}.etag").write_text(digest)
    return Response(status_code=200, headers={"ETag": f'"{digest}"'})


@router.post("/api/lfs/complete/{oid}/{upload_id}")
async def complete_multipart(oid: str, upload_id: str, request: Request, hub: HubDep) -> JSONResponse:
    query = _check_signature(request, hub)
    expected_parts = int(query["parts"])
    try:
        body = await request.json()
        parts = [(int(p["partNumber"]), str(p["etag"]).strip('"')) for p in body["parts"]]
    except (ValueError, KeyError, TypeError):
        raise BadRequestError("Completion body must be {oid, parts: [{partNumber, etag}]}") from None
    directory = _parts_dir(hub, oid, upload_id)

    def finish() -> None:
        numbers = [n for n, _ in parts]
        if numbers != list(range(1, expected_parts + 1)):
            raise BadRequestError(
                f"Parts must be numbered 1..{expected_parts} in order, each once; got {numbers}")
        for number, etag in parts:
            stored = directory / f"{number}.etag"
            if not stored.exists() or stored.read_text() != etag:
                raise IntegrityError(f"Part {number} is missing or its etag does not match")
        assembled = directory / "assembled"
        hub.lfs.assemble_parts([directory / f"{n}.part" for n in numbers], assembled)
        uploader = Caller(int(query["uid"]), "") if query.get("uid", "0") != "0" else None
        hub.lfs.store_file(assembled, oid=oid, size=int(query["size"]), uploader=uploader)
        shutil.rmtree(directory, ignore_errors=True)

    await run_in_threadpool(finish)
    return _lfs_json({"message": "ok"})

"""The git-lfs batch API and the hub-served transfer URLs (protocol sections 5.4 and 10).

The client and git-lfs send no Authorization on upload, part and completion URLs, so each href carries
its own expiring HMAC signature. With S3 (``hub.lfs.direct``) uploads go to presigned S3 URLs for a
staging key instead; the hub's completion and verify URLs then complete, check and publish the object.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from kohakuhub.api.deps import CallerDep, Hub, HubDep, find_repo, find_writable_repo
from kohakuhub.api.errors import LFS_CONTENT_TYPE, base_url
from kohakuhub.api.byte_responses import BlobFileResponse, serve_reconstructed
from kohakuhub.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    IntegrityError,
    NotFoundError,
    PayloadTooLargeError,
)
from kohakuhub.lib.content_safety import SANDBOX_POLICY
from kohakuhub.lib.hashing import is_sha256_hex
from kohakuhub.lib.hashing_writer import HashingWriter
from kohakuhub.lib.http_range import parse_range
from kohakuhub.services.auth import Access, Caller
from kohakuhub.services.lfs import BatchDecision
from kohakuhub.services.lfs_direct import DirectUpload, is_staging_key
from kohakuhub.services.repos import RepoRef

router = APIRouter(tags=["lfs"])

# What each signed URL is for (lib/signing.py): the same path serves uploads (PUT) and downloads (GET), and
# an upload href is handed to callers who may not read the object (they must prove they have it).
DOWNLOAD, UPLOAD, VERIFY, PART, COMPLETE = "lfs-download", "lfs-upload", "lfs-verify", "lfs-part", "lfs-complete"
# How LFS objects fetched by oid are answered, by the hub or by S3.
OBJECT_PRESENTATION = {"media_type": "application/octet-stream", "disposition": "attachment"}

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
        if (not isinstance(item, dict) or not isinstance(item.get("oid"), str)
                or not isinstance(item.get("size"), int) or isinstance(item["size"], bool)):
            raise BadRequestError("Each object needs a string 'oid' and an integer 'size'")
        pairs.append((item["oid"], item["size"]))
    transfers = body.get("transfers") or []
    if not isinstance(transfers, list) or not all(isinstance(t, str) for t in transfers):
        raise BadRequestError("'transfers' must be a list of transfer adapter names")
    multipart_ok = "multipart" in transfers

    def decide() -> tuple[RepoRef, list[BatchDecision], dict[str, DirectUpload]]:
        if operation == "upload":
            # The client names no ref when it uploads for a pull request its commit will open
            # (create_pr); a ref refs/pr/N is one the uploader may have opened.
            ref_name = _ref_name(body)
            ref = find_writable_repo(hub, caller, plural, namespace, name, revision=ref_name,
                                     create_pr=ref_name is None)
        else:
            ref = find_repo(hub, caller, plural, namespace, name, Access.DOWNLOAD)
        decisions = hub.lfs.batch(caller, ref, operation, pairs)
        direct: dict[str, DirectUpload] = {}
        if hub.lfs.direct is not None:  # S3: presigned URLs to a staging key (starting multipart uploads)
            for d in decisions:
                if d.action == "upload" and d.oid not in direct:
                    direct[d.oid] = (hub.lfs.direct.start(d.oid, d.size, d.parts, d.chunk_size) if multipart_ok
                                     else hub.lfs.direct.start(d.oid, d.size))
        return ref, decisions, direct

    ref, decisions, direct = await run_in_threadpool(decide)
    links = TransferLinks(request, hub, caller, ref)
    return _lfs_json({
        "transfer": "basic",
        "hash_algo": "sha256",
        "objects": [links.answer(d, multipart_ok, direct.get(d.oid)) for d in decisions],
    })


def _ref_name(body: dict[str, Any]) -> str | None:
    """The ``ref.name`` of a batch request, if it sent one.

    Raises:
        BadRequestError: ``ref`` is not an object with a string ``name``.
    """
    ref = body.get("ref")
    if ref is None:
        return None
    if not isinstance(ref, dict) or not isinstance(ref.get("name"), str):
        raise BadRequestError("'ref' must be an object with a string 'name'")
    return ref["name"]


class TransferLinks:
    """Builds the signed hrefs of batch answers."""

    def __init__(self, request: Request, hub: Hub, caller: Caller | None, repo: RepoRef) -> None:
        self.base = base_url(request)
        self.hub = hub
        self.uid = str(caller.user_id) if caller else "0"
        self.repo = str(repo.row.id)  # every URL names the repo it was issued through (its immutable id)
        self.ttl = hub.settings.lfs_url_ttl_seconds
        self.expires_at = int(time.time()) + self.ttl

    def url(self, path: str, purpose: str, **params: str) -> str:
        query = self.hub.signer.sign(path, purpose=purpose, expires_at=self.expires_at, repo=self.repo, **params)
        return f"{self.base}{path}?{urlencode(query)}"

    def answer(self, d: BatchDecision, multipart_ok: bool, direct: DirectUpload | None = None) -> dict[str, Any]:
        item: dict[str, Any] = {"oid": d.oid, "size": d.size}
        if d.action == "error":
            item["error"] = {"code": d.error_code, "message": d.error_message}
            return item
        if d.action == "none":
            return item
        item["authenticated"] = True
        if d.action == "download":
            store = self.hub.lfs.store
            # A file stored only as Xet chunks has no object to presign: the hub rebuilds its bytes.
            href = None if self.hub.xet.reconstructed(d.oid) else store.presigned_get_url(
                self.hub.lfs.object_key(d.oid), expires_in=self.ttl, **OBJECT_PRESENTATION)
            href = href or self.url(f"/api/lfs/objects/{d.oid}", DOWNLOAD)
            item["actions"] = {"download": {"href": href, "expires_in": self.ttl}}
            return item
        size = str(d.size)
        if direct is not None:
            item["actions"] = self._direct_actions(d, direct)
            return item
        verify = {"href": self.url(f"/api/lfs/verify/{d.oid}", VERIFY, size=size), "expires_in": self.ttl}
        if d.parts and multipart_ok:
            upload_id = secrets.token_hex(12)
            # The layout (chunk size, part count, total size) is signed into every part URL, so a config
            # change during the upload cannot move a part's offset.
            layout = {"size": size, "parts": str(d.parts), "chunk_size": str(d.chunk_size)}
            header = {"chunk_size": str(d.chunk_size)}
            for number in range(1, d.parts + 1):
                header[str(number)] = self.url(f"/api/lfs/parts/{d.oid}/{upload_id}/{number}", PART, **layout)
            upload = {"href": self.url(f"/api/lfs/complete/{d.oid}/{upload_id}", COMPLETE, **layout, uid=self.uid),
                      "header": header}
        else:
            upload = {"href": self.url(f"/api/lfs/objects/{d.oid}", UPLOAD, size=size, uid=self.uid)}
        item["actions"] = {"upload": {**upload, "expires_in": self.ttl}, "verify": verify}
        return item

    def _direct_actions(self, d: BatchDecision, direct: DirectUpload) -> dict[str, Any]:
        """Actions of an upload straight to S3: the hub only completes (multipart) and verifies."""
        size = str(d.size)
        verify = {"href": self.url(f"/api/lfs/verify/{d.oid}", VERIFY, size=size, staged=direct.key, uid=self.uid),
                  "expires_in": self.ttl}
        if not direct.upload_id:
            return {"upload": {"href": direct.put_url, "expires_in": self.ttl}, "verify": verify}
        header = {"chunk_size": str(d.chunk_size)}
        header.update({str(number): url for number, url in enumerate(direct.part_urls, start=1)})
        complete = self.url(f"/api/lfs/complete/{d.oid}/{secrets.token_hex(12)}", COMPLETE, size=size,
                            parts=str(len(direct.part_urls)), chunk_size=str(d.chunk_size), uid=self.uid,
                            staged=direct.key, s3_upload=direct.upload_id)
        return {"upload": {"href": complete, "header": header, "expires_in": self.ttl}, "verify": verify}


def _batch_route(plural: str | None):
    async def endpoint(namespace: str, name: str, request: Request, hub: HubDep, caller: CallerDep,
                       plural_param: str = "") -> JSONResponse:
        return await _batch(request, hub, caller, plural or plural_param, namespace, name)

    return endpoint


for _prefix, _plural in (("/datasets/", "datasets"), ("/spaces/", "spaces"), ("/", "models")):
    router.add_api_route(_prefix + "{namespace}/{name}.git/info/lfs/objects/batch",
                         _batch_route(_plural), methods=["POST"])
    router.add_api_route(_prefix + "{namespace}/{name}/info/lfs/objects/batch",
                         _batch_route(_plural), methods=["POST"])


@router.post("/{namespace}/{name}.git/info/lfs/locks/verify")
@router.post("/{plural}/{namespace}/{name}.git/info/lfs/locks/verify")
def locks_verify(namespace: str, name: str, plural: str = "") -> JSONResponse:
    # git-lfs asks before pushing; the hub does not implement locking, which git-lfs accepts.
    return _lfs_json({"ours": [], "theirs": []})


# --- signed transfer URLs -----------------------------------------------------------------------------


def _check_signature(request: Request, hub: Hub, purpose: str) -> dict[str, str]:
    query = dict(request.query_params)
    if not hub.signer.verify(request.url.path, query, purpose=purpose):
        raise ForbiddenError("This transfer URL is invalid or has expired; request a new one from the batch API")
    return query


RECEIVE_BUFFER_BYTES = 8 << 20
# Bodies at least this large are written with O_DIRECT (see lib/hashing_writer.py); smaller ones are
# not worth waiting for the disk on each write.
DIRECT_WRITE_MIN_BYTES = RECEIVE_BUFFER_BYTES


async def _receive(request: Request, limit: int, sink: Callable[[list[bytes]], None]) -> int:
    """Stream the request body to ``sink`` in buffers of ~8 MiB, each handed to the threadpool in one hop.

    The next buffer is read from the socket while the previous one is hashed and written, so the event
    loop never hashes or writes. Returns the body size.

    Raises:
        PayloadTooLargeError: the body is longer than ``limit``.
    """
    size = 0
    chunks: list[bytes] = []
    buffered = 0
    pending: asyncio.Future[None] | None = None
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLargeError(f"Body exceeds the announced size of {limit} bytes")
            chunks.append(chunk)
            buffered += len(chunk)
            if buffered >= RECEIVE_BUFFER_BYTES:
                if pending is not None:
                    await pending
                pending = asyncio.ensure_future(run_in_threadpool(sink, chunks))
                chunks, buffered = [], 0
        if pending is not None:
            await pending
        if chunks:
            await run_in_threadpool(sink, chunks)
    finally:
        # On any failure, let a buffer being written finish before the caller closes or removes the file.
        if pending is not None and not pending.done():
            with anyio.CancelScope(shield=True):
                await asyncio.wait([pending])
        if pending is not None and pending.done() and not pending.cancelled():
            pending.exception()  # retrieved: an error already raised above, or superseded by this one
    return size


@router.put("/api/lfs/objects/{oid}")
async def upload_object(oid: str, request: Request, hub: HubDep) -> Response:
    query = _check_signature(request, hub, UPLOAD)
    size = int(query["size"])
    spool = hub.settings.spool_dir
    spool.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=spool, prefix="upload-")
    path = Path(name)
    writer = HashingWriter(fd, hashlib.sha256(), direct=size >= DIRECT_WRITE_MIN_BYTES)
    try:
        try:
            received = await _receive(request, size, writer)
            await run_in_threadpool(writer.finish)
        finally:
            os.close(fd)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    uploader = Caller(int(query["uid"]), "") if query.get("uid", "0") != "0" else None
    await run_in_threadpool(hub.lfs.store_file, path, oid=oid, size=size, uploader=uploader,
                            hashed=(writer.digest.hexdigest(), received))
    return Response(status_code=200)


@router.get("/api/lfs/objects/{oid}")
def download_object(oid: str, request: Request, hub: HubDep) -> Response:
    _check_signature(request, hub, DOWNLOAD)
    if not is_sha256_hex(oid):
        raise NotFoundError(f"Object {oid} not found")
    store = hub.lfs.store
    local = store.local_path(hub.lfs.object_key(oid))
    # Bytes by oid, without a name: downloaded, never shown (lib/content_safety.py).
    headers = {"ETag": f'"{oid}"', "Content-Disposition": OBJECT_PRESENTATION["disposition"],
               "Content-Security-Policy": SANDBOX_POLICY}
    if local is None:
        reconstructed = hub.xet.reconstructed(oid)
        if reconstructed is None:
            raise NotFoundError(f"Object {oid} not found")
        return serve_reconstructed(request, hub, reconstructed, headers, OBJECT_PRESENTATION["media_type"])
    parse_range(request.headers.get("range"), local.stat().st_size)  # a bad range gets the hub's 416
    return BlobFileResponse(local, media_type=OBJECT_PRESENTATION["media_type"], headers=headers)


@router.post("/api/lfs/verify/{oid}")
def verify_object(oid: str, request: Request, hub: HubDep) -> JSONResponse:
    query = _check_signature(request, hub, VERIFY)
    if "staged" in query:  # S3: the client PUT the bytes to a staging key; check them and publish
        hub.lfs.direct_or_fail().publish(_staged_key(query, oid), oid, int(query["size"]), _uploader_id(query))
    hub.lfs.verify(oid, int(query["size"]))
    return _lfs_json({"message": "ok"})


# --- multipart ------------------------------------------------------------------------------------
#
# Every part is written at its offset ((n-1) * chunk_size) of one preallocated file per upload, so
# completion copies nothing. While parts arrive in order (the client sends them sequentially) this
# process keeps a running sha256 of the prefix received so far; completion uses it when it covers the
# parts, and otherwise hashes only what it does not cover.
#
# Locks (flock, so they also hold across workers):
# - each part writer holds ``<n>.lock`` exclusively: two writers of one part never interleave;
# - each part writer holds the data file shared; completion takes it exclusively (failing at once when a
#   part is still being received), then renames the file away. A writer that opened the file earlier
#   finds the path moved once it gets its shared lock and writes nothing, so no byte can change after
#   completion hashed it.
# - each successful part write records a random write id next to its etag; completion trusts the running
#   hash only if every covered part still carries the write id that this process hashed (a part
#   rewritten later, or by another worker, forces hashing instead).


@dataclass
class _Running:
    """Running sha256 of parts 1..next_part-1 of one upload, as received by this process."""

    digest: Any = field(default_factory=hashlib.sha256)
    next_part: int = 1
    size: int = 0
    write_ids: list[str] = field(default_factory=list)
    created: float = field(default_factory=time.monotonic)


_running: dict[str, _Running] = {}
_running_lock = threading.Lock()


def _upload_dir(hub: Hub, oid: str, upload_id: str) -> Path:
    return hub.settings.spool_dir / f"multipart-{oid}-{upload_id}"


def _layout(query: dict[str, str]) -> tuple[int, int, int]:
    try:
        return int(query["size"]), int(query["parts"]), int(query["chunk_size"])
    except (KeyError, ValueError):
        raise ForbiddenError("This transfer URL is from an older server version; request a new one") from None


def _claim_in_order(key: str, number: int, ttl: float) -> Any | None:
    """A copy of the running digest if ``number`` is the next part in order, else None."""
    with _running_lock:
        now = time.monotonic()
        state = _running.get(key)
        if state is None:
            for stale in [k for k, v in _running.items() if now - v.created > ttl]:
                del _running[stale]
            state = _running[key] = _Running()
        return state.digest.copy() if state.next_part == number else None


def _commit_in_order(key: str, number: int, digest: Any, size: int, write_id: str) -> None:
    with _running_lock:
        state = _running.get(key)
        if state is not None and state.next_part == number:
            state.digest, state.next_part = digest, number + 1
            state.size += size
            state.write_ids.append(write_id)


def _open_part(directory: Path, number: int, total: int) -> tuple[int, int]:
    """Lock part ``number`` and open the upload's data file for writing; returns (lock fd, data fd)."""
    directory.mkdir(parents=True, exist_ok=True)
    lock_fd = os.open(directory / f"{number}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    data_fd = -1
    try:
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConflictError(f"Part {number} of this upload is already being received") from None
        data_path = directory / "data"
        data_fd = os.open(data_path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(data_fd, fcntl.LOCK_SH)
        try:
            current = os.stat(data_path).st_ino
        except FileNotFoundError:
            current = None
        if current != os.fstat(data_fd).st_ino:
            raise ConflictError("This upload was already completed")
        if os.fstat(data_fd).st_size < total:
            try:
                os.posix_fallocate(data_fd, 0, total)
            except OSError:  # not supported by this filesystem: a sparse file does as well
                os.ftruncate(data_fd, total)
        (directory / f"{number}.etag").unlink(missing_ok=True)  # a failed rewrite leaves the part missing
        return lock_fd, data_fd
    except BaseException:
        if data_fd >= 0:
            os.close(data_fd)
        os.close(lock_fd)
        raise


@router.put("/api/lfs/parts/{oid}/{upload_id}/{number}")
async def upload_part(oid: str, upload_id: str, number: int, request: Request, hub: HubDep) -> Response:
    query = _check_signature(request, hub, PART)
    total, parts, chunk_size = _layout(query)
    offset = (number - 1) * chunk_size
    expected = min(chunk_size, total - offset)
    if not 1 <= number <= parts or expected <= 0:
        raise BadRequestError(f"Part {number} is outside this upload of {parts} parts")
    directory = _upload_dir(hub, oid, upload_id)
    key = f"{oid}-{upload_id}"
    lock_fd, data_fd = await run_in_threadpool(_open_part, directory, number, total)
    try:
        running = _claim_in_order(key, number, 2 * hub.settings.lfs_url_ttl_seconds)
        writer = HashingWriter(data_fd, running if running is not None else hashlib.sha256(), offset,
                               direct=expected >= DIRECT_WRITE_MIN_BYTES)
        received = await _receive(request, expected, writer)
        await run_in_threadpool(writer.finish)
        if received != expected:
            raise BadRequestError(f"Part {number} must be {expected} bytes, received {received}")
        # The etag names the part's content: for a part received in order it is the sha256 of the object's
        # bytes up to the part's end (that hash is computed anyway), otherwise the sha256 of the part.
        etag = writer.digest.hexdigest()
        write_id = secrets.token_hex(8)
        await run_in_threadpool((directory / f"{number}.etag").write_text, f"{etag} {write_id}")
        if running is not None:
            _commit_in_order(key, number, writer.digest, received, write_id)
    finally:
        os.close(data_fd)
        os.close(lock_fd)
    return Response(status_code=200, headers={"ETag": f'"{etag}"'})


def _read_etag(path: Path) -> tuple[str, str] | None:
    try:
        etag, _, write_id = path.read_text().partition(" ")
    except FileNotFoundError:
        return None
    return etag, write_id


def _seal(directory: Path, sealed: Path, parts: list[tuple[int, str]]) -> list[str]:
    """Check the parts' etags and move the data file to ``sealed`` once no part is being written.

    Returns each part's write id.
    """
    try:
        data_fd = os.open(directory / "data", os.O_RDONLY)
    except FileNotFoundError:
        raise IntegrityError("No part of this upload was received") from None
    try:
        try:
            fcntl.flock(data_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConflictError("A part of this upload is still being received") from None
        write_ids = []
        for number, etag in parts:
            stored = _read_etag(directory / f"{number}.etag")
            if stored is None or stored[0] != etag:
                raise IntegrityError(f"Part {number} is missing or its etag does not match")
            write_ids.append(stored[1])
        os.replace(directory / "data", sealed)
        return write_ids
    finally:
        os.close(data_fd)


def _hash_from(path: Path, digest: Any, offset: int) -> tuple[str, int]:
    """Continue ``digest`` (covering ``offset`` bytes) over the rest of ``path``."""
    with open(path, "rb") as f:
        f.seek(offset)
        while chunk := f.read(RECEIVE_BUFFER_BYTES):
            digest.update(chunk)
            offset += len(chunk)
    return digest.hexdigest(), offset


def _staged_key(query: dict[str, str], oid: str) -> str:
    key = query["staged"]
    if not is_staging_key(key, oid):  # signed, so only a hub bug could get here
        raise BadRequestError("This transfer URL does not name a staging key of this object")
    return key


def _uploader_id(query: dict[str, str]) -> int | None:
    return int(query["uid"]) if query.get("uid", "0") != "0" else None


@router.post("/api/lfs/complete/{oid}/{upload_id}")
async def complete_multipart(oid: str, upload_id: str, request: Request, hub: HubDep) -> JSONResponse:
    query = _check_signature(request, hub, COMPLETE)
    total, expected_parts, _ = _layout(query)
    try:
        body = await request.json()
        parts = [(int(p["partNumber"]), str(p["etag"]).strip('"')) for p in body["parts"]]
    except (ValueError, KeyError, TypeError):
        raise BadRequestError("Completion body must be {oid, parts: [{partNumber, etag}]}") from None
    if "staged" in query:  # S3: the parts are in S3; the hub completes, verifies and publishes
        numbers = [n for n, _ in parts]
        if numbers != list(range(1, expected_parts + 1)):
            raise BadRequestError(
                f"Parts must be numbered 1..{expected_parts} in order, each once; got {numbers}")
        await run_in_threadpool(hub.lfs.direct_or_fail().complete, _staged_key(query, oid), query["s3_upload"],
                                oid, total, parts, _uploader_id(query))
        return _lfs_json({"message": "ok"})
    directory = _upload_dir(hub, oid, upload_id)
    sealed = hub.settings.spool_dir / f"complete-{oid}-{upload_id}"
    key = f"{oid}-{upload_id}"

    def finish() -> None:
        numbers = [n for n, _ in parts]
        if numbers != list(range(1, expected_parts + 1)):
            raise BadRequestError(
                f"Parts must be numbered 1..{expected_parts} in order, each once; got {numbers}")
        write_ids = _seal(directory, sealed, parts)
        try:
            with _running_lock:
                state = _running.pop(key, None)
            covered = state is not None and state.write_ids == write_ids[:len(state.write_ids)]
            if covered and state.next_part > expected_parts:
                hashed = (state.digest.hexdigest(), state.size)
            elif covered:
                hashed = _hash_from(sealed, state.digest, state.size)
            else:
                hashed = _hash_from(sealed, hashlib.sha256(), 0)
            uploader = Caller(int(query["uid"]), "") if query.get("uid", "0") != "0" else None
            hub.lfs.store_file(sealed, oid=oid, size=total, uploader=uploader, hashed=hashed)
        finally:
            sealed.unlink(missing_ok=True)
            shutil.rmtree(directory, ignore_errors=True)

    await run_in_threadpool(finish)
    return _lfs_json({"message": "ok"})

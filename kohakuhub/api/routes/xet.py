"""Xet: token routes on the hub API and the CAS API (Xet specification: auth, api).

The CAS lives under ``/api/xet/cas`` on the hub's own origin, so a reverse proxy that forwards ``/api/``
serves it too. Only the v1 routes are offered: hf_xet tries ``/v2/shards``, ``/v2/reconstructions`` and
``/v1/xorb-grants`` first and falls back to v1 on a 404 (observed with hf_xet 1.8).
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from kohakuhub.api.deps import CallerDep, Hub, HubDep, find_repo, find_writable_repo
from kohakuhub.api.errors import base_url
from kohakuhub.api.middleware import param
from kohakuhub.api.pagination import parse_bool
from kohakuhub.api.byte_responses import BlobFileResponse
from kohakuhub.errors import BadRequestError, ForbiddenError, NotFoundError, PayloadTooLargeError
from kohakuhub.lib.content_safety import SANDBOX_POLICY
from kohakuhub.lib.http_range import parse_range
from kohakuhub.services.auth import Access
from kohakuhub.services.repos import RepoRef
from kohakuhub.services.xet import MAX_SHARD_BYTES, MAX_XORB_BYTES, parse_hash, xorb_key
from kohakuhub.services.xet_tokens import XetGrant

router = APIRouter(tags=["xet"])

CAS_PATH = "/api/xet/cas"
XORB_PATH = "/api/xet/xorbs"
XORB_RANGE_PURPOSE = "xet-xorb-range"  # what its signed URLs are for (lib/signing.py)
# The CAS key prefixes the specification allows: "default" for xorbs and files, "default-merkledb" for
# dedup queries (hf_xet 1.8 sends "default" there too).
_PREFIXES = ("default", "default-merkledb")


# --- tokens (hub API) -----------------------------------------------------------------------------------


def _token_answer(request: Request, hub: Hub, ref: RepoRef, user_id: int, scope: str) -> JSONResponse:
    token, expires_at = hub.xet_tokens.issue(ref, user_id, scope)
    cas_url = base_url(request) + CAS_PATH
    # The specification answers in JSON; huggingface_hub reads the same three values from headers.
    headers = {"X-Xet-Cas-Url": cas_url, "X-Xet-Access-Token": token, "X-Xet-Token-Expiration": str(expires_at)}
    return JSONResponse({"accessToken": token, "exp": expires_at, "casUrl": cas_url}, headers=headers)


@router.get("/api/{plural}/{namespace}/{name}/xet-read-token/{revision:path}")
def xet_read_token(plural: str, namespace: str, name: str, revision: str, request: Request,
                   caller: CallerDep, hub: HubDep) -> JSONResponse:
    ref = find_repo(hub, caller, plural, namespace, name, Access.DOWNLOAD)
    # HfFileSystem quotes special refs (refs%2Fpr%2F1), which the raw-path routing keeps encoded.
    hub.files.resolve(ref, param(revision))  # an unknown revision is a 404, as on the Hub
    return _token_answer(request, hub, ref, caller.user_id if caller else 0, "read")


@router.get("/api/{plural}/{namespace}/{name}/xet-write-token/{revision:path}")
def xet_write_token(plural: str, namespace: str, name: str, revision: str, request: Request,
                    caller: CallerDep, hub: HubDep) -> JSONResponse:
    # The revision is not checked: an upload may target a branch the commit creates, or "None" for a PR.
    # ?create_pr=1 (or a revision refs/pr/N they opened): readers get a token for their pull request.
    create_pr = parse_bool(request.query_params.get("create_pr"))
    ref = find_writable_repo(hub, caller, plural, namespace, name, revision=param(revision), create_pr=create_pr)
    assert caller is not None  # write access and pull request grants are never given to anonymous callers
    return _token_answer(request, hub, ref, caller.user_id, "write")


# --- CAS ------------------------------------------------------------------------------------------------


def _check_prefix(prefix: str) -> None:
    if prefix not in _PREFIXES:
        raise NotFoundError(f"Unknown CAS prefix {prefix!r}")


async def _read_body(request: Request, limit: int, what: str) -> bytes:
    """The whole request body, refused past ``limit`` bytes before reading more."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"{what} of {declared} bytes exceeds the limit of {limit}")
    blocks, size = [], 0
    async for block in request.stream():
        blocks.append(block)
        size += len(block)
        if size > limit:
            raise PayloadTooLargeError(f"{what} exceeds the limit of {limit} bytes")
    # One copy at the end: appending to a bytearray re-copied a 64 MiB xorb several times as it grew
    # (a third of the event loop's time during a Xet upload).
    return b"".join(blocks)


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``Range: bytes=a-b`` (inclusive) of a reconstruction query as ``[a, b+1)`` clipped to the file."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    first, dash, last = spec.strip().partition("-")
    if unit.strip().lower() != "bytes" or not dash or not first.isdigit() or (last and not last.isdigit()):
        raise BadRequestError(f"Malformed Range header {header[:80]!r}: expected bytes=<start>-<end>")
    start, end = int(first), (int(last) + 1 if last else size)
    if last and end <= start:
        raise BadRequestError(f"Malformed Range header {header[:80]!r}: end before start")
    return start, min(end, size)  # a start past the end is answered 416 by the reconstruction


class _Fetch:
    """Builds the ranged fetch URLs of a reconstruction: presigned on S3, signed hub URLs otherwise."""

    def __init__(self, request: Request, hub: Hub, grant: XetGrant) -> None:
        self.hub = hub
        self.base = base_url(request)
        self.repo = str(grant.repo_id)  # the repo the reconstruction was asked through
        self.expires_at = int(time.time()) + hub.xet.url_ttl

    def __call__(self, xorb: str, first: int, last: int) -> str:
        url = self.hub.lfs.store.presigned_get_url(xorb_key(xorb), expires_in=self.hub.xet.url_ttl)
        if url is not None:
            return url
        path = f"{XORB_PATH}/{xorb}"
        query = self.hub.signer.sign(path, purpose=XORB_RANGE_PURPOSE, expires_at=self.expires_at,
                                     range=f"{first}-{last}", repo=self.repo)
        return f"{self.base}{path}?" + "&".join(f"{k}={v}" for k, v in query.items())


@router.get(CAS_PATH + "/v1/reconstructions/{file_id}")
def get_reconstruction(file_id: str, request: Request, hub: HubDep) -> JSONResponse:
    grant = hub.xet_tokens.check(request.headers.get("authorization"))
    info = hub.xet.readable_file(grant, file_id)
    span = _byte_range(request.headers.get("range"), info.size)
    return JSONResponse(hub.xet.reconstruction(info, span, _Fetch(request, hub, grant)))


@router.post(CAS_PATH + "/v1/reconstructions")
async def batch_reconstruction(request: Request, hub: HubDep) -> JSONResponse:
    grant = hub.xet_tokens.check(request.headers.get("authorization"))
    try:
        keys = await request.json()
        hashes = [key["hash"] for key in keys]
    except (ValueError, TypeError, KeyError):
        raise BadRequestError("The body must be a JSON array of {\"prefix\", \"hash\"} objects") from None
    if not all(isinstance(h, str) for h in hashes) or len(hashes) > 1000:
        raise BadRequestError("At most 1000 file hashes, each a string")

    def work() -> dict:
        fetch, files, fetch_info = _Fetch(request, hub, grant), {}, {}
        for file_id in dict.fromkeys(hashes):
            answer = hub.xet.reconstruction(hub.xet.readable_file(grant, file_id), None, fetch)
            files[file_id] = answer["terms"]
            for xorb, entries in answer["fetch_info"].items():
                known = fetch_info.setdefault(xorb, [])
                known += [e for e in entries if all(k["range"] != e["range"] for k in known)]
        return {"files": files, "fetch_info": fetch_info}

    return JSONResponse(await run_in_threadpool(work))


@router.get(CAS_PATH + "/v1/chunks/{prefix}/{chunk_hash}")
def query_chunk(prefix: str, chunk_hash: str, request: Request, hub: HubDep) -> Response:
    grant = hub.xet_tokens.check(request.headers.get("authorization"))
    _check_prefix(prefix)
    return Response(hub.xet.dedup_shard(grant, chunk_hash), media_type="application/octet-stream")


@router.post(CAS_PATH + "/v1/xorbs/{prefix}/{xorb_hash}")
async def upload_xorb(prefix: str, xorb_hash: str, request: Request, hub: HubDep) -> JSONResponse:
    grant = hub.xet_tokens.check(request.headers.get("authorization"))
    grant.require_write()
    _check_prefix(prefix)
    parse_hash(xorb_hash, "xorb")
    data = await _read_body(request, MAX_XORB_BYTES, "Xorb")
    inserted = await run_in_threadpool(hub.xet.upload_xorb, grant, xorb_hash, data)
    return JSONResponse({"was_inserted": inserted})


@router.post(CAS_PATH + "/v1/shards")
async def upload_shard(request: Request, hub: HubDep) -> JSONResponse:
    grant = hub.xet_tokens.check(request.headers.get("authorization"))
    grant.require_write()
    data = await _read_body(request, MAX_SHARD_BYTES, "Shard")
    added = await run_in_threadpool(hub.xet.upload_shard, grant, data)
    return JSONResponse({"result": 1 if added else 0})


@router.get(XORB_PATH + "/{xorb_hash}")
def fetch_xorb_range(xorb_hash: str, request: Request, hub: HubDep) -> Response:
    """A reconstruction's fetch URL on a hub without S3: exactly the signed byte range of one xorb."""
    query = request.query_params
    if not hub.signer.verify(request.url.path, query, purpose=XORB_RANGE_PURPOSE):
        raise ForbiddenError("Invalid or expired xorb URL; query the reconstruction again")
    # The specification: access to xorbs is granted only for the authorized range.
    if request.headers.get("range") != f"bytes={query['range']}":
        raise BadRequestError(f"This URL serves exactly Range: bytes={query['range']}")
    local = hub.lfs.store.local_path(xorb_key(xorb_hash))
    if local is None:
        raise NotFoundError(f"Xorb {xorb_hash} not found")
    parse_range(request.headers.get("range"), local.stat().st_size)
    return BlobFileResponse(local, media_type="application/octet-stream",
                            headers={"Content-Disposition": "attachment", "Content-Security-Policy": SANDBOX_POLICY})


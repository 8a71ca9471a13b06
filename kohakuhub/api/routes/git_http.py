"""Git smart HTTP (protocol section 10): ``info/refs``, ``git-upload-pack`` and ``git-receive-pack``.

Served at ``/{ns}/{name}[.git]/...`` and with the ``datasets/`` and ``spaces/`` prefixes. Reads need read
access and pushes write access, decided by the same ``RepoService.get`` as every HF route; anonymous
callers who need more get 401 with a Basic challenge (api/errors.py), so git asks for credentials.
"""

from __future__ import annotations

import asyncio
import re
import zlib
from collections.abc import AsyncIterator
from contextlib import aclosing

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from kohakuhub.api.deps import CallerDep, HubDep, find_repo
from kohakuhub.errors import BadRequestError
from kohakuhub.services.auth import Access

router = APIRouter(tags=["git"])

SERVICES = {"git-upload-pack": "upload-pack", "git-receive-pack": "receive-pack"}
# Git-Protocol is a colon-separated list of key=value pairs (gitprotocol-v2); anything else is dropped.
_PROTOCOL_RE = re.compile(r"[A-Za-z0-9=:._-]{1,256}")
NO_CACHE = {"Cache-Control": "no-cache, max-age=0, must-revalidate", "Pragma": "no-cache",
            "Expires": "Fri, 01 Jan 1980 00:00:00 GMT"}
INFLATE_STEP = 1 << 20


def pkt_line(text: str) -> bytes:
    """One pkt-line: four hex digits of length (including themselves), then the payload."""
    data = text.encode()
    return b"%04x%s" % (len(data) + 4, data)


def _protocol(request: Request) -> str | None:
    value = request.headers.get("git-protocol")
    return value if value and _PROTOCOL_RE.fullmatch(value) else None


def _service(name: str | None) -> str:
    if name not in SERVICES:
        raise BadRequestError("This hub serves git's smart HTTP protocol only: ask for "
                              "info/refs?service=git-upload-pack or git-receive-pack (git 1.6.6 or later)")
    return SERVICES[name]


class RequestBody:
    """The request body as git should read it: gunzipped when sent compressed.

    A broken body cannot raise into git's stdin feeder (it would only close stdin), so the problem is kept
    in ``error`` and reported as a 400 if git, having read nothing valid, answers nothing.
    """

    def __init__(self, request: Request) -> None:
        self.request = request
        self.consumed = asyncio.Event()
        self.error: BadRequestError | None = None

    async def __aiter__(self) -> AsyncIterator[bytes]:
        encoding = self.request.headers.get("content-encoding", "identity").lower()
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding in ("gzip", "x-gzip") else None
        try:
            async for chunk in self.request.stream():
                if inflater is None:
                    if chunk:
                        yield chunk
                    continue
                data = chunk
                while data:  # inflate in bounded steps: a tiny body may expand enormously
                    out = inflater.decompress(data, INFLATE_STEP)
                    data = inflater.unconsumed_tail
                    if out:
                        yield out
            if inflater is not None and not inflater.eof:
                self.error = BadRequestError("The gzip request body is truncated")
        except zlib.error as exc:
            self.error = BadRequestError(f"The gzip request body is corrupt: {exc}")
        except ClientDisconnect:
            return
        finally:
            self.consumed.set()


class GitStream(Response):
    """Streams git's output; stops git as soon as the client disconnects.

    Disconnects are watched through ``receive`` once the request body is read (uvicorn's ``send``
    ignores a vanished client silently). A push whose body arrived whole is left to
    finish even if the client leaves: stopping git in the middle of its ref updates could apply some.
    """

    def __init__(self, chunks: AsyncIterator[bytes], media_type: str, body: RequestBody | None = None,
                 prefix: bytes = b"", *, stop_on_disconnect: bool = True) -> None:
        # Not Response.__init__: it would announce a Content-Length for an empty body.
        self.status_code = 200
        self.media_type = media_type
        self.background = None
        self.init_headers(NO_CACHE)
        self.chunks = chunks
        self.body = body
        self.prefix = prefix
        self.stop_on_disconnect = stop_on_disconnect

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.stop_on_disconnect:
            await self._stream(send)
            return
        streamer = asyncio.create_task(self._stream(send))
        watcher = asyncio.create_task(self._watch(receive))
        try:
            done, _ = await asyncio.wait({streamer, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (streamer, watcher):
                task.cancel()
            await asyncio.gather(streamer, watcher, return_exceptions=True)
        if streamer in done:
            streamer.result()

    async def _stream(self, send: Send) -> None:
        async with aclosing(self.chunks) as chunks:
            # No output at all is a valid answer: git's probe request (a bare flush) gets an empty body.
            first = await anext(chunks, b"")
            if not first and self.body is not None and self.body.error is not None:
                await _send_error(send, self.body.error.message)
                return
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await send({"type": "http.response.body", "body": self.prefix + first, "more_body": True})
            async for chunk in chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})

    async def _watch(self, receive: Receive) -> None:
        if self.body is not None:
            await self.body.consumed.wait()
        while (await receive())["type"] != "http.disconnect":
            pass


async def _info_refs(request: Request, hub: HubDep, caller: CallerDep, plural: str, namespace: str,
                     name: str) -> Response:
    service = _service(request.query_params.get("service"))
    need = Access.WRITE if service == "receive-pack" else Access.DOWNLOAD
    ref = await run_in_threadpool(find_repo, hub, caller, plural, namespace, name, need)
    protocol = _protocol(request)
    # Protocol v2 starts with its capability list; v0/v1 with a service announcement (as http-backend).
    v2 = service == "upload-pack" and protocol is not None and "version=2" in protocol.split(":")
    prefix = b"" if v2 else pkt_line(f"# service=git-{service}\n") + b"0000"
    return GitStream(hub.git.advertise(ref, service, protocol), f"application/x-git-{service}-advertisement",
                     prefix=prefix)


async def _rpc(request: Request, hub: HubDep, caller: CallerDep, plural: str, namespace: str, name: str,
               service: str) -> Response:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip() != f"application/x-git-{service}-request":
        raise BadRequestError(f"Expected Content-Type application/x-git-{service}-request")
    encoding = request.headers.get("content-encoding", "identity").lower()
    if encoding not in ("identity", "gzip", "x-gzip"):
        raise BadRequestError(f"Unsupported Content-Encoding {encoding!r}; send gzip or nothing")
    need = Access.WRITE if service == "receive-pack" else Access.DOWNLOAD
    ref = await run_in_threadpool(find_repo, hub, caller, plural, namespace, name, need)
    body = RequestBody(request)
    if service == "receive-pack":
        assert caller is not None  # write access is never granted to anonymous callers
        return GitStream(hub.git.receive_pack(caller, ref, aiter(body)), f"application/x-git-{service}-result",
                         body, stop_on_disconnect=False)
    return GitStream(hub.git.upload_pack(ref, aiter(body), _protocol(request)), f"application/x-git-{service}-result",
                     body)


async def _send_error(send: Send, message: str) -> None:
    body = (message + "\n").encode()
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"%d" % len(body)),
                            (b"x-error-message", message.encode("ascii", "replace"))]})
    await send({"type": "http.response.body", "body": body})


def _routes(plural: str):
    async def info_refs(namespace: str, name: str, request: Request, hub: HubDep, caller: CallerDep) -> Response:
        return await _info_refs(request, hub, caller, plural, namespace, name)

    async def upload_pack(namespace: str, name: str, request: Request, hub: HubDep, caller: CallerDep) -> Response:
        return await _rpc(request, hub, caller, plural, namespace, name, "upload-pack")

    async def receive_pack(namespace: str, name: str, request: Request, hub: HubDep, caller: CallerDep) -> Response:
        return await _rpc(request, hub, caller, plural, namespace, name, "receive-pack")

    return info_refs, upload_pack, receive_pack


for _prefix, _plural in (("/datasets/", "datasets"), ("/spaces/", "spaces"), ("/", "models")):
    _info, _upload, _receive = _routes(_plural)
    # ".git" first: "{name}" alone would also match "m1.git".
    for _suffix in (".git", ""):
        _base = f"{_prefix}{{namespace}}/{{name}}{_suffix}"
        router.add_api_route(f"{_base}/info/refs", _info, methods=["GET"])
        router.add_api_route(f"{_base}/git-upload-pack", _upload, methods=["POST"])
        router.add_api_route(f"{_base}/git-receive-pack", _receive, methods=["POST"])

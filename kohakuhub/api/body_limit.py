"""Request bodies are bounded before anything trusts them.

Every route's body (JSON: LFS batch, preupload, paths-info, validate-yaml, settings, auth, admin...) is
capped at ``max_json_body_bytes`` before routing, so before any authentication work: an anonymous caller
can make the hub buffer no more than that. A larger ``Content-Length`` is refused at once; a chunked body is
read up to the cap and then refused. Only the streaming routes are exempt, and each keeps its own limit:
the NDJSON commit (``max_commit_body_bytes``), LFS object and part uploads (the signed size), Xet xorbs and
shards (their format's maximum) and git's upload-pack and receive-pack.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kohakuhub.api.errors import error_response
from kohakuhub.errors import PayloadTooLargeError

# (method, routed path) of the streaming routes. docker/nginx/default.conf.template lifts its cap for the same ones.
STREAMING_ROUTES = [
    ("POST", re.compile(r"/api/[^/]+/[^/]+/[^/]+/commit/.+")),
    ("PUT", re.compile(r"/api/lfs/(objects|parts)/.+")),
    ("POST", re.compile(r"/api/xet/cas/v1/(xorbs/.+|shards)")),
    ("POST", re.compile(r"/.+/git-(upload|receive)-pack")),
]


def is_streaming(method: str, path: str) -> bool:
    """True for the routes whose bodies stream through under limits of their own."""
    return any(method == m and pattern.fullmatch(path) for m, pattern in STREAMING_ROUTES)


class BodyLimitMiddleware:
    """Refuses with 413 any body over ``limit`` bytes on a non-streaming route, before the app sees it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_streaming(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None:
            # The server already checked the header and holds the body to it.
            if int(length) > self.limit:
                await self._refuse(scope, receive, send, f"of {int(length)} bytes")
                return
            await self.app(scope, receive, send)
            return
        if b"chunked" not in headers.get(b"transfer-encoding", b"").lower():
            await self.app(scope, receive, send)  # no body
            return
        body = bytearray()
        while True:  # at most limit + one chunk is held
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(message, receive), send)  # the client went away
                return
            body += message.get("body", b"")
            if len(body) > self.limit:
                await self._refuse(scope, receive, send, "(chunked)")
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay({"type": "http.request", "body": bytes(body), "more_body": False},
                                      receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, size: str) -> None:
        error = PayloadTooLargeError(
            f"The request body {size} is over this route's limit of {self.limit} bytes "
            "(KOHAKU_HUB_MAX_JSON_BODY_BYTES)")
        response = error_response(Request(scope, receive), error)
        response.headers["Connection"] = "close"  # the rest of the body is not read
        await response(scope, receive, send)


def _replay(first: Message, receive: Receive) -> Receive:
    """A receive that answers ``first`` once, then the real one (for the disconnect)."""
    pending = [first]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed

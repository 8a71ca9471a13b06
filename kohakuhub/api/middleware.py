"""ASGI middleware: request ids, and routing on the raw (still percent-encoded) path."""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kohakuhub.lib.log_redaction import redact_target

log = logging.getLogger("kohakuhub.api")
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

# The client quotes revisions with safe="" (refs/pr/1 -> refs%2Fpr%2F1) and tree sub-paths likewise
# (protocol section 1). Starlette decodes %2F before routing, which would split such a segment in two,
# so %2F and %25 stay encoded in the routed path and each path parameter is decoded exactly once.
_KEEP_ENCODED = re.compile(r"(%2[fF]|%25)")


def routing_path(raw_path: bytes) -> str:
    """Percent-decode a raw path except ``%2F`` and ``%25``."""
    pieces = _KEEP_ENCODED.split(raw_path.decode("latin-1"))
    return "".join(p.upper() if i % 2 else unquote(p) for i, p in enumerate(pieces))


def param(value: str) -> str:
    """Decode a path parameter taken from the routed path."""
    return unquote(value)


class RawPathMiddleware:
    """Routes on the raw path so encoded slashes stay inside their segment."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("raw_path"):
            raw = scope["raw_path"].split(b"?", 1)[0]
            scope = dict(scope, path=routing_path(raw))
        await self.app(scope, receive, send)


class RequestIdMiddleware:
    """Adds ``X-Request-Id`` to every answer, including crashes turned into a 500 here, and
    ``X-Content-Type-Options: nosniff``: no answer is ever sniffed into another type (lib/content_safety.py)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                message = dict(message, headers=headers)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("Unhandled error on %s %s [%s]", scope.get("method"), redact_target(scope.get("path", "")),
                          request_id)
            if started:
                raise
            body = json.dumps({"error": "Internal server error"}).encode()
            await send({
                "type": "http.response.start",
                "status": 500,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-request-id", request_id.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-error-message", b"Internal server error"),
                ],
            })
            await send({"type": "http.response.body", "body": body})
        finally:
            request_id_var.reset(token)

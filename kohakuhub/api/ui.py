"""The web UI: the built single-page app (``ui/dist``) answering the browser's page loads.

Only requests that no route claims reach it (the router's 404), and of those only GET and HEAD of a page:
an HTML ``Accept`` on a path that is not an API, git, LFS or resolve path. Those get ``index.html`` and the
app's router shows the page (history mode). Hashed assets are cached for a year; ``index.html`` never, so a
new build shows at the next load. Everything else keeps its JSON 404.
"""

from __future__ import annotations

import gzip
import mimetypes
import re
from functools import lru_cache
from pathlib import Path

from fastapi import Request, Response
from fastapi.responses import FileResponse


def page_policy(direct_origin: str | None = None) -> str:
    """The pages' Content-Security-Policy: the app's own scripts and styles only, so repo content (rendered
    Markdown) can never load or run code.

    ``direct_origin`` is the blob store's (S3) origin, where LFS reads redirect and browser uploads send
    their parts: pages may fetch from it and show its images, never run scripts from it.
    docker/nginx/default.conf.template builds the same policy (the deploy test compares them).
    """
    extra = f" {direct_origin}" if direct_origin else ""
    return (f"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{extra}; "
            f"connect-src 'self'{extra}; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
            "form-action 'self'")


_NOT_PAGES = re.compile(r"^/(api|admin/api|org)(/|$)|/resolve/|\.git(/|$)|/info/(refs|lfs)")
_ASSET = re.compile(r"^/assets/[A-Za-z0-9._-]+$")
# Text assets are sent gzipped to browsers that accept it (nginx does the same in production): the app's
# scripts shrink to a third. Already compressed formats (images, fonts) are sent as they are.
_COMPRESSIBLE = (".js", ".css", ".svg", ".json", ".txt", ".map")
ASSET_CACHE = "public, max-age=31536000, immutable"


@lru_cache(maxsize=256)
def _gzipped(path: Path, mtime_ns: int) -> bytes:
    # Hashed asset names never change content, so each is compressed once per process (keyed by mtime
    # in case a rebuild reuses a name).
    return gzip.compress(path.read_bytes(), 6, mtime=0)


class WebUi:
    """The files of one UI build."""

    def __init__(self, dist: Path, policy: str) -> None:
        self.dist = dist
        self.index = (dist / "index.html").read_bytes()
        self.policy = policy

    def answer(self, request: Request) -> Response | None:
        """The UI's answer to a GET or HEAD no route claimed, or None (the 404 stands)."""
        if request.method not in ("GET", "HEAD"):
            return None
        path = request.url.path
        if _ASSET.match(path) and ".." not in path:
            asset = self.dist / path.lstrip("/")
            if not asset.is_file():
                return None
            if asset.suffix in _COMPRESSIBLE and "gzip" in request.headers.get("accept-encoding", ""):
                body = _gzipped(asset, asset.stat().st_mtime_ns)
                media_type = mimetypes.guess_type(asset.name)[0] or "application/octet-stream"
                headers = {"Cache-Control": ASSET_CACHE, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
                return Response(b"" if request.method == "HEAD" else body, 200, headers, media_type=media_type)
            return FileResponse(asset, headers={"Cache-Control": ASSET_CACHE, "Vary": "Accept-Encoding"})
        if _NOT_PAGES.search(path) or "text/html" not in request.headers.get("accept", ""):
            return None
        # (X-Content-Type-Options: nosniff is added to every answer by the middleware.)
        headers = {"Cache-Control": "no-cache", "Content-Security-Policy": self.policy, "Referrer-Policy": "same-origin"}
        body = b"" if request.method == "HEAD" else self.index
        return Response(body, 200, headers, media_type="text/html; charset=utf-8")


def load_web_ui(dist: Path | None, direct_origin: str | None = None) -> WebUi | None:
    """The UI built into ``dist`` (default: the checkout's ``ui/dist``), or None: the hub serves the API only.

    ``direct_origin``: the blob store's origin the pages may reach (see page_policy).
    """
    dist = dist or default_ui_dist()
    return WebUi(dist, page_policy(direct_origin)) if (dist / "index.html").is_file() else None


def default_ui_dist() -> Path:
    return Path(__file__).resolve().parents[2] / "ui" / "dist"

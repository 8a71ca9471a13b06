"""The one table from domain errors to HTTP answers.

HF routes get ``X-Error-Code`` (protocol section 7) and ``X-Error-Message`` plus ``{"error": msg}``;
LFS routes get the git-lfs JSON error shape; git routes get plain text and a Basic challenge.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from kohakuhub.errors import (
    AuthenticationError,
    BadRequestError,
    ConfigError,
    ConflictError,
    EntryNotFoundError,
    ForbiddenError,
    GatedRepoError,
    HubError,
    InvalidPathError,
    LoginRequiredError,
    NotFoundError,
    PayloadTooLargeError,
    RangeNotSatisfiableError,
    RateLimitedError,
    RepoExistsError,
    RepoMovedError,
    RepoNotFoundError,
    RevisionNotFoundError,
    ServiceUnavailableError,
    StaleParentError,
)
from kohakuhub.types import RepoType

log = logging.getLogger("kohakuhub.api")

LFS_CONTENT_TYPE = "application/vnd.git-lfs+json"
BASIC_CHALLENGE = 'Basic realm="KohakuHub"'

# (error class, status, X-Error-Code). Checked in order: subclasses first.
ERROR_TABLE: list[tuple[type[HubError], int, str | None]] = [
    (RepoNotFoundError, 404, "RepoNotFound"),
    (GatedRepoError, 403, "GatedRepo"),
    (RevisionNotFoundError, 404, "RevisionNotFound"),
    (EntryNotFoundError, 404, "EntryNotFound"),
    (NotFoundError, 404, None),
    (RangeNotSatisfiableError, 416, None),
    (InvalidPathError, 422, None),
    (BadRequestError, 400, None),
    (PayloadTooLargeError, 413, None),
    (RepoExistsError, 409, None),
    (ConflictError, 409, None),
    (StaleParentError, 412, None),
    (AuthenticationError, 401, None),
    (LoginRequiredError, 401, None),
    (ForbiddenError, 403, None),
    (RateLimitedError, 429, None),
    (ConfigError, 500, None),
    (ServiceUnavailableError, 503, None),
]


def status_and_code(exc: HubError) -> tuple[int, str | None]:
    """HTTP status and HF error code for a domain error."""
    for cls, status, code in ERROR_TABLE:
        if isinstance(exc, cls):
            if isinstance(exc, RepoNotFoundError | GatedRepoError) and exc.anonymous:
                return 401, code  # anonymous callers get 401 so clients (and git) ask for credentials
            return status, code
    return 500, None


def header_safe(message: str) -> str:
    # Header values must be single-line ASCII (clients decode non-ASCII bytes inconsistently, some crash);
    # the body carries the exact text.
    flat = message.replace("\r", " ").replace("\n", " ")
    return flat.encode("ascii", "backslashreplace").decode("ascii")[:1000]


def surface_of(path: str) -> str:
    """Which error shape a path answers with: "lfs" (git-lfs JSON), "git" (plain text) or "hf" (JSON)."""
    if "/info/lfs/" in path or path.startswith("/api/lfs/"):
        return "lfs"
    if path.endswith(("/info/refs", "/git-upload-pack", "/git-receive-pack")):
        return "git"
    return "hf"


def repo_url(request: Request, repo_type: str, repo_id: str) -> str:
    """Public URL of a repo page: ``{endpoint}/[datasets/|spaces/]{ns}/{name}``."""
    return f"{base_url(request)}/{RepoType(repo_type).url_prefix}{repo_id}"


def base_url(request: Request) -> str:
    """The endpoint the client used (proxy headers are applied by uvicorn)."""
    return str(request.base_url).rstrip("/")


def error_response(request: Request, exc: HubError) -> Response:
    """Build the answer for a domain error on any surface."""
    if isinstance(exc, RepoMovedError):
        return _moved(request, exc)
    status, code = status_and_code(exc)
    message = exc.message
    headers = {"X-Error-Message": header_safe(message)}
    if code:
        headers["X-Error-Code"] = code
    if isinstance(exc, EntryNotFoundError) and exc.commit:
        headers["X-Repo-Commit"] = exc.commit
    if isinstance(exc, RangeNotSatisfiableError):
        headers["Content-Range"] = f"bytes */{exc.size}"
    if isinstance(exc, RateLimitedError | ServiceUnavailableError):
        headers["Retry-After"] = str(exc.retry_after)
    # The matched route's template decides, not the URL: /api/x/info/refs is a repo API call whose name
    # happens to end like a git path. Unmatched paths (404s) fall back to the URL.
    surface = surface_of(getattr(request.scope.get("route"), "path", request.url.path))
    if status == 401 and surface in ("lfs", "git"):
        headers["WWW-Authenticate"] = BASIC_CHALLENGE
    if surface == "lfs":
        return JSONResponse({"message": message}, status, headers, media_type=LFS_CONTENT_TYPE)
    if surface == "git":
        return PlainTextResponse(message + "\n", status, headers)
    body: dict[str, object] = {"error": message}
    if isinstance(exc, RepoExistsError):
        body["url"] = repo_url(request, exc.repo_type, exc.repo_id)
    return JSONResponse(body, status, headers)


def _moved(request: Request, exc: RepoMovedError) -> Response:
    # The id is followed by "/", the end, or ".git" (LFS batch and git URLs: /{ns}/{name}.git/info/...).
    old = re.compile(re.escape("/" + quote(exc.old_id)) + r"(?=/|\.git(?:/|$)|$)")
    raw = request.scope.get("raw_path") or request.url.path.encode()
    path, renamed = old.subn(lambda _: "/" + quote(exc.new_id), raw.decode("latin-1"), count=1)
    if not renamed:
        # The id is in the body (repos/delete, repos/move): a redirect would send the same request to the
        # same URL forever. Say where the repo went instead.
        return error_response(request, RepoNotFoundError(
            f"Repository {exc.old_id} was moved to {exc.new_id}; use its new name"))
    query = request.url.query
    location = f"{base_url(request)}{path}" + (f"?{query}" if query else "")
    return RedirectResponse(location, status_code=307, headers={"X-Error-Message": header_safe(exc.message)})


def install_error_handlers(app: FastAPI,
                           no_route: Callable[[Request], Awaitable[Response | None]] | None = None) -> None:
    """Register the handlers on the app. ``no_route`` may answer a request that no route matched (a 404,
    or a 405: the path matched a route of another method)."""

    @app.exception_handler(HubError)
    async def _hub_error(request: Request, exc: HubError) -> Response:
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        return error_response(request, BadRequestError(f"Invalid request: {problems}"))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        # Starlette's ServerErrorMiddleware calls this for unhandled errors (and still re-raises them for
        # logging); without it the 500 is a bare text answer without X-Error-Message.
        message = "Internal server error"
        return JSONResponse({"error": message}, 500, {"X-Error-Message": message})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (404, 405) and no_route is not None and (answer := await no_route(request)) is not None:
            return answer
        message = str(exc.detail)
        return JSONResponse({"error": message}, exc.status_code,
                            {"X-Error-Message": header_safe(message), **(exc.headers or {})})

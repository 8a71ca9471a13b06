"""Request-scoped dependencies: the hub's services and the caller."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from peewee import Database
from starlette.concurrency import run_in_threadpool

from kohakuhub.api.middleware import param
from kohakuhub.config import Settings
from kohakuhub.db.database import is_in_process
from kohakuhub.errors import AuthenticationError, ForbiddenError, LoginRequiredError, NotFoundError
from kohakuhub.lib.signing import UrlSigner
from kohakuhub.services.accounts import AccountService
from kohakuhub.services.admin import BOOTSTRAP_ADMIN, AdminService
from kohakuhub.services.auth import Access, Caller
from kohakuhub.services.lakefs_mirror import LakefsMirrorService
from kohakuhub.services.avatars import AvatarService
from kohakuhub.services.commits import CommitService
from kohakuhub.services.diffs import DiffService
from kohakuhub.services.discussions import DiscussionService
from kohakuhub.services.downloads import DownloadCounter
from kohakuhub.services.files import FileService
from kohakuhub.services.gating import GatingService
from kohakuhub.services.git import GitService
from kohakuhub.services.health import HealthService
from kohakuhub.services.invitations import InvitationService
from kohakuhub.services.lfs import LfsService
from kohakuhub.services.lfs_files import LfsFilesService
from kohakuhub.services.likes import LikeService
from kohakuhub.services.orgs import OrgService
from kohakuhub.services.profiles import ProfileService
from kohakuhub.services.pull_requests import PullRequestService
from kohakuhub.services.quotas import QuotaService
from kohakuhub.services.repos import RepoRef, RepoService
from kohakuhub.services.xet import XetService
from kohakuhub.services.xet_tokens import XetTokens
from kohakuhub.types import RepoType

SESSION_COOKIE = "session_id"
# Double-submit CSRF (see check_csrf): a readable cookie the UI copies into the X-CSRF-Token header.
CSRF_COOKIE = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@dataclass(frozen=True)
class Hub:
    """Every service of one hub instance, built once by the composition root."""

    settings: Settings
    db: Database
    accounts: AccountService
    repos: RepoService
    files: FileService
    diffs: DiffService
    commits: CommitService
    pull_requests: PullRequestService
    discussions: DiscussionService
    lfs: LfsService
    lfs_files: LfsFilesService
    quotas: QuotaService
    git: GitService
    signer: UrlSigner
    admin: AdminService
    orgs: OrgService
    profiles: ProfileService
    invitations: InvitationService
    xet: XetService
    xet_tokens: XetTokens
    gating: GatingService
    likes: LikeService
    avatars: AvatarService
    downloads: DownloadCounter
    health: HealthService
    lakefs: LakefsMirrorService | None = None

    @property
    def local_metadata(self) -> bool:
        """True when metadata is an in-process SQLite file: lookups may then run on the event loop."""
        return is_in_process(self.db)


async def get_hub(request: Request) -> Hub:
    # async: a sync dependency costs a threadpool hop per request (measured: -35% on HEAD resolve).
    return request.app.state.hub


def _token_from_header(header: str) -> str:
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer" and value.strip():
        return value.strip()
    if scheme == "basic":
        # git and git-lfs send any username with the token as password (protocol section 10).
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationError() from None
        _, sep, password = decoded.partition(":")
        if sep and password:
            return password
    raise AuthenticationError()


async def get_caller(request: Request, hub: Annotated[Hub, Depends(get_hub)]) -> Caller | None:
    """The authenticated caller, or None for anonymous requests.

    Anonymous requests cost no database call and no thread hop; tokens are checked on the event loop
    with in-process SQLite and in the threadpool otherwise, sessions in the threadpool. A state-changing
    request authenticated by the session cookie must pass the CSRF check; token-authenticated requests
    never need to.

    Raises:
        AuthenticationError: an Authorization header was sent but its token is invalid or expired.
        ForbiddenError: a cookie-authenticated state-changing request failed the CSRF check.
    """
    header = request.headers.get("authorization")
    if header:
        token = _token_from_header(header)
        if not hub.local_metadata:
            return await run_in_threadpool(hub.accounts.caller_from_token, token)
        # In-process SQLite: the lookup is one precompiled query, cheaper than a thread hop (HEAD resolve
        # with a token is a hot path); only the once-a-minute last-used write goes to the threadpool.
        caller, stale_token_id = hub.accounts.check_token(token)
        if stale_token_id is not None:
            await run_in_threadpool(hub.accounts.touch_token, stale_token_id)
        return caller
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        caller = await run_in_threadpool(hub.accounts.caller_from_session, session)
        if caller is not None and request.method not in SAFE_METHODS:
            check_csrf(request, hub, session)
        return caller
    return None


def _origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:  # a malformed port: not an origin we know
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.hostname}:{port}".lower()


def check_same_origin(request: Request, hub: Hub) -> None:
    """Refuse a browser request whose ``Origin`` (or, without it, ``Referer``) is another site.

    Our own origins are the one the request was addressed to (after proxy headers) and ``base_url``.
    Requests without either header (non-browser clients) pass: the CSRF token decides for those.

    Raises:
        ForbiddenError: the request comes from a foreign origin.
    """
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return
    ours = {_origin_of(str(request.base_url)), _origin_of(hub.settings.base_url)}
    if _origin_of(source) not in ours:
        raise ForbiddenError("Cross-site request refused (CSRF): the Origin is not this hub")


def check_csrf(request: Request, hub: Hub, session_secret: str) -> None:
    """CSRF protection for cookie-authenticated state-changing requests.

    Signed double-submit: at login the hub sets a readable ``csrf_token`` cookie whose value is an HMAC
    of the session secret; the UI sends it back in ``X-CSRF-Token``. Another site can make the browser
    send our cookies but cannot read them, so it cannot produce the header, and the value cannot be forged
    for another session. A foreign ``Origin``/``Referer`` is refused as well (defence in depth).

    Raises:
        ForbiddenError: foreign origin, or a missing or wrong ``X-CSRF-Token``.
    """
    check_same_origin(request, hub)
    if not hub.accounts.csrf_token_matches(session_secret, request.headers.get(CSRF_HEADER)):
        raise ForbiddenError(
            "CSRF check failed: requests authenticated by the session cookie must send the value of the "
            "csrf_token cookie in the X-CSRF-Token header"
        )


def _bootstrap_admin(request: Request, hub: Hub) -> Caller | None:
    """BOOTSTRAP_ADMIN when the request carries the configured admin token (Bearer or X-Admin-Token)."""
    configured = hub.settings.admin_token.get_secret_value()
    if not configured:
        return None
    presented = request.headers.get("x-admin-token")
    header = request.headers.get("authorization") or ""
    if presented is None and header[:7].lower() == "bearer ":
        presented = header[7:].strip()
    if not presented:
        return None
    # Digests first: compare_digest is constant-time only for equal lengths.
    if hmac.compare_digest(hashlib.sha256(presented.encode()).digest(),
                           hashlib.sha256(configured.encode()).digest()):
        return BOOTSTRAP_ADMIN
    return None


async def get_admin_caller(request: Request, hub: Annotated[Hub, Depends(get_hub)]) -> Caller | None:
    """The caller of an admin API request: the bootstrap admin token, else the usual credentials.

    The admin service decides (401 anonymous, 403 non-admins).
    """
    return _bootstrap_admin(request, hub) or await get_caller(request, hub)


async def require_caller(caller: Annotated[Caller | None, Depends(get_caller)]) -> Caller:
    """Raises LoginRequiredError for anonymous requests."""
    if caller is None:
        raise LoginRequiredError("You must be authenticated to do this")
    return caller


def repo_type_from_plural(plural: str) -> RepoType:
    """``models`` -> MODEL, ... Raises NotFoundError for anything else (no such route)."""
    for repo_type in RepoType:
        if plural == f"{repo_type.value}s":
            return repo_type
    raise NotFoundError(f"Unknown repo type {plural!r}")


HubDep = Annotated[Hub, Depends(get_hub)]
CallerDep = Annotated[Caller | None, Depends(get_caller)]
UserDep = Annotated[Caller, Depends(require_caller)]
AdminCallerDep = Annotated[Caller | None, Depends(get_admin_caller)]


def find_repo(hub: Hub, caller: Caller | None, plural: str, namespace: str, name: str,
              need: Access = Access.READ) -> RepoRef:
    """Look up the repo named by route parameters and check the caller's access to it."""
    return hub.repos.get(caller, repo_type_from_plural(plural), param(namespace), param(name), need)


def find_writable_repo(hub: Hub, caller: Caller | None, plural: str, namespace: str, name: str, *,
                       revision: str | None, create_pr: bool) -> RepoRef:
    """The repo named by route parameters, authorized for a commit-like write to ``revision`` (a decoded
    revision): write access, or a pull request grant (PullRequestService.writer)."""
    return hub.pull_requests.writer(caller, repo_type_from_plural(plural), param(namespace), param(name),
                                    revision=revision, create_pr=create_pr)

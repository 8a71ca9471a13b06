"""The composition root: builds adapters and services from Settings and mounts the routers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from kohakuhub import __version__
from kohakuhub.api.body_limit import BodyLimitMiddleware
from kohakuhub.api.deps import Hub
from kohakuhub.api.errors import install_error_handlers
from kohakuhub.api.middleware import RawPathMiddleware, RequestIdMiddleware
from kohakuhub.api.one_part_ids import answer_one_part_id
from kohakuhub.api.openapi import hub_openapi
from kohakuhub.api.ui import load_web_ui
from kohakuhub.lib.log_redaction import install_access_log_redaction
from kohakuhub.api.routes import (
    admin,
    auth,
    avatars,
    collaborators,
    commits,
    discussions,
    files,
    gating,
    git_http,
    history,
    invitations,
    lfs,
    lfs_files,
    likes,
    misc,
    orgs,
    profiles,
    quotas as quota_routes,
    refs,
    repos,
    xet,
)
from kohakuhub.config import Settings
from kohakuhub.db.database import open_database
from kohakuhub.db.migrations import migrate
from kohakuhub.lib.signing import UrlSigner
from kohakuhub.services.accounts import AccountService
from kohakuhub.services.admin import AdminService
from kohakuhub.services.commits import CommitService
from kohakuhub.services.avatars import AvatarService
from kohakuhub.services.diffs import DiffService
from kohakuhub.services.discussions import DiscussionService
from kohakuhub.services.downloads import DownloadCounter
from kohakuhub.services.files import FileService
from kohakuhub.services.gating import GatingService
from kohakuhub.services.git import GitService
from kohakuhub.services.health import HealthService
from kohakuhub.services.invitations import InvitationService
from kohakuhub.services.lakefs_mirror import LakefsMirrorService
from kohakuhub.services.lakefs_replay import LfsSource
from kohakuhub.services.lfs import LfsService
from kohakuhub.services.lfs_files import LfsFilesService
from kohakuhub.services.likes import LikeService
from kohakuhub.services.login_throttle import LoginThrottle
from kohakuhub.services.orgs import OrgService
from kohakuhub.services.profiles import ProfileService
from kohakuhub.services.pull_requests import PullRequestService
from kohakuhub.services.quotas import QuotaService
from kohakuhub.services.repos import RepoService
from kohakuhub.services.xet import XetService
from kohakuhub.services.xet_tokens import XetTokens
from kohakuhub.storage.base import BlobStore
from kohakuhub.storage.local import LocalBlobStore
from kohakuhub.versioning.git.backend import GitBackend
from kohakuhub.versioning.git.transport import GitTransport


class HubApp(FastAPI):
    """FastAPI whose outermost layers add request ids, route on the raw path and bound request bodies.

    They wrap Starlette's own error middleware, so even a crash answers with ``X-Request-Id``.
    """

    def build_middleware_stack(self):  # noqa: D102
        limit = self.state.hub.settings.max_json_body_bytes
        return RequestIdMiddleware(RawPathMiddleware(BodyLimitMiddleware(super().build_middleware_stack(), limit)))


def build_blob_store(settings: Settings) -> BlobStore:
    """S3 when an endpoint or bucket is configured (bucket created if missing), else the local directory.

    Raises:
        StorageUnavailableError: S3 is configured but cannot be reached.
        ConfigError: S3 refuses to create the bucket.
    """
    if not settings.uses_s3:
        return LocalBlobStore(settings.blob_dir)
    from kohakuhub.storage.s3 import S3BlobStore  # boto3 is imported only by hubs that use S3

    store = S3BlobStore(
        bucket=settings.s3_bucket_name, endpoint=settings.s3_endpoint,
        public_endpoint=settings.s3_public_endpoint, access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key.get_secret_value(), region=settings.s3_region,
        force_path_style=settings.s3_force_path_style, signature_version=settings.s3_signature_version,
        connect_timeout=settings.s3_connect_timeout_seconds, read_timeout=settings.s3_read_timeout_seconds,
        max_attempts=settings.s3_max_attempts,
    )
    store.ensure_bucket()
    return store


def build_lakefs_mirror(settings: Settings, versioning: GitBackend, store: BlobStore,
                        lfs: LfsService) -> LakefsMirrorService | None:
    """The lakeFS mirror when ``lakefs_endpoint`` is set (None otherwise), listening to every ref change.

    LFS objects are linked in place when the lakeFS storage namespace lies in the hub's S3 bucket.
    """
    if not settings.lakefs_enabled:
        return None
    from kohakuhub.lakefs.sdk import LakefsTarget  # lakefs-sdk is imported only by hubs that mirror

    target = LakefsTarget(settings.lakefs_endpoint, settings.lakefs_access_key,
                          settings.lakefs_secret_key.get_secret_value(), settings.lakefs_storage_namespace,
                          spool_dir=str(settings.spool_dir))
    bucket_prefix = f"s3://{settings.s3_bucket_name}/"
    shared = settings.uses_s3 and settings.lakefs_storage_namespace.startswith(bucket_prefix)
    mirror = LakefsMirrorService(versioning, target, LfsSource(lfs.object_key, store, bucket_prefix if shared else None))
    versioning.add_ref_listener(mirror.note)
    mirror.queue_existing_repos()  # a hub that turns the mirror on mirrors what it already has
    return mirror


def build_hub(settings: Settings) -> Hub:
    """Create every adapter and service for ``settings`` (and bring the schema up to date)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(settings.resolved_database_url)
    migrate(db)
    versioning = GitBackend(settings.git_dir)
    store = build_blob_store(settings)
    quotas = QuotaService(db, versioning, settings)
    repos = RepoService(db, versioning, quotas, site_url=settings.base_url)
    repos.cards.index_missing()  # repos made before card tags were indexed (migration 8): once
    files_service = FileService(versioning)
    lfs_service = LfsService(db, store, settings, quotas)
    if lfs_service.direct is not None:
        lfs_service.direct.maybe_sweep()  # abandoned uploads: at start, then at most every 10 min on uploads
    transport = GitTransport(versioning, settings.data_dir / "git-hooks")
    transport.install_hooks()
    secret = settings.effective_session_secret()
    throttle = LoginThrottle(db, per_username=settings.login_max_failures_per_username,
                             per_address=settings.login_max_failures_per_address,
                             window_seconds=settings.login_failure_window_seconds)
    accounts = AccountService(db, session_hours=settings.session_expire_hours, secret=secret, throttle=throttle)
    orgs_service = OrgService(db, repos)
    signer = UrlSigner(secret)
    diffs = DiffService(versioning)
    pull_requests = PullRequestService(versioning, repos, quotas, diffs)
    download_counter = DownloadCounter(db)
    lakefs = build_lakefs_mirror(settings, versioning, store, lfs_service)
    return Hub(
        settings=settings,
        db=db,
        accounts=accounts,
        repos=repos,
        files=files_service,
        diffs=diffs,
        commits=CommitService(versioning, repos, files_service, lfs_service, quotas, settings, pull_requests),
        pull_requests=pull_requests,
        discussions=DiscussionService(versioning, repos, pull_requests),
        lfs=lfs_service,
        lfs_files=LfsFilesService(versioning, lfs_service, quotas, repos),
        quotas=quotas,
        git=GitService(transport, repos, lfs_service, quotas, settings),
        signer=signer,
        admin=AdminService(db, repos, accounts, quotas),
        orgs=orgs_service,
        profiles=ProfileService(accounts, orgs_service, quotas),
        invitations=InvitationService(db, accounts, orgs_service, registration=settings.registration),
        xet=XetService(db, store, lfs_service, quotas, url_ttl=settings.lfs_url_ttl_seconds),
        xet_tokens=XetTokens(signer, settings.lfs_url_ttl_seconds),
        gating=GatingService(repos, files_service, accounts),
        likes=LikeService(repos, accounts),
        avatars=AvatarService(accounts, orgs_service),
        downloads=download_counter,
        health=HealthService(store, settings, lakefs),
        lakefs=lakefs,
    )


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    mirror = app.state.hub.lakefs
    if mirror is not None:  # every worker drains the mirror queue (coordinated through the database)
        mirror.start()
    yield
    if mirror is not None:
        await run_in_threadpool(mirror.stop)
    # Shutdown: write the downloads counted in memory (services/downloads.py) before the process ends.
    await run_in_threadpool(app.state.hub.downloads.close)


def create_app(settings: Settings) -> FastAPI:
    """The hub's ASGI application."""
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_access_log_redaction()
    app = HubApp(title=settings.site_name, version=__version__, docs_url="/api/docs",
                 openapi_url="/api/openapi.json", redoc_url=None, lifespan=_lifespan)
    app.state.hub = build_hub(settings)
    web_ui = load_web_ui(settings.ui_dir, app.state.hub.lfs.store.direct_origin())

    async def no_route(request: Request) -> Response | None:
        # A repo URL whose id has no namespace gets the Hub's repo-not-found answer; a page load, the UI.
        answer = await answer_one_part_id(request)
        if answer is None and web_ui is not None:
            answer = web_ui.answer(request)
        return answer

    install_error_handlers(app, no_route)
    app.openapi = lambda: hub_openapi(app)
    # Order matters. files first: resolve is the hottest route (its model form cannot capture /api/...).
    # profiles, avatars and likes before repos: /api/users/{u}/overview (/avatar, /likes) would otherwise be
    # taken for a repo's info.
    # lfs before repos: GET /api/lfs/objects/{oid} would otherwise be taken for the info of a repo.
    # git_http last: its /{ns}/{name}/info/refs would otherwise take /api/models/info/refs (the info of the repo
    # info/refs); namespaces such as "api" are reserved, so no git URL is lost to an API route.
    routers = (misc, files, auth, admin, orgs, profiles, avatars, likes, invitations, lfs, xet, quota_routes,
               collaborators, gating, lfs_files, repos, refs, commits, history, discussions, git_http)
    for module in routers:
        app.include_router(module.router)
    return app

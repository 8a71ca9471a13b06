"""Avatars of users and organizations (upstream KohakuHub's paths): ``PUT`` the image's bytes as the
body, ``GET`` it back, ``DELETE`` it. The answers' ``avatarUrl`` point here.

An avatar is served with the type its bytes show (PNG, JPEG, GIF or WebP: services/avatars.py checked
them), ``nosniff`` and a sandboxing CSP: never as SVG or HTML of the hub's origin.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from kohakuhub.api.deps import CallerDep, HubDep
from kohakuhub.api.errors import base_url
from kohakuhub.api.middleware import param
from kohakuhub.api.schemas.people import avatar_url
from kohakuhub.db.avatars import AvatarImage

router = APIRouter(tags=["avatars"])

_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}


def _serve(request: Request, image: AvatarImage) -> Response:
    etag = f'"{image.digest}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300",
               "Content-Security-Policy": "default-src 'none'; sandbox",
               "Content-Disposition": f'inline; filename="avatar.{_EXTENSIONS.get(image.media_type, "img")}"'}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(image.data, media_type=image.media_type, headers=headers)


@router.get("/api/users/{username}/avatar")
def user_avatar(username: str, request: Request, hub: HubDep) -> Response:
    return _serve(request, hub.avatars.user_avatar(param(username)))


@router.put("/api/users/{username}/avatar")
async def set_user_avatar(username: str, request: Request, caller: CallerDep, hub: HubDep) -> dict:
    data = await request.body()  # bounded before routing (api/body_limit.py), then to 1 MiB by the service
    name, digest = await run_in_threadpool(hub.avatars.set_user_avatar, caller, param(username), data)
    return {"success": True, "avatarUrl": avatar_url(base_url(request), name, digest)}


@router.delete("/api/users/{username}/avatar")
def remove_user_avatar(username: str, caller: CallerDep, hub: HubDep) -> dict:
    hub.avatars.remove_user_avatar(caller, param(username))
    return {"success": True}


@router.get("/api/organizations/{org}/avatar")
def org_avatar(org: str, request: Request, hub: HubDep) -> Response:
    return _serve(request, hub.avatars.org_avatar(param(org)))


@router.put("/api/organizations/{org}/avatar")
async def set_org_avatar(org: str, request: Request, caller: CallerDep, hub: HubDep) -> dict:
    data = await request.body()
    name, digest = await run_in_threadpool(hub.avatars.set_org_avatar, caller, param(org), data)
    return {"success": True, "avatarUrl": avatar_url(base_url(request), name, digest, org=True)}


@router.delete("/api/organizations/{org}/avatar")
def remove_org_avatar(org: str, caller: CallerDep, hub: HubDep) -> dict:
    hub.avatars.remove_org_avatar(caller, param(org))
    return {"success": True}

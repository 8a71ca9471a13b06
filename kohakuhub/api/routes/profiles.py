"""The Hub's profile routes: user and organization overviews and an organization's members, as the client's
``get_user_overview``, ``get_organization_overview`` and ``list_organization_members`` read them; an
organization's display name and description (``PUT /api/organizations/{org}/settings``, its admins); and a
namespace's storage (quota buckets plus what Xet dedup saved) for the storage page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from kohakuhub.api.deps import CallerDep, HubDep
from kohakuhub.api.errors import base_url
from kohakuhub.api.middleware import param
from kohakuhub.api.schemas.people import avatar_url, person
from kohakuhub.lib.timefmt import iso_z

router = APIRouter(tags=["profiles"])


class OrgSettingsBody(BaseModel):
    fullname: str | None = None
    description: str | None = None
    model_config = {"extra": "forbid"}


def _counts(hub: HubDep, caller: CallerDep, namespace: str) -> dict:
    counts = hub.profiles.repo_counts(caller, namespace)
    return {"numModels": counts["model"], "numDatasets": counts["dataset"], "numSpaces": counts["space"]}


def _org(base: str, org, digest: str | None) -> dict:
    return {"name": org.username, "fullname": org.fullname or org.username,
            "avatarUrl": avatar_url(base, org.username, digest, org=True), "type": "org"}


@router.get("/api/users/{username}/overview")
def user_overview(username: str, request: Request, caller: CallerDep, hub: HubDep) -> dict:
    """``numLikes``: the repos the user likes that the caller may see (their likes are public)."""
    user = hub.profiles.user(param(username))
    orgs = [m.org for m in hub.profiles.orgs_of_user(user.username)]
    digests = hub.avatars.digests([user.id, *(org.id for org in orgs)])
    base = base_url(request)
    return {
        **person(base, user.id, user.username, user.fullname, digests.get(user.id)),
        "createdAt": iso_z(user.created_at), **_counts(hub, caller, user.username),
        "numLikes": hub.likes.count_liked(caller, user.id),
        "orgs": [_org(base, org, digests.get(org.id)) for org in orgs],
    }


@router.get("/api/organizations/{org}/overview")
def org_overview(org: str, request: Request, caller: CallerDep, hub: HubDep) -> dict:
    row = hub.profiles.org(param(org))
    digest = hub.avatars.digests([row.id]).get(row.id)
    return {
        "_id": str(row.id), **_org(base_url(request), row, digest),
        "details": row.description or None, "createdAt": iso_z(row.created_at),
        "numUsers": hub.profiles.member_count(row), **_counts(hub, caller, row.username),
    }


@router.put("/api/organizations/{org}/settings")
def org_settings(org: str, body: OrgSettingsBody, request: Request, caller: CallerDep, hub: HubDep) -> dict:
    row = hub.profiles.update_org(caller, param(org), fullname=body.fullname, description=body.description)
    digest = hub.avatars.digests([row.id]).get(row.id)
    return {"success": True, **_org(base_url(request), row, digest), "details": row.description or None}


@router.get("/api/organizations/{org}/members")
def org_members(org: str, request: Request, hub: HubDep) -> list:
    # Membership is public, as on the Hub; ``role`` is ours (the client keeps unknown fields).
    members = hub.profiles.members(param(org))
    digests = hub.avatars.digests([m.user.id for m in members])
    base = base_url(request)
    return [{**person(base, m.user.id, m.user.username, m.user.fullname, digests.get(m.user.id)), "role": m.role}
            for m in members]


@router.get("/api/storage/{namespace}")
def storage(namespace: str, caller: CallerDep, hub: HubDep) -> dict:
    """``{namespace, private, public, xet: {files, logical_bytes, stored_bytes, saved_bytes}}``."""
    quota, xet = hub.profiles.storage(caller, param(namespace))
    return {**quota, "xet": {"files": xet.files, "logical_bytes": xet.logical_bytes,
                             "stored_bytes": xet.stored_bytes, "saved_bytes": xet.saved_bytes}}

"""The Hub's profile routes: user and organization overviews and an organization's members, as the client's
``get_user_overview``, ``get_organization_overview`` and ``list_organization_members`` read them; and a
namespace's storage (quota buckets plus what Xet dedup saved) for the storage page."""

from __future__ import annotations

from fastapi import APIRouter

from kohakuhub.api.deps import CallerDep, HubDep
from kohakuhub.api.middleware import param
from kohakuhub.lib.timefmt import iso_z

router = APIRouter(tags=["profiles"])


def _counts(hub: HubDep, caller: CallerDep, namespace: str) -> dict:
    counts = hub.profiles.repo_counts(caller, namespace)
    return {"numModels": counts["model"], "numDatasets": counts["dataset"], "numSpaces": counts["space"]}


def _user(user) -> dict:
    return {"_id": str(user.id), "user": user.username, "fullname": user.fullname or user.username,
            "avatarUrl": "", "type": "user", "isPro": False}


@router.get("/api/users/{username}/overview")
def user_overview(username: str, caller: CallerDep, hub: HubDep) -> dict:
    user = hub.profiles.user(param(username))
    return {
        **_user(user), "createdAt": iso_z(user.created_at), **_counts(hub, caller, user.username),
        "orgs": [{"name": m.org.username, "fullname": m.org.username, "avatarUrl": "", "type": "org"}
                 for m in hub.profiles.orgs_of_user(user.username)],
    }


@router.get("/api/organizations/{org}/overview")
def org_overview(org: str, caller: CallerDep, hub: HubDep) -> dict:
    row = hub.profiles.org(param(org))
    return {
        "_id": str(row.id), "name": row.username, "fullname": row.username, "avatarUrl": "", "type": "org",
        "details": row.description or None, "createdAt": iso_z(row.created_at),
        "numUsers": hub.profiles.member_count(row), **_counts(hub, caller, row.username),
    }


@router.get("/api/organizations/{org}/members")
def org_members(org: str, hub: HubDep) -> list:
    # Membership is public, as on the Hub; ``role`` is ours (the client keeps unknown fields).
    return [{**_user(m.user), "role": m.role} for m in hub.profiles.members(param(org))]


@router.get("/api/storage/{namespace}")
def storage(namespace: str, caller: CallerDep, hub: HubDep) -> dict:
    """``{namespace, private, public, xet: {files, logical_bytes, stored_bytes, saved_bytes}}``."""
    quota, xet = hub.profiles.storage(caller, param(namespace))
    return {**quota, "xet": {"files": xet.files, "logical_bytes": xet.logical_bytes,
                             "stored_bytes": xet.stored_bytes, "saved_bytes": xet.saved_bytes}}

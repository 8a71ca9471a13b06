"""Organizations and their members, at upstream KohakuHub's paths (``/org/...``, not HF's)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from kohakuhub.api.deps import HubDep, UserDep
from kohakuhub.api.middleware import param
from kohakuhub.lib.timefmt import iso_z
from kohakuhub.services.orgs import Membership

router = APIRouter(tags=["orgs"])


class CreateOrgBody(BaseModel):
    name: str
    description: str | None = None


class AddMemberBody(BaseModel):
    username: str
    role: str = "member"


class UpdateMemberBody(BaseModel):
    role: str


def _member(m: Membership) -> dict:
    return {"username": m.user.username, "role": m.role}


@router.post("/org/create")
def create_org(body: CreateOrgBody, caller: UserDep, hub: HubDep) -> dict:
    org = hub.orgs.create_org(caller, body.name, body.description or "")
    return {"success": True, "name": org.username, "message": "Organization created"}


@router.get("/org/users/{username}/orgs")
def user_orgs(username: str, hub: HubDep) -> dict:
    return {"organizations": [
        {"name": m.org.username, "description": m.org.description, "role": m.role}
        for m in hub.orgs.user_orgs(param(username))
    ]}


@router.get("/org/{org}")
def get_org(org: str, hub: HubDep) -> dict:
    row = hub.orgs.get_org(param(org))
    return {"name": row.username, "description": row.description, "created_at": iso_z(row.created_at),
            "member_count": hub.orgs.count_members(row)}


@router.get("/org/{org}/members")
def list_members(org: str, hub: HubDep) -> dict:
    return {"members": [_member(m) for m in hub.orgs.list_members(param(org))]}


@router.post("/org/{org}/members")
def add_member(org: str, body: AddMemberBody, caller: UserDep, hub: HubDep) -> dict:
    member = hub.orgs.add_member(caller, param(org), body.username, body.role)
    return {"success": True, **_member(member)}


@router.put("/org/{org}/members/{username}")
def update_member(org: str, username: str, body: UpdateMemberBody, caller: UserDep, hub: HubDep) -> dict:
    member = hub.orgs.update_member(caller, param(org), param(username), body.role)
    return {"success": True, **_member(member)}


@router.delete("/org/{org}/members/{username}")
def remove_member(org: str, username: str, caller: UserDep, hub: HubDep) -> dict:
    hub.orgs.remove_member(caller, param(org), param(username))
    return {"success": True}

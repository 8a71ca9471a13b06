"""Invitation links (upstream KohakuHub's ``/api/invitations/...``): join an org, or register by invite."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from kohakuhub.api.deps import HubDep, UserDep
from kohakuhub.api.middleware import param
from kohakuhub.api.schemas.invitations import invitation_json
from kohakuhub.db.models import Invitation

router = APIRouter(tags=["invitations"])


class OrgInvitationBody(BaseModel):
    role: str = "member"
    max_uses: int | None = 1
    expires_in_days: int | None = 7


class RegisterInvitationBody(BaseModel):
    max_uses: int | None = 1
    expires_in_days: int | None = 7


def _describe(hub: HubDep, row: Invitation) -> dict:
    return invitation_json(row, hub.invitations.problem(row))


def _created(hub: HubDep, row: Invitation, token: str) -> dict:
    link = f"{hub.settings.base_url}/invite/{token}"
    return {"success": True, "token": token, "invitation_link": link, **_describe(hub, row)}


@router.post("/api/invitations/org/{org}/create")
def create_org_invitation(org: str, body: OrgInvitationBody, caller: UserDep, hub: HubDep) -> dict:
    row, token = hub.invitations.create_org_invitation(
        caller, param(org), body.role, max_uses=body.max_uses, expires_in_days=body.expires_in_days)
    return _created(hub, row, token)


@router.post("/api/invitations/register/create")
def create_register_invitation(body: RegisterInvitationBody, caller: UserDep, hub: HubDep) -> dict:
    row, token = hub.invitations.create_register_invitation(
        caller, max_uses=body.max_uses, expires_in_days=body.expires_in_days)
    return _created(hub, row, token)


@router.get("/api/invitations/org/{org}/list")
def list_org_invitations(org: str, caller: UserDep, hub: HubDep) -> dict:
    return {"invitations": [_describe(hub, row) for row in hub.invitations.list_for_org(caller, param(org))]}


@router.get("/api/invitations/{token}")
def get_invitation(token: str, hub: HubDep) -> dict:
    return _describe(hub, hub.invitations.get(param(token)))


@router.post("/api/invitations/{token}/accept")
def accept_invitation(token: str, caller: UserDep, hub: HubDep) -> dict:
    org, role = hub.invitations.accept(caller, param(token))
    return {"success": True, "org_name": org.username, "role": role}


@router.delete("/api/invitations/{token}")
def delete_invitation(token: str, caller: UserDep, hub: HubDep) -> dict:
    hub.invitations.delete(caller, param(token))
    return {"success": True}

"""Repo collaborators: users granted ``read`` or ``write`` on one repo by its administrators."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from kohakuhub.api.deps import CallerDep, HubDep, repo_type_from_plural
from kohakuhub.api.middleware import param

router = APIRouter(tags=["collaborators"])


class CollaboratorBody(BaseModel):
    role: str


@router.get("/api/{plural}/{namespace}/{name}/collaborators")
def list_collaborators(plural: str, namespace: str, name: str, caller: CallerDep, hub: HubDep) -> dict:
    rows = hub.orgs.list_collaborators(caller, repo_type_from_plural(plural), param(namespace), param(name))
    return {"collaborators": [{"username": user.username, "role": role} for user, role in rows]}


@router.put("/api/{plural}/{namespace}/{name}/collaborators/{username}")
def set_collaborator(plural: str, namespace: str, name: str, username: str, body: CollaboratorBody,
                     caller: CallerDep, hub: HubDep) -> dict:
    user, role = hub.orgs.set_collaborator(caller, repo_type_from_plural(plural), param(namespace),
                                           param(name), param(username), body.role)
    return {"success": True, "username": user.username, "role": role}


@router.delete("/api/{plural}/{namespace}/{name}/collaborators/{username}")
def remove_collaborator(plural: str, namespace: str, name: str, username: str, caller: CallerDep,
                        hub: HubDep) -> dict:
    hub.orgs.remove_collaborator(caller, repo_type_from_plural(plural), param(namespace), param(name),
                                 param(username))
    return {"success": True}

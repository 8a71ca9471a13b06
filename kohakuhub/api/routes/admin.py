"""Site administration API under ``/admin/api/`` (site admins or the bootstrap admin token).

Anonymous callers get 401, signed-in non-admins 403 (the decision is ``services.admin.require_admin``).
Besides ``Authorization: Bearer``, the bootstrap token is accepted in ``X-Admin-Token`` as upstream
KohakuHub's admin scripts send it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from kohakuhub.api.deps import AdminCallerDep, HubDep, repo_type_from_plural
from kohakuhub.api.middleware import param
from kohakuhub.lib.timefmt import iso_z
from kohakuhub.services.repos import repo_id
from kohakuhub.types import RepoType

router = APIRouter(prefix="/admin/api", tags=["admin"])

Offset = Annotated[int, Query(ge=0, le=2**62)]
Limit = Annotated[int, Query(ge=1, le=1000)]


class CreateUserBody(BaseModel):
    username: str
    email: str
    password: str
    is_admin: bool = False


class UpdateUserBody(BaseModel):
    disabled: bool | None = None
    is_admin: bool | None = None


class TransferBody(BaseModel):
    namespace: str
    name: str | None = None


def _user(user) -> dict:
    return {"id": user.id, "username": user.username, "email": user.email, "is_admin": user.is_admin,
            "disabled": user.disabled, "created_at": iso_z(user.created_at)}


def _repo(repo) -> dict:
    return {"id": repo_id(repo), "type": repo.repo_type, "namespace": repo.namespace, "name": repo.name,
            "private": repo.private, "owner_id": repo.owner_id, "created_at": iso_z(repo.created_at),
            "updated_at": iso_z(repo.updated_at)}


# --- users ------------------------------------------------------------------------------------------


@router.get("/users")
def list_users(caller: AdminCallerDep, hub: HubDep, offset: Offset = 0, limit: Limit = 50,
               search: str | None = None) -> dict:
    users, total = hub.admin.list_users(caller, offset=offset, limit=limit, search=search)
    return {"users": [_user(u) for u in users], "total": total, "offset": offset, "limit": limit}


@router.post("/users")
def create_user(body: CreateUserBody, caller: AdminCallerDep, hub: HubDep) -> dict:
    user = hub.admin.create_user(caller, body.username, body.email, body.password, is_admin=body.is_admin)
    return {"success": True, "user": _user(user)}


@router.patch("/users/{username}")
def update_user(username: str, body: UpdateUserBody, caller: AdminCallerDep, hub: HubDep) -> dict:
    user = hub.admin.update_user(caller, param(username), disabled=body.disabled, is_admin=body.is_admin)
    return {"success": True, "user": _user(user)}


@router.delete("/users/{username}")
def delete_user(username: str, caller: AdminCallerDep, hub: HubDep) -> dict:
    hub.admin.delete_user(caller, param(username))
    return {"success": True}


# --- repos ------------------------------------------------------------------------------------------


@router.get("/repositories")
def list_repos(caller: AdminCallerDep, hub: HubDep, offset: Offset = 0, limit: Limit = 50,
               type: str | None = None, namespace: str | None = None, search: str | None = None) -> dict:
    repo_type = RepoType(type) if type in {t.value for t in RepoType} else None
    if type and repo_type is None:
        repo_type = repo_type_from_plural(type)
    repos, total = hub.admin.list_repos(caller, offset=offset, limit=limit, repo_type=repo_type,
                                        namespace=namespace, search=search)
    return {"repositories": [_repo(r) for r in repos], "total": total, "offset": offset, "limit": limit}


@router.delete("/repositories/{plural}/{namespace}/{name}")
def delete_repo(plural: str, namespace: str, name: str, caller: AdminCallerDep, hub: HubDep) -> dict:
    hub.admin.delete_repo(caller, repo_type_from_plural(plural), param(namespace), param(name))
    return {"success": True}


@router.post("/repositories/{plural}/{namespace}/{name}/transfer")
def transfer_repo(plural: str, namespace: str, name: str, body: TransferBody, caller: AdminCallerDep,
                  hub: HubDep) -> dict:
    ref = hub.admin.transfer_repo(caller, repo_type_from_plural(plural), param(namespace), param(name),
                                  body.namespace, body.name)
    return {"success": True, "repository": _repo(ref.row)}


# --- quotas -----------------------------------------------------------------------------------------


@router.get("/quotas")
def list_quotas(caller: AdminCallerDep, hub: HubDep, offset: Offset = 0, limit: Limit = 50,
                search: str | None = None) -> dict:
    """Every namespace (``type`` user or org) with ``private``/``public`` ``{used, limit}``."""
    quotas, total = hub.admin.list_quotas(caller, offset=offset, limit=limit, search=search)
    return {"quotas": quotas, "total": total, "offset": offset, "limit": limit}


@router.get("/quotas/{namespace}")
def get_quota(namespace: str, caller: AdminCallerDep, hub: HubDep) -> dict:
    return hub.admin.get_quota(caller, param(namespace))


@router.put("/quotas/{namespace}")
def set_quota(namespace: str, body: dict, caller: AdminCallerDep, hub: HubDep) -> dict:
    """Body ``{"private": bytes | null | "default", "public": ...}`` (null: unlimited; absent: unchanged)."""
    return hub.admin.set_quota(caller, param(namespace), body)


@router.post("/quotas/{namespace}/recalculate")
def recalculate_quota(namespace: str, caller: AdminCallerDep, hub: HubDep) -> dict:
    return hub.admin.recalculate_quota(caller, param(namespace))


# --- statistics -------------------------------------------------------------------------------------


@router.get("/stats")
def stats(caller: AdminCallerDep, hub: HubDep) -> dict:
    counts = hub.admin.stats(caller)  # checks the caller is an admin
    return {**counts, "xet": hub.xet.stats()}

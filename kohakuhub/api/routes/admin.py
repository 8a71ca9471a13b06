"""Site administration API under ``/admin/api/`` (site admins or the bootstrap admin token).

Anonymous callers get 401, signed-in non-admins 403 (the decision is ``services.admin.require_admin``).
Besides ``Authorization: Bearer``, the bootstrap token is accepted in ``X-Admin-Token`` as upstream
KohakuHub's admin scripts send it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, StrictBool

from kohakuhub.api.deps import AdminCallerDep, HubDep, repo_type_from_plural
from kohakuhub.api.middleware import param
from kohakuhub.api.schemas.invitations import invitation_json
from kohakuhub.db.site_admin import Activity, StorageTotals
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


class RepoSettingsBody(BaseModel):
    private: StrictBool


def _user(user) -> dict:
    return {"id": user.id, "username": user.username, "email": user.email, "is_admin": user.is_admin,
            "disabled": user.disabled, "created_at": iso_z(user.created_at)}


def _repo(repo) -> dict:
    return {"id": repo_id(repo), "type": repo.repo_type, "namespace": repo.namespace, "name": repo.name,
            "private": repo.private, "owner_id": repo.owner_id, "created_at": iso_z(repo.created_at),
            "updated_at": iso_z(repo.updated_at)}


def _activity(event: Activity) -> dict:
    return {"kind": event.kind, "at": iso_z(event.at), "name": event.name, "repo_type": event.repo_type,
            "private": event.private}


def _storage(totals: StorageTotals) -> dict:
    """LFS objects stored whole, Xet files and the chunks stored for them, git contents, and the sum."""
    saved = max(0, totals.xet_file_bytes - totals.xorb_bytes)
    return {
        "lfs": {"objects": totals.lfs_objects, "bytes": totals.lfs_bytes},
        "xet": {"files": totals.xet_files, "file_bytes": totals.xet_file_bytes, "xorbs": totals.xorbs,
                "stored_bytes": totals.xorb_bytes, "saved_bytes": saved},
        "git": {"bytes": totals.git_bytes},
        "stored_bytes": totals.lfs_bytes + totals.xorb_bytes + totals.git_bytes,
    }


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
    used = hub.admin.used_bytes(caller, repos)
    return {"repositories": [{**_repo(r), "used_bytes": used.get(r.id)} for r in repos], "total": total,
            "offset": offset, "limit": limit}


@router.patch("/repositories/{plural}/{namespace}/{name}")
def update_repo(plural: str, namespace: str, name: str, body: RepoSettingsBody, caller: AdminCallerDep,
                hub: HubDep) -> dict:
    """Body ``{"private": bool}``: 413 when the repo does not fit the namespace's other quota."""
    ref = hub.admin.set_repo_visibility(caller, repo_type_from_plural(plural), param(namespace), param(name),
                                        body.private)
    return {"success": True, "repository": _repo(ref.row)}


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
def stats(caller: AdminCallerDep, hub: HubDep, activity: Annotated[int, Query(ge=1, le=200)] = 20) -> dict:
    """Counts, storage (``stored_bytes``, what Xet dedup saved) and the ``activity`` latest events."""
    counts = hub.admin.stats(caller)  # checks the caller is an admin
    stored = _storage(hub.admin.storage_totals(caller))
    return {**counts, "xet": hub.xet.stats(),
            "storage": {"stored_bytes": stored["stored_bytes"], "saved_by_dedup_bytes": stored["xet"]["saved_bytes"]},
            "recent_activity": [_activity(e) for e in hub.admin.recent_activity(caller, activity)]}


@router.get("/storage")
def storage(caller: AdminCallerDep, hub: HubDep, limit: Limit = 20) -> dict:
    """The site's storage by kind, and the ``limit`` repos that use the most."""
    largest = hub.admin.largest_repos(caller, limit)
    return {**_storage(hub.admin.storage_totals(caller)), "largest_repos": [
        {**_repo(size.repo), "lfs_bytes": size.lfs_bytes, "git_bytes": size.git_bytes,
         "used_bytes": size.lfs_bytes + size.git_bytes} for size in largest]}


# --- registration invitations -----------------------------------------------------------------------


@router.get("/invitations")
def registration_invitations(caller: AdminCallerDep, hub: HubDep) -> dict:
    """Every registration invitation and the registration mode. Links are made with
    ``POST /api/invitations/register/create`` and revoked with ``DELETE /api/invitations/{id}``."""
    rows = hub.admin.registration_invitations(caller)
    return {"registration": hub.invitations.registration, "invitations": [
        {**invitation_json(row, hub.invitations.problem(row)), "created_by": creator} for row, creator in rows]}


# --- health -----------------------------------------------------------------------------------------


@router.get("/health")
def health(caller: AdminCallerDep, hub: HubDep) -> dict:
    """Each part measured now: ``{ok, checks: [{name, ok, latency_ms, detail}]}`` (200 even when one fails)."""
    checks = hub.health.checks(caller)
    return {"ok": all(c.ok for c in checks), "checks": [
        {"name": c.name, "ok": c.ok, "latency_ms": c.latency_ms, "detail": c.detail} for c in checks]}

"""Storage quotas of namespaces (KohakuHub paths): read by the namespace, set by site admins; and the Hub's
per-repo storage listing of a namespace (``settings/repositories``)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from kohakuhub.api.deps import CallerDep, HubDep, UserDep
from kohakuhub.api.middleware import param
from kohakuhub.api.pagination import next_link, parse_limit, parse_offset
from kohakuhub.lib.timefmt import iso_z

router = APIRouter(tags=["quotas"])


@router.get("/api/quota/{namespace}")
def get_quota(namespace: str, caller: CallerDep, hub: HubDep) -> dict:
    """``{namespace, private: {used, limit}, public: {used, limit}}``; limit null means unlimited."""
    return hub.quotas.get_quota(caller, param(namespace))


@router.put("/api/quota/{namespace}")
def set_quota(namespace: str, body: dict, caller: CallerDep, hub: HubDep) -> dict:
    """Body ``{"private": bytes | null | "default", "public": ...}``; site admins only."""
    return hub.quotas.set_quota(caller, param(namespace), body)


@router.post("/api/quota/{namespace}/recalculate")
def recalculate_quota(namespace: str, caller: CallerDep, hub: HubDep) -> dict:
    """Re-measure the namespace's repos from storage (repair); site admins only."""
    return hub.quotas.recalculate(caller, param(namespace))


REPOSITORIES_PAGE = 100


def _repositories(request: Request, response: Response, caller: CallerDep, hub: HubDep, namespace: str) -> list:
    limit = parse_limit(request.query_params.get("limit"), default=REPOSITORIES_PAGE, maximum=1000)
    offset = parse_offset(request.query_params.get("cursor"), "cursor")
    rows, total = hub.quotas.repositories(caller, namespace, offset=offset, limit=limit)
    if len(rows) > limit:
        rows = rows[:limit]
        response.headers["Link"] = next_link(request, cursor=str(offset + limit))
    return [{"id": f"{row.namespace}/{row.name}", "type": row.repo_type, "updatedAt": iso_z(row.updated_at),
             "visibility": "private" if row.private else "public", "storage": used,
             "storagePercent": round(100 * used / total, 2) if total else 0}
            for row, used in rows]


@router.get("/api/settings/repositories")
def my_repositories(request: Request, response: Response, caller: UserDep, hub: HubDep) -> list:
    """The caller's own repos of every type with their storage (``list_user_repos``, ``hf repos ls``)."""
    return _repositories(request, response, caller, hub, caller.username)


@router.get("/api/organizations/{namespace}/settings/repositories")
def org_repositories(namespace: str, request: Request, response: Response, caller: CallerDep, hub: HubDep) -> list:
    """An organization's repos with their storage, for its members (``hf repos ls --namespace org``)."""
    return _repositories(request, response, caller, hub, param(namespace))

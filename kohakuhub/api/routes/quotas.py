"""Storage quotas of namespaces (KohakuHub paths): read by the namespace, set by site admins."""

from __future__ import annotations

from fastapi import APIRouter

from kohakuhub.api.deps import CallerDep, HubDep
from kohakuhub.api.middleware import param

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

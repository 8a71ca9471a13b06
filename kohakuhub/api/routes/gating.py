"""Gated repos: asking for access and reviewing the requests (the client's ``list_*_access_requests``,
``accept/reject/cancel_access_request`` and ``grant_access``).

``POST /api/{type}s/{id}/ask-access`` takes the answers to the card's ``extra_gated_fields`` as a JSON
object or a form, as the Hub's page sends them; ``GET`` on the same path says what the gate asks of the
caller and where their request stands (``{gated, prompt, fields: [{name, type, options}], hasAccess,
request: {status, timestamp, rejectionReason, fields} | null}``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from kohakuhub.api.deps import CallerDep, HubDep, repo_type_from_plural
from kohakuhub.api.errors import base_url
from kohakuhub.api.middleware import param
from kohakuhub.api.pagination import next_link, parse_limit, parse_offset
from kohakuhub.api.schemas.people import person
from kohakuhub.db.gating import AccessRequestRow
from kohakuhub.errors import BadRequestError
from kohakuhub.lib.timefmt import iso_z

router = APIRouter(tags=["gating"])

_R = "/api/{plural}/{namespace}/{name}"
MAX_FORM_FIELDS = 100


class HandleBody(BaseModel):
    user: str | None = None
    requestId: str | None = None
    status: str
    rejectionReason: str | None = None
    model_config = {"extra": "forbid"}


class GrantBody(BaseModel):
    user: str
    model_config = {"extra": "forbid"}


def _request_item(base: str, row: AccessRequestRow, digest: str | None) -> dict[str, Any]:
    user = person(base, row.user_id, row.username, row.fullname, digest)
    if row.shared_contact:  # the user shared it by asking; a granted user did not
        user["email"] = row.email
    item: dict[str, Any] = {"user": user, "requestId": str(row.id), "status": row.status,
                            "timestamp": iso_z(row.created_at), "fields": row.fields}
    if row.status == "rejected" and row.rejection_reason:
        item["rejectionReason"] = row.rejection_reason
    return item


@router.get(f"{_R}/ask-access")
def gate(plural: str, namespace: str, name: str, caller: CallerDep, hub: HubDep) -> dict:
    view = hub.gating.gate(caller, repo_type_from_plural(plural), param(namespace), param(name))
    request = view.request
    return {
        "gated": view.mode or False,
        "prompt": view.prompt,
        "fields": [{"name": f.label, "type": f.kind, "options": list(f.options)} for f in view.fields],
        "hasAccess": view.has_access,
        "request": None if request is None else {
            "status": request.status, "timestamp": iso_z(request.created_at), "fields": request.fields,
            "rejectionReason": request.rejection_reason or None},
    }


async def _answers(request: Request) -> dict[str, Any]:
    """The form's answers: a JSON object, or form fields (the Hub's page posts a form)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            raise BadRequestError("The access request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise BadRequestError("The access request body must be an object of field answers")
        return body
    form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    return {key: str(value) for key, value in form.multi_items()}


@router.post(f"{_R}/ask-access")
async def ask_access(plural: str, namespace: str, name: str, request: Request, caller: CallerDep,
                     hub: HubDep) -> dict:
    answers = await _answers(request)
    status = await run_in_threadpool(hub.gating.ask_access, caller, repo_type_from_plural(plural),
                                     param(namespace), param(name), answers)
    return {"status": status}


@router.get(f"{_R}/user-access-request/{{status}}")
def list_access_requests(plural: str, namespace: str, name: str, status: str, request: Request,
                         response: Response, caller: CallerDep, hub: HubDep) -> list:
    query = request.query_params
    limit = parse_limit(query.get("limit"), default=1000, maximum=1000)
    offset = parse_offset(query.get("cursor"), "cursor")
    rows = hub.gating.list_requests(caller, repo_type_from_plural(plural), param(namespace), param(name),
                                    param(status), offset=offset, limit=limit)
    if len(rows) > limit:
        rows = rows[:limit]
        response.headers["Link"] = next_link(request, cursor=str(offset + limit))
    digests = hub.avatars.digests([row.user_id for row in rows])
    base = base_url(request)
    return [_request_item(base, row, digests.get(row.user_id)) for row in rows]


@router.post(f"{_R}/user-access-request/handle")
def handle_access_request(plural: str, namespace: str, name: str, body: HandleBody, caller: CallerDep,
                          hub: HubDep) -> dict:
    hub.gating.handle(caller, repo_type_from_plural(plural), param(namespace), param(name), username=body.user,
                      request_id=body.requestId, status=body.status, reason=body.rejectionReason)
    return {"success": True}


@router.post(f"{_R}/user-access-request/grant")
def grant_access(plural: str, namespace: str, name: str, body: GrantBody, caller: CallerDep,
                 hub: HubDep) -> dict:
    username = hub.gating.grant(caller, repo_type_from_plural(plural), param(namespace), param(name), body.user)
    return {"success": True, "user": username, "status": "accepted"}

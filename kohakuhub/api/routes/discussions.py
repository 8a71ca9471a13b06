"""Discussions and pull requests (huggingface_hub: get_repo_discussions, get_discussion_details,
create_discussion, create_pull_request, comment_discussion, rename_discussion, change_discussion_status,
merge_pull_request, edit_discussion_comment, hide_discussion_comment).

Shapes (the Hub's where the client reads them; ``AUTHOR`` is ``{"name", "fullname", "type": "user"}``,
left out for a deleted account; dates are ISO-8601 with ``Z``)::

    GET /api/{plural}/{ns}/{name}/discussions?type=all|discussion|pull_request
        &status=all|open|closed|merged|draft&author={username}&search={title part}&p={page}
    -> {"discussions": [ITEM], "count": total, "start": p*50}       (50 per page, newest first)
    ITEM = {"num", "title", "status": "open"|"closed"|"merged"|"draft", "isPullRequest", "createdAt",
            "lastActivityAt", "repo": {"name": "ns/name", "type"}, "numComments", "author": AUTHOR,
            pull requests also "gitReference": "refs/pr/N", "targetBranch": "main"}

    GET /api/{plural}/{ns}/{name}/discussions/{num}[?diff=1]
    -> ITEM + {"events": [EVENT], oldest first}
       pull requests also: {"changes": {"base": "refs/heads/main", "head": "refs/pr/N",
           "targetCommitId": sha | null, "headCommitId": sha | null, "mergeCommitId"?: sha (once merged)},
         "filesWithConflicts": [path] | true (no common history; [] once closed or merged),
         "mergeBase": sha | null (where the changes start), "files": [FILE] (as the compare route),
         "filesChanged", "truncated", and with diff=1 "diff": unified diff text}
    EVENT = {"id": 24 hex, "type", "createdAt", "author": AUTHOR, "data": ...}
      comment:       {"edited", "hidden", "latest": {"raw", "html", "updatedAt", "author"},
                      "history": [{"raw", "html", "updatedAt", "author"}] (replaced versions, newest first),
                      "numEdits", "editors": [username], "hiddenBy"?: AUTHOR}
      status-change: {"status"}          title-change: {"from", "to"}
      commit:        {"subject", "oid"}  (a pull request's commits, read from git)

    POST .../discussions {"title", "description"?, "pullRequest"?: bool}
        -> {"num", "isPullRequest", "status", "url", "gitReference"}
    POST .../discussions/{num}/comment {"comment"}            -> {"newMessage": EVENT}
    POST .../discussions/{num}/title {"title"}                -> {"newTitle": EVENT}
    POST .../discussions/{num}/status {"status", "comment"?}  -> {"newStatus": EVENT}
    POST .../discussions/{num}/merge {"comment"?}             -> {"newStatus": EVENT, "mergeCommitId"}
    POST .../discussions/{num}/comment/{id}/edit {"content"}  -> {"updatedComment": EVENT}
    POST .../discussions/{num}/comment/{id}/hide              -> {"updatedComment": EVENT}
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from kohakuhub.api.deps import CallerDep, HubDep, find_repo
from kohakuhub.api.errors import repo_url
from kohakuhub.api.middleware import param
from kohakuhub.api.pagination import parse_bool, parse_offset
from kohakuhub.api.schemas.discussions import details, discussion_item, event
from kohakuhub.errors import BadRequestError
from kohakuhub.types import pull_request_ref

router = APIRouter(tags=["discussions"])

_D = "/api/{plural}/{namespace}/{name}/discussions"
MAX_PAGE = 1_000_000
MAX_NUMBER = 999_999_999


class CreateBody(BaseModel):
    title: str
    description: str | None = None
    pullRequest: bool = False


class CommentBody(BaseModel):
    comment: str


class TitleBody(BaseModel):
    title: str


class StatusBody(BaseModel):
    status: str
    comment: str | None = None


class MergeBody(BaseModel):
    comment: str | None = None


class EditBody(BaseModel):
    content: str


def _number(raw: str) -> int:
    value = param(raw)
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_NUMBER:
        raise BadRequestError(f"A discussion number is a positive integer, not {value[:40]!r}")
    return int(value)


@router.get(_D)
def list_discussions(plural: str, namespace: str, name: str, request: Request, caller: CallerDep,
                     hub: HubDep) -> dict[str, Any]:
    ref = find_repo(hub, caller, plural, namespace, name)
    query = request.query_params
    page = parse_offset(query.get("p"), "p")
    if page > MAX_PAGE:
        raise BadRequestError(f"p must be at most {MAX_PAGE}")
    found = hub.discussions.list_discussions(ref, author=query.get("author"), kind=query.get("type"),
                                             status=query.get("status"), search=query.get("search"), page=page)
    return {"discussions": [discussion_item(i, ref) for i in found.items], "count": found.total, "start": found.start}


@router.post(_D)
def create_discussion(plural: str, namespace: str, name: str, body: CreateBody, request: Request,
                      caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    ref = find_repo(hub, caller, plural, namespace, name)
    opened = hub.discussions.create(caller, ref, title=body.title, description=body.description,
                                    pull_request=body.pullRequest)
    return {"num": opened.num, "isPullRequest": opened.is_pull_request, "status": opened.status,
            "url": f"{repo_url(request, ref.type.value, ref.id)}/discussions/{opened.num}",
            "gitReference": pull_request_ref(opened.num) if opened.is_pull_request else None}


@router.get(_D + "/{num}")
def get_discussion(plural: str, namespace: str, name: str, num: str, request: Request, caller: CallerDep,
                   hub: HubDep) -> dict[str, Any]:
    ref = find_repo(hub, caller, plural, namespace, name)
    found = hub.discussions.details(caller, ref, _number(num))
    return details(found, ref, with_diff=parse_bool(request.query_params.get("diff")))


@router.post(_D + "/{num}/comment")
def comment(plural: str, namespace: str, name: str, num: str, body: CommentBody, caller: CallerDep,
            hub: HubDep) -> dict[str, Any]:
    ref = find_repo(hub, caller, plural, namespace, name)
    return {"newMessage": event(hub.discussions.comment(caller, ref, _number(num), body.comment))}


@router.post(_D + "/{num}/title")
def rename(plural: str, namespace: str, name: str, num: str, body: TitleBody, caller: CallerDep,
           hub: HubDep) -> dict[str, Any]:
    ref = find_repo(hub, caller, plural, namespace, name)
    return {"newTitle": event(hub.discussions.rename(caller, ref, _number(num), body.title))}


@router.post(_D + "/{num}/status")
def change_status(plural: str, namespace: str, name: str, num: str, body: StatusBody, caller: CallerDep,
                  hub: HubDep) -> dict[str, Any]:
    ref = find_repo(hub, caller, plural, namespace, name)
    return {"newStatus": event(hub.discussions.change_status(caller, ref, _number(num), body.status, body.comment))}


@router.post(_D + "/{num}/merge")
def merge(plural: str, namespace: str, name: str, num: str, caller: CallerDep, hub: HubDep,
          body: MergeBody | None = None) -> dict[str, Any]:
    ref = find_repo(hub, caller, plural, namespace, name)
    status, merged = hub.discussions.merge(caller, ref, _number(num), body.comment if body else None)
    return {"newStatus": event(status), "mergeCommitId": merged}


@router.post(_D + "/{num}/comment/{comment_id}/edit")
def edit_comment(plural: str, namespace: str, name: str, num: str, comment_id: str, body: EditBody,
                 caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    ref = find_repo(hub, caller, plural, namespace, name)
    edited = hub.discussions.edit_comment(caller, ref, _number(num), param(comment_id), body.content)
    return {"updatedComment": event(edited)}


@router.post(_D + "/{num}/comment/{comment_id}/hide")
def hide_comment(plural: str, namespace: str, name: str, num: str, comment_id: str, caller: CallerDep,
                 hub: HubDep) -> dict[str, Any]:
    ref = find_repo(hub, caller, plural, namespace, name)
    return {"updatedComment": event(hub.discussions.hide_comment(caller, ref, _number(num), param(comment_id)))}

"""Likes (the client's ``unlike``, ``list_repo_likers`` and ``list_liked_repos``; ``POST .../like`` is how
the Hub's page likes, which the client cannot).

``GET /api/{type}s/{id}/like`` is ours, for a page: ``{"liked": bool, "likes": int}`` for the caller.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from kohakuhub.api.deps import CallerDep, HubDep, repo_type_from_plural
from kohakuhub.api.errors import base_url
from kohakuhub.api.middleware import param
from kohakuhub.api.pagination import next_link, parse_limit, parse_offset
from kohakuhub.api.schemas.people import person
from kohakuhub.lib.timefmt import iso_z

router = APIRouter(tags=["likes"])

_R = "/api/{plural}/{namespace}/{name}"


def _page(request: Request) -> tuple[int, int]:
    query = request.query_params
    return (parse_offset(query.get("cursor"), "cursor"),
            parse_limit(query.get("limit"), default=1000, maximum=1000))


@router.post(f"{_R}/like")
def like(plural: str, namespace: str, name: str, caller: CallerDep, hub: HubDep) -> dict:
    hub.likes.like(caller, repo_type_from_plural(plural), param(namespace), param(name))
    return {"success": True, "liked": True}


@router.delete(f"{_R}/like")
def unlike(plural: str, namespace: str, name: str, caller: CallerDep, hub: HubDep) -> dict:
    hub.likes.unlike(caller, repo_type_from_plural(plural), param(namespace), param(name))
    return {"success": True, "liked": False}


@router.get(f"{_R}/like")
def like_state(plural: str, namespace: str, name: str, caller: CallerDep, hub: HubDep) -> dict:
    liked, count = hub.likes.like_state(caller, repo_type_from_plural(plural), param(namespace), param(name))
    return {"liked": liked, "likes": count}


@router.get(f"{_R}/likers")
def likers(plural: str, namespace: str, name: str, request: Request, response: Response, caller: CallerDep,
           hub: HubDep) -> list:
    offset, limit = _page(request)
    rows = hub.likes.likers(caller, repo_type_from_plural(plural), param(namespace), param(name),
                            offset=offset, limit=limit)
    if len(rows) > limit:
        rows = rows[:limit]
        response.headers["Link"] = next_link(request, cursor=str(offset + limit))
    digests = hub.avatars.digests([row.user_id for row in rows])
    base = base_url(request)
    return [person(base, row.user_id, row.username, row.fullname, digests.get(row.user_id)) for row in rows]


@router.get("/api/users/{username}/likes")
def liked_repos(username: str, request: Request, response: Response, caller: CallerDep, hub: HubDep) -> list:
    """``[{createdAt, repo: {name, type}}]``: the repos the user likes that the caller may see."""
    offset, limit = _page(request)
    rows = hub.likes.liked_repos(caller, param(username), offset=offset, limit=limit)
    if len(rows) > limit:
        rows = rows[:limit]
        response.headers["Link"] = next_link(request, cursor=str(offset + limit))
    return [{"createdAt": iso_z(row.liked_at), "repo": {"name": row.repo_id, "type": row.repo_type},
             "private": row.private} for row in rows]

"""Branches, tags, refs, commit history and squash (protocol section 2.7)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from kohakuhub.api.deps import CallerDep, HubDep, find_repo
from kohakuhub.api.middleware import param
from kohakuhub.api.pagination import MAX_OFFSET, next_link, parse_limit, parse_offset
from kohakuhub.api.schemas.repos import commit_item
from kohakuhub.errors import BadRequestError
from kohakuhub.services.auth import Access

router = APIRouter(tags=["refs"])

COMMITS_PAGE = 50
# Longer than any path a repo can hold (git limits nothing, the hub's paths are far shorter).
MAX_PATH_FILTER = 4096


class BranchBody(BaseModel):
    startingPoint: str | None = None


class TagBody(BaseModel):
    tag: str
    message: str | None = None


class SquashBody(BaseModel):
    message: str | None = None


@router.get("/api/{plural}/{namespace}/{name}/refs")
def list_refs(plural: str, namespace: str, name: str, request: Request, caller: CallerDep,
              hub: HubDep) -> dict[str, Any]:
    ref = find_repo(hub, caller, plural, namespace, name)
    refs = hub.commits.refs(ref)
    body: dict[str, Any] = {
        "branches": [{"name": n, "ref": f"refs/heads/{n}", "targetCommit": c} for n, c in sorted(refs.branches.items())],
        "converts": [],
        "tags": [{"name": n, "ref": f"refs/tags/{n}", "targetCommit": c} for n, c in sorted(refs.tags.items())],
    }
    if request.query_params.get("include_prs"):
        body["pullRequests"] = [{"name": f"refs/pr/{n}", "ref": f"refs/pr/{n}", "targetCommit": c}
                                for n, c in sorted(refs.pull_requests.items())]
    return body


@router.post("/api/{plural}/{namespace}/{name}/branch/{branch}")
def create_branch(plural: str, namespace: str, name: str, branch: str, caller: CallerDep, hub: HubDep,
                  body: BranchBody | None = None) -> dict:
    ref = find_repo(hub, caller, plural, namespace, name, Access.WRITE)
    hub.commits.create_branch(ref, param(branch), body.startingPoint if body else None)
    return {"success": True}


@router.delete("/api/{plural}/{namespace}/{name}/branch/{branch}")
def delete_branch(plural: str, namespace: str, name: str, branch: str, caller: CallerDep, hub: HubDep) -> dict:
    ref = find_repo(hub, caller, plural, namespace, name, Access.WRITE)
    hub.commits.delete_branch(ref, param(branch))
    return {"success": True}


@router.post("/api/{plural}/{namespace}/{name}/tag/{revision}")
def create_tag(plural: str, namespace: str, name: str, revision: str, body: TagBody, caller: CallerDep,
               hub: HubDep) -> dict:
    ref = find_repo(hub, caller, plural, namespace, name, Access.WRITE)
    hub.commits.create_tag(caller, ref, param(revision), body.tag, body.message)
    return {"success": True}


@router.delete("/api/{plural}/{namespace}/{name}/tag/{tag}")
def delete_tag(plural: str, namespace: str, name: str, tag: str, caller: CallerDep, hub: HubDep) -> dict:
    ref = find_repo(hub, caller, plural, namespace, name, Access.WRITE)
    hub.commits.delete_tag(ref, param(tag))
    return {"success": True}


@router.get("/api/{plural}/{namespace}/{name}/commits/{revision}")
@router.get("/api/{plural}/{namespace}/{name}/commits/{revision}/{path:path}")
def list_commits(plural: str, namespace: str, name: str, revision: str, request: Request,
                 response: Response, caller: CallerDep, hub: HubDep, path: str | None = None) -> list:
    """The commit history of a revision, or (``/commits/{revision}/{path}`` or ``?path=``) only the commits
    that changed a file or folder, simplified as ``git log -- path``.

    With a path there is no X-Total-Count: counting would walk the whole history on every page, where
    a page walks only down to its last commit. The Link header still says whether a next page exists.
    """
    ref = find_repo(hub, caller, plural, namespace, name)
    commit = hub.files.resolve(ref, param(revision))
    query = request.query_params
    limit = parse_limit(query.get("limit"), default=COMMITS_PAGE, maximum=1000)
    page = parse_offset(query.get("p"), "p")
    if page * limit > MAX_OFFSET:
        raise BadRequestError("p is past any possible history")
    # The /{path} form comes from the routed (still %2F-encoded) path; ?path= is decoded already.
    in_route = "path" in request.path_params
    filtered = ((param(path) if in_route else path) or "").strip("/")
    if len(filtered) > MAX_PATH_FILTER:
        raise BadRequestError(f"path is longer than {MAX_PATH_FILTER} characters")
    if filtered:
        infos = hub.files.path_log(ref, commit, filtered, skip=page * limit, limit=limit + 1)
    else:
        infos = hub.files.log(ref, commit, skip=page * limit, limit=limit + 1)
    if len(infos) > limit:
        infos = infos[:limit]
        response.headers["Link"] = next_link(request, p=str(page + 1))
    formatted = "formatted" in query.getlist("expand[]") + query.getlist("expand")
    if not filtered:
        response.headers["X-Total-Count"] = str(hub.files.count_commits(ref, commit))
    return [commit_item(info, formatted=formatted) for info in infos]


@router.post("/api/{plural}/{namespace}/{name}/super-squash/{revision}")
def super_squash(plural: str, namespace: str, name: str, revision: str, caller: CallerDep, hub: HubDep,
                 body: SquashBody | None = None) -> dict:
    ref = find_repo(hub, caller, plural, namespace, name, Access.WRITE)
    oid = hub.commits.super_squash(caller, ref, param(revision), body.message if body else None)
    return {"success": True, "commitOid": oid}

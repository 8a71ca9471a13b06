"""Repo lifecycle, info and listing (protocol sections 2.2-2.4)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from kohakuhub.api.deps import CallerDep, HubDep, UserDep, find_repo, repo_type_from_plural
from kohakuhub.api.errors import repo_url
from kohakuhub.api.middleware import param
from kohakuhub.api.pagination import next_link, parse_bool, parse_limit, parse_offset
from kohakuhub.api.schemas.repos import repo_info, repo_summary, sibling
from kohakuhub.errors import BadRequestError
from kohakuhub.lib.card import MAX_TAG
from kohakuhub.services.auth import Access
from kohakuhub.types import RepoType

router = APIRouter(tags=["repos"])


class CreateBody(BaseModel):
    name: str
    organization: str | None = None
    type: str | None = None
    visibility: str | None = None
    private: bool | None = None
    model_config = {"extra": "allow"}  # spaces send sdk, hardware, ...


class DeleteBody(BaseModel):
    name: str
    organization: str | None = None
    type: str | None = None


class MoveBody(BaseModel):
    fromRepo: str
    toRepo: str
    type: str | None = None


class SettingsBody(BaseModel):
    private: bool | None = None
    visibility: str | None = None
    gated: Any = None  # "auto" | "manual" | false; checked by _gating (a bool or a string)
    model_config = {"extra": "forbid"}  # an unknown setting is refused, never silently dropped


def _type(value: str | None) -> RepoType:
    try:
        return RepoType(value or "model")
    except ValueError:
        raise BadRequestError(f"Invalid repo type {value!r}: use model, dataset or space") from None


def _private(visibility: str | None, private: bool | None) -> bool | None:
    if visibility is None:
        return private
    if visibility not in ("public", "private", "protected"):
        raise BadRequestError(f"Invalid visibility {visibility!r}")
    return visibility == "private"


@router.post("/api/repos/create")
def create_repo(body: CreateBody, request: Request, caller: UserDep, hub: HubDep) -> dict:
    repo_type = _type(body.type)
    ref = hub.repos.create_repo(caller, repo_type, body.organization, body.name,
                                private=bool(_private(body.visibility, body.private)))
    return {"url": repo_url(request, repo_type.value, ref.id), "repo_id": ref.id, "id": ref.row.key}


@router.delete("/api/repos/delete")
def delete_repo(body: DeleteBody, caller: UserDep, hub: HubDep) -> dict:
    hub.repos.delete_repo(caller, _type(body.type), body.organization or caller.username, body.name)
    return {"success": True}


@router.post("/api/repos/move")
def move_repo(body: MoveBody, request: Request, caller: UserDep, hub: HubDep) -> dict:
    repo_type = _type(body.type)
    ref = hub.repos.move_repo(caller, repo_type, body.fromRepo, body.toRepo)
    return {"success": True, "url": repo_url(request, repo_type.value, ref.id)}


def _gating(value: Any) -> str | None:
    """The body's ``gated`` as stored: "auto", "manual", "" (false) or None (not given)."""
    if value is None:
        return None
    if value is False:
        return ""
    if value in ("auto", "manual"):
        return value
    raise BadRequestError(f"Invalid gated value {value!r}: use 'auto', 'manual' or false")


@router.put("/api/{plural}/{namespace}/{name}/settings")
def update_settings(plural: str, namespace: str, name: str, body: SettingsBody, caller: CallerDep,
                    hub: HubDep) -> dict:
    private, gated = _private(body.visibility, body.private), _gating(body.gated)
    if private is None and gated is None:
        raise BadRequestError("Nothing to update: send 'visibility' (or 'private') and/or 'gated'")
    hub.repos.update_settings(caller, repo_type_from_plural(plural), param(namespace), param(name),
                              private=private, gated=gated)
    return {"success": True}


@router.get("/api/{plural}/{namespace}/{name}/auth-check")
def auth_check(plural: str, namespace: str, name: str, caller: CallerDep, hub: HubDep) -> dict:
    # As the Hub: a gated repo answers GatedRepo to a reader without an accepted access request.
    find_repo(hub, caller, plural, namespace, name, Access.DOWNLOAD)
    return {"success": True}


@router.get("/api/{plural}/{namespace}/{name}/auth-check/write")
def auth_check_write(plural: str, namespace: str, name: str, caller: CallerDep, hub: HubDep) -> dict:
    find_repo(hub, caller, plural, namespace, name, Access.WRITE)
    return {"success": True}


def _info(request: Request, hub: HubDep, caller: CallerDep, plural: str, namespace: str, name: str,
          revision: str) -> dict:
    hub.downloads.flush()  # first: this worker's counted downloads show at once (others' within a second)
    ref = find_repo(hub, caller, plural, namespace, name)
    sha = hub.files.resolve(ref, revision)
    metadata = parse_bool(request.query_params.get("blobs"))
    siblings = [sibling(v, metadata=metadata) for v in hub.files.iter_files(ref, sha)]
    return repo_info(ref.row, sha=sha, last_commit=hub.files.commit_info(ref, sha), siblings=siblings,
                     card=hub.files.card_data(ref, sha), used_storage=hub.quotas.used_storage(ref.row),
                     stats=hub.repos.stats_of([ref.row])[ref.row.id])


@router.get("/api/{plural}/{namespace}/{name}")
def get_repo_info(plural: str, namespace: str, name: str, request: Request, caller: CallerDep,
                  hub: HubDep) -> dict:
    return _info(request, hub, caller, plural, namespace, name, "main")


@router.get("/api/{plural}/{namespace}/{name}/revision/{revision}")
def get_repo_info_at(plural: str, namespace: str, name: str, revision: str, request: Request,
                     caller: CallerDep, hub: HubDep) -> dict:
    return _info(request, hub, caller, plural, namespace, name, param(revision))


TAGS_PER_KIND = 100
_PREFIXED = {"license": "license:", "dataset": "dataset:"}


def _tags_by_type(hub: HubDep, repo_type: RepoType) -> dict:
    """The Hub's ``/api/{models,datasets}-tags-by-type``: the tags public repos use, most used first
    (``count`` is ours: how many public repos carry it)."""
    return {kind: [{"id": tag, "label": tag.removeprefix(_PREFIXED.get(kind, "")), "type": kind, "count": n}
                   for tag, n in tags]
            for kind, tags in hub.repos.tags_by_type(repo_type, TAGS_PER_KIND).items()}


@router.get("/api/models-tags-by-type")
def model_tags(hub: HubDep) -> dict:
    return _tags_by_type(hub, RepoType.MODEL)


@router.get("/api/datasets-tags-by-type")
def dataset_tags(hub: HubDep) -> dict:
    return _tags_by_type(hub, RepoType.DATASET)


@router.get("/api/spaces-tags-by-type")
def space_tags(hub: HubDep) -> dict:
    return _tags_by_type(hub, RepoType.SPACE)


@router.get("/api/{plural}")
def list_repos(plural: str, request: Request, response: Response, caller: CallerDep, hub: HubDep) -> list:
    repo_type = repo_type_from_plural(plural)
    query = request.query_params
    limit = parse_limit(query.get("limit"), default=1000, maximum=1000)
    offset = parse_offset(query.get("cursor"), "cursor")
    direction = query.get("direction")
    gated = query.get("gated")
    hub.downloads.flush()  # sorted by what this worker counted too
    rows = hub.repos.list_repos(
        caller, repo_type, author=query.get("author"), search=query.get("search"),
        sort=query.get("sort"), ascending=direction in ("1", "asc"), offset=offset, limit=limit,
        tags=_filters(query), gated=None if gated is None else parse_bool(gated),
    )
    if len(rows) > limit:
        rows = rows[:limit]
        response.headers["Link"] = next_link(request, cursor=str(offset + limit))
    tags = hub.repos.card_tags_of([row.id for row in rows])
    stats = hub.repos.stats_of(rows)
    return [repo_summary(row, stats[row.id], tags.get(row.id, [])) for row in rows]


MAX_FILTERS = 20


def _filters(query) -> list[str]:
    """The card tags every listed repo must have: ``filter`` (repeated or comma-separated, as the client
    and the Hub's pages send it) and the client's ``pipeline_tag``."""
    tags = [tag.strip() for value in query.getlist("filter") for tag in value.split(",") if tag.strip()]
    if query.get("pipeline_tag"):
        tags.append(query["pipeline_tag"].strip())
    if len(tags) > MAX_FILTERS:
        raise BadRequestError(f"At most {MAX_FILTERS} filters at once")
    if any(len(tag) > MAX_TAG for tag in tags):
        raise BadRequestError(f"A filter is longer than {MAX_TAG} characters")
    return tags

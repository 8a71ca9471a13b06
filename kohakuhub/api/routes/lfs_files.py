"""A repo's LFS files: the Hub's ``lfs-files`` listing and permanent deletion (protocol section 2.7)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from kohakuhub.api.deps import CallerDep, HubDep, find_repo
from kohakuhub.api.pagination import next_link, parse_limit, parse_offset
from kohakuhub.errors import BadRequestError
from kohakuhub.lib.timefmt import iso_z
from kohakuhub.services.auth import Access

router = APIRouter(tags=["lfs-files"])

PAGE = 100


@router.get("/api/{plural}/{namespace}/{name}/lfs-files")
def list_lfs_files(plural: str, namespace: str, name: str, request: Request, response: Response,
                   caller: CallerDep, hub: HubDep) -> list:
    """``[{fileOid, oid, filename, ref, pushedAt, size}]``, newest first, paged by ``Link``."""
    ref = find_repo(hub, caller, plural, namespace, name, Access.WRITE)
    limit = parse_limit(request.query_params.get("limit"), default=PAGE, maximum=1000)
    offset = parse_offset(request.query_params.get("cursor"), "cursor")
    files, more = hub.lfs_files.list_lfs_files(ref, offset=offset, limit=limit)
    if more:
        response.headers["Link"] = next_link(request, cursor=str(offset + limit))
    return [{"fileOid": f.oid, "oid": f.oid, "filename": f.filename, "ref": f.ref, "pushedAt": iso_z(f.pushed_at),
             "size": f.size} for f in files]


@router.post("/api/{plural}/{namespace}/{name}/lfs-files/batch")
def delete_lfs_files(plural: str, namespace: str, name: str, body: dict, caller: CallerDep, hub: HubDep) -> dict:
    """Body ``{"deletions": {"sha": [fileOid, ...], "rewriteHistory": true}}``: delete the objects for good."""
    deletions = body.get("deletions")
    if not isinstance(deletions, dict):
        raise BadRequestError("The body must be {\"deletions\": {\"sha\": [...], \"rewriteHistory\": true}}")
    ref = find_repo(hub, caller, plural, namespace, name, Access.WRITE)
    deleted = hub.lfs_files.permanently_delete_lfs_files(ref, deletions.get("sha"),
                                                         rewrite_history=deletions.get("rewriteHistory", True))
    return {"success": True, "deleted": deleted}

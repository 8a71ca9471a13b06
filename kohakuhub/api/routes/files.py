"""Reading files: tree, paths-info and resolve (protocol sections 2.5, 2.6 and 3)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.convertors import StringConvertor, register_url_convertor

from kohakuhub.api.deps import CallerDep, Hub, HubDep, find_repo
from kohakuhub.api.byte_responses import BlobFileResponse, serve_bytes, serve_reconstructed, serve_stream
from kohakuhub.api.errors import base_url
from kohakuhub.api.middleware import param
from kohakuhub.api.pagination import next_link, parse_bool, parse_limit
from kohakuhub.api.schemas.repos import tree_entry
from kohakuhub.errors import BadRequestError, EntryNotFoundError, PayloadTooLargeError
from kohakuhub.lib.content_safety import SANDBOX_POLICY, content_disposition, present
from kohakuhub.lib.http_range import parse_range
from kohakuhub.services.auth import Access, Caller
from kohakuhub.services.files import FileView
from kohakuhub.services.repos import RepoRef

router = APIRouter(tags=["files"])

TREE_PAGE = 1000
TREE_PAGE_EXPANDED = 50  # as the Hub: lastCommit costs a history walk per page
MAX_PATHS_INFO = 1000


@router.get("/api/{plural}/{namespace}/{name}/tree/{revision}")
@router.get("/api/{plural}/{namespace}/{name}/tree/{revision}/{path:path}")
def list_tree(plural: str, namespace: str, name: str, revision: str, request: Request, response: Response,
              caller: CallerDep, hub: HubDep, path: str = "") -> list:
    ref = find_repo(hub, caller, plural, namespace, name)
    commit = hub.files.resolve(ref, param(revision))
    query = request.query_params
    expand = parse_bool(query.get("expand"))
    limit = parse_limit(query.get("limit"), default=TREE_PAGE_EXPANDED if expand else TREE_PAGE,
                        maximum=TREE_PAGE_EXPANDED if expand else TREE_PAGE)
    page, more = hub.files.tree(ref, commit, param(path), recursive=parse_bool(query.get("recursive")),
                                start_after=query.get("cursor") or None, limit=limit)
    last = hub.files.last_commits(ref, commit, [v.path for v in page]) if expand else {}
    if more:
        response.headers["Link"] = next_link(request, cursor=page[-1].path)
    xet = _xet_hashes(hub, page)
    return [tree_entry(v, last.get(v.path), xet.get(v.lfs.oid) if v.lfs else None) for v in page]


@router.post("/api/{plural}/{namespace}/{name}/paths-info/{revision}")
async def paths_info(plural: str, namespace: str, name: str, revision: str, request: Request,
                     caller: CallerDep, hub: HubDep) -> list:
    # Form-encoded, not JSON (protocol section 2.6); a JSON body is accepted too.
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            raise BadRequestError("The paths-info body is not valid JSON") from None
        if not isinstance(body, dict):
            raise BadRequestError("The paths-info body must be an object with 'paths'")
        paths, expand = body.get("paths", []), bool(body.get("expand", False))
    else:
        # Starlette's default field limit (1000) would answer 400 before the Hub's 413 below.
        form = await request.form(max_fields=MAX_PATHS_INFO * 10)
        paths = [str(p) for p in form.getlist("paths")] or [str(p) for p in form.getlist("paths[]")]
        expand = parse_bool(str(form.get("expand") or ""))
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise BadRequestError("'paths' must be a list of strings")
    if len(paths) > MAX_PATHS_INFO:
        raise PayloadTooLargeError(f"At most {MAX_PATHS_INFO} paths per request, got {len(paths)}")
    def work() -> list:
        ref = find_repo(hub, caller, plural, namespace, name)
        commit = hub.files.resolve(ref, param(revision))
        views = hub.files.paths_info(ref, commit, [str(p) for p in paths])
        last = hub.files.last_commits(ref, commit, [v.path for v in views]) if expand else {}
        xet = _xet_hashes(hub, views)
        return [tree_entry(v, last.get(v.path), xet.get(v.lfs.oid) if v.lfs else None) for v in views]

    return await run_in_threadpool(work)


def _xet_hashes(hub: Hub, views: list[FileView]) -> dict[str, str]:
    """LFS oid -> Xet file hash of the files stored as Xet: only those advertise Xet (protocol section 6)."""
    oids = [v.lfs.oid for v in views if v.lfs is not None]
    return hub.xet.xet_hashes(oids) if oids else {}


# Regular files below this size are read on the event loop: a thread hop costs more than the read.
INLINE_READ_BYTES = 256 * 1024


@dataclass(frozen=True)
class ResolvedFile:
    """What resolve needs to answer: the file, where it lives, and the headers the client requires."""

    ref: RepoRef
    view: FileView
    headers: dict[str, str]
    media_type: str
    xet_hash: str | None = None


def locate_file(hub: Hub, caller: Caller | None, plural: str, namespace: str, name: str, revision: str,
                path: str, base: str) -> ResolvedFile:
    """Metadata of a file for resolve: repo access, revision, tree entry and the protocol headers.

    Raises:
        RepoNotFoundError, RevisionNotFoundError, EntryNotFoundError: as for every repo read.
    """
    ref = find_repo(hub, caller, plural, namespace, name, Access.DOWNLOAD)
    commit = hub.files.resolve(ref, param(revision))
    view = hub.files.file(ref, commit, param(path))
    shown = present(view.path)  # repo content never runs at the hub's origin (lib/content_safety.py)
    headers = {
        "X-Repo-Commit": commit,
        "Accept-Ranges": "bytes",
        "Content-Disposition": shown.disposition,
        "Content-Security-Policy": SANDBOX_POLICY,
        "Cache-Control": "private, max-age=0, must-revalidate" if ref.row.private else "public, max-age=0",
    }
    xet_hash = None
    if view.lfs is None:
        headers["ETag"] = f'"{view.oid}"'
    else:
        if not hub.lfs.linked_to(ref, view.lfs.oid):  # permanently deleted from this repo
            raise EntryNotFoundError(f"{view.path}: its LFS content was permanently deleted from this repo",
                                     commit=commit)
        headers.update({
            "ETag": f'"{view.lfs.oid}"',
            "X-Linked-Etag": f'"{view.lfs.oid}"',
            "X-Linked-Size": str(view.lfs.size),
        })
        xet_hash = hub.xet.xet_hashes([view.lfs.oid]).get(view.lfs.oid)
        if xet_hash is not None:
            # Xet download advertisement (protocol section 6): the client fetches a read token from the
            # refresh route (pinned to this commit) and reconstructs the file from the CAS.
            refresh = f"{base}/api/{plural}/{namespace}/{name}/xet-read-token/{commit}"
            headers.update({"X-Xet-Hash": xet_hash, "X-Xet-Refresh-Route": refresh,
                            "Link": f'<{refresh}>; rel="xet-auth"'})
    return ResolvedFile(ref, view, headers, shown.media_type, xet_hash)


async def resolve_file(request: Request, hub: Hub, caller: Caller | None, plural: str, namespace: str,
                       name: str, revision: str, path: str) -> Response:
    """HEAD/GET of a file: metadata headers the client requires, then the bytes (ranges allowed).

    This is the hottest route (every download HEADs first). With SQLite, the metadata lookups take
    microseconds and run on the event loop; a network database is queried from the threadpool.
    """
    args = (hub, caller, plural, namespace, name, revision, path, base_url(request))
    found = locate_file(*args) if hub.local_metadata else await run_in_threadpool(locate_file, *args)
    view, headers, media_type = found.view, found.headers, found.media_type
    # In memory only (services/downloads.py): HEAD and GET of a counted file, once per visitor and window.
    hub.downloads.record(found.ref.row.id, found.ref.row.repo_type, view.path, _visitor(request, caller))
    if parse_bool(request.query_params.get("download")):
        # The Hub's ?download=true (the web page's download button): an attachment whatever the type. Before
        # the presigned URL is made, so S3 is told the same.
        headers["Content-Disposition"] = content_disposition(view.path, inline=False)
    if view.lfs is None:
        if request.method == "HEAD" and not request.headers.get("range"):
            headers["Content-Length"] = str(view.size)
            return Response(status_code=200, headers=headers, media_type=media_type)
        read = partial(hub.files.read_small, found.ref, view.oid)
        data = read() if view.size <= INLINE_READ_BYTES else await run_in_threadpool(read)
        return serve_bytes(request, data, headers, media_type)
    if request.method == "HEAD" and not request.headers.get("range"):
        # Metadata only: no need to open or stat the object. With S3 too: a HEAD is answered here rather
        # than redirected (a presigned URL is signed for GET; the client reads X-Linked-* and X-Repo-Commit
        # from this answer, then GETs resolve and follows the 302, protocol section 3).
        headers["Content-Length"] = str(view.lfs.size)
        return Response(status_code=200, headers=headers, media_type=media_type)
    store = hub.lfs.store
    key = hub.lfs.object_key(view.lfs.oid)
    if found.xet_hash is not None:
        reconstructed = await run_in_threadpool(hub.xet.reconstructed, view.lfs.oid)
        if reconstructed is not None:
            # A client without Xet: the bytes are rebuilt from the file's chunks as they stream out.
            return serve_reconstructed(request, hub, reconstructed, headers, media_type)
    url = store.presigned_get_url(key, expires_in=hub.settings.lfs_url_ttl_seconds,
                                  disposition=headers["Content-Disposition"], media_type=media_type)
    if url is not None:
        # Design (b) of protocol section 3: a 302 to another origin carrying the metadata itself.
        return RedirectResponse(url, status_code=302, headers=headers)
    local = store.local_path(key)
    if local is not None:
        # Validate here so an unsatisfiable range gets the hub's error headers, not Starlette's bare 416.
        parse_range(request.headers.get("range"), view.lfs.size)
        return BlobFileResponse(local, headers=headers, media_type=media_type)
    return serve_stream(request, view.lfs.size, partial(store.read_range, key), headers, media_type)


def _visitor(request: Request, caller: Caller | None) -> str:
    """Who a download is counted for: the signed-in user, else the client address (as the Hub counts)."""
    if caller is not None:
        return f"user:{caller.user_id}"
    return f"addr:{request.client.host if request.client else ''}"


def _resolve_route(plural: str | None):
    """A resolve endpoint for one URL family (``plural`` None: taken from the /api/{plural}/ path)."""

    async def endpoint(namespace: str, name: str, revision: str, path: str, request: Request, hub: HubDep,
                       caller: CallerDep, plural_param: str = "") -> Response:
        return await resolve_file(request, hub, caller, plural or plural_param, namespace, name, revision, path)

    return endpoint


class _NamespaceConvertor(StringConvertor):
    """A namespace segment that is not ``api``: model file URLs must never capture API paths.

    Resolve is the hottest route, so it is mounted first; this keeps ``/api/...`` out of its reach.
    """

    regex = r"(?!api/)[^/]+"


register_url_convertor("namespace", _NamespaceConvertor())

_RESOLVE = "{namespace:namespace}/{name}/resolve/{revision}/{path:path}"
for _prefix, _plural in (("/datasets/", "datasets"), ("/spaces/", "spaces"), ("/", "models")):
    router.add_api_route(_prefix + _RESOLVE, _resolve_route(_plural), methods=["GET", "HEAD"])
router.add_api_route("/api/{plural_param}/" + _RESOLVE, _resolve_route(None), methods=["GET", "HEAD"])

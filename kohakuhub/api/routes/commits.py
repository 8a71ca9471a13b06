"""Writing: preupload and the streamed NDJSON commit (protocol sections 5.2 and 5.3)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from kohakuhub.api.deps import CallerDep, HubDep, find_repo
from kohakuhub.api.errors import repo_url
from kohakuhub.api.middleware import param
from kohakuhub.errors import BadRequestError
from kohakuhub.lib.ndjson_commit import CommitLine, parse_commit_stream
from kohakuhub.services.auth import Access

router = APIRouter(tags=["commits"])

# Lines are handed to the worker thread in batches: one thread hop per line would dominate the cost of
# commits with thousands of small files, and the small files of a batch are stored as one git pack, so
# a 10,000-file commit makes 3 packs. Inline contents are under 1 MiB each (larger ones are spooled to
# disk), so a batch holds at most ~33 MiB in memory.
BATCH_LINES = 4096
BATCH_BYTES = 32 << 20


@router.post("/api/{plural}/{namespace}/{name}/preupload/{revision}")
def preupload(plural: str, namespace: str, name: str, revision: str, body: dict, caller: CallerDep,
              hub: HubDep) -> dict:
    ref = find_repo(hub, caller, plural, namespace, name, Access.WRITE)
    files = hub.commits.preupload(ref, param(revision), body.get("files"), body.get("gitIgnore"))
    return {"files": files, "commitOid": hub.files.resolve(ref, param(revision))}


@router.post("/api/{plural}/{namespace}/{name}/commit/{revision}")
async def commit(plural: str, namespace: str, name: str, revision: str, request: Request, caller: CallerDep,
                 hub: HubDep) -> dict:
    if request.query_params.get("create_pr") in ("1", "true"):
        raise BadRequestError("Pull requests are not supported by this hub yet; commit to a branch")
    settings = hub.settings

    def begin():
        ref = find_repo(hub, caller, plural, namespace, name, Access.WRITE)
        return ref, hub.commits.begin(caller, ref, param(revision))

    ref, session = await run_in_threadpool(begin)
    settings.spool_dir.mkdir(parents=True, exist_ok=True)
    batch: list[CommitLine] = []
    batch_bytes = 0
    try:
        async for line in parse_commit_stream(request.stream(), spool_dir=settings.spool_dir,
                                              max_body_bytes=settings.max_commit_body_bytes):
            batch.append(line)
            batch_bytes += line.content_size
            if len(batch) >= BATCH_LINES or batch_bytes >= BATCH_BYTES or line.content_file is not None:
                await run_in_threadpool(session.add_lines, batch)
                batch, batch_bytes = [], 0
        if batch:
            await run_in_threadpool(session.add_lines, batch)
            batch = []
        oid = await run_in_threadpool(session.finish)
    finally:
        session.discard(batch)
    url = repo_url(request, ref.type.value, ref.id)
    return {"success": True, "commitOid": oid, "commitUrl": f"{url}/commit/{oid}", "pullRequestUrl": None}

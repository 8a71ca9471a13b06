"""Writing: preupload and the streamed NDJSON commit (protocol sections 5.2 and 5.3)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from kohakuhub.api.deps import CallerDep, HubDep, find_writable_repo
from kohakuhub.api.errors import repo_url
from kohakuhub.api.middleware import param
from kohakuhub.api.pagination import parse_bool
from kohakuhub.lib.ndjson_commit import CommitLine, parse_commit_stream

router = APIRouter(tags=["commits"])

# Lines are handed to the worker thread in batches: one thread hop per line would dominate the cost of
# commits with thousands of small files, and the small files of a batch are stored as one git pack, so
# a 10,000-file commit makes 3 packs. Inline contents are under 1 MiB each (larger ones are spooled to
# disk), so a batch holds at most ~33 MiB in memory.
BATCH_LINES = 4096
BATCH_BYTES = 32 << 20


@router.post("/api/{plural}/{namespace}/{name}/preupload/{revision}")
def preupload(plural: str, namespace: str, name: str, revision: str, body: dict, request: Request,
              caller: CallerDep, hub: HubDep) -> dict:
    # ?create_pr=1: the upload is for a pull request the commit will open (readers may open one).
    create_pr = parse_bool(request.query_params.get("create_pr"))
    ref = find_writable_repo(hub, caller, plural, namespace, name, revision=param(revision), create_pr=create_pr)
    files = hub.commits.preupload(ref, param(revision), body.get("files"), body.get("gitIgnore"))
    return {"files": files, "commitOid": hub.files.resolve(ref, param(revision))}


@router.post("/api/{plural}/{namespace}/{name}/commit/{revision}")
async def commit(plural: str, namespace: str, name: str, revision: str, request: Request, caller: CallerDep,
                 hub: HubDep) -> dict:
    """A commit to a branch or to ``refs/pr/<num>``; with ``?create_pr=1`` it opens a pull request against
    the branch instead (the answer's ``pullRequestUrl`` names it)."""
    create_pr = parse_bool(request.query_params.get("create_pr"))
    settings = hub.settings

    def begin():
        ref = find_writable_repo(hub, caller, plural, namespace, name, revision=param(revision),
                                 create_pr=create_pr)
        return ref, hub.commits.begin(caller, ref, param(revision), create_pr=create_pr)

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
    opened = f"{url}/discussions/{session.opened.num}" if session.opened is not None else None
    return {"success": True, "commitOid": oid, "commitUrl": f"{url}/commit/{oid}", "pullRequestUrl": opened}

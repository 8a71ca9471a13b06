"""What a commit changed, and comparisons of two revisions.

The Hub has no public JSON for either; the shapes (GitHub-like, in the Hub's camelCase):

``GET /api/{plural}/{ns}/{name}/commit/{revision}``: the commit ``revision`` names (a sha, short sha,
branch or tag) diffed against its first parent, or the empty tree for a root commit::

    {"id", "title", "message", "date", "authors": [{"user"}], "parents": [sha], "base": sha | null,
     "files": [FILE], "filesChanged": int, "truncated": bool}

``GET /api/{plural}/{ns}/{name}/compare/{base}...{head}`` (each side percent-encoded if it has a
slash): ``git log base..head`` and ``git diff base...head`` (from the merge base; from base itself when
the histories are unrelated)::

    {"base": sha, "head": sha, "mergeBase": sha | null, "commits": [commit], "commitsTruncated": bool,
     "files": [FILE], "filesChanged": int, "truncated": bool}

``FILE``: ``{"status": "added"|"modified"|"deleted"|"renamed"|"typechange", "oldPath", "newPath",
"oldOid", "newOid" (git blob ids), "oldSize", "newSize" (the file's size: the LFS object's for a
pointer), "oldMode", "newMode", "lfs": {"old": {"oid", "size"} | null, "new": ...} | null, "binary",
"additions", "deletions", "diff": unified diff hunks (from the first "@@") | null, "truncated"}``.
Bounds (``DiffLimits``): the first 300 files are described and ``filesChanged`` counts all; text diffs
are cut at 64 KiB per file and 512 KiB per answer, blobs above 1 MiB get none; ``truncated`` says so.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kohakuhub.api.deps import CallerDep, HubDep, find_repo
from kohakuhub.api.middleware import param
from kohakuhub.api.schemas.history import commit_diff, comparison
from kohakuhub.errors import BadRequestError
from kohakuhub.lib.unified_diff import split_compare_spec
from kohakuhub.services.auth import Access

router = APIRouter(tags=["history"])

# Two revisions of at most 256 characters each (FileService.resolve) and the separator.
MAX_SPEC = 2 * 256 + 3


@router.get("/api/{plural}/{namespace}/{name}/commit/{revision}")
def get_commit_diff(plural: str, namespace: str, name: str, revision: str, caller: CallerDep,
                    hub: HubDep) -> dict[str, Any]:
    ref = find_repo(hub, caller, plural, namespace, name, Access.DOWNLOAD)  # diffs show content
    commit = hub.files.resolve(ref, param(revision))
    return commit_diff(hub.diffs.commit_diff(ref, commit))


@router.get("/api/{plural}/{namespace}/{name}/compare/{spec:path}")
def compare(plural: str, namespace: str, name: str, spec: str, caller: CallerDep, hub: HubDep) -> dict[str, Any]:
    ref = find_repo(hub, caller, plural, namespace, name, Access.DOWNLOAD)  # diffs show content
    raw = param(spec)
    sides = split_compare_spec(raw) if len(raw) <= MAX_SPEC else None
    if sides is None:
        raise BadRequestError("Expected compare/{base}...{head}: two revisions separated by '...'")
    base, head = (hub.files.resolve(ref, side) for side in sides)
    return comparison(hub.diffs.compare(ref, base, head))

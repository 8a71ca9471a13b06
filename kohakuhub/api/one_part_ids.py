"""Repo ids without a namespace (``gpt2``): the Hub's repo-not-found answer on every repo route.

The client accepts one-part ids and builds its URLs with them (``/api/models/gpt2/revision/main``,
``/gpt2/resolve/main/config.json``, ``git clone .../gpt2``). Every repo here has a namespace, so no
route matches such a URL; without this the router's bare 404 (or 405) would reach the client as a plain
HTTP error instead of ``RepositoryNotFoundError``. The answer is the one a missing repo gets (protocol
section 7): 401 anonymous (with a Basic challenge on git and LFS URLs, so git asks for credentials),
404 signed in, ``X-Error-Code: RepoNotFound``; an invalid token is still refused as such.
"""

from __future__ import annotations

import re

from fastapi import Request, Response

from kohakuhub.api.deps import get_caller
from kohakuhub.api.errors import error_response
from kohakuhub.errors import HubError, RepoNotFoundError

# What follows ``/api/{type}s/{ns}/{name}`` on the Hub's repo routes (and the client's).
SUB_RESOURCES = frozenset({
    "revision", "tree", "paths-info", "preupload", "commit", "commits", "refs", "branch", "tag", "super-squash",
    "resolve", "xet-read-token", "xet-write-token", "auth-check", "settings", "discussions", "lfs-files",
    "likers", "like", "collaborators", "compare", "treesize", "scan", "user-access-request", "jwt",
    "access-requests", "events", "notebook", "parquet", "croissant",
})
_PLURALS = "models|datasets|spaces"
_API = re.compile(rf"^/api/(?:{_PLURALS})/[^/]+(?:/([^/]+)(?:/.*)?)?$")
# File and git URLs: /[datasets/|spaces/]{name}/resolve/..., /{name}[.git]/info/refs, git-*-pack, info/lfs/...
_FILES = re.compile(
    rf"^/(?:(?:{_PLURALS})/)?[^/]+(?:/resolve/.*|(?:\.git)?/(?:info/refs|git-upload-pack|git-receive-pack|info/lfs/.*))$"
)


def names_one_part_repo(path: str) -> bool:
    """True when ``path`` (the routed path, no route matched) is a repo URL whose id has no namespace."""
    match = _API.match(path)
    if match is not None:
        return match.group(1) is None or match.group(1) in SUB_RESOURCES
    return _FILES.match(path) is not None


async def answer_one_part_id(request: Request) -> Response | None:
    """The repo-not-found answer for a one-part repo id, or None for any other unrouted request."""
    if not names_one_part_repo(request.url.path):
        return None
    try:
        caller = await get_caller(request, request.app.state.hub)
    except HubError as exc:  # an invalid or expired token is refused as such, whatever the URL
        return error_response(request, exc)
    return error_response(request, RepoNotFoundError(anonymous=caller is None))

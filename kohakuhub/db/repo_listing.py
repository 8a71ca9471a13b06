"""The repo lists (``GET /api/models`` ...): filters, visibility and sort in one query."""

from __future__ import annotations

from dataclasses import dataclass

from peewee import fn

from kohakuhub.db.card_tags import repos_with_every_tag
from kohakuhub.db.models import Repo
from kohakuhub.db.repo_stats import popularity_order
from kohakuhub.db.visibility import Viewer, visible_to

# Sort keys as the client sends them (protocol section 2.4; ``id`` is the UI's) -> column.
_COLUMNS = {"lastModified": Repo.updated_at, "createdAt": Repo.created_at, "id": Repo.full_key}
SORT_KEYS = (*_COLUMNS, "downloads", "likes", "trendingScore")


@dataclass(frozen=True)
class RepoFilter:
    """What a listing asks for; ``gated`` None lists gated and ungated repos alike."""

    repo_type: str
    author: str | None = None
    search: str | None = None
    tags: tuple[str, ...] = ()
    gated: bool | None = None


def list_visible_repos(viewer: Viewer, wanted: RepoFilter, *, sort: str | None, ascending: bool,
                       offset: int, limit: int) -> list[Repo]:
    """Repos of ``wanted`` the viewer may see, sorted (newest first by default, ties by id); ``limit + 1``
    rows to detect a next page. ``sort`` must be one of SORT_KEYS or None."""
    query = Repo.select().where(Repo.repo_type == wanted.repo_type)
    condition = visible_to(viewer)
    if condition is not None:
        query = query.where(condition)
    if wanted.author:
        query = query.where(fn.LOWER(Repo.namespace) == wanted.author.lower())
    if wanted.search:
        query = query.where(Repo.full_key.contains(wanted.search.lower()))
    if wanted.tags:
        query = query.where(Repo.id.in_(repos_with_every_tag(list(wanted.tags))))
    if wanted.gated is not None:
        query = query.where(Repo.gated != "" if wanted.gated else Repo.gated == "")
    field = _COLUMNS.get(sort or "createdAt")
    if field is None:
        field = popularity_order(sort or "")
    order = field.asc() if ascending else field.desc()
    return list(query.order_by(order, Repo.id.desc()).offset(offset).limit(limit + 1))

"""JSON shapes of repos, files and commits as the client reads them (protocol sections 2.3-2.7)."""

from __future__ import annotations

from typing import Any

from kohakuhub.db.models import Repo
from kohakuhub.db.repo_stats import RepoStats
from kohakuhub.lib.card import card_tags
from kohakuhub.lib.timefmt import iso_z
from kohakuhub.services.files import FileView
from kohakuhub.types import CommitInfo


def repo_summary(row: Repo, stats: RepoStats, tags: list[str] | None = None) -> dict[str, Any]:
    """The fields every listing and info answer carries (``tags``: the card's, when the caller has them).

    ``gated`` is false or the mode, as the Hub's; ``downloads`` counts the last 30 days (db/repo_stats.py).
    """
    return {
        "_id": str(row.id),
        "id": f"{row.namespace}/{row.name}",
        "author": row.namespace,
        "private": row.private,
        "gated": row.gated or False,
        "disabled": False,
        "downloads": stats.downloads,
        "downloadsAllTime": stats.downloads_all_time,
        "likes": stats.likes,
        "trendingScore": stats.trending_score,
        "createdAt": iso_z(row.created_at),
        "lastModified": iso_z(row.updated_at),
        "tags": tags or [],
    }


def sibling(view: FileView, *, metadata: bool) -> dict[str, Any]:
    """A ``siblings`` item; LFS keys are ``sha256``/``pointerSize`` here, unlike the tree's ``oid``."""
    item: dict[str, Any] = {"rfilename": view.path}
    if metadata:
        item["size"] = view.size
        item["blobId"] = view.oid
        if view.lfs is not None:
            item["lfs"] = {"size": view.lfs.size, "sha256": view.lfs.oid, "pointerSize": view.pointer_size}
    return item


def repo_info(row: Repo, *, sha: str, last_commit: CommitInfo, siblings: list[dict[str, Any]],
              card: dict[str, Any] | None, used_storage: int, stats: RepoStats) -> dict[str, Any]:
    """``GET /api/{type}s/{id}[/revision/{rev}]``. ``usedStorage`` is the whole repo's quota usage (every
    revision), as on the Hub."""
    info = repo_summary(row, stats)
    info.update({
        "sha": sha,
        "lastModified": iso_z(last_commit.date),
        "tags": card_tags(card),
        "siblings": siblings,
        "usedStorage": used_storage,
    })
    if card is not None:
        info["cardData"] = card
        for key in ("library_name", "pipeline_tag"):
            if isinstance(card.get(key), str):
                info[key] = card[key]
    return info


def tree_entry(view: FileView, last_commit: CommitInfo | None = None, xet_hash: str | None = None) -> dict[str, Any]:
    """A tree / paths-info item. ``oid`` is the git blob (or tree) id; ``size`` is the real size.

    ``xetHash`` appears only for files stored as Xet: a client that sees it downloads through Xet.
    """
    if view.type == "directory":
        item: dict[str, Any] = {"type": "directory", "oid": view.oid, "path": view.path}
    else:
        item = {"type": "file", "oid": view.oid, "size": view.size, "path": view.path}
        if view.lfs is not None:
            item["lfs"] = {"oid": view.lfs.oid, "size": view.lfs.size, "pointerSize": view.pointer_size}
        if xet_hash is not None:
            item["xetHash"] = xet_hash
    if last_commit is not None:
        item["lastCommit"] = {"id": last_commit.id, "title": last_commit.title, "date": iso_z(last_commit.date)}
    return item


def commit_item(info: CommitInfo, *, formatted: bool) -> dict[str, Any]:
    """A ``commits`` item."""
    body = info.message.split("\n", 1)[1].strip() if "\n" in info.message else ""
    item: dict[str, Any] = {
        "id": info.id,
        "title": info.title,
        "message": body,
        "date": iso_z(info.date),
        "authors": [{"user": info.author_name}],
    }
    if formatted:
        item["formatted"] = {"title": info.title, "message": body}
    return item

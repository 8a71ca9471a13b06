"""Per-repo storage usage as the quotas service keeps it (``RepoUsage``)."""

from __future__ import annotations

from peewee import JOIN, fn

from kohakuhub.db.models import Repo, RepoUsage


def repo_used_bytes(repo_id: int) -> int | None:
    """The bytes repo ``repo_id`` counts against its namespace (LFS + git), or None when not measured yet."""
    row = RepoUsage.get_or_none(RepoUsage.repo == repo_id)
    return None if row is None else row.lfs_bytes + row.git_bytes


def _used():
    return fn.COALESCE(RepoUsage.lfs_bytes, 0) + fn.COALESCE(RepoUsage.git_bytes, 0)


def repos_of_namespace_with_usage(namespace: str, *, offset: int, limit: int) -> list[tuple[Repo, int]]:
    """The namespace's repos (every type, private ones too), most recently updated first, with the bytes
    each counts against the namespace; ``limit + 1`` rows so a caller can tell whether more follow."""
    query = (Repo.select(Repo, _used().alias("used"))
             .join(RepoUsage, JOIN.LEFT_OUTER, on=(RepoUsage.repo == Repo.id))
             .where(fn.LOWER(Repo.namespace) == namespace.lower())
             .order_by(Repo.updated_at.desc(), Repo.id.desc()).offset(offset).limit(limit + 1))
    return [(row, int(row.used or 0)) for row in query]


def namespace_used_bytes(namespace: str) -> int:
    """What all the namespace's repos count together (the denominator of each one's share)."""
    total = (RepoUsage.select(fn.COALESCE(fn.SUM(_used()), 0)).join(Repo, on=(RepoUsage.repo == Repo.id))
             .where(fn.LOWER(Repo.namespace) == namespace.lower()).scalar())
    return int(total or 0)

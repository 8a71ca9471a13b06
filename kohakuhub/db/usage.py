"""Per-repo storage usage as the quotas service keeps it (``RepoUsage``)."""

from __future__ import annotations

from kohakuhub.db.models import RepoUsage


def repo_used_bytes(repo_id: int) -> int | None:
    """The bytes repo ``repo_id`` counts against its namespace (LFS + git), or None when not measured yet."""
    row = RepoUsage.get_or_none(RepoUsage.repo == repo_id)
    return None if row is None else row.lfs_bytes + row.git_bytes

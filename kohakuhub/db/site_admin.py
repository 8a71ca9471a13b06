"""What the admin portal asks the database: recent activity, storage totals, the largest repos, invitations.

Each function answers one question of the site administration pages; none checks permissions (the admin
service does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import JOIN, SqliteDatabase, fn

from kohakuhub.db.database import database_proxy
from kohakuhub.db.models import Invitation, LfsObject, Repo, RepoUsage, User, XetFile, XetXorb

# Repos created before create_repo wrote one clock reading to both columns have them microseconds apart;
# a real update is another request, never this close to the creation.
CREATION_SLACK = timedelta(milliseconds=10)


@dataclass(frozen=True)
class Activity:
    """One thing that happened on the site: ``kind`` is user_created, org_created, repo_created or
    repo_updated (a commit, push or squash: the repo's lastModified)."""

    kind: str
    at: datetime
    name: str  # the user or organization, or the repo's ``namespace/name``
    repo_type: str | None = None
    private: bool | None = None


def recent_activity(limit: int) -> list[Activity]:
    """The ``limit`` most recent accounts, organizations, new repos and repo updates, newest first.

    There is no event log: each kind is read from the timestamps its rows keep, so a repo shows its last
    update only, and a deleted account or repo leaves no trace.
    """
    events: list[Activity] = []
    for account in User.select(User.username, User.is_org, User.created_at).order_by(
            User.created_at.desc(), User.id.desc()).limit(limit):
        events.append(Activity("org_created" if account.is_org else "user_created", account.created_at,
                               account.username))
    columns = (Repo.repo_type, Repo.namespace, Repo.name, Repo.private)
    for repo in Repo.select(*columns, Repo.created_at).order_by(Repo.created_at.desc(), Repo.id.desc()).limit(limit):
        events.append(Activity("repo_created", repo.created_at, f"{repo.namespace}/{repo.name}", repo.repo_type,
                               repo.private))
    # A new repo's updated_at is its created_at: only later writes are updates. Dropping the untouched rows
    # cannot lose a real update from the top ``limit``: each one's creation, at the same time, is listed.
    updated = Repo.select(*columns, Repo.created_at, Repo.updated_at)
    for repo in updated.order_by(Repo.updated_at.desc(), Repo.id.desc()).limit(limit):
        if repo.updated_at - repo.created_at > CREATION_SLACK:
            events.append(Activity("repo_updated", repo.updated_at, f"{repo.namespace}/{repo.name}",
                                   repo.repo_type, repo.private))
    events.sort(key=lambda e: e.at, reverse=True)
    return events[:limit]


@dataclass(frozen=True)
class StorageTotals:
    """Bytes the site stores, by kind.

    ``lfs_*``: whole LFS objects (uploaded through git-lfs or the LFS batch API). ``xet_*``: files uploaded
    through Xet, ``xet_file_bytes`` their sizes and ``xorb_bytes`` the chunks actually stored for them.
    ``git_bytes``: the contents of the repos' git blobs as quotas count them (each repo apart).
    """

    lfs_objects: int
    lfs_bytes: int
    xet_files: int
    xet_file_bytes: int
    xorbs: int
    xorb_bytes: int
    git_bytes: int


def storage_totals() -> StorageTotals:
    """The site's storage, each object counted once however many repos reference it."""
    lfs_count, lfs_bytes = (LfsObject.select(fn.COUNT(LfsObject.oid), fn.COALESCE(fn.SUM(LfsObject.size), 0))
                            .join(XetFile, JOIN.LEFT_OUTER, on=(XetFile.oid == LfsObject.oid))
                            .where(XetFile.oid.is_null()).tuples().get())
    xet_files, xet_bytes = XetFile.select(fn.COUNT(XetFile.oid), fn.COALESCE(fn.SUM(XetFile.size), 0)).tuples().get()
    xorbs, xorb_bytes = XetXorb.select(fn.COUNT(XetXorb.hash), fn.COALESCE(fn.SUM(XetXorb.size), 0)).tuples().get()
    git_bytes = RepoUsage.select(fn.COALESCE(fn.SUM(RepoUsage.git_bytes), 0)).scalar()
    return StorageTotals(int(lfs_count), int(lfs_bytes), int(xet_files), int(xet_bytes), int(xorbs),
                         int(xorb_bytes), int(git_bytes or 0))


@dataclass(frozen=True)
class RepoSize:
    repo: Repo
    lfs_bytes: int
    git_bytes: int


def largest_repos(limit: int) -> list[RepoSize]:
    """The ``limit`` repos that count the most bytes against their namespace (LFS + git), largest first."""
    used = RepoUsage.lfs_bytes + RepoUsage.git_bytes
    rows = (Repo.select(Repo, RepoUsage.lfs_bytes, RepoUsage.git_bytes)
            .join(RepoUsage, on=(RepoUsage.repo == Repo.id))
            .order_by(used.desc(), Repo.id).limit(limit).objects())
    return [RepoSize(row, int(row.lfs_bytes), int(row.git_bytes)) for row in rows]


def used_bytes_of_repos(repo_ids: list[int]) -> dict[int, int]:
    """Bytes each repo counts against its namespace; a repo not measured yet is left out."""
    if not repo_ids:
        return {}
    rows = RepoUsage.select(RepoUsage.repo, RepoUsage.lfs_bytes, RepoUsage.git_bytes).where(
        RepoUsage.repo.in_(repo_ids)).tuples()
    return {repo: int(lfs) + int(git) for repo, lfs, git in rows}


def registration_invitations() -> list[tuple[Invitation, str]]:
    """Every registration invitation, newest first, with the name of the admin who created it."""
    rows = (Invitation.select(Invitation, User.username).join(User, on=(Invitation.created_by == User.id))
            .where(Invitation.kind == "register").order_by(Invitation.id.desc()).objects())
    return [(row, row.username) for row in rows]


def database_round_trip() -> str:
    """Ask the database for its version (one round trip): ``PostgreSQL 16.4`` or ``SQLite 3.45.1``.

    Raises:
        Whatever the driver raises when the database cannot answer (the health check reports it).
    """
    db = database_proxy.obj
    if isinstance(db, SqliteDatabase):
        return "SQLite " + db.execute_sql("SELECT sqlite_version()").fetchone()[0]
    return "PostgreSQL " + db.execute_sql("SHOW server_version").fetchone()[0]

"""Profiles: a user's public fields and what the profile and storage pages count."""

from __future__ import annotations

from peewee import fn

from kohakuhub.db.database import database_proxy, write_transaction
from kohakuhub.db.models import OrgMember, Repo, RepoCollaborator, RepoLfsObject, User, XetFile


def set_fullname(user_id: int, fullname: str) -> None:
    """Store the display name the Hub calls ``fullname`` (empty: show the username)."""
    with write_transaction(database_proxy.obj):
        User.update(fullname=fullname).where(User.id == user_id).execute()


def set_org_profile(org_id: int, *, fullname: str | None, description: str | None) -> None:
    """Change an organization's display name and/or description (None leaves one as it is)."""
    values = {key: value for key, value in (("fullname", fullname), ("description", description)) if value is not None}
    if values:
        with write_transaction(database_proxy.obj):
            User.update(**values).where(User.id == org_id).execute()


def repo_counts_seen_by(namespace: str, viewer_id: int | None, viewer_is_admin: bool) -> dict[str, int]:
    """How many repos of each type the namespace has that the viewer may see: all of them for a site admin,
    the namespace's own user and its org's members; otherwise the public ones and those shared with them."""
    key = namespace.lower()
    query = Repo.select(Repo.repo_type, fn.COUNT(Repo.id).alias("n")).where(fn.LOWER(Repo.namespace) == key)
    if not viewer_is_admin:
        sees_all = viewer_id is not None and (
            User.select().where((User.id == viewer_id) & (User.username_key == key)).exists()
            or OrgMember.select().join(User, on=(OrgMember.org == User.id))
            .where((User.username_key == key) & (OrgMember.user == viewer_id)).exists())
        if not sees_all:
            shared = RepoCollaborator.select(RepoCollaborator.repo).where(RepoCollaborator.user == viewer_id)
            query = query.where((Repo.private == False) | Repo.id.in_(shared))  # noqa: E712 (peewee expression)
    return {row.repo_type: row.n for row in query.group_by(Repo.repo_type)}


def xet_totals_of_namespace(namespace: str) -> tuple[int, int, int]:
    """``(files, logical bytes, stored bytes)`` of the Xet files the namespace's repos reference, each counted
    once per repo as quotas count them: logical minus stored is what chunk dedup saved."""
    row = (XetFile.select(fn.COUNT(XetFile.oid), fn.COALESCE(fn.SUM(XetFile.size), 0),
                          fn.COALESCE(fn.SUM(XetFile.stored_bytes), 0))
           .join(RepoLfsObject, on=(RepoLfsObject.oid == XetFile.oid))
           .join(Repo, on=(RepoLfsObject.repo == Repo.id))
           .where(fn.LOWER(Repo.namespace) == namespace.lower()).tuples().first())
    files, logical, stored = row or (0, 0, 0)
    return int(files), int(logical), int(stored)

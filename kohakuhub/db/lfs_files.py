"""The LFS objects a repo counts (``RepoLfsObject``): listing them, and forgetting them for good."""

from __future__ import annotations

from datetime import datetime

from kohakuhub.db.database import database_proxy, write_transaction
from kohakuhub.db.models import LfsGrant, LfsObject, RepoLfsObject, XetFile

CHUNK = 500  # ids per IN (...) list


def _chunks(oids: list[str]):
    for start in range(0, len(oids), CHUNK):
        yield oids[start:start + CHUNK]


def repo_lfs_page(repo_id: int, *, offset: int, limit: int) -> list[tuple[str, int, datetime]]:
    """``(oid, size, linked at)`` of the repo's objects, newest first; ``limit + 1`` rows to detect more."""
    query = (RepoLfsObject.select(RepoLfsObject.oid, LfsObject.size, RepoLfsObject.created_at)
             .join(LfsObject, on=(LfsObject.oid == RepoLfsObject.oid))
             .where(RepoLfsObject.repo == repo_id)
             .order_by(RepoLfsObject.created_at.desc(), RepoLfsObject.oid).offset(offset).limit(limit + 1))
    return [(oid, int(size), created) for oid, size, created in query.tuples()]


def linked_oids(repo_id: int, oids: list[str]) -> set[str]:
    """The ``oids`` the repo references."""
    found: set[str] = set()
    for chunk in _chunks(oids):
        found.update(oid for (oid,) in RepoLfsObject.select(RepoLfsObject.oid).where(
            (RepoLfsObject.repo == repo_id) & RepoLfsObject.oid.in_(chunk)).tuples())
    return found


def is_linked(repo_id: int, oid: str) -> bool:
    """Whether the repo references the object (reads of its content need that)."""
    return RepoLfsObject.select().where((RepoLfsObject.repo == repo_id) & (RepoLfsObject.oid == oid)).exists()


def unlink(repo_id: int, oids: list[str]) -> None:
    """The repo no longer references these objects."""
    with write_transaction(database_proxy.obj):
        for chunk in _chunks(oids):
            RepoLfsObject.delete().where((RepoLfsObject.repo == repo_id) & RepoLfsObject.oid.in_(chunk)).execute()


def forget_unreferenced(oids: list[str]) -> set[str]:
    """Forget the objects among ``oids`` that no repo references any more (their row, their Xet file and
    every uploader's grant), in one transaction; return those forgotten, whose bytes may then go."""
    forgotten: set[str] = set()
    with write_transaction(database_proxy.obj):
        for chunk in _chunks(oids):
            still = {oid for (oid,) in RepoLfsObject.select(RepoLfsObject.oid).where(
                RepoLfsObject.oid.in_(chunk)).tuples()}
            gone = [oid for oid in chunk if oid not in still]
            if not gone:
                continue
            LfsGrant.delete().where(LfsGrant.oid.in_(gone)).execute()
            XetFile.delete().where(XetFile.oid.in_(gone)).execute()
            LfsObject.delete().where(LfsObject.oid.in_(gone)).execute()
            forgotten.update(gone)
    return forgotten

"""Queries of the lakeFS mirror's queue: what changed, who mirrors it now, what was mirrored, how far behind.

A repo is *pending* while ``requested > done``. A drainer *claims* it by taking its lease with one
conditional UPDATE, so two workers (or two processes) never mirror the same repo at once; a lease that
runs out (the worker died) can be taken by another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import fn

from kohakuhub.db.database import database_proxy, write_transaction
from kohakuhub.db.models import LakefsMirror, LakefsMirroredCommit, Repo, utcnow


@dataclass(frozen=True)
class Claim:
    """A repo taken by one drainer: ``requested`` is the change count it is about to mirror."""

    key: str
    requested: int


@dataclass(frozen=True)
class MirrorState:
    """One row of ``kohakuhub admin lakefs status``."""

    key: str
    repo: str | None  # "type:namespace/name", None once the hub repo is deleted
    pending: int
    pending_since: datetime | None
    attempts: int
    last_error: str | None
    last_synced_at: datetime | None
    mirrored_commits: int


def note_refs_changed(key: str) -> None:
    """Queue the repo ``key`` for mirroring (its refs moved, or it was deleted)."""
    now = utcnow()
    with write_transaction(database_proxy.obj):
        LakefsMirror.insert(key=key, requested=1, pending_since=now).on_conflict(
            conflict_target=[LakefsMirror.key],
            update={LakefsMirror.requested: LakefsMirror.requested + 1,
                    LakefsMirror.pending_since: fn.COALESCE(LakefsMirror.pending_since, now)},
        ).execute()


def queue_all(keys: list[str]) -> None:
    """Queue every repo in ``keys`` (a resync), clearing their backoff so they are tried at once."""
    for key in keys:
        note_refs_changed(key)
    with write_transaction(database_proxy.obj):
        LakefsMirror.update(attempts=0, next_try_at=None).where(LakefsMirror.key.in_(keys)).execute()


def claim_next(owner: str, lease: timedelta) -> Claim | None:
    """Take the lease of the pending repo queued longest ago that nobody holds and is due, if any."""
    now = utcnow()
    due = ((LakefsMirror.requested > LakefsMirror.done)
           & (LakefsMirror.next_try_at.is_null() | (LakefsMirror.next_try_at <= now))
           & (LakefsMirror.lease_until.is_null() | (LakefsMirror.lease_until < now)))
    candidates = list(LakefsMirror.select(LakefsMirror.key).where(due)
                      .order_by(LakefsMirror.pending_since, LakefsMirror.key).limit(5))
    for row in candidates:
        with write_transaction(database_proxy.obj):
            taken = LakefsMirror.update(lease_owner=owner, lease_until=now + lease).where(
                (LakefsMirror.key == row.key) & due).execute()
            if taken == 1:
                return Claim(row.key, LakefsMirror.get_by_id(row.key).requested)
    return None


def renew_lease(claim: Claim, owner: str, lease: timedelta) -> bool:
    """Extend ``owner``'s lease on ``claim.key``; False when it was lost (ran out and taken by another)."""
    with write_transaction(database_proxy.obj):
        return LakefsMirror.update(lease_until=utcnow() + lease).where(
            (LakefsMirror.key == claim.key) & (LakefsMirror.lease_owner == owner)).execute() == 1


def mark_mirrored(claim: Claim, owner: str) -> None:
    """The changes counted up to ``claim.requested`` are mirrored: release the lease and clear the error."""
    now = utcnow()
    with write_transaction(database_proxy.obj):
        LakefsMirror.update(done=claim.requested, lease_owner=None, lease_until=None, attempts=0,
                            next_try_at=None, last_error=None, last_synced_at=now).where(
            (LakefsMirror.key == claim.key) & (LakefsMirror.lease_owner == owner)).execute()
        # Changes queued while this drainer worked are still pending: from now on, not from before.
        LakefsMirror.update(pending_since=None).where(
            (LakefsMirror.key == claim.key) & (LakefsMirror.requested <= LakefsMirror.done)).execute()
        LakefsMirror.update(pending_since=now).where(
            (LakefsMirror.key == claim.key) & (LakefsMirror.requested > LakefsMirror.done)).execute()


def mark_failed(claim: Claim, owner: str, error: str, retry_in: timedelta) -> None:
    """Mirroring ``claim.key`` failed: record ``error``, release the lease, try again after ``retry_in``."""
    now = utcnow()
    with write_transaction(database_proxy.obj):
        LakefsMirror.update(lease_owner=None, lease_until=None, attempts=LakefsMirror.attempts + 1,
                            next_try_at=now + retry_in, last_error=error[:4000], last_error_at=now).where(
            (LakefsMirror.key == claim.key) & (LakefsMirror.lease_owner == owner)).execute()


def failed_attempts(key: str) -> int:
    """Failures in a row of the repo ``key`` (0 when it is not queued)."""
    row = LakefsMirror.get_or_none(LakefsMirror.key == key)
    return row.attempts if row is not None else 0


def forget_repo(key: str) -> None:
    """The repo and its lakeFS repository are gone: drop its queue row and its mirrored commits."""
    with write_transaction(database_proxy.obj):
        LakefsMirroredCommit.delete().where(LakefsMirroredCommit.key == key).execute()
        LakefsMirror.delete().where(LakefsMirror.key == key).execute()


def record_mirrored_commit(key: str, hub_commit: str, lakefs_commit: str) -> None:
    """Remember that ``hub_commit`` of repo ``key`` is the lakeFS commit ``lakefs_commit``."""
    with write_transaction(database_proxy.obj):
        LakefsMirroredCommit.insert(key=key, hub_commit=hub_commit, lakefs_commit=lakefs_commit).on_conflict(
            conflict_target=[LakefsMirroredCommit.key, LakefsMirroredCommit.hub_commit],
            update={LakefsMirroredCommit.lakefs_commit: lakefs_commit}).execute()


def lakefs_commits_of(key: str, hub_commits: list[str]) -> dict[str, str]:
    """The lakeFS commit of each of ``hub_commits`` of repo ``key`` that was mirrored."""
    found: dict[str, str] = {}
    for start in range(0, len(hub_commits), 500):  # bounded IN lists
        chunk = hub_commits[start:start + 500]
        query = LakefsMirroredCommit.select().where(
            (LakefsMirroredCommit.key == key) & LakefsMirroredCommit.hub_commit.in_(chunk))
        found.update({row.hub_commit: row.lakefs_commit for row in query})
    return found


def forget_mirrored_commits(key: str) -> None:
    """Drop the record of the commits mirrored from repo ``key`` (its lakeFS repository is rebuilt)."""
    with write_transaction(database_proxy.obj):
        LakefsMirroredCommit.delete().where(LakefsMirroredCommit.key == key).execute()


def mirror_states() -> list[MirrorState]:
    """Every queued repo, the most behind first, with its hub id while it exists."""
    counts = dict(LakefsMirroredCommit.select(LakefsMirroredCommit.key, fn.COUNT(LakefsMirroredCommit.hub_commit))
                  .group_by(LakefsMirroredCommit.key).tuples())
    rows = list(LakefsMirror.select().order_by((LakefsMirror.requested - LakefsMirror.done).desc(), LakefsMirror.key))
    names = {repo.key: f"{repo.repo_type}:{repo.namespace}/{repo.name}"
             for repo in Repo.select(Repo.key, Repo.repo_type, Repo.namespace, Repo.name)
             .where(Repo.key.in_([row.key for row in rows]))} if rows else {}
    return [MirrorState(row.key, names.get(row.key), max(row.requested - row.done, 0), row.pending_since,
                        row.attempts, row.last_error, row.last_synced_at, counts.get(row.key, 0)) for row in rows]


def queue_repos_never_queued() -> int:
    """Queue every hub repo that has no queue row (made before the mirror was configured); how many."""
    known = LakefsMirror.select(LakefsMirror.key)
    keys = [key for (key,) in Repo.select(Repo.key).where(Repo.key.not_in(known)).tuples()]
    for key in keys:
        note_refs_changed(key)
    return len(keys)


def all_repo_keys() -> list[str]:
    """The storage key of every hub repo (a resync of all)."""
    return [key for (key,) in Repo.select(Repo.key).tuples()]


def repo_key_of(full_key: str) -> str | None:
    """The storage key of the repo whose case-insensitive full key (``type/namespace/name``) is given, or None."""
    row = Repo.get_or_none(Repo.full_key == full_key.lower())
    return row.key if row is not None else None

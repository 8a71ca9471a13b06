"""Gated repos: the gating mode of a repo and the access requests of its users."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from peewee import IntegrityError

from kohakuhub.db.database import database_proxy, write_transaction
from kohakuhub.db.models import Repo, RepoAccessRequest, User, utcnow


@dataclass(frozen=True)
class AccessRequestRow:
    """An access request with the identity of its user."""

    id: int
    user_id: int
    username: str
    fullname: str
    email: str
    status: str
    fields: dict | None
    shared_contact: bool
    rejection_reason: str
    created_at: datetime
    updated_at: datetime


def _row(request: RepoAccessRequest) -> AccessRequestRow:
    user = request.user
    return AccessRequestRow(request.id, user.id, user.username, user.fullname, user.email, request.status,
                            json.loads(request.fields) if request.fields else None, bool(request.shared_contact),
                            request.rejection_reason, request.created_at, request.updated_at)


def set_gated(repo_id: int, mode: str) -> None:
    """Store the repo's gating mode ("" for not gated); "auto" also accepts every pending request at once."""
    with write_transaction(database_proxy.obj):
        Repo.update(gated=mode).where(Repo.id == repo_id).execute()
        if mode == "auto":
            RepoAccessRequest.update(status="accepted", updated_at=utcnow()).where(
                (RepoAccessRequest.repo == repo_id) & (RepoAccessRequest.status == "pending")).execute()


def find_access_request(repo_id: int, user_id: int) -> AccessRequestRow | None:
    """The user's request to the repo, or None."""
    request = (RepoAccessRequest.select(RepoAccessRequest, User).join(User)
               .where((RepoAccessRequest.repo == repo_id) & (RepoAccessRequest.user == user_id)).first())
    return None if request is None else _row(request)


def find_access_request_by_id(repo_id: int, request_id: int) -> AccessRequestRow | None:
    """The request ``request_id`` if it is one of the repo's, or None."""
    request = (RepoAccessRequest.select(RepoAccessRequest, User).join(User)
               .where((RepoAccessRequest.repo == repo_id) & (RepoAccessRequest.id == request_id)).first())
    return None if request is None else _row(request)


def create_access_request(repo_id: int, user_id: int, status: str, *, fields: dict | None,
                          shared_contact: bool) -> bool:
    """Record a new request; False (and nothing written) when the user already has one for the repo."""
    try:
        with write_transaction(database_proxy.obj):
            RepoAccessRequest.create(repo=repo_id, user=user_id, status=status,
                                     fields=json.dumps(fields) if fields else None, shared_contact=shared_contact)
    except IntegrityError:
        return False
    return True


def change_access_request(request_id: int, from_status: str, to_status: str, *, rejection_reason: str = "") -> bool:
    """Move a request from ``from_status`` to ``to_status``; False when it was not in ``from_status`` any more
    (another writer changed it first), in which case nothing changes."""
    with write_transaction(database_proxy.obj):
        changed = RepoAccessRequest.update(status=to_status, rejection_reason=rejection_reason,
                                           updated_at=utcnow()).where(
            (RepoAccessRequest.id == request_id) & (RepoAccessRequest.status == from_status)).execute()
    return changed == 1


def access_requests_with_status(repo_id: int, status: str, *, offset: int, limit: int) -> list[AccessRequestRow]:
    """One page of the repo's requests in ``status``, oldest change first; ``limit + 1`` rows to detect a
    next page."""
    query = (RepoAccessRequest.select(RepoAccessRequest, User).join(User)
             .where((RepoAccessRequest.repo == repo_id) & (RepoAccessRequest.status == status))
             .order_by(RepoAccessRequest.updated_at, RepoAccessRequest.id).offset(offset).limit(limit + 1))
    return [_row(request) for request in query]

"""Gated repos: users ask for access (answering the card's form), the repo's writers review the requests.

The gate itself is part of the one permission decision (services/auth.py ``repo_access``): a reader of a
gated repo downloads only with an accepted request; writers, owners and site admins are never gated. Here
live the requests: ``auto`` accepts each at once, ``manual`` leaves it pending until a writer decides.
A request moves between pending, accepted and rejected (``handle``); ``grant`` accepts a user who never
asked. Who may see the repo is unchanged: a private gated repo stays missing to everyone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kohakuhub.db.gating import (
    AccessRequestRow,
    access_requests_with_status,
    change_access_request,
    create_access_request,
    find_access_request,
    find_access_request_by_id,
)
from kohakuhub.errors import BadRequestError, ForbiddenError, LoginRequiredError, NotFoundError
from kohakuhub.lib.gate_form import GateField, check_answers, gate_fields
from kohakuhub.services.accounts import AccountService
from kohakuhub.services.auth import Access, Caller
from kohakuhub.services.files import FileService
from kohakuhub.services.repos import RepoRef, RepoService
from kohakuhub.types import RepoType

STATUSES = ("pending", "accepted", "rejected")
MAX_REASON = 200  # the Hub's limit on a rejection reason
# Where a request may go from, per target status ("pending" is the client's cancel_access_request).
_FROM = {"accepted": ("pending", "rejected"), "rejected": ("pending", "accepted"), "pending": ("accepted", "rejected")}


@dataclass(frozen=True)
class GateView:
    """What a repo's gate asks of the caller, and where their request stands."""

    mode: str  # "" (not gated), "auto", "manual"
    fields: list[GateField]
    prompt: str | None
    has_access: bool  # may download now (with or without a request)
    request: AccessRequestRow | None


class GatingService:
    """Access requests to gated repos."""

    def __init__(self, repos: RepoService, files: FileService, accounts: AccountService) -> None:
        self._repos = repos
        self._files = files
        self._accounts = accounts

    def _card(self, ref: RepoRef) -> dict | None:
        return self._files.card_data(ref, self._files.resolve(ref, "main"))

    def gate(self, caller: Caller | None, repo_type: RepoType, namespace: str, name: str) -> GateView:
        """The repo's gate as the caller sees it (anyone who may read the repo).

        Raises:
            RepoNotFoundError: as RepoService.get.
        """
        ref = self._repos.get(caller, repo_type, namespace, name)
        card = self._card(ref) if ref.row.gated else None
        prompt = (card or {}).get("extra_gated_prompt")
        has_access = self._repos.access(caller, ref.row, Access.DOWNLOAD) >= Access.DOWNLOAD
        request = find_access_request(ref.row.id, caller.user_id) if caller else None
        return GateView(ref.row.gated, gate_fields(card), prompt if isinstance(prompt, str) else None,
                        has_access, request)

    def ask_access(self, caller: Caller | None, repo_type: RepoType, namespace: str, name: str,
                   answers: dict[str, Any]) -> str:
        """Request access with the answers to the card's form, sharing the caller's username and email
        with the repo's writers; return where the request stands ("accepted" at once in auto mode).

        Raises:
            LoginRequiredError: anonymous caller. ForbiddenError: a read token, or a rejected request.
            RepoNotFoundError: as RepoService.get. BadRequestError: the repo is not gated, or the answers
            do not fit the card's form (nothing is recorded then).
        """
        caller = _signed_in_writer(caller, "ask for access")
        ref = self._repos.get(caller, repo_type, namespace, name)
        _require_gated(ref)
        existing = find_access_request(ref.row.id, caller.user_id)
        if existing is not None:
            if existing.status == "rejected":
                raise ForbiddenError(f"Your request to access {ref.type.value} {ref.id} was rejected by its "
                                     "authors; they may accept it later")
            return existing.status
        if self._repos.access(caller, ref.row, Access.DOWNLOAD) >= Access.DOWNLOAD:
            return "accepted"  # a writer (or an admin): never gated, nothing to ask
        fields = check_answers(gate_fields(self._card(ref)), answers)
        status = "accepted" if ref.row.gated == "auto" else "pending"
        if not create_access_request(ref.row.id, caller.user_id, status, fields=fields, shared_contact=True):
            request = find_access_request(ref.row.id, caller.user_id)  # a concurrent request won
            return request.status if request else status
        return status

    def _managed(self, caller: Caller | None, repo_type: RepoType, namespace: str, name: str) -> RepoRef:
        ref = self._repos.get(caller, repo_type, namespace, name, Access.WRITE)
        _require_gated(ref)
        return ref

    def list_requests(self, caller: Caller | None, repo_type: RepoType, namespace: str, name: str, status: str,
                      *, offset: int, limit: int) -> list[AccessRequestRow]:
        """One page of the requests in ``status`` (``limit + 1`` rows to detect a next page); writers only.

        Raises:
            RepoNotFoundError, ForbiddenError: as RepoService.get with write access.
            BadRequestError: the repo is not gated. NotFoundError: an unknown status.
        """
        if status not in STATUSES:
            raise NotFoundError(f"Unknown access request status {status!r}: use {', '.join(STATUSES)}")
        ref = self._managed(caller, repo_type, namespace, name)
        return access_requests_with_status(ref.row.id, status, offset=offset, limit=limit)

    def handle(self, caller: Caller | None, repo_type: RepoType, namespace: str, name: str, *,
               username: str | None, request_id: str | None, status: str, reason: str | None) -> None:
        """Accept, reject or cancel (back to pending) one user's request; writers only.

        Raises:
            BadRequestError: bad status, reason or target, or the repo is not gated.
            NotFoundError: no such user or request, or the request is already in ``status`` (as the Hub).
            RepoNotFoundError, ForbiddenError: as RepoService.get with write access.
        """
        if status not in STATUSES:
            raise BadRequestError(f"Invalid status {status!r}: use {', '.join(STATUSES)}")
        reason = _reason(reason, status)
        ref = self._managed(caller, repo_type, namespace, name)
        request = self._target(ref, username, request_id)
        if request.status == status:
            raise NotFoundError(f"The access request of {request.username} is already {status}")
        if not change_access_request(request.id, request.status, status, rejection_reason=reason):
            raise NotFoundError(f"The access request of {request.username} changed meanwhile; reload it")

    def grant(self, caller: Caller | None, repo_type: RepoType, namespace: str, name: str, username: str) -> str:
        """Give a user access without a request of theirs (their email is not shared); writers only.

        Raises:
            BadRequestError: the user already has access, or the repo is not gated.
            NotFoundError: no such user. RepoNotFoundError, ForbiddenError: as RepoService.get (write).
        """
        ref = self._managed(caller, repo_type, namespace, name)
        user = self._user(username)
        request = find_access_request(ref.row.id, user.id)
        if request is not None and request.status == "accepted":
            raise BadRequestError(f"{user.username} already has access to {ref.type.value} {ref.id}")
        if request is None:
            if create_access_request(ref.row.id, user.id, "accepted", fields=None, shared_contact=False):
                return user.username
            request = find_access_request(ref.row.id, user.id)
        if request is None or not change_access_request(request.id, request.status, "accepted"):
            raise BadRequestError(f"The access request of {user.username} changed meanwhile; try again")
        return user.username

    def _user(self, username: str):
        if not isinstance(username, str) or not username:
            raise BadRequestError("'user' must be a username")
        return self._accounts.get_user(username)  # NotFoundError for unknown users and organizations

    def _target(self, ref: RepoRef, username: str | None, request_id: str | None) -> AccessRequestRow:
        if (username is None) == (request_id is None):
            raise BadRequestError("Send exactly one of 'user' and 'requestId'")
        if username is not None:
            user = self._user(username)
            request = find_access_request(ref.row.id, user.id)
            if request is None:
                raise NotFoundError(f"{user.username} has not requested access to {ref.type.value} {ref.id}")
            return request
        if not isinstance(request_id, str) or not request_id.isdigit() or len(request_id) > 18:
            raise NotFoundError(f"No access request {str(request_id)[:40]!r}")
        request = find_access_request_by_id(ref.row.id, int(request_id))
        if request is None:
            raise NotFoundError(f"No access request {request_id!r} for {ref.type.value} {ref.id}")
        return request


def _signed_in_writer(caller: Caller | None, action: str) -> Caller:
    if caller is None:
        raise LoginRequiredError(f"You must be signed in to {action}")
    if not caller.can_write:
        raise ForbiddenError(f"A read token cannot {action}")
    return caller


def _require_gated(ref: RepoRef) -> None:
    if not ref.row.gated:
        raise BadRequestError(f"{ref.type.value.capitalize()} {ref.id} is not gated")


def _reason(reason: str | None, status: str) -> str:
    if reason is None:
        return ""
    if status != "rejected":
        raise BadRequestError("'rejectionReason' goes only with status 'rejected'")
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise BadRequestError(f"'rejectionReason' must be a string of at most {MAX_REASON} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in reason):
        raise BadRequestError("'rejectionReason' must not contain control characters")
    return reason.strip()

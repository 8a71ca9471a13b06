"""Invitation links: to join an organization with a role, or to register when registration is by invite.

The link's token is shown once; only its sha256 is stored. An invitation may expire and may be limited to
a number of uses (one by default); each use is counted with one conditional UPDATE, so two people
racing for the last use cannot both get in.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta

from peewee import Database, IntegrityError

from kohakuhub.db.database import write_transaction
from kohakuhub.db.models import Invitation, OrgMember, User, utcnow
from kohakuhub.errors import BadRequestError, ConflictError, ForbiddenError, NotFoundError
from kohakuhub.services.accounts import AccountService
from kohakuhub.services.auth import Caller
from kohakuhub.services.orgs import OrgService, check_org_role

INVITATION_PREFIX = "khinv_"
MAX_USES = 10_000
MAX_DAYS = 365


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationService:
    """Invitation links and registration by mode (open | invite | closed)."""

    def __init__(self, db: Database, accounts: AccountService, orgs: OrgService, *,
                 registration: str) -> None:
        self._db = db
        self._accounts = accounts
        self._orgs = orgs
        self._registration = registration

    # --- creating --------------------------------------------------------------------------------------

    def create_org_invitation(self, caller: Caller, org_name: str, role: str, *, max_uses: int | None = 1,
                              expires_in_days: int | None = 7) -> tuple[Invitation, str]:
        """Create a link that adds whoever accepts it to ``org_name`` with ``role``.

        Raises:
            NotFoundError: unknown org.
            BadRequestError: bad role, uses or expiry.
            ForbiddenError: the caller may not manage the org, or grant super-admin.
        """
        check_org_role(role)
        org = self._orgs.get_org(org_name)
        caller_role = self._orgs.require_org_admin(caller, org)
        if role == "super-admin" and not (caller.is_admin or caller_role == "super-admin"):
            raise ForbiddenError("Only a super-admin can invite super-admins")
        return self._create(caller, "org", org, role, max_uses, expires_in_days)

    def create_register_invitation(self, caller: Caller, *, max_uses: int | None = 1,
                                   expires_in_days: int | None = 7) -> tuple[Invitation, str]:
        """A link that lets its holders register while registration is by invite. Site admins only.

        Raises:
            ForbiddenError: the caller is not a site admin (or uses a read token).
        """
        if not (caller.is_admin and caller.can_write):
            raise ForbiddenError("Only site administrators can create registration invitations")
        return self._create(caller, "register", None, "", max_uses, expires_in_days)

    def _create(self, caller: Caller, kind: str, org: User | None, role: str, max_uses: int | None,
                expires_in_days: int | None) -> tuple[Invitation, str]:
        if max_uses is not None and not 1 <= max_uses <= MAX_USES:
            raise BadRequestError(f"max_uses must be between 1 and {MAX_USES} (or null for unlimited)")
        if expires_in_days is not None and not 1 <= expires_in_days <= MAX_DAYS:
            raise BadRequestError(f"expires_in_days must be between 1 and {MAX_DAYS} (or null for never)")
        token = INVITATION_PREFIX + secrets.token_urlsafe(32)
        expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
        with write_transaction(self._db):
            row = Invitation.create(token_hash=_digest(token), kind=kind, org=org, role=role,
                                    created_by=caller.user_id, max_uses=max_uses, expires_at=expires_at)
        return row, token

    # --- reading ---------------------------------------------------------------------------------------

    def get(self, token: str) -> Invitation:
        """The invitation behind a link (valid or not). Raises NotFoundError for an unknown token."""
        row = Invitation.get_or_none(Invitation.token_hash == _digest(token or ""))
        if row is None:
            raise NotFoundError("Invitation not found")
        return row

    @staticmethod
    def problem(row: Invitation) -> str | None:
        """Why the invitation cannot be used any more, or None while it is valid."""
        if row.expires_at is not None and row.expires_at <= utcnow():
            return "This invitation has expired"
        if row.max_uses is not None and row.uses >= row.max_uses:
            return "This invitation has already been used"
        return None

    def list_for_org(self, caller: Caller, org_name: str) -> list[Invitation]:
        """Raises NotFoundError (unknown org) or ForbiddenError (not an org admin)."""
        org = self._orgs.get_org(org_name)
        self._orgs.require_org_admin(caller, org)
        return list(Invitation.select().where(Invitation.org == org.id).order_by(Invitation.id))

    def delete(self, caller: Caller, token_or_id: str) -> None:
        """Revoke an invitation by its token or its numeric id (as listed).

        Raises:
            NotFoundError: unknown invitation.
            ForbiddenError: the caller did not create it and does not administer its org or the site.
        """
        if token_or_id.isdigit():
            row = Invitation.get_or_none(Invitation.id == int(token_or_id))
            if row is None:
                raise NotFoundError("Invitation not found")
        else:
            row = self.get(token_or_id)
        if not (caller.can_write and (caller.is_admin or row.created_by_id == caller.user_id)):
            if row.org_id is None:
                raise ForbiddenError("Only site administrators can revoke registration invitations")
            self._orgs.require_org_admin(caller, self._orgs.get_org(row.org.username))
        with write_transaction(self._db):
            Invitation.delete().where(Invitation.id == row.id).execute()

    # --- using -----------------------------------------------------------------------------------------

    def accept(self, caller: Caller, token: str) -> tuple[User, str]:
        """Join the invitation's org with its role; return (org, role).

        Raises:
            NotFoundError: unknown invitation.
            BadRequestError: a registration invitation, or expired/used up.
            ForbiddenError: a read token.
            ConflictError: already a member (the invitation is not used up).
        """
        if not caller.can_write:
            raise ForbiddenError("A read token cannot accept invitations")
        with write_transaction(self._db):
            row = self.get(token)
            if row.kind != "org":
                raise BadRequestError("This invitation is for registering an account, not for an org")
            self._use(row)
            try:
                # A savepoint: on PostgreSQL a failed statement aborts the whole transaction, and the
                # error message below still reads the org.
                with self._db.atomic():
                    OrgMember.create(org=row.org_id, user=caller.user_id, role=row.role)
            except IntegrityError as exc:
                raise ConflictError(f"You are already a member of {row.org.username}") from exc
            return row.org, row.role

    def _use(self, row: Invitation) -> None:
        """Count one use, atomically. Raises BadRequestError when expired or used up."""
        now = utcnow()
        used = (
            Invitation.update(uses=Invitation.uses + 1)
            .where((Invitation.id == row.id)
                   & (Invitation.max_uses.is_null() | (Invitation.uses < Invitation.max_uses))
                   & (Invitation.expires_at.is_null() | (Invitation.expires_at > now)))
            .execute()
        )
        if not used:
            fresh = Invitation.get_by_id(row.id)
            raise BadRequestError(self.problem(fresh) or "This invitation is not valid")

    # --- registration ----------------------------------------------------------------------------------

    @property
    def registration(self) -> str:
        return self._registration

    def register(self, username: str, email: str, password: str, invitation: str | None) -> User:
        """Register a user as the registration mode allows.

        Raises:
            ForbiddenError: registration is closed, or by invite and no invitation was given.
            BadRequestError: the invitation is expired, used up, or not a registration invitation.
            NotFoundError: unknown invitation.
            ConflictError, InvalidRepoIdError: as ``AccountService.create_user``.
        """
        if self._registration == "closed":
            raise ForbiddenError("Registration is closed on this hub; ask an administrator for an account")
        if self._registration == "open":
            return self._accounts.create_user(username, email, password)
        if not invitation:
            raise ForbiddenError("Registration on this hub is by invitation only: send an 'invitation'")
        return self._redeem(invitation, lambda: self._accounts.create_user(username, email, password))

    def _redeem(self, token: str, create: Callable[[], User]) -> User:
        # The use is rolled back if the account cannot be created.
        with write_transaction(self._db):
            row = self.get(token)
            if row.kind != "register":
                raise BadRequestError("This invitation is not a registration invitation")
            self._use(row)
            return create()

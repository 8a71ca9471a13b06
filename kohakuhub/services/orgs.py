"""Organizations and their members, and repo collaborators.

An organization is a row of the user table flagged ``is_org``: user and org names share one
case-insensitive namespace, and the org's repos live under its name like a user's. Roles are upstream
KohakuHub's (visitor < member < admin < super-admin); the creator is a super-admin, whom org admins can
neither remove nor demote.
"""

from __future__ import annotations

from dataclasses import dataclass

from peewee import Database, IntegrityError

from kohakuhub.db.database import write_transaction
from kohakuhub.db.models import OrgMember, Repo, RepoCollaborator, User
from kohakuhub.errors import BadRequestError, ConflictError, ForbiddenError, NotFoundError
from kohakuhub.lib.repo_ids import validate_name
from kohakuhub.services.accounts import RESERVED_NAMES
from kohakuhub.services.auth import (
    COLLABORATOR_ROLES,
    ORG_ROLES,
    Access,
    Caller,
    org_role_access,
)
from kohakuhub.services.repos import RepoService
from kohakuhub.types import RepoType

MAX_DESCRIPTION = 2000
# Orgs never log in: this is not a valid password hash, so every password check fails.
NO_PASSWORD = "!org"


@dataclass(frozen=True)
class Membership:
    """A user's role in an organization."""

    org: User
    user: User
    role: str


def check_org_role(role: str) -> str:
    """Raises BadRequestError for anything but visitor, member, admin or super-admin."""
    if role not in ORG_ROLES:
        raise BadRequestError(f"Invalid role {role!r}: use one of {', '.join(ORG_ROLES)}")
    return role


class OrgService:
    """Organizations, memberships and collaborators. Every method is its own unit of work."""

    def __init__(self, db: Database, repos: RepoService) -> None:
        self._db = db
        self._repos = repos

    # --- organizations -----------------------------------------------------------------------------

    def create_org(self, caller: Caller, name: str, description: str = "") -> User:
        """Create an organization whose super-admin is the caller.

        Raises:
            InvalidRepoIdError: the name breaks the repo-id rules.
            BadRequestError: reserved name or description too long.
            ForbiddenError: a read token.
            ConflictError: a user or organization has that name (any case).
        """
        if not caller.can_write:
            raise ForbiddenError("A read token cannot create organizations")
        validate_name(name, "organization name")
        if name.lower() in RESERVED_NAMES:
            raise BadRequestError(f"The name {name!r} is reserved")
        if len(description or "") > MAX_DESCRIPTION:
            raise BadRequestError(f"Description longer than {MAX_DESCRIPTION} characters")
        try:
            with write_transaction(self._db):
                if User.select().where(User.username_key == name.lower()).exists():
                    raise ConflictError(f"Name {name!r} is already taken")
                org = User.create(
                    username=name, username_key=name.lower(), is_org=True, description=description or "",
                    # email is unique and required: a placeholder no mail is ever sent to.
                    email=f"{name.lower()}@orgs.kohakuhub.invalid", password_hash=NO_PASSWORD,
                )
                OrgMember.create(org=org, user=caller.user_id, role="super-admin")
                return org
        except IntegrityError as exc:
            raise ConflictError(f"Name {name!r} is already taken") from exc

    def get_org(self, name: str) -> User:
        """Raises NotFoundError when no organization has that name."""
        is_org = User.is_org == True  # noqa: E712 (peewee expression)
        org = User.get_or_none((User.username_key == (name or "").lower()) & is_org)
        if org is None:
            raise NotFoundError(f"Organization {name!r} not found")
        return org

    def count_members(self, org: User) -> int:
        return OrgMember.select().where(OrgMember.org == org.id).count()

    # --- members -------------------------------------------------------------------------------------

    def list_members(self, org_name: str) -> list[Membership]:
        """Members of an org, by name. Raises NotFoundError for an unknown org."""
        org = self.get_org(org_name)
        rows = (OrgMember.select(OrgMember, User).join(User, on=(OrgMember.user == User.id))
                .where(OrgMember.org == org.id).order_by(User.username_key))
        return [Membership(org, row.user, row.role) for row in rows]

    def role_of(self, org: User, user_id: int) -> str | None:
        row = OrgMember.get_or_none((OrgMember.org == org.id) & (OrgMember.user == user_id))
        return row.role if row else None

    def require_org_admin(self, caller: Caller, org: User) -> str | None:
        """The caller's role, checking they may manage the org (admin, super-admin or site admin).

        Raises:
            ForbiddenError: they may not (or use a read token).
        """
        role = self.role_of(org, caller.user_id)
        if org_role_access(caller, role) < Access.ADMIN:
            raise ForbiddenError(f"You must be an admin of {org.username} to do this"
                                 + ("" if caller.can_write else " (this token is read-only)"))
        return role

    def add_member(self, caller: Caller, org_name: str, username: str, role: str) -> Membership:
        """Add a user to an org with ``role``.

        Raises:
            NotFoundError: unknown org or user.
            BadRequestError: bad role, or the user is an organization.
            ForbiddenError: the caller may not manage the org, or grant super-admin.
            ConflictError: already a member.
        """
        check_org_role(role)
        with write_transaction(self._db):
            org = self.get_org(org_name)
            caller_role = self.require_org_admin(caller, org)
            user = self._user(username)
            self._check_may_grant(caller, caller_role, role)
            try:
                OrgMember.create(org=org, user=user, role=role)
            except IntegrityError as exc:
                raise ConflictError(f"{user.username} is already a member of {org.username}") from exc
        return Membership(org, user, role)

    def update_member(self, caller: Caller, org_name: str, username: str, role: str) -> Membership:
        """Change a member's role.

        Raises:
            NotFoundError: unknown org, user, or not a member.
            ForbiddenError: the caller may not manage the org or touch a super-admin.
            ConflictError: it would leave the org without a super-admin.
        """
        check_org_role(role)
        with write_transaction(self._db):
            org = self.get_org(org_name)
            caller_role = self.require_org_admin(caller, org)
            user = self._user(username)
            member = self._member(org, user)
            self._check_may_grant(caller, caller_role, role)
            self._check_may_touch(caller, caller_role, member)
            if member.role == "super-admin" and role != "super-admin":
                self._keep_a_super_admin(org)
            OrgMember.update(role=role).where(OrgMember.id == member.id).execute()
        return Membership(org, user, role)

    def remove_member(self, caller: Caller, org_name: str, username: str) -> None:
        """Remove a member (members may also remove themselves, i.e. leave).

        Raises:
            NotFoundError: unknown org, user, or not a member.
            ForbiddenError: the caller may not manage the org or remove a super-admin.
            ConflictError: it would leave the org without a super-admin.
        """
        with write_transaction(self._db):
            org = self.get_org(org_name)
            user = self._user(username)
            leaving = user.id == caller.user_id and caller.can_write
            caller_role = (self.role_of(org, caller.user_id) if leaving
                           else self.require_org_admin(caller, org))
            member = self._member(org, user)
            if not leaving:
                self._check_may_touch(caller, caller_role, member)
            if member.role == "super-admin":
                self._keep_a_super_admin(org)
            OrgMember.delete().where(OrgMember.id == member.id).execute()

    def user_orgs(self, username: str) -> list[Membership]:
        """The organizations a user belongs to. Raises NotFoundError for an unknown user."""
        user = self._user(username)
        return self.orgs_of(user.id)

    def orgs_of(self, user_id: int) -> list[Membership]:
        rows = (OrgMember.select(OrgMember, User).join(User, on=(OrgMember.org == User.id))
                .where(OrgMember.user == user_id).order_by(User.username_key))
        user = User(id=user_id)
        return [Membership(row.org, user, row.role) for row in rows]

    @staticmethod
    def _user(username: str) -> User:
        not_org = User.is_org == False  # noqa: E712 (peewee expression)
        user = User.get_or_none((User.username_key == (username or "").lower()) & not_org)
        if user is None:
            raise NotFoundError(f"User {username!r} not found")
        return user

    @staticmethod
    def _member(org: User, user: User) -> OrgMember:
        member = OrgMember.get_or_none((OrgMember.org == org.id) & (OrgMember.user == user.id))
        if member is None:
            raise NotFoundError(f"{user.username} is not a member of {org.username}")
        return member

    @staticmethod
    def _check_may_grant(caller: Caller, caller_role: str | None, role: str) -> None:
        if role == "super-admin" and not (caller.is_admin or caller_role == "super-admin"):
            raise ForbiddenError("Only a super-admin can grant the super-admin role")

    @staticmethod
    def _check_may_touch(caller: Caller, caller_role: str | None, member: OrgMember) -> None:
        if member.role == "super-admin" and not (caller.is_admin or caller_role == "super-admin"):
            raise ForbiddenError("Admins cannot remove or demote a super-admin")

    @staticmethod
    def _keep_a_super_admin(org: User) -> None:
        left = OrgMember.select().where((OrgMember.org == org.id) & (OrgMember.role == "super-admin")).count()
        if left <= 1:
            raise ConflictError(f"{org.username} must keep at least one super-admin")

    # --- repo collaborators -------------------------------------------------------------------------

    def list_collaborators(self, caller: Caller | None, repo_type: RepoType, namespace: str,
                           name: str) -> list[tuple[User, str]]:
        """Users granted a role on one repo. Raises as ``RepoService.get`` with admin rights required."""
        ref = self._repos.get(caller, repo_type, namespace, name, need=Access.ADMIN)
        rows = (RepoCollaborator.select(RepoCollaborator, User).join(User)
                .where(RepoCollaborator.repo == ref.row.id).order_by(User.username_key))
        return [(row.user, row.role) for row in rows]

    def set_collaborator(self, caller: Caller | None, repo_type: RepoType, namespace: str, name: str,
                         username: str, role: str) -> tuple[User, str]:
        """Grant (or change) ``read`` or ``write`` on one repo to a user.

        Raises:
            BadRequestError: bad role.
            NotFoundError: unknown user.
            RepoNotFoundError, ForbiddenError: as ``RepoService.get`` with admin rights required.
        """
        if role not in COLLABORATOR_ROLES:
            raise BadRequestError(f"Invalid role {role!r}: use one of {', '.join(COLLABORATOR_ROLES)}")
        ref = self._repos.get(caller, repo_type, namespace, name, need=Access.ADMIN)
        user = self._user(username)
        with write_transaction(self._db):
            updated = (RepoCollaborator.update(role=role)
                       .where((RepoCollaborator.repo == ref.row.id) & (RepoCollaborator.user == user.id))
                       .execute())
            if not updated:
                RepoCollaborator.create(repo=ref.row.id, user=user.id, role=role)
        return user, role

    def remove_collaborator(self, caller: Caller | None, repo_type: RepoType, namespace: str, name: str,
                            username: str) -> None:
        """Raises NotFoundError when the user holds no grant; else as ``set_collaborator``."""
        ref = self._repos.get(caller, repo_type, namespace, name, need=Access.ADMIN)
        user = self._user(username)
        with write_transaction(self._db):
            deleted = (RepoCollaborator.delete()
                       .where((RepoCollaborator.repo == ref.row.id) & (RepoCollaborator.user == user.id))
                       .execute())
        if not deleted:
            raise NotFoundError(f"{user.username} is not a collaborator of {ref.id}")

    @staticmethod
    def repo_count(org: User) -> int:
        return Repo.select().where(Repo.owner == org.id).count()

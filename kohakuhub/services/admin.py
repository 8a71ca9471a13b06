"""Site administration: users, repos, quotas and site statistics. Every method requires a site admin.

Organizations are rows of the user table (``is_org``) but not users: the user list, the user actions and
the user counts of the statistics leave them out (the statistics count them apart).
"""

from __future__ import annotations

from peewee import Database, fn

from kohakuhub.db.database import write_transaction
from kohakuhub.db.models import Invitation, LfsObject, OrgMember, Repo, Session, Token, User, utcnow
from kohakuhub.db.site_admin import (
    Activity,
    RepoSize,
    StorageTotals,
    largest_repos,
    recent_activity,
    registration_invitations,
    storage_totals,
    used_bytes_of_repos,
)
from kohakuhub.errors import BadRequestError, ConflictError, ForbiddenError, LoginRequiredError, NotFoundError
from kohakuhub.services.accounts import AccountService
from kohakuhub.services.auth import Caller
from kohakuhub.services.quotas import QuotaService
from kohakuhub.services.repos import RepoRef, RepoService, repo_id
from kohakuhub.types import RepoType

# The caller the bootstrap admin token (Settings.admin_token) stands for: a site admin with no user row.
BOOTSTRAP_ADMIN = Caller(0, "", is_admin=True, token_role="write", token_name="bootstrap admin token")
MAX_PAGE = 1000


def require_admin(caller: Caller | None, *, write: bool = False) -> Caller:
    """The authorization decision for the admin API.

    Raises:
        LoginRequiredError: anonymous caller.
        ForbiddenError: not a site admin, or a read token used for a change.
    """
    if caller is None:
        raise LoginRequiredError("You must be authenticated as a site administrator")
    if not caller.is_admin:
        raise ForbiddenError("Only site administrators may do this")
    if write and not caller.can_write:
        raise ForbiddenError("A read token cannot change site administration")
    return caller


def _page(offset: int, limit: int) -> None:
    if offset < 0 or not 1 <= limit <= MAX_PAGE:
        raise BadRequestError(f"offset must be >= 0 and limit between 1 and {MAX_PAGE}")


class AdminService:
    """Use cases of the admin API; each method is its own unit of work."""

    def __init__(self, db: Database, repos: RepoService, accounts: AccountService, quotas: QuotaService) -> None:
        self._db = db
        self._repos = repos
        self._accounts = accounts
        self._quotas = quotas

    # --- users -----------------------------------------------------------------------------------

    def list_users(self, caller: Caller | None, *, offset: int, limit: int,
                   search: str | None = None) -> tuple[list[User], int]:
        """A page of users (organizations left out) ordered by id, and the total matching.

        Raises as ``require_admin``.
        """
        require_admin(caller)
        _page(offset, limit)
        query = User.select().where(User.is_org == False)  # noqa: E712 (peewee expression)
        if search:
            query = query.where(User.username_key.contains(search.lower()) | User.email.contains(search.lower()))
        return list(query.order_by(User.id).offset(offset).limit(limit)), query.count()

    def create_user(self, caller: Caller | None, username: str, email: str, password: str, *,
                    is_admin: bool = False) -> User:
        """Create a user (any registration mode). Raises as ``AccountService.create_user``/``require_admin``."""
        require_admin(caller, write=True)
        return self._accounts.create_user(username, email, password, is_admin=is_admin)

    def _user(self, username: str) -> User:
        user = User.get_or_none(User.username_key == (username or "").lower())
        if user is None:
            raise NotFoundError(f"User {username!r} not found")
        if user.is_org:
            raise NotFoundError(f"User {username!r} not found: {user.username} is an organization")
        return user

    @staticmethod
    def _sole_super_admin_of(user: User) -> list[str]:
        """Names of the organizations whose only super-admin is ``user``."""
        mine = OrgMember.select(OrgMember.org).where((OrgMember.role == "super-admin") & (OrgMember.user == user.id))
        sole = (OrgMember.select(OrgMember.org).where((OrgMember.role == "super-admin") & OrgMember.org.in_(mine))
                .group_by(OrgMember.org).having(fn.COUNT(OrgMember.id) == 1))
        orgs = User.select(User.username).where(User.id.in_(sole)).order_by(User.username_key)
        return [org.username for org in orgs]

    def _check_orgs_keep_a_super_admin(self, user: User) -> None:
        orgs = self._sole_super_admin_of(user)
        if orgs:
            raise ConflictError(
                f"User {user.username} is the last super-admin of {', '.join(orgs)}: make another member "
                f"super-admin first (PUT /org/{orgs[0]}/members/{{username}} with role super-admin)")

    @staticmethod
    def _not_self(caller: Caller, user: User, action: str) -> None:
        # Keeps an admin from locking everyone (themselves included) out of administration by accident.
        if caller.user_id == user.id:
            raise BadRequestError(f"You cannot {action} your own account")

    def update_user(self, caller: Caller | None, username: str, *, disabled: bool | None = None,
                    is_admin: bool | None = None) -> User:
        """Disable/enable a user and/or set/unset the site-admin flag.

        Disabling deletes the user's sessions and tokens in the same transaction, so the next request
        made with any of them is anonymous (401).

        Raises:
            NotFoundError: no such user. BadRequestError: acting on one's own account.
            LoginRequiredError / ForbiddenError: as ``require_admin``.
        """
        caller = require_admin(caller, write=True)
        user = self._user(username)
        changes: dict = {}
        if disabled is not None and disabled != user.disabled:
            if disabled:
                self._not_self(caller, user, "disable")
            changes["disabled"] = disabled
        if is_admin is not None and is_admin != user.is_admin:
            if not is_admin:
                self._not_self(caller, user, "remove the admin flag from")
            changes["is_admin"] = is_admin
        if changes:
            with write_transaction(self._db):
                User.update(**changes).where(User.id == user.id).execute()
                if changes.get("disabled"):
                    Session.delete().where(Session.user == user.id).execute()
                    Token.delete().where(Token.user == user.id).execute()
        return User.get_by_id(user.id)

    def delete_user(self, caller: Caller | None, username: str) -> None:
        """Delete a user, their sessions, tokens and the repos of their namespace (history included).

        Their organization memberships, repo collaborations and the invitation links they created go with
        them; the organizations and their repos stay. A user who is the last super-admin of an
        organization is not deleted (the organization would be left without one): another member must be
        made super-admin first. Nothing is transferred implicitly.

        Raises:
            NotFoundError: no such user (organizations are not users). BadRequestError: deleting oneself.
            ConflictError: the user created repos in other namespaces (transfer or delete them first), or
                is the last super-admin of an organization.
            LoginRequiredError / ForbiddenError: as ``require_admin``.
        """
        caller = require_admin(caller, write=True)
        user = self._user(username)
        self._not_self(caller, user, "delete")
        self._check_orgs_keep_a_super_admin(user)
        elsewhere = Repo.select().where((Repo.owner == user.id) & (fn.LOWER(Repo.namespace) != user.username_key))
        if elsewhere.exists():
            names = ", ".join(sorted(repo_id(r) for r in elsewhere.limit(5)))
            raise ConflictError(f"User {user.username} created repos in other namespaces ({names}); "
                                "transfer or delete them first")
        for repo in Repo.select().where(fn.LOWER(Repo.namespace) == user.username_key):
            self._repos.delete_repo(caller, RepoType(repo.repo_type), repo.namespace, repo.name)
        with write_transaction(self._db):
            if Repo.select().where(Repo.owner == user.id).exists():
                raise ConflictError(f"User {user.username} created a repo meanwhile; try again")
            self._check_orgs_keep_a_super_admin(user)  # a super-admin may have stepped down meanwhile
            user.delete_instance(recursive=True)

    # --- repos -----------------------------------------------------------------------------------

    def list_repos(self, caller: Caller | None, *, offset: int, limit: int, repo_type: RepoType | None = None,
                   namespace: str | None = None, search: str | None = None) -> tuple[list[Repo], int]:
        """A page of every repo (private included), newest first, and the total matching."""
        require_admin(caller)
        _page(offset, limit)
        query = Repo.select()
        if repo_type is not None:
            query = query.where(Repo.repo_type == repo_type.value)
        if namespace:
            query = query.where(fn.LOWER(Repo.namespace) == namespace.lower())
        if search:
            query = query.where(Repo.full_key.contains(search.lower()))
        rows = list(query.order_by(Repo.created_at.desc(), Repo.id.desc()).offset(offset).limit(limit))
        return rows, query.count()

    def used_bytes(self, caller: Caller | None, repos: list[Repo]) -> dict[int, int]:
        """Bytes each repo counts against its namespace's quota (by repo row id; unmeasured ones left out)."""
        require_admin(caller)
        return used_bytes_of_repos([repo.id for repo in repos])

    def set_repo_visibility(self, caller: Caller | None, repo_type: RepoType, namespace: str, name: str,
                            private: bool) -> RepoRef:
        """Make any repo private or public, as its owner could (``PUT .../settings``).

        Raises:
            RepoNotFoundError. QuotaExceededError: the repo does not fit the namespace's other bucket
            (nothing changes). Or as ``require_admin``.
        """
        caller = require_admin(caller, write=True)
        return self._repos.update_settings(caller, repo_type, namespace, name, private=private)

    def delete_repo(self, caller: Caller | None, repo_type: RepoType, namespace: str, name: str) -> None:
        """Delete any repo. Raises RepoNotFoundError, or as ``require_admin``."""
        self._repos.delete_repo(require_admin(caller, write=True), repo_type, namespace, name)

    def transfer_repo(self, caller: Caller | None, repo_type: RepoType, namespace: str, name: str,
                      to_namespace: str, to_name: str | None = None) -> RepoRef:
        """Move a repo to another namespace; a user namespace also becomes the repo's owner.

        Raises:
            RepoNotFoundError, BadRequestError (unknown namespace), ConflictError (id taken), or as
            ``require_admin``.
        """
        caller = require_admin(caller, write=True)
        ref = self._repos.move_repo(caller, repo_type, f"{namespace}/{name}", f"{to_namespace}/{to_name or name}")
        new_owner = User.get_or_none(User.username_key == ref.row.namespace.lower())
        if new_owner is not None and new_owner.id != ref.row.owner_id:
            with write_transaction(self._db):
                Repo.update(owner=new_owner.id).where(Repo.id == ref.row.id).execute()
        return ref

    # --- statistics ------------------------------------------------------------------------------

    def stats(self, caller: Caller | None) -> dict:
        """Counts of users, organizations, repos by type, LFS objects and bytes, live sessions and tokens."""
        require_admin(caller)
        users = User.select().where(User.is_org == False)  # noqa: E712 (peewee expression)
        by_type = dict(Repo.select(Repo.repo_type, fn.COUNT(Repo.id)).group_by(Repo.repo_type).tuples())
        lfs_count, lfs_bytes = LfsObject.select(fn.COUNT(LfsObject.oid), fn.SUM(LfsObject.size)).scalar(as_tuple=True)
        return {
            "users": {
                "total": users.count(),
                "admins": users.where(User.is_admin == True).count(),  # noqa: E712
                "disabled": users.where(User.disabled == True).count(),  # noqa: E712
            },
            "organizations": {"total": User.select().where(User.is_org == True).count()},  # noqa: E712
            "repos": {
                **{t.value: by_type.get(t.value, 0) for t in RepoType},
                "total": sum(by_type.values()),
                "private": Repo.select().where(Repo.private == True).count(),
            },
            "lfs": {"objects": lfs_count or 0, "bytes": int(lfs_bytes or 0)},
            "sessions": Session.select().where(Session.expires_at >= utcnow()).count(),
            "tokens": Token.select().count(),
        }

    def recent_activity(self, caller: Caller | None, limit: int) -> list[Activity]:
        """New accounts, organizations and repos, and repo updates, newest first (see ``recent_activity``)."""
        require_admin(caller)
        return recent_activity(limit)

    def storage_totals(self, caller: Caller | None) -> StorageTotals:
        """The site's storage by kind (see ``StorageTotals``). Raises as ``require_admin``."""
        require_admin(caller)
        return storage_totals()

    def largest_repos(self, caller: Caller | None, limit: int) -> list[RepoSize]:
        """The ``limit`` repos that count the most bytes. Raises BadRequestError, or as ``require_admin``."""
        require_admin(caller)
        _page(0, limit)
        return largest_repos(limit)

    def registration_invitations(self, caller: Caller | None) -> list[tuple[Invitation, str]]:
        """Every registration invitation (valid or not), newest first, with its creator's name."""
        require_admin(caller)
        return registration_invitations()

    # --- quotas ----------------------------------------------------------------------------------

    def list_quotas(self, caller: Caller | None, *, offset: int, limit: int,
                    search: str | None = None) -> tuple[list[dict], int]:
        """A page of every namespace (users and organizations) with usage and limits, and the total."""
        require_admin(caller)
        _page(offset, limit)
        return self._quotas.list_quotas(offset=offset, limit=limit, search=search)

    def get_quota(self, caller: Caller | None, namespace: str) -> dict:
        """One namespace's usage and limits. Raises NotFoundError (unknown namespace), or as ``require_admin``."""
        require_admin(caller)
        return self._quotas.quota(self._quotas.owner(namespace).username)

    def set_quota(self, caller: Caller | None, namespace: str, body: dict) -> dict:
        """Set a namespace's limits (see ``QuotaService.set_limits``).

        Raises:
            NotFoundError: unknown namespace. BadRequestError: a bad value. Or as ``require_admin``.
        """
        require_admin(caller, write=True)
        return self._quotas.set_limits(self._quotas.owner(namespace).username, body)

    def recalculate_quota(self, caller: Caller | None, namespace: str) -> dict:
        """Re-measure a namespace's repos from storage. Raises NotFoundError, or as ``require_admin``."""
        require_admin(caller, write=True)
        name = self._quotas.owner(namespace).username
        self._quotas.recalculate_namespace(name)
        return self._quotas.quota(name)

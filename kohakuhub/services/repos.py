"""Repo lifecycle and lookup: create, delete, move, settings, listing, and access checks."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from peewee import Database, IntegrityError, fn

from kohakuhub.db.card_tags import repos_with_every_tag, tags_by_kind, tags_of_repos
from kohakuhub.db.database import write_transaction
from kohakuhub.db.models import OrgMember, Repo, RepoCollaborator, RepoRedirect, User, utcnow
from kohakuhub.db.queries import find_grants, find_repo
from kohakuhub.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    LoginRequiredError,
    RepoExistsError,
    RepoMovedError,
    RepoNotFoundError,
)
from kohakuhub.lib.gitattributes import DEFAULT_GITATTRIBUTES
from kohakuhub.lib.repo_ids import validate_name
from kohakuhub.services.auth import Access, Caller, Grants, may_create_in, repo_access
from kohakuhub.services.card_index import CardIndex
from kohakuhub.services.quotas import QuotaService
from kohakuhub.types import PutFile, RepoType, Signature
from kohakuhub.versioning.base import VersioningBackend

log = logging.getLogger(__name__)

SORT_FIELDS = {
    "lastModified": Repo.updated_at,
    "createdAt": Repo.created_at,
    "downloads": Repo.downloads,
    "likes": Repo.likes,
    "trendingScore": Repo.likes,
    "id": Repo.full_key,
}


def full_key(repo_type: RepoType, namespace: str, name: str) -> str:
    """Case-insensitive unique key of a repo id."""
    return f"{repo_type.value}/{namespace}/{name}".lower()


def repo_id(repo: Repo) -> str:
    return f"{repo.namespace}/{repo.name}"


def signature_of(username: str) -> Signature:
    """Commit author for a user. A no-reply address keeps users' emails out of git history."""
    return Signature(username, f"{username}@users.noreply.kohakuhub")


# The pull request scope of a reader opening a new pull request: they may upload objects and make the
# commit that creates it (the ref it gets is minted then, so no branch or other pull request is reachable).
NEW_PULL_REQUEST = "refs/pr/new"


@dataclass(frozen=True)
class RepoRef:
    """A repo the caller has been checked against, with the access that check granted.

    Only RepoService makes them (the routes never do). Every service method that writes calls
    ``require`` (or ``require_ref_write``/``require_upload``), so a ref authorized for reading cannot
    write, whichever route hands it over.

    ``pr_scope`` is a reader's narrow grant to write one pull request, decided by the pull request
    service: ``refs/pr/<num>`` (one they opened) or NEW_PULL_REQUEST. It never satisfies ``require``.
    """

    row: Repo
    access: Access
    pr_scope: str | None = None

    def __post_init__(self) -> None:
        if self.access < Access.READ:
            raise ValueError("A RepoRef is made only for a caller who may at least read the repo")

    def require(self, need: Access) -> None:
        """Raises ForbiddenError when this ref was authorized for less than ``need``."""
        if self.access < need:
            raise ForbiddenError(
                f"This needs {need.name.lower()} access to {self.type.value} {self.id}, "
                f"and it was authorized for {self.access.name.lower()} access only"
            )

    def require_ref_write(self, git_ref: str) -> None:
        """Raises ForbiddenError unless this ref may move ``git_ref`` (a full ref name, or
        NEW_PULL_REQUEST): write access, or the pull request scope naming exactly that ref."""
        if self.pr_scope is None or self.pr_scope != git_ref:
            self.require(Access.WRITE)

    def require_upload(self) -> None:
        """Raises ForbiddenError unless this ref may upload objects (LFS, Xet): write access, or a pull
        request scope (what it uploads can only land in its pull request)."""
        if self.pr_scope is None:
            self.require(Access.WRITE)

    @property
    def key(self) -> str:
        return self.row.key

    @property
    def type(self) -> RepoType:
        return RepoType(self.row.repo_type)

    @property
    def id(self) -> str:
        return repo_id(self.row)


class RepoService:
    """Repos as metadata rows plus one git repository each."""

    def __init__(self, db: Database, versioning: VersioningBackend, quotas: QuotaService) -> None:
        self._db = db
        self._git = versioning
        self._quotas = quotas
        self.cards = CardIndex(versioning)

    # --- lookup and permission -------------------------------------------------------------------

    def get(self, caller: Caller | None, repo_type: RepoType, namespace: str, name: str,
            need: Access = Access.READ) -> RepoRef:
        """Find a repo and check the caller holds ``need`` on it; the ref is authorized for ``need`` only.

        Raises:
            RepoNotFoundError: missing, or not readable by the caller (indistinguishable).
            RepoMovedError: the id belonged to a repo that was moved.
            LoginRequiredError: readable, but writing needs a signed-in caller.
            ForbiddenError: readable but the caller lacks write/admin rights.
        """
        row = find_repo(full_key(repo_type, namespace, name))
        if row is None:
            redirect = (
                RepoRedirect.select(RepoRedirect, Repo).join(Repo)
                .where(RepoRedirect.full_key == full_key(repo_type, namespace, name)).first()
            )
            if redirect is not None and self.access(caller, redirect.repo, Access.READ):
                raise RepoMovedError(old_id=f"{namespace}/{name}", new_id=repo_id(redirect.repo))
            raise RepoNotFoundError(anonymous=caller is None)
        access = self.access(caller, row, need)
        if access == Access.NONE:
            raise RepoNotFoundError(anonymous=caller is None)
        if access < need:
            if caller is None:  # the repo exists and is readable: ask for credentials
                raise LoginRequiredError("You must be authenticated to do this")
            raise ForbiddenError(
                f"You don't have the rights to {'write to' if need == Access.WRITE else 'administer'} "
                f"{repo_type.value} {repo_id(row)}"
                + (" (this token is read-only)" if caller and not caller.can_write else "")
            )
        # What the caller asked for, not all they hold: a route that checked read gets a ref that reads.
        return RepoRef(row, need)

    @staticmethod
    def access(caller: Caller | None, row: Repo, need: Access = Access.ADMIN) -> Access:
        """The caller's access to ``row`` (exact up to ``need``); grants are read only when they matter."""
        if caller is None:
            return repo_access(None, namespace=row.namespace, private=row.private, need=need)
        return repo_access(
            caller, namespace=row.namespace, private=row.private, need=need,
            grants=lambda: Grants(*find_grants(row.namespace, row.id, caller.user_id)),
        )

    def writable(self, caller: Caller | None, ref: RepoRef) -> RepoRef | None:
        """``ref``'s repo authorized for writing when the caller may write it, else None."""
        if ref.access >= Access.WRITE:
            return ref
        if caller is not None and self.access(caller, ref.row, Access.WRITE) >= Access.WRITE:
            return RepoRef(ref.row, Access.WRITE)
        return None

    @staticmethod
    def for_pull_request(ref: RepoRef, scope: str) -> RepoRef:
        """``ref`` (authorized for reading) with a pull request write scope; the pull request service
        decides who gets one (services/pull_requests.py)."""
        return RepoRef(ref.row, Access.READ, pr_scope=scope)

    @staticmethod
    def org_role(namespace: str, user_id: int) -> str | None:
        """The user's role in the organization ``namespace``, or None (not an org, or not a member)."""
        row = (
            OrgMember.select(OrgMember.role).join(User, on=(OrgMember.org == User.id))
            .where((User.username_key == namespace.lower()) & (User.is_org == True)  # noqa: E712
                   & (OrgMember.user == user_id)).first()
        )
        return row.role if row else None

    def _may_create_in(self, caller: Caller, namespace: str) -> bool:
        if caller.can_write and not caller.is_admin and caller.username.lower() != namespace.lower():
            return may_create_in(caller, namespace, self.org_role(namespace, caller.user_id))
        return may_create_in(caller, namespace)

    # --- lifecycle -------------------------------------------------------------------------------

    def create_repo(self, caller: Caller, repo_type: RepoType, namespace: str | None, name: str,
                    *, private: bool) -> RepoRef:
        """Create a repo whose history starts with the "initial commit" holding ``.gitattributes``.

        Raises:
            InvalidRepoIdError: bad namespace or name.
            ForbiddenError: the caller may not create repos in ``namespace``.
            RepoExistsError: the id is taken (case-insensitively).
        """
        namespace = namespace or caller.username
        validate_name(namespace, "namespace")
        validate_name(name, "repo name")
        if not self._may_create_in(caller, namespace):
            raise ForbiddenError(f"You don't have the rights to create a repo under {namespace!r}")
        owner = self._namespace_owner(namespace)
        namespace = owner.username
        key = full_key(repo_type, namespace, name)
        existing = Repo.get_or_none(Repo.full_key == key)
        if existing is not None:
            raise self._exists(repo_type, existing)
        storage_key = uuid.uuid4().hex
        self._git.init_repo(storage_key)
        try:
            blob = self._git.write_blob(storage_key, DEFAULT_GITATTRIBUTES.encode())
            self._git.commit(
                storage_key, branch="main", operations=[PutFile(".gitattributes", blob)],
                message="initial commit", author=signature_of(caller.username), create_branch=True,
            )
            with write_transaction(self._db):
                RepoRedirect.delete().where(RepoRedirect.full_key == key).execute()
                row = Repo.create(
                    key=storage_key, repo_type=repo_type.value, namespace=namespace, name=name,
                    full_key=key, private=private, owner=owner.id,
                )
        except IntegrityError:
            self._git.delete_repo(storage_key)
            raise self._exists(repo_type, Repo.get(Repo.full_key == key)) from None
        except BaseException:
            self._git.delete_repo(storage_key)
            raise
        self._quotas.repo_created(row)
        return RepoRef(row, Access.ADMIN)

    @staticmethod
    def _namespace_owner(namespace: str) -> User:
        """The user or org owning ``namespace`` (its name spelled as registered: ``ALICE`` -> ``alice``).

        Raises:
            BadRequestError: no user or organization has that name.
        """
        user = User.get_or_none(User.username_key == namespace.lower())
        if user is None:
            raise BadRequestError(f"Namespace {namespace!r} does not exist")
        return user

    @staticmethod
    def _exists(repo_type: RepoType, row: Repo) -> RepoExistsError:
        label = repo_type.value.capitalize()
        return RepoExistsError(
            f"{label} repository {repo_id(row)} already exists",
            repo_type=repo_type.value, repo_id=repo_id(row),
        )

    def delete_repo(self, caller: Caller, repo_type: RepoType, namespace: str, name: str) -> None:
        """Delete a repo and its history.

        Raises:
            RepoNotFoundError, ForbiddenError: as for ``get``.
        """
        ref = self.get(caller, repo_type, namespace, name, need=Access.ADMIN)
        with write_transaction(self._db):
            self._quotas.repo_deleted(ref.row)
            ref.row.delete_instance(recursive=True)
        self._git.delete_repo(ref.key)

    def move_repo(self, caller: Caller, repo_type: RepoType, from_id: str, to_id: str) -> RepoRef:
        """Rename or move a repo; history, branches and tags stay (only metadata changes).

        Raises:
            BadRequestError / InvalidRepoIdError: malformed ids.
            RepoExistsError: the target id is taken.
            ForbiddenError: the caller may not administer the repo or create in the target namespace.
        """
        from_ns, from_name = _split(from_id)
        to_ns, to_name = _split(to_id)
        ref = self.get(caller, repo_type, from_ns, from_name, need=Access.ADMIN)
        if not self._may_create_in(caller, to_ns):
            raise ForbiddenError(f"You don't have the rights to move a repo to {to_ns!r}")
        owner = self._namespace_owner(to_ns)
        to_ns = owner.username
        new_key = full_key(repo_type, to_ns, to_name)
        old_key = ref.row.full_key
        try:
            with write_transaction(self._db):
                other = Repo.get_or_none(Repo.full_key == new_key)
                if other is not None and other.id != ref.row.id:
                    raise ConflictError(
                        f"A {repo_type.value} repository called {to_ns}/{to_name} already exists"
                    )
                # QuotaExceededError when the repo does not fit the target namespace (nothing changes).
                self._quotas.repo_moved(ref.row, namespace=to_ns, private=bool(ref.row.private))
                Repo.update(namespace=to_ns, name=to_name, full_key=new_key, owner=owner.id,
                            updated_at=utcnow()).where(
                    Repo.id == ref.row.id).execute()
                RepoRedirect.delete().where(RepoRedirect.full_key.in_([new_key, old_key])).execute()
                if new_key != old_key:
                    RepoRedirect.create(full_key=old_key, repo=ref.row.id)
        except IntegrityError as exc:
            raise ConflictError(
                f"A {repo_type.value} repository called {to_ns}/{to_name} already exists") from exc
        return RepoRef(Repo.get_by_id(ref.row.id), ref.access)

    def update_settings(self, caller: Caller, repo_type: RepoType, namespace: str, name: str,
                        *, private: bool | None) -> RepoRef:
        """Change visibility. Raises as ``get`` with admin rights required."""
        ref = self.get(caller, repo_type, namespace, name, need=Access.ADMIN)
        if private is not None:
            with write_transaction(self._db):
                # QuotaExceededError when the repo does not fit the other bucket (nothing changes).
                self._quotas.repo_moved(ref.row, namespace=ref.row.namespace, private=private)
                Repo.update(private=private).where(Repo.id == ref.row.id).execute()
        return RepoRef(Repo.get_by_id(ref.row.id), ref.access)

    def touch(self, ref: RepoRef) -> None:
        """Record that the repo changed now (its lastModified)."""
        ref.require(Access.WRITE)
        with write_transaction(self._db):
            Repo.update(updated_at=utcnow()).where(Repo.id == ref.row.id).execute()
        try:
            self.cards.refresh(ref.row.id, ref.row.key)
        except Exception:  # derived data: the write stands; the next write or a restart re-reads the card
            log.exception("could not index the card of %s/%s", ref.row.namespace, ref.row.name)

    # --- listing ---------------------------------------------------------------------------------

    @staticmethod
    def card_tags_of(repo_ids: list[int]) -> dict[int, list[str]]:
        """Each repo's card tags (main's README.md metadata), for a page of a listing."""
        return tags_of_repos(repo_ids)

    @staticmethod
    def tags_by_type(repo_type: RepoType, limit_per_kind: int) -> dict[str, list[tuple[str, int]]]:
        """The card tags public repos of the type use, per kind, most used first."""
        return tags_by_kind(repo_type.value, limit_per_kind)

    def list_repos(self, caller: Caller | None, repo_type: RepoType, *, author: str | None,
                   search: str | None, sort: str | None, ascending: bool, offset: int,
                   limit: int, tags: list[str] | None = None) -> list[Repo]:
        """Repos the caller may see, filtered and sorted; ``limit + 1`` rows to detect a next page.

        Raises:
            BadRequestError: unknown sort field.
        """
        query = Repo.select().where(Repo.repo_type == repo_type.value)
        if caller is None:
            query = query.where(Repo.private == False)  # noqa: E712 (peewee expression)
        elif not caller.is_admin:
            org_keys = (User.select(User.username_key).join(OrgMember, on=(OrgMember.org == User.id))
                        .where(OrgMember.user == caller.user_id))
            shared = RepoCollaborator.select(RepoCollaborator.repo).where(
                RepoCollaborator.user == caller.user_id)
            query = query.where(
                (Repo.private == False) | (fn.LOWER(Repo.namespace) == caller.username.lower())  # noqa: E712
                | fn.LOWER(Repo.namespace).in_(org_keys) | Repo.id.in_(shared)
            )
        if author:
            query = query.where(fn.LOWER(Repo.namespace) == author.lower())
        if search:
            query = query.where(Repo.full_key.contains(search.lower()))
        if tags:
            query = query.where(Repo.id.in_(repos_with_every_tag(tags)))
        if sort and sort not in SORT_FIELDS:
            raise BadRequestError(f"Unknown sort {sort!r}; use one of {', '.join(SORT_FIELDS)}")
        field = SORT_FIELDS[sort] if sort else Repo.created_at
        order = field.asc() if ascending else field.desc()
        return list(query.order_by(order, Repo.id.desc()).offset(offset).limit(limit + 1))


def _split(repo_id_str: str) -> tuple[str, str]:
    parts = (repo_id_str or "").split("/")
    if len(parts) != 2:
        raise BadRequestError(f"Invalid repo id {repo_id_str!r}: expected 'namespace/name'")
    return validate_name(parts[0], "namespace"), validate_name(parts[1], "repo name")

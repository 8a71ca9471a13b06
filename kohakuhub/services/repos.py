"""Repo lifecycle and lookup: create, delete, move, settings, listing, and access checks."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from peewee import Database, IntegrityError

from kohakuhub.db.card_tags import tags_by_kind, tags_of_repos
from kohakuhub.db.database import write_transaction
from kohakuhub.db.gating import find_access_request, set_gated
from kohakuhub.db.models import OrgMember, Repo, RepoRedirect, User, utcnow
from kohakuhub.db.queries import find_grants, find_repo
from kohakuhub.db.repo_listing import SORT_KEYS, RepoFilter, list_visible_repos
from kohakuhub.db.repo_stats import RepoStats, stats_of_repos
from kohakuhub.db.visibility import ANONYMOUS, Viewer
from kohakuhub.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    GatedRepoError,
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

# Gating modes as stored ("" is not gated) and as the Hub names them in ``gated``.
GATING_MODES = ("", "auto", "manual")


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

    def __init__(self, db: Database, versioning: VersioningBackend, quotas: QuotaService, *,
                 site_url: str = "") -> None:
        self._db = db
        self._site_url = site_url.rstrip("/")  # the hub's public address, for the gated answer's link
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
            GatedRepoError: readable, but downloading waits for an accepted access request (gated repo).
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
        return self._check(caller, row, need)

    def authorize(self, caller: Caller | None, ref: RepoRef, need: Access) -> RepoRef:
        """``ref``'s repo authorized for ``need``: ``ref`` itself when it already was, else checked again
        for the caller (a route that checked read, a service that needs more for some of its answers).

        Raises:
            As ``get``: GatedRepoError for DOWNLOAD held back by the gate, ForbiddenError, LoginRequiredError.
        """
        if ref.access >= need and ref.pr_scope is None:
            return ref
        return self._check(caller, ref.row, need)

    def _check(self, caller: Caller | None, row: Repo, need: Access) -> RepoRef:
        access = self.access(caller, row, need)
        repo_type = RepoType(row.repo_type)
        if access == Access.NONE:
            raise RepoNotFoundError(anonymous=caller is None)
        if access < need:
            if need == Access.DOWNLOAD:  # a reader held back by the gate
                raise self._gated(caller, repo_type, row)
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
        gated = bool(row.gated)
        if caller is None:
            return repo_access(None, namespace=row.namespace, private=row.private, need=need, gated=gated)
        return repo_access(
            caller, namespace=row.namespace, private=row.private, need=need, gated=gated,
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
        """``ref`` (authorized for downloading: a pull request is built on the repo's content) with a pull
        request write scope; the pull request service decides who gets one (services/pull_requests.py).

        Raises:
            ForbiddenError: ``ref`` was authorized for metadata only.
        """
        ref.require(Access.DOWNLOAD)
        return RepoRef(ref.row, Access.DOWNLOAD, pr_scope=scope)

    def _gated(self, caller: Caller | None, repo_type: RepoType, row: Repo) -> GatedRepoError:
        """The Hub's answer to a reader of a gated repo without an accepted request (texts as the Hub's,
        which clients and tests match: "Access to model ... is restricted")."""
        label = f"{repo_type.value} {repo_id(row)}"
        if caller is None:
            return GatedRepoError(f"Access to {label} is restricted. You must have access to it and be "
                                  "authenticated to access it. Please log in.", anonymous=True)
        request = find_access_request(row.id, caller.user_id)
        if request is not None and request.status == "pending":
            return GatedRepoError(f"Your request to access {label} is awaiting a review from the repo authors.")
        if request is not None and request.status == "rejected":
            reason = f" Reason: {request.rejection_reason}" if request.rejection_reason else ""
            return GatedRepoError(f"Access to {label} is restricted: your request was rejected by the repo "
                                  f"authors.{reason}")
        page = f"{self._site_url}/{repo_type.url_prefix}{repo_id(row)}"
        return GatedRepoError(f"Access to {label} is restricted and you are not in the authorized list. "
                              f"Visit {page} to ask for access.")

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
                now = utcnow()  # one reading: an untouched repo's lastModified is its creation
                row = Repo.create(
                    key=storage_key, repo_type=repo_type.value, namespace=namespace, name=name,
                    full_key=key, private=private, owner=owner.id, created_at=now, updated_at=now,
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

    def update_settings(self, caller: Caller | None, repo_type: RepoType, namespace: str, name: str,
                        *, private: bool | None, gated: str | None = None) -> RepoRef:
        """Change visibility and gating (``gated``: "auto", "manual", "" for off; None leaves either as it is).

        Raises:
            RepoNotFoundError, ForbiddenError: as ``get`` with admin rights required.
            BadRequestError: an unknown gating mode.
            QuotaExceededError: the repo does not fit the other visibility's quota (nothing changes).
        """
        if gated is not None and gated not in GATING_MODES:
            raise BadRequestError(f"Invalid gated value {gated!r}: use 'auto', 'manual' or false")
        ref = self.get(caller, repo_type, namespace, name, need=Access.ADMIN)
        if private is not None:
            with write_transaction(self._db):
                self._quotas.repo_moved(ref.row, namespace=ref.row.namespace, private=private)
                Repo.update(private=private).where(Repo.id == ref.row.id).execute()
        if gated is not None:
            set_gated(ref.row.id, gated)
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
                   limit: int, tags: list[str] | None = None, gated: bool | None = None) -> list[Repo]:
        """Repos the caller may see, filtered and sorted; ``limit + 1`` rows to detect a next page.

        Raises:
            BadRequestError: unknown sort field.
        """
        if sort and sort not in SORT_KEYS:
            raise BadRequestError(f"Unknown sort {sort!r}; use one of {', '.join(SORT_KEYS)}")
        wanted = RepoFilter(repo_type.value, author=author, search=search, tags=tuple(tags or ()), gated=gated)
        return list_visible_repos(viewer_of(caller), wanted, sort=sort, ascending=ascending, offset=offset,
                                  limit=limit)

    @staticmethod
    def stats_of(rows: list[Repo]) -> dict[int, RepoStats]:
        """Likes, downloads and trending score of each repo (db/repo_stats.py says how each is counted)."""
        return stats_of_repos(rows)


def viewer_of(caller: Caller | None) -> Viewer:
    """The caller as the visibility rule of listings sees them."""
    if caller is None:
        return ANONYMOUS
    return Viewer(caller.user_id, caller.username, caller.is_admin)


def _split(repo_id_str: str) -> tuple[str, str]:
    parts = (repo_id_str or "").split("/")
    if len(parts) != 2:
        raise BadRequestError(f"Invalid repo id {repo_id_str!r}: expected 'namespace/name'")
    return validate_name(parts[0], "namespace"), validate_name(parts[1], "repo name")

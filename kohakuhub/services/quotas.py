"""Storage quotas: what a namespace stores, kept up to date incrementally, and the limits on it.

What is counted. A namespace (a user or an organization) has two buckets, its private repos and its
public repos. A repo's usage is the sum of:

- **LFS bytes**: the size of every LFS object the repo's history references (``RepoLfsObject``),
  counted **once per repo**. An object used by two repos of one namespace counts twice. Per repo rather
  than per namespace because a repo then carries its usage unchanged when it moves between namespaces or
  buckets (a per-namespace dedup would need a reference count per namespace and a recount of the overlap
  on every move), and because it is what a user can predict from one repo's files. Deleting a file in a
  later commit frees nothing: the bytes stay downloadable through the older revisions.
- **git bytes**: the raw size of the distinct blobs reachable from the repo's branches and tags (small
  files, LFS pointer files, ``.gitattributes``). Trees, commits and compression are not counted: this is
  the sum of the file contents a user committed, stable under the background repacking of the git store.

How it stays current. Every write records its own change; nothing re-lists a namespace's repos:

- an API commit adds the blobs reachable from the new commit but not from its parent or any other ref
  (measured under the repo lock) plus the LFS objects it links to the repo for the first time;
- a push adds the blobs it brings that no ref reached (computed by the pre-receive check anyway) plus its
  newly linked LFS objects; a push that deletes refs or rewrites history, a branch or tag deletion and a
  super-squash re-measure that one repo's git bytes (its history can only shrink then);
- creating, deleting, moving a repo and changing its visibility move its stored usage between buckets.

Enforcement. Writes reserve the bytes they announce with one conditional UPDATE (``used + n <= limit``),
so concurrent writes cannot pass the limit together; the reservation is settled to the measured bytes
afterwards (or released on failure). Exactly at the limit is allowed. Preupload and LFS batch check
without reserving (nothing is stored by them). A move to another namespace or a visibility change is
refused with 413 when the repo does not fit the target bucket. Creating a repo is never refused (its
initial ``.gitattributes`` is counted). ``recalculate`` re-measures every repo of a namespace to repair
drift (e.g. a crash between a commit and its settlement).

Existing repos at upgrade are measured the first time their namespace's usage is needed.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

from peewee import JOIN, Database, fn

from kohakuhub.config import Settings
from kohakuhub.db.database import write_transaction
from kohakuhub.db.usage import namespace_used_bytes, repo_used_bytes, repos_of_namespace_with_usage
from kohakuhub.db.models import (
    LfsObject,
    NamespaceQuota,
    OrgMember,
    Repo,
    RepoLfsObject,
    RepoUsage,
    User,
    XetFile,
)
from kohakuhub.errors import (
    BadRequestError,
    ForbiddenError,
    LoginRequiredError,
    NotFoundError,
    QuotaExceededError,
)
from kohakuhub.services.auth import Caller
from kohakuhub.versioning.base import VersioningBackend

UNLIMITED = -1


def human_size(n: int) -> str:
    """``1234567`` -> ``1.2 MB`` (decimal units, as the Hub shows sizes)."""
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{n:,} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} bytes"  # pragma: no cover


def charged_size():
    """SQL: what quotas charge for an LFS object. A Xet file costs the bytes of the xorbs it brought into
    storage (deduplicated chunks cost nothing again); any other object its size.

    Use with ``.join(XetFile, JOIN.LEFT_OUTER, on=(XetFile.oid == LfsObject.oid))``.
    """
    return fn.COALESCE(XetFile.stored_bytes, LfsObject.size)


@dataclass
class Reservation:
    """Bytes held in a bucket for a write in progress; settle or release exactly once."""

    namespace: str
    private: bool
    amount: int
    done: bool = False


class QuotaService:
    """Per-namespace storage usage and limits."""

    def __init__(self, db: Database, versioning: VersioningBackend, settings: Settings) -> None:
        self._db = db
        self._git = versioning
        self._defaults = {True: settings.default_private_quota_bytes, False: settings.default_public_quota_bytes}

    # --- buckets -----------------------------------------------------------------------------------

    @staticmethod
    def _fields(private: bool):
        return ((NamespaceQuota.private_used, NamespaceQuota.private_limit) if private
                else (NamespaceQuota.public_used, NamespaceQuota.public_limit))

    def _limit(self, row: NamespaceQuota, private: bool) -> int | None:
        stored = row.private_limit if private else row.public_limit
        if stored is None:
            return self._defaults[private]
        return None if stored == UNLIMITED else stored

    def _row(self, namespace: str) -> NamespaceQuota:
        """The namespace's row, measuring its existing repos the first time (upgrade from version < 4)."""
        key = namespace.lower()
        row = NamespaceQuota.get_or_none(NamespaceQuota.namespace == key)
        if row is not None:
            return row
        repos = list(Repo.select().where(fn.LOWER(Repo.namespace) == key))
        measured = {r.id: (self._lfs_bytes(r.id), self._git.blob_bytes(r.key)) for r in repos}
        with write_transaction(self._db):
            row = NamespaceQuota.get_or_none(NamespaceQuota.namespace == key)
            if row is not None:  # another worker measured it meanwhile
                return row
            used = {True: 0, False: 0}
            for repo in repos:
                lfs, git = measured[repo.id]
                RepoUsage.insert(repo=repo.id, lfs_bytes=lfs, git_bytes=git).on_conflict(
                    conflict_target=[RepoUsage.repo], update={RepoUsage.lfs_bytes: lfs, RepoUsage.git_bytes: git}).execute()
                used[bool(repo.private)] += lfs + git
            NamespaceQuota.insert(namespace=key, private_used=used[True], public_used=used[False]).execute()
        return NamespaceQuota.get(NamespaceQuota.namespace == key)

    def _exceeded(self, namespace: str, private: bool, needed: int, what: str) -> QuotaExceededError:
        row = self._row(namespace)
        used = row.private_used if private else row.public_used
        limit = self._limit(row, private)
        return QuotaExceededError(
            f"Quota exceeded for {namespace} ({'private' if private else 'public'}): {human_size(used)} used "
            f"of {human_size(limit or 0)}; {what} needs {human_size(needed)}")

    # --- checks and reservations -------------------------------------------------------------------

    def check(self, repo: Repo, needed: int, what: str = "this upload") -> None:
        """Refuse (without reserving) when ``needed`` more bytes would not fit the repo's bucket.

        Raises:
            QuotaExceededError: they would not fit.
        """
        row = self._row(repo.namespace)
        private = bool(repo.private)
        limit = self._limit(row, private)
        used = row.private_used if private else row.public_used
        if limit is not None and used + needed > limit:
            raise self._exceeded(repo.namespace, private, needed, what)

    def reserve(self, repo: Repo, needed: int, what: str = "this commit") -> Reservation:
        """Hold ``needed`` bytes in the repo's bucket (atomically checked against the limit).

        Raises:
            QuotaExceededError: they do not fit.
        """
        return self._reserve(repo.namespace, bool(repo.private), needed, what)

    def _reserve(self, namespace: str, private: bool, needed: int, what: str) -> Reservation:
        row = self._row(namespace)
        used_field, _ = self._fields(private)
        limit = self._limit(row, private)
        query = NamespaceQuota.update({used_field: used_field + needed}).where(
            NamespaceQuota.namespace == row.namespace)
        if limit is not None:
            query = query.where(used_field + needed <= limit)
        with write_transaction(self._db):
            changed = query.execute()
        if not changed:
            raise self._exceeded(namespace, private, needed, what)
        return Reservation(row.namespace, private, needed)

    def release(self, reservation: Reservation | None) -> None:
        """Give back a reservation whose write did not happen (no-op if already settled)."""
        if reservation is None or reservation.done:
            return
        self.settle(reservation, None)

    def settle(self, reservation: Reservation | None, repo: Repo | None, *, lfs: int = 0, git: int = 0) -> None:
        """Replace a reservation with what the write stored (``lfs``/``git`` bytes added to ``repo``)."""
        if reservation is not None and reservation.done:
            reservation = None
        with write_transaction(self._db):
            if reservation is not None:
                reservation.done = True
                self._add(reservation.namespace, reservation.private, -reservation.amount)
            if repo is not None and (lfs or git):
                self._add_repo(repo, lfs=lfs, git=git)

    def _add(self, key: str, private: bool, delta: int) -> None:
        used_field, _ = self._fields(private)
        NamespaceQuota.update({used_field: used_field + delta}).where(NamespaceQuota.namespace == key).execute()

    def _add_repo(self, repo: Repo, *, lfs: int = 0, git: int = 0) -> None:
        """Within a transaction: add to the repo's usage and its bucket (the namespace row must exist)."""
        RepoUsage.insert(repo=repo.id, lfs_bytes=0, git_bytes=0).on_conflict_ignore().execute()
        RepoUsage.update(lfs_bytes=RepoUsage.lfs_bytes + lfs, git_bytes=RepoUsage.git_bytes + git).where(
            RepoUsage.repo == repo.id).execute()
        self._add(repo.namespace.lower(), bool(repo.private), lfs + git)

    # --- recording writes --------------------------------------------------------------------------

    def record(self, repo: Repo, *, lfs: int = 0, git: int = 0) -> None:
        """Add bytes a write stored to the repo and its bucket (no reservation involved)."""
        self._row(repo.namespace)
        with write_transaction(self._db):
            self._add_repo(repo, lfs=lfs, git=git)

    def remeasure_git(self, repo: Repo, *, lock: bool = True) -> None:
        """Re-measure one repo's git bytes (after history may have shrunk: ref deletion, squash, force push).

        ``lock=False`` when another thread holds the repo lock for us (a push's post-receive).
        """
        self._row(repo.namespace)
        with self._git.repo_lock(repo.key) if lock else nullcontext():
            measured = self._git.blob_bytes(repo.key)
            with write_transaction(self._db):
                current = RepoUsage.get_or_none(RepoUsage.repo == repo.id)
                self._add_repo(repo, git=measured - (current.git_bytes if current else 0))

    def remeasure_lfs(self, repo: Repo) -> None:
        """Re-measure one repo's LFS bytes from the objects it references (after some were unlinked)."""
        self._row(repo.namespace)
        measured = self._lfs_bytes(repo.id)
        with write_transaction(self._db):
            current = RepoUsage.get_or_none(RepoUsage.repo == repo.id)
            self._add_repo(repo, lfs=measured - (current.lfs_bytes if current else 0))

    def git_growth(self, repo: Repo) -> int:
        """Measure the repo's git bytes in full; return how much they exceed the recorded ones.

        For writes whose added bytes git cannot list exactly; call under the repo lock.
        """
        current = RepoUsage.get_or_none(RepoUsage.repo == repo.id)
        return self._git.blob_bytes(repo.key) - (current.git_bytes if current else 0)

    def has_any_object(self, repo: Repo, oids: list[str]) -> bool:
        """True when one of these objects is already in the repo's own object store."""
        return bool(oids) and bool(self._git.existing_objects(repo.key, oids))

    def repo_created(self, repo: Repo) -> None:
        """Count a new repo's initial commit."""
        self._row(repo.namespace)  # the namespace's first use measures its repos, this one included
        if RepoUsage.get_or_none(RepoUsage.repo == repo.id) is None:
            self.record(repo, git=self._git.blob_bytes(repo.key))

    def repo_deleted(self, repo: Repo) -> None:
        """Within the deleting transaction: take the repo's usage out of its bucket."""
        usage = RepoUsage.get_or_none(RepoUsage.repo == repo.id)
        if usage is not None and NamespaceQuota.get_or_none(NamespaceQuota.namespace == repo.namespace.lower()):
            self._add(repo.namespace.lower(), bool(repo.private), -(usage.lfs_bytes + usage.git_bytes))

    def repo_moved(self, repo: Repo, *, namespace: str, private: bool) -> None:
        """Move a repo's usage to another namespace and/or bucket; call inside the move's transaction.

        Raises:
            QuotaExceededError: the repo does not fit the target bucket (nothing changes).
        """
        if namespace.lower() == repo.namespace.lower() and private == bool(repo.private):
            return
        self._row(repo.namespace)
        usage = RepoUsage.get_or_none(RepoUsage.repo == repo.id)
        size = 0 if usage is None else usage.lfs_bytes + usage.git_bytes
        what = f"moving {repo.namespace}/{repo.name} here" if namespace.lower() != repo.namespace.lower() else \
            f"making {repo.namespace}/{repo.name} {'private' if private else 'public'}"
        self._reserve(namespace, private, size, what)
        self._add(repo.namespace.lower(), bool(repo.private), -size)

    # --- queries and administration ----------------------------------------------------------------

    def used_storage(self, repo: Repo) -> int:
        """The bytes the repo counts against its namespace's quota (the Hub's ``usedStorage``).

        A repo of a namespace not measured since the upgrade is measured now, as any quota read does.
        """
        used = repo_used_bytes(repo.id)
        if used is None:
            self._row(repo.namespace)
            used = repo_used_bytes(repo.id)
        return used or 0

    def repositories(self, caller: Caller | None, namespace: str, *, offset: int,
                     limit: int) -> tuple[list[tuple[Repo, int]], int]:
        """A page of the namespace's repos with their storage, and the namespace's total (the Hub's
        ``settings/repositories``, which ``hf repos ls`` reads); for those who may see its quota.

        Raises:
            LoginRequiredError, NotFoundError: as ``get_quota``.
        """
        name = self._namespace(caller, namespace, admin=False)
        self._row(name)  # a namespace not measured since the upgrade is measured first
        return repos_of_namespace_with_usage(name, offset=offset, limit=limit), namespace_used_bytes(name)

    def _lfs_bytes(self, repo_id: int) -> int:
        total = (LfsObject.select(fn.COALESCE(fn.SUM(charged_size()), 0))
                 .join(RepoLfsObject, on=(RepoLfsObject.oid == LfsObject.oid))
                 .join(XetFile, JOIN.LEFT_OUTER, on=(XetFile.oid == LfsObject.oid))
                 .where(RepoLfsObject.repo == repo_id).scalar())
        return int(total or 0)

    @staticmethod
    def owner(namespace: str) -> User:
        """The user or organization whose namespace this is (any case).

        Raises:
            NotFoundError: no user or organization has that name.
        """
        owner = User.get_or_none(User.username_key == (namespace or "").lower())
        if owner is None:
            raise NotFoundError(f"Namespace {namespace!r} not found")
        return owner

    def _namespace(self, caller: Caller | None, namespace: str, *, admin: bool) -> str:
        """Check the caller may see (or, with ``admin``, change) the namespace's quota; return its name.

        The namespace's own user, every member of an organization (any role, read tokens included) and
        site admins may see it; only site admins may change it.

        Raises:
            LoginRequiredError: anonymous caller.
            NotFoundError: unknown namespace, or one the caller may not see (indistinguishable).
            ForbiddenError: the caller may see it but only site admins may change it.
        """
        if caller is None:
            raise LoginRequiredError("You must be authenticated to see quotas")
        key = namespace.lower()
        owner = User.get_or_none(User.username_key == key)
        visible = owner is not None and (
            caller.is_admin or caller.username.lower() == key
            or (owner.is_org and OrgMember.select().where(
                (OrgMember.org == owner.id) & (OrgMember.user == caller.user_id)).exists()))
        if not visible:
            raise NotFoundError(f"Namespace {namespace!r} not found")
        if admin and not (caller.is_admin and caller.can_write):
            raise ForbiddenError("Only site administrators may change quotas")
        return owner.username

    def get_quota(self, caller: Caller | None, namespace: str) -> dict:
        """``{namespace, private: {used, limit}, public: {used, limit}}`` (limit None = unlimited)."""
        return self.quota(self._namespace(caller, namespace, admin=False))

    def quota(self, name: str) -> dict:
        """The usage and limits of the namespace ``name`` (no permission check: for the admin service)."""
        row = self._row(name)
        return {
            "namespace": name,
            "private": {"used": row.private_used, "limit": self._limit(row, True)},
            "public": {"used": row.public_used, "limit": self._limit(row, False)},
        }

    def list_quotas(self, *, offset: int, limit: int, search: str | None = None) -> tuple[list[dict], int]:
        """A page of every namespace (users and organizations, by name) with its usage and limits, and
        the total matching; no permission check (for the admin service).

        A namespace seen for the first time is measured (as on its first write).
        """
        query = User.select()
        if search:
            query = query.where(User.username_key.contains(search.lower()))
        rows = list(query.order_by(User.username_key).offset(offset).limit(limit))
        page = [{**self.quota(u.username), "type": "org" if u.is_org else "user"} for u in rows]
        return page, query.count()

    def set_quota(self, caller: Caller | None, namespace: str, body: dict) -> dict:
        """Set limits (site admins); see ``set_limits``.

        Raises:
            BadRequestError: a bad value. (and as ``get_quota``; ForbiddenError for non-admins.)
        """
        return self.set_limits(self._namespace(caller, namespace, admin=True), body)

    def set_limits(self, name: str, body: dict) -> dict:
        """Set limits: ``{"private": bytes | null | "default", "public": ...}`` (absent = unchanged).

        No permission check (callers check). Raises:
            BadRequestError: a value is not a non-negative integer, null or "default".
        """
        changes = {}
        for bucket, column in (("private", "private_limit"), ("public", "public_limit")):
            if bucket not in body:
                continue
            value = body[bucket]
            if value == "default":
                changes[column] = None
            elif value is None:
                changes[column] = UNLIMITED
            elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                changes[column] = value
            else:
                raise BadRequestError(f"'{bucket}' must be a number of bytes >= 0, null (unlimited) or \"default\"")
        row = self._row(name)
        if changes:
            with write_transaction(self._db):
                NamespaceQuota.update(changes).where(NamespaceQuota.namespace == row.namespace).execute()
        return self.quota(name)

    def recalculate(self, caller: Caller | None, namespace: str) -> dict:
        """Re-measure every repo of the namespace from git and the LFS links (site admins)."""
        name = self._namespace(caller, namespace, admin=True)
        self.recalculate_namespace(name)
        return self.quota(name)

    def recalculate_namespace(self, namespace: str) -> None:
        """Repair: measure each repo of the namespace and reset the buckets (drops stale reservations)."""
        key = namespace.lower()
        self._row(key)
        used = {True: 0, False: 0}
        for repo in Repo.select().where(fn.LOWER(Repo.namespace) == key):
            with self._git.repo_lock(repo.key):
                lfs, git = self._lfs_bytes(repo.id), self._git.blob_bytes(repo.key)
                with write_transaction(self._db):
                    RepoUsage.insert(repo=repo.id, lfs_bytes=lfs, git_bytes=git).on_conflict(
                    conflict_target=[RepoUsage.repo], update={RepoUsage.lfs_bytes: lfs, RepoUsage.git_bytes: git}).execute()
            used[bool(repo.private)] += lfs + git
        with write_transaction(self._db):
            NamespaceQuota.update(private_used=used[True], public_used=used[False]).where(
                NamespaceQuota.namespace == key).execute()

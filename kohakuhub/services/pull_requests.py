"""Pull requests: who may write them, opening them (empty or with a commit), merging, and their state.

A pull request is a discussion (services/discussions.py) whose content is the git ref ``refs/pr/<num>``:
git is the only store of its commits; the database keeps its number, status, target branch, the commit
it started from and, once merged, the merge result.

Who may write what (as on the Hub): anyone who may read the repo, signed in with a write-capable
credential, may open a pull request and commit to the ones they opened; writers may commit to any open
pull request; merging needs write access. A reader's grant covers exactly that pull request's ref
(``RepoRef.pr_scope``), never a branch. On a gated repo, opening a pull request, committing to one and
seeing its changes need download access (an accepted access request), as downloading does: a pull
request starts from the repo's files and its diff shows them. Plain discussions need only read access.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kohakuhub.db import discussions as db
from kohakuhub.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    LoginRequiredError,
    NotFoundError,
    RevisionNotFoundError,
)
from kohakuhub.services.auth import Access, Caller
from kohakuhub.services.diffs import Comparison, DiffService
from kohakuhub.services.quotas import QuotaService
from kohakuhub.services.repos import NEW_PULL_REQUEST, RepoRef, RepoService, signature_of
from kohakuhub.types import CommitOperation, DiscussionEventInfo, DiscussionInfo, RepoType, pull_request_ref
from kohakuhub.versioning.base import VersioningBackend

_PR_REF = re.compile(r"refs/pr/([1-9][0-9]{0,8})")
DEFAULT_TARGET = "main"
MAX_TITLE = 200
# Statuses in which a pull request takes commits.
WRITABLE = ("open", "draft")


def pr_number(revision: str | None) -> int | None:
    """N for the revision ``refs/pr/N``, None for any other revision."""
    match = _PR_REF.fullmatch(revision or "")
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class PullRequestState:
    """What git says about a pull request now.

    ``head``: the commit of ``refs/pr/<num>``; ``target_head``: of its target branch (None if deleted);
    ``conflicts``: paths a merge would conflict on, True when no merge is possible (unrelated histories);
    ``comparison``: its commits and changes since the commit it started from.
    """

    head: str | None
    target_head: str | None
    conflicts: list[str] | bool
    comparison: Comparison | None


class PullRequestService:
    """Pull requests of repos; ``RepoRef`` arguments were checked by RepoService."""

    def __init__(self, versioning: VersioningBackend, repos: RepoService, quotas: QuotaService,
                 diffs: DiffService) -> None:
        self._git = versioning
        self._repos = repos
        self._quotas = quotas
        self._diffs = diffs

    # --- who may write ---------------------------------------------------------------------------

    def writer(self, caller: Caller | None, repo_type: RepoType, namespace: str, name: str, *,
               revision: str | None, create_pr: bool) -> RepoRef:
        """The repo authorized for a commit-like request (preupload, upload, commit) to ``revision``.

        Write access if the caller holds it; otherwise, for a reader signed in with a write-capable
        credential, a grant for the pull request the request is about: a new one (``create_pr``) or
        ``refs/pr/<num>`` when they opened it. A pull request is built on the repo's content, so the
        grant needs download access too: on a gated repo, an accepted access request.

        Raises:
            RepoNotFoundError: missing or unreadable repo.
            LoginRequiredError, ForbiddenError: the caller may write neither the repo nor that pull request.
            GatedRepoError: a gated repo's reader without an accepted access request.
        """
        try:
            return self._repos.get(caller, repo_type, namespace, name, Access.WRITE)
        except (ForbiddenError, LoginRequiredError):
            if caller is None or not caller.can_write:
                raise
            read = self._repos.get(caller, repo_type, namespace, name, Access.READ)
            scope = self._scope(caller, read, revision, create_pr)
            if scope is None:
                raise
        return self._repos.for_pull_request(self._repos.authorize(caller, read, Access.DOWNLOAD), scope)

    @staticmethod
    def _scope(caller: Caller, read: RepoRef, revision: str | None, create_pr: bool) -> str | None:
        if create_pr:
            return NEW_PULL_REQUEST
        number = pr_number(revision)
        if number is None:
            return None
        found = db.find_discussion(read.row.id, number)
        if found is not None and found.is_pull_request and found.author_id == caller.user_id:
            return pull_request_ref(number)
        return None

    # --- state -----------------------------------------------------------------------------------

    def find(self, repo: RepoRef, number: int) -> DiscussionInfo:
        """The repo's pull request ``number``.

        Raises:
            RevisionNotFoundError: there is no such pull request (``refs/pr/<num>`` names nothing).
        """
        found = db.find_discussion(repo.row.id, number)
        if found is None or not found.is_pull_request:
            raise RevisionNotFoundError(f"Invalid rev id: {pull_request_ref(number)} (no such pull request)")
        return found

    def require_writable(self, repo: RepoRef, number: int) -> DiscussionInfo:
        """The pull request, if it takes commits (open or draft).

        Raises:
            RevisionNotFoundError: no such pull request.
            BadRequestError: it is closed or merged.
        """
        found = self.find(repo, number)
        if found.status not in WRITABLE:
            raise BadRequestError(f"Pull request #{number} is {found.status}: it takes no more commits"
                                  + (" (reopen it first)" if found.status == "closed" else ""))
        return found

    def state(self, repo: RepoRef, info: DiscussionInfo) -> PullRequestState:
        """Head, target head, merge conflicts (while it can still merge) and changes of a pull request.

        Raises:
            ForbiddenError: ``repo`` was authorized for metadata only (the changes are content).
        """
        repo.require(Access.DOWNLOAD)
        refs = self._git.refs(repo.key)
        head = refs.pull_requests.get(info.num)
        target = refs.branches.get(info.target_branch or DEFAULT_TARGET)
        conflicts: list[str] | bool = []
        if head is not None and target is not None and info.status in WRITABLE:
            found = self._git.merge_conflicts(repo.key, target, head)
            conflicts = True if found is None else found
        comparison = None
        if head is not None:
            start = self._start(repo, info, head, target)
            comparison = self._diffs.compare(repo, start, head) if start is not None else None
        return PullRequestState(head, target, conflicts, comparison)

    def _start(self, repo: RepoRef, info: DiscussionInfo, head: str, target: str | None) -> str | None:
        """Where the pull request's changes start: the commit its ref started from, or (if that is gone,
        or no longer in its history: permanently_delete_lfs_files rewrote it) its merge base with the target."""
        if info.base_commit is not None:
            try:
                start = self._git.resolve(repo.key, info.base_commit)
                if self._git.is_ancestor(repo.key, start, head):
                    return start
            except RevisionNotFoundError:
                pass
        return self._git.merge_base(repo.key, target, head) if target is not None else None

    # --- opening ---------------------------------------------------------------------------------

    def open_empty(self, caller: Caller, repo: RepoRef, *, title: str, description: str | None) -> DiscussionInfo:
        """Open a draft pull request on the default branch; ``refs/pr/<num>`` starts at its head (the
        Hub's ``create_pull_request``: commits follow on the ref).

        Raises:
            ForbiddenError: ``repo`` was authorized for metadata only (a gated repo's reader).
        """
        repo.require(Access.DOWNLOAD)
        with self._git.repo_lock(repo.key):
            start = self._git.resolve(repo.key, DEFAULT_TARGET)
            opened = db.insert_discussion(repo.row.id, author_id=caller.user_id, title=title, is_pull_request=True,
                                          status="draft", description=description, target_branch=DEFAULT_TARGET,
                                          base_commit=start)
            try:
                self._git.create_pull_request_ref(repo.key, opened.num, start)
            except BaseException:
                db.delete_discussion(opened.id)
                raise
        return opened

    def open_with_commit(self, caller: Caller, repo: RepoRef, *, target_branch: str, start: str,
                         operations: Sequence[CommitOperation], message: str, title: str,
                         description: str) -> tuple[DiscussionInfo, str]:
        """Open a pull request whose ref starts with a commit of ``operations`` on ``start`` (the Hub's
        ``create_commit(create_pr=True)``). Call under the repo lock. Returns it and the commit id.

        Raises:
            ForbiddenError: ``repo`` may neither write nor open pull requests.
            EntryNotFoundError, InvalidPathError, NotFoundError, BadRequestError: the commit is invalid
                (then no pull request exists).
        """
        repo.require_ref_write(NEW_PULL_REQUEST)
        title = (title.strip() or "Upload files")[:MAX_TITLE]
        opened = db.insert_discussion(repo.row.id, author_id=caller.user_id, title=title, is_pull_request=True,
                                      status="open", description=description.strip() or None,
                                      target_branch=target_branch, base_commit=start)
        try:
            commit = self._git.commit_to_pull_request(repo.key, opened.num, operations=operations, message=message,
                                                      author=signature_of(caller.username), start_point=start)
        except BaseException:
            db.delete_discussion(opened.id)
            raise
        return opened, commit

    # --- merging ---------------------------------------------------------------------------------

    def merge(self, caller: Caller, repo: RepoRef, number: int,
              comment: str | None) -> tuple[list[DiscussionEventInfo], str]:
        """Merge an open pull request into its target and mark it merged (with the optional comment).
        Returns the new events and the target's new head (the merge commit, or the pull request's head
        after a fast-forward).

        Raises:
            ForbiddenError: ``repo`` was not authorized for writing.
            NotFoundError: no such discussion. BadRequestError: not a pull request, not open, or no changes.
            MergeConflictError: conflicting changes (nothing was merged). ConflictError: the target
                branch or the pull request's ref is gone.
        """
        repo.require(Access.WRITE)
        with self._git.repo_lock(repo.key):  # status changes of pull requests take it too
            info = self._mergeable(repo, number)
            head = self._git.refs(repo.key).pull_requests.get(number)
            if head is None:
                raise ConflictError(f"Pull request #{number} has no ref {pull_request_ref(number)}; nothing to merge")
            if head == info.base_commit:
                raise BadRequestError(f"Pull request #{number} has no changes to merge")
            target = info.target_branch or DEFAULT_TARGET
            try:
                outcome = self._git.merge(repo.key, branch=target, source=head, author=signature_of(caller.username),
                                          message=f"{info.title} (#{number})\n\nMerge {pull_request_ref(number)} "
                                                  f"into {target}")
            except RevisionNotFoundError:
                raise ConflictError(f"The target branch {target!r} of pull request #{number} no longer exists") from None
            events = db.change_status(info.id, caller.user_id, "merged", expected=("open",), comment=comment,
                                      merge_commit=outcome.commit)
            if not outcome.fast_forward:  # a merge commit may hold merged file contents (new blobs)
                self._quotas.remeasure_git(repo.row)
        self._repos.touch(repo)
        assert events is not None  # the status was checked under the lock every status change takes
        return events, outcome.commit

    def _mergeable(self, repo: RepoRef, number: int) -> DiscussionInfo:
        info = db.find_discussion(repo.row.id, number)
        if info is None:
            raise NotFoundError(f"Discussion #{number} not found")
        if not info.is_pull_request:
            raise BadRequestError(f"Discussion #{number} is not a pull request")
        if info.status == "draft":
            raise BadRequestError(f"Pull request #{number} is a draft: publish it (set its status to open) first")
        if info.status != "open":
            raise BadRequestError(f"Pull request #{number} is {info.status}; only an open pull request can be merged")
        return info

"""Pull request refs (``refs/pr/<number>``) and merges, the part of GitBackend that pull requests use.

A pull request's ref lives beside the branches in the same bare repository, so it resolves on every
revision-taking route, ``git fetch origin refs/pr/N`` works, and its objects count towards the repo's
storage. Commits to it and merges take the same repo lock and compare-and-swap as branch commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from kohakuhub.errors import RevisionNotFoundError
from kohakuhub.types import CommitOperation, MergeOutcome, Signature, pull_request_ref
from kohakuhub.versioning.git import merging, revisions
from kohakuhub.versioning.git.naming import check_message, make_signature
from kohakuhub.versioning.git.refs_writer import create_ref


def _pr_ref(number: int) -> str:
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise ValueError(f"invalid pull request number: {number!r}")  # numbers are minted by the hub
    return pull_request_ref(number)


class PullRequestRefs:
    """Mixin of GitBackend: needs its ``_locks``, ``_moving_refs``, ``_open``, ``repo_path``, ``_commit_on``,
    ``_branch_ref``."""

    def create_pull_request_ref(self, key: str, number: int, commit: str) -> None:
        """Create ``refs/pr/<number>`` at ``commit``; never overwrites.

        Raises:
            RevisionNotFoundError: ``commit`` does not resolve.
            ConflictError: the ref exists.
        """
        ref_name = _pr_ref(number)
        with self._locks.hold(key, self.repo_path(key)):
            repo = self._open(key)
            target = revisions.resolve_commit(repo, commit).id
            create_ref(repo, ref_name, target, label=f"Pull request ref {ref_name}")

    def commit_to_pull_request(
        self,
        key: str,
        number: int,
        *,
        operations: Sequence[CommitOperation],
        message: str,
        author: Signature,
        expected_head: str | None = None,
        start_point: str | None = None,
        when: datetime | None = None,
    ) -> str:
        """Commit on ``refs/pr/<number>`` (created at the new commit when ``start_point`` is given).

        Raises:
            RevisionNotFoundError: missing ref without ``start_point``, or ``start_point`` unknown.
            ConflictError: ``start_point`` given and the ref exists.
            EntryNotFoundError, InvalidPathError, NotFoundError, StaleParentError, BadRequestError: as
                for ``commit``.
        """
        ref_name = _pr_ref(number)
        return self._commit_on(key, ref_name, ref_name, operations=operations, message=message, author=author,
                               when=when, expected_head=expected_head, start_point=start_point)

    def merge(self, key: str, *, branch: str, source: str, message: str, author: Signature) -> MergeOutcome:
        """Merge ``source`` into ``branch``: fast-forward when possible, else a merge commit.

        Raises:
            RevisionNotFoundError: no such branch, or ``source`` does not resolve.
            MergeConflictError: conflicting changes or unrelated histories; nothing was written.
            BadRequestError: invalid author or message.
        """
        ref_name = self._branch_ref(branch, creating=False)
        signature = make_signature(author)
        check_message(message)
        with self._moving_refs(key):  # a merge moves a branch: the ref listeners (lakeFS mirror) hear of it
            repo = self._open(key)
            head = revisions.head_of(repo, ref_name)
            if head is None:
                raise RevisionNotFoundError(f"Invalid rev id: {branch}")
            theirs = revisions.resolve_commit(repo, source).id
            outcome = merging.merge_into(repo, ref_name, head, theirs, signature, message)
        self.maybe_consolidate(key)
        return outcome

    def merge_conflicts(self, key: str, ours: str, theirs: str) -> list[str] | None:
        """The paths a three-way merge of the two commits would conflict on (sorted), or None when they
        share no history. Nothing is written.

        Raises:
            RevisionNotFoundError: a commit does not resolve.
        """
        repo = self._open(key)
        mine = revisions.resolve_commit(repo, ours).id
        other = revisions.resolve_commit(repo, theirs).id
        return merging.conflicting_paths(repo, mine, other)

    def is_ancestor(self, key: str, ancestor: str, descendant: str) -> bool:
        """True when ``descendant`` is ``ancestor`` or has it in its history.

        Raises:
            RevisionNotFoundError: a commit does not resolve.
        """
        repo = self._open(key)
        return merging.contains(repo, revisions.resolve_commit(repo, descendant).id,
                                revisions.resolve_commit(repo, ancestor).id)

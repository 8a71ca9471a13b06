"""The VersioningBackend port: git-like history for hub repos.

A repo is addressed by its immutable ``key`` (never by its name), so renames never touch history.
Commit ids are git SHA-1s: 40 lowercase hex.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path

from kohakuhub.types import (
    CommitInfo,
    CommitOperation,
    DiffLimits,
    MergeOutcome,
    Refs,
    Signature,
    TreeDiff,
    TreeEntry,
)


class VersioningBackend(ABC):
    """History store for hub repos. Every method is synchronous and thread-safe."""

    # --- repositories ------------------------------------------------------------------------------

    @abstractmethod
    def init_repo(self, key: str) -> None:
        """Create an empty repository (HEAD -> refs/heads/main, no commits). ConflictError if present."""

    @abstractmethod
    def delete_repo(self, key: str) -> None:
        """Remove a repository and all of its history; a missing repo is not an error."""

    @abstractmethod
    def repo_exists(self, key: str) -> bool:
        """True when the repository exists."""

    @abstractmethod
    def repo_path(self, key: str) -> Path:
        """Directory of the bare git repository (for git transport)."""

    # --- objects -----------------------------------------------------------------------------------

    @abstractmethod
    def write_blob(self, key: str, data: bytes) -> str:
        """Store ``data`` as a git blob and return its id."""

    @abstractmethod
    def write_blobs(self, key: str, blobs: Sequence[bytes]) -> list[str]:
        """Store many blobs at once and return their ids, in the order of ``blobs``.

        Same result as calling ``write_blob`` for each (identical contents give the same id, an empty
        sequence gives ``[]``), but an adapter may store the batch as one unit: it is the fast path for
        commits of many small files. The blobs are readable, and usable in ``commit``, once it returns.

        Raises:
            RepoNotFoundError: the repository does not exist.
        """

    @abstractmethod
    def write_blob_from_file(self, key: str, path: Path) -> str:
        """Store a file's content as a git blob (streamed, not read whole) and return its id."""

    @abstractmethod
    def read_blob(self, key: str, oid: str) -> bytes:
        """Return a blob's bytes. NotFoundError if absent."""

    @abstractmethod
    def blob_size(self, key: str, oid: str) -> int:
        """Size of a blob without reading it. NotFoundError if absent."""

    # --- refs ---------------------------------------------------------------------------------------

    @abstractmethod
    def resolve(self, key: str, revision: str) -> str:
        """Resolve a branch, tag, full ref name or full/short commit id to a commit id.

        Raises:
            RevisionNotFoundError: nothing matches, or a short id is ambiguous.
        """

    @abstractmethod
    def refs(self, key: str) -> Refs:
        """All branches, tags (peeled to their commit) and pull request refs."""

    @abstractmethod
    def create_branch(self, key: str, name: str, commit: str) -> None:
        """Create ``refs/heads/<name>``. ConflictError if it exists, InvalidRevisionError if bad."""

    @abstractmethod
    def delete_branch(self, key: str, name: str) -> None:
        """Delete a branch. RevisionNotFoundError if missing."""

    @abstractmethod
    def create_tag(
        self, key: str, name: str, commit: str, *, message: str | None, tagger: Signature
    ) -> None:
        """Create a tag (annotated when ``message`` is given). ConflictError if it exists."""

    @abstractmethod
    def delete_tag(self, key: str, name: str) -> None:
        """Delete a tag. RevisionNotFoundError if missing."""

    # --- commits -----------------------------------------------------------------------------------

    @abstractmethod
    def commit(
        self,
        key: str,
        *,
        branch: str,
        operations: Sequence[CommitOperation],
        message: str,
        author: Signature,
        expected_head: str | None = None,
        create_branch: bool = False,
        when: datetime | None = None,
    ) -> str:
        """Apply ``operations`` on the branch head and move the branch to the new commit atomically.

        Runs under the repo's lock (across threads and processes); the ref moves only if it still points
        at the head the new commit was built on, so concurrent commits never lose each other's work.

        Args:
            expected_head: when given, the branch must currently point at this commit (full id, or a
                prefix of at least 5 hex digits) else StaleParentError.
            create_branch: allow ``branch`` not to exist yet (the new commit then has no parent).

        Raises:
            RevisionNotFoundError: the branch does not exist and ``create_branch`` is false.
            EntryNotFoundError: a DeleteFile/DeleteFolder path does not exist.
            StaleParentError: ``expected_head`` does not match.
        """

    @abstractmethod
    def squash(self, key: str, *, branch: str, message: str, author: Signature) -> str:
        """Replace a branch's history with one root commit holding its current tree."""

    # --- pull requests -----------------------------------------------------------------------------

    @abstractmethod
    def create_pull_request_ref(self, key: str, number: int, commit: str) -> None:
        """Create ``refs/pr/<number>`` at ``commit`` (any revision); it never overwrites.

        Raises:
            RevisionNotFoundError: ``commit`` does not resolve.
            ConflictError: the ref exists.
        """

    @abstractmethod
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
        """``commit`` on ``refs/pr/<number>`` instead of a branch, with the same atomicity.

        Args:
            expected_head: as for ``commit``.
            start_point: create the ref: the new commit's parent is this commit, and the ref must not
                exist yet. Without it the ref must exist.

        Raises:
            RevisionNotFoundError: the ref does not exist (without ``start_point``), or ``start_point``
                does not resolve.
            ConflictError: ``start_point`` given and the ref exists.
            EntryNotFoundError, InvalidPathError, NotFoundError, StaleParentError, BadRequestError: as
                for ``commit``.
        """

    @abstractmethod
    def merge(self, key: str, *, branch: str, source: str, message: str, author: Signature) -> MergeOutcome:
        """Merge commit ``source`` into ``branch`` atomically (under the repo lock, compare-and-swap).

        A fast-forward when the branch head is an ancestor of ``source``; otherwise a merge commit with
        parents (branch head, source) and the three-way merge of their trees. A ``source`` the branch
        already contains leaves the branch as it is (the outcome names its head, ``fast_forward`` True).

        Raises:
            RevisionNotFoundError: the branch does not exist, or ``source`` does not resolve.
            MergeConflictError: the merge conflicts (``paths`` names the files); nothing was written.
            BadRequestError: invalid author or message.
        """

    @abstractmethod
    def merge_conflicts(self, key: str, ours: str, theirs: str) -> list[str] | None:
        """The paths a three-way merge of the two commits would conflict on (sorted), or None when the
        two share no history (no merge is possible). Nothing is written.

        Raises:
            RevisionNotFoundError: a commit does not resolve.
        """

    @abstractmethod
    def is_ancestor(self, key: str, ancestor: str, descendant: str) -> bool:
        """True when ``descendant`` contains ``ancestor`` in its history (or is it).

        Raises:
            RevisionNotFoundError: a commit does not resolve.
        """

    # --- reading trees and history -----------------------------------------------------------------

    @abstractmethod
    def get_entry(self, key: str, commit: str, path: str) -> TreeEntry | None:
        """The file or directory at ``path`` in ``commit`` (``""`` is the root directory), or None."""

    @abstractmethod
    def list_tree(
        self,
        key: str,
        commit: str,
        path: str = "",
        *,
        recursive: bool = False,
        start_after: str | None = None,
    ) -> Iterator[TreeEntry]:
        """Entries below directory ``path``: direct children, or every descendant when recursive.

        Order is a pre-order walk (a directory before its contents, siblings sorted by name), stable
        across calls, so ``start_after`` (a path previously yielded) resumes right after it without
        re-reading the subtrees before it.

        Raises:
            EntryNotFoundError: ``path`` does not exist or is a file.
        """

    @abstractmethod
    def log(self, key: str, commit: str, *, skip: int = 0, limit: int = 50) -> list[CommitInfo]:
        """Commits reachable from ``commit``, newest first (first-parent order)."""

    @abstractmethod
    def count_commits(self, key: str, commit: str) -> int:
        """Number of commits reachable from ``commit``."""

    @abstractmethod
    def path_log(self, key: str, commit: str, path: str, *, skip: int = 0, limit: int = 50) -> list[CommitInfo]:
        """Commits from ``commit`` back that changed ``path`` (a file or a directory), newest first.

        Simplified as ``git log -- path``: a commit is listed when the path differs from every parent;
        a path absent from ``commit`` (deleted, renamed) still has the history it had.

        Raises:
            RevisionNotFoundError: ``commit`` does not resolve.
            BadRequestError: ``path`` is not a valid repo path.
        """

    @abstractmethod
    def diff(self, key: str, old: str | None, new: str, limits: DiffLimits) -> TreeDiff:
        """The changes from commit ``old`` (None: the empty tree) to commit ``new``, bounded by ``limits``.

        Raises:
            RevisionNotFoundError: a commit does not resolve.
        """

    @abstractmethod
    def commits_between(self, key: str, base: str, head: str, *, limit: int) -> tuple[list[CommitInfo], bool]:
        """Up to ``limit`` commits reachable from ``head`` and not from ``base``, newest first, and
        whether more were left out.

        Raises:
            RevisionNotFoundError: a commit does not resolve.
        """

    @abstractmethod
    def merge_base(self, key: str, one: str, other: str) -> str | None:
        """The best common ancestor of two commits, None when their histories are unrelated.

        Raises:
            RevisionNotFoundError: a commit does not resolve.
        """

    @abstractmethod
    def last_commits(self, key: str, commit: str, paths: Sequence[str]) -> dict[str, CommitInfo]:
        """For each path, the newest commit (from ``commit`` back) that changed it."""

    @abstractmethod
    def commit_info(self, key: str, commit: str) -> CommitInfo:
        """One commit's metadata. RevisionNotFoundError if absent."""

    @abstractmethod
    def small_blobs(self, key: str, max_size: int) -> Iterator[tuple[str, str, str]]:
        """``(ref, path, blob id)`` for every blob of at most ``max_size`` bytes reachable from a ref, each
        blob once: for the first ref that reaches it (the default branch first, then branches, tags and other
        refs by name) at the first path it is found at. This is how LFS pointers are found in history."""

    @abstractmethod
    def drop_blobs(self, key: str, blob_ids: Sequence[str]) -> list[str]:
        """Rewrite history so that no commit reachable from a ref has a tree entry pointing at ``blob_ids``
        (folders left empty disappear). Commits that held none keep their ids; authors, dates and messages
        stay; annotated tags are recreated. Refs move atomically under the repo lock. Returns the moved refs.

        Raises:
            StaleParentError: a ref moved during the rewrite.
        """

    @abstractmethod
    def ignored_paths(self, gitignore: str, paths: Sequence[str]) -> set[str]:
        """The ``paths`` that a root ``.gitignore`` with this content ignores, by git's own rules
        (directory patterns, ``**``, ``!`` negation, anchoring)."""

    # --- storage accounting ------------------------------------------------------------------------

    @abstractmethod
    def repo_lock(self, key: str) -> AbstractContextManager[None]:
        """The repo's write lock, reentrant in one thread (commits and ref moves take it themselves).

        Raises:
            RepoNotFoundError: the repository does not exist.
        """

    @abstractmethod
    def blob_bytes(self, key: str, tips: Sequence[str] | None = None, hide: Sequence[str] = ()) -> int:
        """Total size of distinct blobs reachable from ``tips`` (default: every ref) but not from ``hide``.

        ``tips`` and ``hide`` are commit ids or full ref names; this is what quotas count as git storage.
        """

    @abstractmethod
    def existing_objects(self, key: str, oids: Sequence[str]) -> set[str]:
        """The ids among ``oids`` already in the repository's object store (reachable or not)."""

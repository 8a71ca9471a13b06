"""What a commit changed, and how two revisions compare: git's tree diffs, with LFS pointers read.

A blob that is an LFS pointer is shown as the object it stands for (oid and size), not as a text diff of
the three pointer lines; every other size is the git blob's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from kohakuhub.lib.lfs_pointer import MAX_POINTER_SIZE, LfsPointer, parse_pointer
from kohakuhub.services.auth import Access
from kohakuhub.services.files import MIN_POINTER_SIZE
from kohakuhub.services.repos import RepoRef
from kohakuhub.types import CommitInfo, DiffLimits, FileChange, TreeDiff
from kohakuhub.versioning.base import VersioningBackend

# Commits listed by a comparison; the rest are only said to exist (GitHub shows 250).
MAX_COMPARE_COMMITS = 250


@dataclass(frozen=True)
class ChangeView:
    """A changed file with the LFS objects its old and new blobs point to, if they are pointers."""

    change: FileChange
    old_lfs: LfsPointer | None = None
    new_lfs: LfsPointer | None = None

    @property
    def old_size(self) -> int | None:
        return self.old_lfs.size if self.old_lfs else self.change.old_size

    @property
    def new_size(self) -> int | None:
        return self.new_lfs.size if self.new_lfs else self.change.new_size


@dataclass(frozen=True)
class DiffView:
    files: list[ChangeView]
    total_files: int
    truncated: bool


@dataclass(frozen=True)
class CommitDiff:
    """One commit and its changes against its first parent (or the empty tree for a root commit)."""

    info: CommitInfo
    diff: DiffView


@dataclass(frozen=True)
class Comparison:
    """``base...head``: the commits of head not in base, and the changes since their merge base."""

    base: str
    head: str
    merge_base: str | None
    commits: list[CommitInfo]
    commits_truncated: bool
    diff: DiffView


class DiffService:
    """Commit diffs and comparisons of a repo the caller may read (``RepoRef`` was checked)."""

    def __init__(self, versioning: VersioningBackend, limits: DiffLimits | None = None) -> None:
        self._git = versioning
        self._limits = limits or DiffLimits()

    def commit_diff(self, repo: RepoRef, commit: str) -> CommitDiff:
        """The commit (a resolved id) and what it changed; a merge is diffed against its first parent.

        Raises:
            RevisionNotFoundError: ``commit`` does not exist.
            ForbiddenError: ``repo`` was authorized for metadata only (diffs are content: a gated repo's).
        """
        repo.require(Access.DOWNLOAD)
        info = self._git.commit_info(repo.key, commit)
        parent = info.parents[0] if info.parents else None
        return CommitDiff(info, self._view(repo, self._git.diff(repo.key, parent, info.id, self._limits)))

    def compare(self, repo: RepoRef, base: str, head: str) -> Comparison:
        """Compare two resolved commits as ``git diff base...head`` and ``git log base..head``.

        The diff starts at their merge base (what head brings), or at base itself when the histories
        are unrelated.

        Raises:
            RevisionNotFoundError: a commit does not exist.
            ForbiddenError: ``repo`` was authorized for metadata only.
        """
        repo.require(Access.DOWNLOAD)
        merge_base = self._git.merge_base(repo.key, base, head)
        commits, more = self._git.commits_between(repo.key, base, head, limit=MAX_COMPARE_COMMITS)
        diff = self._git.diff(repo.key, merge_base or base, head, self._limits)
        return Comparison(base, head, merge_base, commits, more, self._view(repo, diff))

    def _view(self, repo: RepoRef, diff: TreeDiff) -> DiffView:
        files = []
        for change in diff.files:
            old_lfs = self._pointer(repo, change.old_oid, change.old_size)
            new_lfs = self._pointer(repo, change.new_oid, change.new_size)
            if old_lfs or new_lfs:
                # The pointer lines' diff says nothing the oids and sizes do not.
                change = replace(change, patch=None, additions=0, deletions=0, truncated=False)
            files.append(ChangeView(change, old_lfs, new_lfs))
        return DiffView(files, diff.total_files, diff.truncated)

    def _pointer(self, repo: RepoRef, oid: str | None, size: int | None) -> LfsPointer | None:
        if oid is None or size is None or not MIN_POINTER_SIZE <= size <= MAX_POINTER_SIZE:
            return None
        return parse_pointer(self._git.read_blob(repo.key, oid))

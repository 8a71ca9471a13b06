"""Small value types shared by every layer (no I/O, no framework imports)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class RepoType(StrEnum):
    """The three kinds of hub repository."""

    MODEL = "model"
    DATASET = "dataset"
    SPACE = "space"

    @property
    def url_prefix(self) -> str:
        """Prefix of file and git URLs: '' for models, 'datasets/' or 'spaces/' otherwise."""
        return "" if self is RepoType.MODEL else f"{self.value}s/"


@dataclass(frozen=True)
class Signature:
    """Author or committer of a git commit."""

    name: str
    email: str


@dataclass(frozen=True)
class TreeEntry:
    """One file or directory of a commit's tree.

    For files, ``oid`` is the git blob id and ``size`` the blob's size in git (for an LFS file that is
    the pointer's size; the real size comes from the pointer). For directories ``oid`` is the tree id.
    """

    path: str
    type: str  # "file" | "directory"
    oid: str
    size: int = 0
    mode: int = 0o100644


@dataclass(frozen=True)
class CommitInfo:
    """A commit as the API shows it."""

    id: str
    title: str
    message: str
    date: datetime
    author_name: str
    author_email: str
    parents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refs:
    """Branches, tags and pull request refs (``refs/pr/<number>``) of a repository, each mapped to its
    commit id."""

    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    pull_requests: dict[int, str] = field(default_factory=dict)


def pull_request_ref(number: int) -> str:
    """The git ref of pull request ``number`` (the Hub's ``refs/pr/N``)."""
    return f"refs/pr/{number}"


@dataclass(frozen=True)
class MergeOutcome:
    """What merging a commit into a branch did: the branch's new head, and whether it only moved forward
    (no merge commit was written)."""

    commit: str
    fast_forward: bool


# --- commit operations handed to the versioning backend -------------------------------------------


@dataclass(frozen=True)
class PutFile:
    """Write a file whose content is the git blob ``blob_oid`` (already in the object store)."""

    path: str
    blob_oid: str
    executable: bool = False


@dataclass(frozen=True)
class DeleteFile:
    """Remove one file; the path must exist."""

    path: str


@dataclass(frozen=True)
class DeleteFolder:
    """Remove a directory and everything below it; the path must exist."""

    path: str


CommitOperation = PutFile | DeleteFile | DeleteFolder


@dataclass(frozen=True)
class DiffLimits:
    """Caps on one diff answer, so a huge commit cannot produce a huge (or slow) response.

    ``max_files`` changed files are described, the rest only counted; a side above ``max_blob_bytes``
    gets no text diff (loading it is the cost); a file's text diff is cut at ``max_file_patch_bytes``;
    once ``max_total_patch_bytes`` of text diffs were produced, the remaining files get none.
    """

    max_files: int = 300
    max_blob_bytes: int = 1 << 20
    max_file_patch_bytes: int = 64 << 10
    max_total_patch_bytes: int = 512 << 10


@dataclass(frozen=True)
class FileChange:
    """One changed path between two trees, as git sees it (sizes and ids are those of the git blobs).

    ``patch`` is the unified diff from the first ``@@`` hunk header on, or None when there is none to
    show (binary, too large, over the limits, mode-only change). ``truncated`` says the limits cut or
    omitted it.
    """

    status: str  # "added" | "modified" | "deleted" | "renamed" | "typechange"
    old_path: str | None
    new_path: str | None
    old_oid: str | None
    new_oid: str | None
    old_size: int | None
    new_size: int | None
    old_mode: int | None
    new_mode: int | None
    binary: bool = False
    additions: int = 0
    deletions: int = 0
    patch: str | None = None
    truncated: bool = False


@dataclass(frozen=True)
class TreeDiff:
    """The changes between two trees: the first ``DiffLimits.max_files`` of ``total_files``."""

    files: tuple[FileChange, ...]
    total_files: int
    truncated: bool  # files left out or text diffs cut


# --- discussions and pull requests ----------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A user as discussions show them (None in their place stands for a deleted account)."""

    username: str
    fullname: str = ""


@dataclass(frozen=True)
class DiscussionInfo:
    """A discussion or pull request of a repo. ``status``: open, closed; pull requests also draft, merged.

    Pull requests also have ``target_branch`` (where they merge), ``base_commit`` (where ``refs/pr/<num>``
    started) and, once merged, ``merge_commit``.
    """

    id: int
    num: int
    title: str
    status: str
    is_pull_request: bool
    author: Person | None
    author_id: int | None
    created_at: datetime
    updated_at: datetime
    target_branch: str | None = None
    base_commit: str | None = None
    merge_commit: str | None = None
    num_comments: int = 0


@dataclass(frozen=True)
class CommentVersion:
    """A version of a comment that an edit replaced."""

    content: str
    author: Person | None
    written_at: datetime


@dataclass(frozen=True)
class DiscussionEventInfo:
    """One event of a discussion: ``comment``, ``status-change``, ``title-change`` or (pull requests,
    read from git) ``commit``; the fields of other kinds are None."""

    public_id: str
    kind: str
    author: Person | None
    author_id: int | None
    created_at: datetime
    content: str | None = None
    edited_at: datetime | None = None
    edited_by: Person | None = None
    hidden: bool = False
    hidden_by: Person | None = None
    history: tuple[CommentVersion, ...] = ()  # older versions, newest first
    new_status: str | None = None
    old_title: str | None = None
    new_title: str | None = None
    commit: CommitInfo | None = None

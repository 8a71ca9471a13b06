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
    """Branches and tags of a repository, each name mapped to its commit id."""

    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


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

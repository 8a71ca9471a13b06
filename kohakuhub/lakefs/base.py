"""The port of the lakeFS mirror: what the mirror service needs from a lakeFS server, in the hub's terms.

A lakeFS repository mirrors one hub repo. Its name comes from the hub repo's immutable storage key, so a
rename or move of the hub repo changes nothing there. Each mirrored commit carries the hub's git SHA-1 in
its metadata (``kohakuhub.commit``), which is how the mirror recognises what it already did.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from kohakuhub.errors import HubError

COMMIT_KEY = "kohakuhub.commit"  # the hub commit (git SHA-1) a lakeFS commit mirrors
REPO_KEY = "kohakuhub.repo"  # the hub repo's storage key, in the lakeFS repository's metadata
OID_KEY = "kohakuhub-oid"  # an object's git blob id, in its user metadata (lakeFS keeps it per object)


def repository_name(key: str) -> str:
    """The lakeFS repository of hub repo ``key`` (lakeFS names: 3-63 of ``[a-z0-9-]``)."""
    return f"khub-{key.lower()}"


class MirrorError(HubError):
    """lakeFS refused or could not be reached; the mirror retries later."""


@dataclass(frozen=True)
class Head:
    """A lakeFS branch: its commit, and the hub commit that commit mirrors (None: not a hub commit)."""

    commit_id: str
    hub_commit: str | None


@dataclass(frozen=True)
class PutObject:
    """Write ``path``: bytes from ``read()``, or linked at ``physical_address`` (no byte copied)."""

    path: str
    oid: str  # the git blob id (kept in the object's metadata)
    size: int
    read: Callable[[], Iterator[bytes]] | None = None
    physical_address: str | None = None
    checksum: str | None = None  # of the linked object, as the blockstore reports it (its ETag)


@dataclass(frozen=True)
class CommitSpec:
    """A hub commit to replay: message, author, date, and the metadata to record."""

    hub_commit: str
    message: str
    author: str  # "Name <email>"
    date: datetime
    metadata: dict[str, str] = field(default_factory=dict)


class MirrorTarget(ABC):
    """A lakeFS server as the mirror uses it. Every method may raise MirrorError."""

    @abstractmethod
    def health(self) -> str:
        """A line saying the server answers (its version)."""

    @abstractmethod
    def ensure_repository(self, name: str, hub_key: str) -> str:
        """Create repository ``name`` if it is missing; return its default branch."""

    @abstractmethod
    def delete_repository(self, name: str) -> None:
        """Delete repository ``name``; a missing one is not an error."""

    @abstractmethod
    def branches(self, name: str) -> dict[str, Head]:
        """Every branch of ``name`` with its head."""

    @abstractmethod
    def tags(self, name: str) -> dict[str, str]:
        """Every tag of ``name`` and the lakeFS commit it points at."""

    @abstractmethod
    def root_commit(self, name: str) -> str:
        """The repository's first commit (lakeFS makes it, empty, with the repository)."""

    @abstractmethod
    def create_branch(self, name: str, branch: str, source_commit: str) -> None:
        """Create ``branch`` at lakeFS commit ``source_commit``."""

    @abstractmethod
    def delete_branch(self, name: str, branch: str) -> None:
        """Delete ``branch``; a missing one is not an error."""

    @abstractmethod
    def create_tag(self, name: str, tag: str, commit: str) -> None:
        """Create ``tag`` at lakeFS commit ``commit``."""

    @abstractmethod
    def delete_tag(self, name: str, tag: str) -> None:
        """Delete ``tag``; a missing one is not an error."""

    @abstractmethod
    def files(self, name: str, branch: str) -> dict[str, str | None]:
        """Every object on ``branch`` and its git blob id (None when it has none in its metadata)."""

    @abstractmethod
    def commit(self, name: str, branch: str, puts: Sequence[PutObject], deletes: Sequence[str],
               spec: CommitSpec) -> str:
        """Make one commit on ``branch``: first drop any uncommitted change (a replay cut short), then write
        ``puts``, delete ``deletes`` and commit with ``spec``; return the lakeFS commit id."""

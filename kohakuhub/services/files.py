"""Reading repos: revisions, trees, paths-info, file metadata for resolve, history."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from kohakuhub.errors import EntryNotFoundError, RevisionNotFoundError
from kohakuhub.lib.card import parse_card_data
from kohakuhub.lib.lfs_pointer import MAX_POINTER_SIZE, LfsPointer, parse_pointer
from kohakuhub.lib.paths import normalize_repo_path
from kohakuhub.services.auth import Access
from kohakuhub.services.repos import RepoRef
from kohakuhub.types import CommitInfo, TreeEntry
from kohakuhub.versioning.base import VersioningBackend

# Only blobs of pointer-like size are read to check for an LFS pointer: listings stay header-only.
MIN_POINTER_SIZE = 100


@dataclass(frozen=True)
class FileView:
    """A tree entry as the API shows it: files carry their real size and LFS pointer if any."""

    path: str
    type: str
    oid: str
    size: int
    lfs: LfsPointer | None = None
    pointer_size: int = 0


class FileService:
    """Read-only views of a repo's content at a revision."""

    def __init__(self, versioning: VersioningBackend) -> None:
        self._git = versioning

    def resolve(self, repo: RepoRef, revision: str) -> str:
        """Commit id of a branch, tag, ref or (short) commit id.

        Raises:
            RevisionNotFoundError: nothing matches.
        """
        if not revision or len(revision) > 256 or "\0" in revision:
            raise RevisionNotFoundError(f"Invalid rev id: {revision!r}")
        return self._git.resolve(repo.key, revision)

    def view(self, repo: RepoRef, entry: TreeEntry) -> FileView:
        """Turn a tree entry into a FileView, reading the blob only if it may be an LFS pointer."""
        if entry.type != "file":
            return FileView(entry.path, "directory", entry.oid, 0)
        if MIN_POINTER_SIZE <= entry.size <= MAX_POINTER_SIZE:
            pointer = parse_pointer(self._git.read_blob(repo.key, entry.oid))
            if pointer is not None:
                return FileView(entry.path, "file", entry.oid, pointer.size, pointer, entry.size)
        return FileView(entry.path, "file", entry.oid, entry.size)

    def file(self, repo: RepoRef, commit: str, path: str) -> FileView:
        """The file at ``path``.

        Raises:
            EntryNotFoundError: missing, a directory, or an invalid path (carries the commit).
        """
        try:
            normalize_repo_path(path)
        except Exception:
            raise EntryNotFoundError(f"Entry not found: {path!r}", commit=commit) from None
        entry = self._git.get_entry(repo.key, commit, path)
        if entry is None or entry.type != "file":
            raise EntryNotFoundError(f"{path} does not exist at revision {commit}", commit=commit)
        return self.view(repo, entry)

    def read_small(self, repo: RepoRef, oid: str) -> bytes:
        """Bytes of a regular (non-LFS) blob; these are below the LFS threshold by construction.

        Raises ForbiddenError through a ref authorized for metadata only (a gated repo's content).
        """
        repo.require(Access.DOWNLOAD)
        return self._git.read_blob(repo.key, oid)

    def tree(self, repo: RepoRef, commit: str, path: str, *, recursive: bool,
             start_after: str | None, limit: int) -> tuple[list[FileView], bool]:
        """One page of a listing and whether more entries follow.

        Raises:
            EntryNotFoundError: ``path`` is missing or is a file.
        """
        path = path.strip("/")
        if path:
            try:
                normalize_repo_path(path)
            except Exception:
                raise EntryNotFoundError(f"Entry not found: {path!r}", commit=commit) from None
        entries = self._git.list_tree(repo.key, commit, path, recursive=recursive, start_after=start_after)
        page: list[FileView] = []
        for entry in entries:
            if len(page) == limit:
                return page, True
            page.append(self.view(repo, entry))
        return page, False

    def iter_files(self, repo: RepoRef, commit: str) -> Iterator[FileView]:
        """Every file of the commit (for siblings)."""
        for entry in self._git.list_tree(repo.key, commit, "", recursive=True):
            if entry.type == "file":
                yield self.view(repo, entry)

    def paths_info(self, repo: RepoRef, commit: str, paths: Sequence[str]) -> list[FileView]:
        """Views of the given paths that exist (missing or invalid ones are silently left out)."""
        found: list[FileView] = []
        for raw in dict.fromkeys(paths):
            path = raw.strip("/")
            if not path:
                continue
            try:
                normalize_repo_path(path)
            except Exception:
                continue
            entry = self._git.get_entry(repo.key, commit, path)
            if entry is not None:
                found.append(self.view(repo, entry))
        return found

    def last_commits(self, repo: RepoRef, commit: str, paths: Sequence[str]) -> dict[str, CommitInfo]:
        return self._git.last_commits(repo.key, commit, paths)

    def card_data(self, repo: RepoRef, commit: str) -> dict | None:
        """README.md front matter at the commit, if any."""
        entry = self._git.get_entry(repo.key, commit, "README.md")
        if entry is None or entry.type != "file" or entry.size > (1 << 20):
            return None
        return parse_card_data(self._git.read_blob(repo.key, entry.oid))

    def commit_info(self, repo: RepoRef, commit: str) -> CommitInfo:
        return self._git.commit_info(repo.key, commit)

    def log(self, repo: RepoRef, commit: str, *, skip: int, limit: int) -> list[CommitInfo]:
        return self._git.log(repo.key, commit, skip=skip, limit=limit)

    def path_log(self, repo: RepoRef, commit: str, path: str, *, skip: int, limit: int) -> list[CommitInfo]:
        """Commits that changed ``path`` (file or folder), as ``git log -- path``; see VersioningBackend.

        Raises:
            BadRequestError: ``path`` is not a valid repo path.
        """
        return self._git.path_log(repo.key, commit, path, skip=skip, limit=limit)

    def count_commits(self, repo: RepoRef, commit: str) -> int:
        return self._git.count_commits(repo.key, commit)

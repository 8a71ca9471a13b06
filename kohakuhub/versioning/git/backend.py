"""GitBackend: the VersioningBackend port on bare git repositories, via pygit2/libgit2.

Layout: the repo with key K is the bare repository ``<root>/K[:2]/K.git`` (a two-character fan-out keeps
directories small with many repos). ``pygit2.Repository`` objects are never shared between threads: each
thread keeps a few open ones (opening.py). Reads take no lock since git objects are immutable and libgit2
replaces refs atomically (lockfile + rename).

Writes run under the repo lock (threads and processes) and publish with a compare-and-swap ref update,
after the commit object is fully written: a process killed mid-commit leaves the branch untouched.

Blobs are loose objects, except batches of ``pack_min_blobs`` or more (``write_blobs``), which become one
packfile each (packwriter.py). Every pack is one more index for libgit2 to search on each lookup, so
after a commit that leaves more than ``max_packs`` packs a background thread rolls the small ones up
(``git repack --geometric=2 -d``, under the repo lock).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pygit2

from kohakuhub.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    RepoNotFoundError,
    RevisionNotFoundError,
    StaleParentError,
)
from kohakuhub.types import CommitInfo, CommitOperation, DiffLimits, Refs, Signature, TreeDiff, TreeEntry
from kohakuhub.versioning.base import VersioningBackend
from kohakuhub.versioning.git import blob_scan, diffing, history, ignore, path_history, revisions, tree_reading
from kohakuhub.versioning.git.history_rewrite import BlobDropper
from kohakuhub.versioning.git.locking import LOCK_FILE_NAME, RepoLocks
from kohakuhub.versioning.git.naming import (
    check_message,
    is_full_hex,
    make_signature,
    split_read_path,
    validate_key,
    validate_ref_name,
)
from kohakuhub.versioning.git.opening import RepoCache, open_fresh
from kohakuhub.versioning.git.packwriter import write_pack
from kohakuhub.versioning.git.pull_requests import PullRequestRefs
from kohakuhub.versioning.git.refs_writer import create_ref, delete_ref, move_ref
from kohakuhub.versioning.git.tree_builder import apply_operations
from kohakuhub.versioning.git.usage import reachable_blob_bytes

_HEADS = "refs/heads/"
# Batches smaller than this are written as loose objects. Measured (2 vCPU, ext4): a loose object costs
# ~120 us, a pack ~300 us plus ~10 us per blob, so packing wins from ~3 blobs; but every pack slows every
# lookup until consolidated, and 31 loose blobs cost only ~4 ms, so small commits stay loose.
PACK_MIN_BLOBS = 32
# git's own gc.autoPackLimit.
MAX_PACKS = 50
REPACK_TIMEOUT_SECONDS = 3600

log = logging.getLogger(__name__)


class GitBackend(PullRequestRefs, VersioningBackend):
    """History store keeping every hub repo as a bare git repository under ``root``."""

    def __init__(self, root: Path, *, pack_min_blobs: int = PACK_MIN_BLOBS, max_packs: int = MAX_PACKS) -> None:
        self.root = Path(root)
        self.pack_min_blobs = pack_min_blobs
        self.max_packs = max_packs
        self._locks = RepoLocks()
        self._repos = RepoCache()
        # Keys are immutable and few; caching their paths saves validation and pathlib work per call.
        self._paths: dict[str, Path] = {}
        self._maintenance_guard = threading.Lock()
        self._maintenance: dict[str, threading.Thread] = {}
        self._ref_listeners: list[Callable[[str], None]] = []

    # --- repositories ------------------------------------------------------------------------------

    def init_repo(self, key: str) -> None:
        """Create an empty bare repository (HEAD -> refs/heads/main).

        It is built in a temporary directory and renamed into place, so a half-initialised repository
        is never visible and two concurrent inits cannot both succeed.

        Raises:
            ConflictError: the repository already exists.
        """
        path = self.repo_path(key)
        if path.exists():
            raise ConflictError(f"Repository {key} already exists")
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = path.parent / f".init-{key}-{uuid.uuid4().hex}"
        try:
            repo = pygit2.init_repository(str(staging), bare=True, initial_head="main")
            # Bare repos default to no reflogs; say so explicitly, they would only grow forever here.
            repo.config["core.logallrefupdates"] = False
            (staging / LOCK_FILE_NAME).touch()
            os.rename(staging, path)  # fails if the target appeared meanwhile (non-empty directory)
        except OSError as exc:
            raise ConflictError(f"Repository {key} already exists") from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def delete_repo(self, key: str) -> None:
        """Remove a repository; waits for in-flight writes, and a missing repo is not an error."""
        path = self.repo_path(key)
        trash = path.parent / f".trash-{key}-{uuid.uuid4().hex}"
        try:
            with self._locks.hold(key, path):
                os.rename(path, trash)  # atomic: readers see the whole repo or nothing
        except (RepoNotFoundError, FileNotFoundError):
            return
        self.refs_moved(key)
        shutil.rmtree(trash, ignore_errors=True)

    def add_ref_listener(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(key)`` right after any ref of repo ``key`` moved or the repo was deleted.

        Every ref write of the hub goes through this class (API commits, squash, branches, tags, history
        rewrites) or through ``GitTransport.receive_pack`` (pushes), which calls ``refs_moved`` too; so a
        listener (the lakeFS mirror's queue) misses no path.
        """
        self._ref_listeners.append(listener)

    def refs_moved(self, key: str) -> None:
        """Tell the listeners that repo ``key``'s refs changed; a failing listener is logged, never raised.

        The ref has already moved: the write succeeded, and a listener's trouble must not turn it into an error.
        """
        for listener in self._ref_listeners:
            try:
                listener(key)
            except Exception:
                log.exception("ref listener failed for repo %s", key)

    @contextmanager
    def _moving_refs(self, key: str) -> Iterator[None]:
        """The repo's write lock around a ref write; the listeners hear of it once the lock is released."""
        with self._locks.hold(key, self.repo_path(key)):
            yield
        self.refs_moved(key)

    def repo_exists(self, key: str) -> bool:
        """True when the repository exists."""
        return self.repo_path(key).is_dir()

    def repo_path(self, key: str) -> Path:
        """Directory of the bare repository for ``key``.

        Raises:
            ValueError: ``key`` is not a valid repo key.
        """
        path = self._paths.get(key)
        if path is None:
            validate_key(key)
            path = self._paths[key] = self.root / key[:2] / f"{key}.git"
        return path

    @contextmanager
    def repo_lock(self, key: str) -> Iterator[None]:
        """Hold the repo's write lock (e.g. around ``git receive-pack``); reentrant in one thread.

        Raises:
            RepoNotFoundError: the repository does not exist.
        """
        with self._locks.hold(key, self.repo_path(key)):
            yield

    def blob_bytes(self, key: str, tips: Sequence[str] | None = None, hide: Sequence[str] = ()) -> int:
        """Total size of distinct blobs reachable from ``tips`` (default: every ref) but not ``hide``."""
        return reachable_blob_bytes(self.repo_path(key), tips, hide)

    def existing_objects(self, key: str, oids: Sequence[str]) -> set[str]:
        """The ids among ``oids`` already in the repository's object store (reachable or not)."""
        repo = self._open(key)
        return {oid for oid in oids if oid in repo}

    def ignored_paths(self, gitignore: str, paths: Sequence[str]) -> set[str]:
        """The ``paths`` a root ``.gitignore`` with this content ignores, answered by git (ignore.py)."""
        return ignore.ignored_paths(gitignore, paths)

    def small_blobs(self, key: str, max_size: int) -> Iterator[tuple[str, str, str]]:
        """``(ref, path, blob id)`` of each blob of at most ``max_size`` bytes in history (blob_scan.py)."""
        return blob_scan.small_blobs(self.repo_path(key), blob_scan.ordered_refs(self._open(key)), max_size)

    def drop_blobs(self, key: str, blob_ids: Sequence[str]) -> list[str]:
        """Rewrite history so no ref reaches a tree entry pointing at ``blob_ids`` (history_rewrite.py).

        Every ref moves with a compare-and-swap under the repo lock; returns the refs that moved.

        Raises:
            StaleParentError: a ref moved under us (a writer that bypassed the lock).
        """
        with self._moving_refs(key):
            repo = open_fresh(self.repo_path(key))  # objects written here need no cached odb state
            refs = [repo.references[name] for name in blob_scan.ordered_refs(repo)]
            tips = [ref.peel(pygit2.Commit).id for ref in refs if _points_at_commit(ref)]
            dropper = BlobDropper(repo, blob_ids)
            dropper.rewrite_tips(tips)
            moved = []
            for ref in refs:
                new = dropper.new_target(ref) if _points_at_commit(ref) else None
                if new is not None:
                    move_ref(repo, ref.name, ref.target, new)
                    moved.append(ref.name)
            return moved

    def _open(self, key: str) -> pygit2.Repository:
        # For use within this call on this thread only (see opening.py).
        return self._repos.open(self.repo_path(key))

    # --- objects -----------------------------------------------------------------------------------

    def write_blob(self, key: str, data: bytes) -> str:
        """Store ``data`` as a git blob and return its id."""
        return str(self._open(key).create_blob(bytes(data)))

    def write_blobs(self, key: str, blobs: Sequence[bytes]) -> list[str]:
        """Store blobs, as one new packfile when there are at least ``pack_min_blobs`` of them.

        Raises:
            RepoNotFoundError: the repository does not exist.
        """
        repo = self._open(key)
        if len(blobs) < self.pack_min_blobs:
            return [str(repo.create_blob(bytes(data))) for data in blobs]
        path = self.repo_path(key)
        return write_pack(path / "objects" / "pack", [bytes(data) for data in blobs],
                          publish_lock=self._locks.hold(key, path))

    def write_blob_from_file(self, key: str, path: Path) -> str:
        """Store a file's content as a blob; libgit2 streams it into the object store.

        Raises:
            FileNotFoundError: ``path`` does not exist.
        """
        repo = self._open(key)
        if not Path(path).is_file():
            raise FileNotFoundError(str(path))
        return str(repo.create_blob_fromdisk(str(path)))

    def read_blob(self, key: str, oid: str) -> bytes:
        """Return a blob's bytes.

        Raises:
            NotFoundError: no blob with this id.
        """
        obj = self._get_object(self._open(key), oid)
        if not isinstance(obj, pygit2.Blob):
            raise NotFoundError(f"Blob not found: {oid}")
        return obj.data

    def blob_size(self, key: str, oid: str) -> int:
        """Size of a blob, from its header only.

        Raises:
            NotFoundError: no blob with this id.
        """
        repo = self._open(key)
        if not isinstance(oid, str) or not is_full_hex(oid):
            raise NotFoundError(f"Blob not found: {oid}")
        try:
            obj_type, size = repo.odb.read_header(oid.lower())
        except KeyError as exc:
            raise NotFoundError(f"Blob not found: {oid}") from exc
        if obj_type != pygit2.GIT_OBJECT_BLOB:
            raise NotFoundError(f"Blob not found: {oid}")
        return size

    @staticmethod
    def _get_object(repo: pygit2.Repository, oid: str) -> pygit2.Object:
        if not isinstance(oid, str) or not is_full_hex(oid):
            raise NotFoundError(f"Blob not found: {oid}")
        obj = repo.get(oid.lower())
        if obj is None:
            raise NotFoundError(f"Blob not found: {oid}")
        return obj

    # --- refs ---------------------------------------------------------------------------------------

    def resolve(self, key: str, revision: str) -> str:
        """Resolve a branch, tag, full ref name or full/short commit id (branch > tag > id).

        Raises:
            RevisionNotFoundError: nothing matches, or a short id is ambiguous.
        """
        return str(revisions.resolve_commit(self._open(key), revision).id)

    def refs(self, key: str) -> Refs:
        """All branches, tags (peeled to their commit) and pull request refs."""
        return revisions.list_refs(self._open(key))

    def create_branch(self, key: str, name: str, commit: str) -> None:
        """Create ``refs/heads/<name>`` at ``commit`` (any revision).

        Raises:
            InvalidRevisionError: bad branch name.
            RevisionNotFoundError: ``commit`` does not resolve.
            ConflictError: the branch exists, or clashes with one (``a`` vs ``a/b``).
        """
        ref_name = validate_ref_name(name, "heads")
        target = revisions.resolve_commit(self._open(key), commit).id
        with self._moving_refs(key):
            create_ref(self._open(key), ref_name, target, label=f"Reference {ref_name}")

    def delete_branch(self, key: str, name: str) -> None:
        """Delete a branch.

        Raises:
            RevisionNotFoundError: no such branch.
        """
        with self._moving_refs(key):
            delete_ref(self._open(key), _HEADS + str(name), name=str(name))

    def create_tag(self, key: str, name: str, commit: str, *, message: str | None, tagger: Signature) -> None:
        """Create a tag: annotated (a tag object signed by ``tagger``) when ``message`` is given.

        Raises:
            InvalidRevisionError: bad tag name.
            RevisionNotFoundError: ``commit`` does not resolve.
            ConflictError: the tag exists.
            BadRequestError: invalid tagger or message.
        """
        ref_name = validate_ref_name(name, "tags")
        signature = make_signature(tagger) if message is not None else None
        with self._moving_refs(key):
            repo = self._open(key)
            target = revisions.resolve_commit(repo, commit).id
            if message is None:
                create_ref(repo, ref_name, target, label=f"Reference {ref_name}")
                return
            try:
                # git_tag_create writes the tag object, then the ref without overwriting.
                repo.create_tag(name, target, pygit2.GIT_OBJECT_COMMIT, signature, check_message(message))
            except pygit2.AlreadyExistsError as exc:
                raise ConflictError(f"Reference {ref_name} already exists") from exc
            except (pygit2.GitError, OSError) as exc:
                raise ConflictError(f"Reference {ref_name} conflicts with an existing reference") from exc

    def delete_tag(self, key: str, name: str) -> None:
        """Delete a tag.

        Raises:
            RevisionNotFoundError: no such tag.
        """
        with self._moving_refs(key):
            delete_ref(self._open(key), "refs/tags/" + str(name), name=str(name))

    # --- commits -----------------------------------------------------------------------------------

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

        A commit whose tree equals its parent's is still created (the Hub allows empty commits).

        Raises:
            RevisionNotFoundError: the branch does not exist and ``create_branch`` is false.
            InvalidRevisionError: ``create_branch`` with an invalid branch name.
            EntryNotFoundError: a DeleteFile/DeleteFolder path does not exist.
            InvalidPathError: an operation path is malformed.
            NotFoundError: a PutFile blob is not in the repository.
            StaleParentError: ``expected_head`` does not match.
            BadRequestError: invalid author or message.
        """
        ref_name = self._branch_ref(branch, creating=create_branch)
        return self._commit_on(key, ref_name, branch, operations=operations, message=message, author=author,
                               when=when, expected_head=expected_head, missing_ok=create_branch)

    def _commit_on(self, key: str, ref_name: str, label: str, *, operations: Sequence[CommitOperation],
                   message: str, author: Signature, when: datetime | None, expected_head: str | None,
                   missing_ok: bool = False, start_point: str | None = None) -> str:
        """Commit ``operations`` on ``ref_name`` (see ``commit`` and ``commit_to_pull_request``)."""
        signature = make_signature(author, when)
        check_message(message)
        with self._moving_refs(key):
            repo = self._open(key)
            head = revisions.head_of(repo, ref_name)
            if start_point is not None:
                if head is not None:
                    raise ConflictError(f"{label} already exists")
                parent = revisions.resolve_commit(repo, start_point).id
            else:
                if head is None and not missing_ok:
                    raise RevisionNotFoundError(f"Invalid rev id: {label}")
                if expected_head is not None and not revisions.matches_expected(head, expected_head):
                    raise StaleParentError()
                parent = head
            base_tree = repo[parent].tree if parent is not None else None
            tree_id = apply_operations(repo, base_tree, operations)
            parents = [parent] if parent is not None else []
            # The commit object is written before the ref moves: a crash in between leaves only an
            # unreachable object behind, never a ref to a missing commit.
            new = repo.create_commit(None, signature, signature, message, tree_id, parents)
            move_ref(repo, ref_name, head, new)
        self.maybe_consolidate(key)
        return str(new)

    def squash(self, key: str, *, branch: str, message: str, author: Signature) -> str:
        """Replace a branch's history with one root commit holding its current tree.

        Raises:
            RevisionNotFoundError: the branch does not exist.
            BadRequestError: invalid author or message.
        """
        ref_name = self._branch_ref(branch, creating=False)
        signature = make_signature(author)
        check_message(message)
        with self._moving_refs(key):
            repo = self._open(key)
            head = revisions.head_of(repo, ref_name)
            if head is None:
                raise RevisionNotFoundError(f"Invalid rev id: {branch}")
            tree_id = repo[head].tree_id
            new = repo.create_commit(None, signature, signature, message, tree_id, [])
            move_ref(repo, ref_name, head, new)
        return str(new)

    # --- pack maintenance ---------------------------------------------------------------------------

    def pack_count(self, key: str) -> int:
        """Number of packfiles of the repository (0 if it has none)."""
        try:
            with os.scandir(self.repo_path(key) / "objects" / "pack") as entries:
                return sum(1 for entry in entries if entry.name.endswith(".pack"))
        except FileNotFoundError:
            return 0

    def consolidate(self, key: str) -> bool:
        """Roll up the repository's packs (and loose objects) if it has more than ``max_packs``.

        First ``git repack --geometric=2 -d``: it merges the small packs until each remaining one is at
        least twice the size of all smaller ones together, so a big pack is not rewritten every time.
        Such a progression can itself exceed a small ``max_packs`` (packs of 4, 8 and 60 objects are
        left alone), and then everything goes into one pack (``-a -d -k``). Both keep every object,
        reachable or not: the blobs of a commit still being received have no ref yet, and a plain
        ``-a -d`` would delete them. Runs under the repo lock, which pack publication takes too.

        Returns:
            True if it repacked.

        Raises:
            RepoNotFoundError: the repository does not exist.
            subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError: git failed or is missing.
        """
        path = self.repo_path(key)
        with self._locks.hold(key, path):
            if self.pack_count(key) <= self.max_packs:
                return False
            self._git_repack(path, "--geometric=2")
            if self.pack_count(key) > self.max_packs:
                self._git_repack(path, "-a", "-k")
        return True

    @staticmethod
    def _git_repack(path: Path, *args: str) -> None:
        subprocess.run(["git", "--git-dir", str(path), "repack", *args, "-d", "-q"], check=True,
                       capture_output=True, stdin=subprocess.DEVNULL, timeout=REPACK_TIMEOUT_SECONDS)

    def join_maintenance(self, timeout: float | None = None) -> None:
        """Wait for background consolidations started so far (tests, shutdown)."""
        with self._maintenance_guard:
            threads = list(self._maintenance.values())
        for thread in threads:
            thread.join(timeout)

    def maybe_consolidate(self, key: str) -> None:
        """Start a background roll-up of the repo's packs if there are more than ``max_packs``."""
        if self.pack_count(key) <= self.max_packs:
            return
        with self._maintenance_guard:
            running = self._maintenance.get(key)
            if running is not None and running.is_alive():
                return
            thread = threading.Thread(target=self._consolidate_quietly, args=(key,), name=f"repack-{key}",
                                      daemon=True)
            self._maintenance[key] = thread
            thread.start()

    def _consolidate_quietly(self, key: str) -> None:
        try:
            # Commits that found this thread running did not start another: look again when done (a few
            # rounds at most, in case packs git will not merge, such as .keep ones, exceed the limit).
            for _round in range(3):
                if not self.consolidate(key):
                    break
        except RepoNotFoundError:
            pass  # deleted meanwhile
        except subprocess.CalledProcessError as exc:
            log.warning("git repack of %s failed: %s", key, exc.stderr.decode(errors="replace")[-500:])
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("git repack of %s failed: %s", key, exc)
        finally:
            with self._maintenance_guard:
                if self._maintenance.get(key) is threading.current_thread():
                    del self._maintenance[key]

    @staticmethod
    def _branch_ref(branch: str, *, creating: bool) -> str:
        if creating:
            return validate_ref_name(branch, "heads")
        ref_name = _HEADS + str(branch)
        if "\0" in ref_name or not pygit2.reference_is_valid_name(ref_name):
            raise RevisionNotFoundError(f"Invalid rev id: {branch}")
        return ref_name

    # --- reading trees and history -----------------------------------------------------------------

    def _commit(self, key: str, commit: str) -> tuple[pygit2.Repository, pygit2.Commit]:
        repo = self._open(key)
        return repo, revisions.resolve_commit(repo, commit)

    def get_entry(self, key: str, commit: str, path: str) -> TreeEntry | None:
        """The file or directory at ``path`` in ``commit`` (``""`` is the root directory), or None.

        Raises:
            RevisionNotFoundError: ``commit`` does not resolve.
        """
        repo, obj = self._commit(key, commit)
        return tree_reading.get_entry(repo, obj, path)

    def list_tree(
        self,
        key: str,
        commit: str,
        path: str = "",
        *,
        recursive: bool = False,
        start_after: str | None = None,
    ) -> Iterator[TreeEntry]:
        """Entries below directory ``path``, pre-order, siblings in git tree order.

        Git tree order sorts names bytewise with a directory compared as ``name/``; ``start_after``
        resumes right after that path, skipping the subtrees before it unread.

        Raises:
            RevisionNotFoundError: ``commit`` does not resolve.
            EntryNotFoundError: ``path`` does not exist or is a file.
            BadRequestError: ``start_after`` is not inside ``path``.
        """
        # The iterator outlives this call and may be resumed on another thread (a streaming response
        # runs in the threadpool), so it gets a repository of its own instead of this thread's cached one.
        repo = open_fresh(self.repo_path(key))
        obj = revisions.resolve_commit(repo, commit)
        return tree_reading.list_tree(repo, obj, path, recursive=recursive, start_after=start_after)

    def log(self, key: str, commit: str, *, skip: int = 0, limit: int = 50) -> list[CommitInfo]:
        """Commits of the first-parent chain from ``commit``, newest first.

        Raises:
            RevisionNotFoundError: ``commit`` does not resolve.
        """
        repo, obj = self._commit(key, commit)
        return history.log(repo, obj, skip=skip, limit=limit)

    def count_commits(self, key: str, commit: str) -> int:
        """Number of commits in the first-parent chain from ``commit`` (what ``log`` pages through).

        Raises:
            RevisionNotFoundError: ``commit`` does not resolve.
        """
        repo, obj = self._commit(key, commit)
        return history.count_commits(repo, obj)

    def path_log(self, key: str, commit: str, path: str, *, skip: int = 0, limit: int = 50) -> list[CommitInfo]:
        """Commits that changed ``path``, simplified as ``git log -- path`` (path_history.py).

        Raises:
            RevisionNotFoundError: ``commit`` does not resolve.
            BadRequestError: ``path`` is not a valid repo path.
        """
        parts = split_read_path(path)
        if parts is None:
            raise BadRequestError(f"Invalid path: {path!r}")
        repo, obj = self._commit(key, commit)
        if not parts:
            return history.log(repo, obj, skip=skip, limit=limit)
        return path_history.path_log(repo, obj, parts, skip=skip, limit=limit)

    def diff(self, key: str, old: str | None, new: str, limits: DiffLimits) -> TreeDiff:
        """The changes from commit ``old`` (None: the empty tree) to commit ``new`` (diffing.py).

        Raises:
            RevisionNotFoundError: a commit does not resolve.
        """
        repo, new_commit = self._commit(key, new)
        old_tree = None if old is None else revisions.resolve_commit(repo, old).tree
        return diffing.diff_trees(repo, old_tree, new_commit.tree, limits)

    def commits_between(self, key: str, base: str, head: str, *, limit: int) -> tuple[list[CommitInfo], bool]:
        """Commits of ``head`` not in ``base``, newest first (``git log base..head``).

        Raises:
            RevisionNotFoundError: a commit does not resolve.
        """
        repo, head_commit = self._commit(key, head)
        return history.commits_between(repo, revisions.resolve_commit(repo, base), head_commit, limit)

    def merge_base(self, key: str, one: str, other: str) -> str | None:
        """The best common ancestor, None for unrelated histories.

        Raises:
            RevisionNotFoundError: a commit does not resolve.
        """
        repo, first = self._commit(key, one)
        found = history.merge_base(repo, first, revisions.resolve_commit(repo, other))
        return None if found is None else str(found.id)

    def last_commits(self, key: str, commit: str, paths: Sequence[str]) -> dict[str, CommitInfo]:
        """For each path present in ``commit``, the newest commit that changed it (first-parent).

        Raises:
            RevisionNotFoundError: ``commit`` does not resolve.
        """
        repo, obj = self._commit(key, commit)
        return history.last_commits(repo, obj, paths)

    def commit_info(self, key: str, commit: str) -> CommitInfo:
        """One commit's metadata.

        Raises:
            RevisionNotFoundError: ``commit`` does not resolve.
        """
        _repo, obj = self._commit(key, commit)
        return history.commit_info(obj)


def _points_at_commit(ref: pygit2.Reference) -> bool:
    """True for a direct ref whose target peels to a commit (not a symbolic ref, a tree or a blob)."""
    try:
        ref.peel(pygit2.Commit)
    except (pygit2.InvalidSpecError, ValueError, KeyError):
        return False
    return ref.type == pygit2.enums.ReferenceType.DIRECT

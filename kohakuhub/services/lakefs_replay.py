"""Bring one lakeFS repository in line with its hub repo: the replay half of the lakeFS mirror.

For each hub branch, the first-parent chain from its tip is walked back to the newest commit the mirror
already knows: the lakeFS branch's head (recognised by its ``kohakuhub.commit`` metadata), or a commit
recorded as mirrored on any branch. The commits after it are replayed oldest first, each as one lakeFS
commit with the same tree, message, author (in metadata; lakeFS records its own user as committer), date
and ``kohakuhub.commit``. A lakeFS branch whose head is not on the hub branch's chain (force push, squash,
reset) is recreated at the newest mirrored commit of the chain; the default branch, which lakeFS cannot
delete, gets the new chain committed on top instead. Branches and tags gone from the hub are deleted there.

Every step is idempotent: a replay cut short leaves at most uncommitted changes (dropped before the next
commit) or a commit the next run recognises by its metadata, so nothing is committed twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from kohakuhub.db import lakefs_mirror as queue_db
from kohakuhub.errors import RevisionNotFoundError
from kohakuhub.lakefs.base import COMMIT_KEY, CommitSpec, Head, MirrorError, MirrorTarget, PutObject, repository_name
from kohakuhub.lib.lfs_pointer import MAX_POINTER_SIZE, parse_pointer
from kohakuhub.types import CommitInfo
from kohakuhub.versioning.base import VersioningBackend

log = logging.getLogger(__name__)

LOG_PAGE = 200
# lakeFS's branch names: a word character, then word characters and dashes. Hub branches with others
# ("feature/x", "v1.0") cannot exist there: they are left out, with a warning in the log.
LAKEFS_BRANCH = re.compile(r"\w[-\w]*", re.ASCII)
# A hub tag whose commit is on no mirrored branch is replayed on this lakeFS branch, tagged, then dropped.
TAG_BRANCH = "khub-tag-replay"


@dataclass(frozen=True)
class Base:
    """The newest already-mirrored commit of a chain: hub SHA-1 and lakeFS commit id."""

    hub_commit: str
    lakefs_commit: str


class LfsSource:
    """Where the bytes of LFS files come from, and whether lakeFS can link them in place.

    Args:
        object_key: the blob store key of an LFS object (by sha256 oid).
        store: the hub's blob store (``stat``, ``read_range``).
        linked_prefix: ``s3://bucket/`` when lakeFS's blockstore is the hub's S3 bucket (then objects are
            linked by physical address, no byte copied); None to upload the bytes.
    """

    def __init__(self, object_key: Callable[[str], str], store, linked_prefix: str | None) -> None:
        self._object_key = object_key
        self._store = store
        self._linked_prefix = linked_prefix

    def put(self, path: str, git_oid: str, pointer_oid: str, size: int) -> PutObject:
        """The write of one LFS file.

        Raises:
            MirrorError: the object's bytes are not in the blob store (e.g. kept only as Xet chunks).
        """
        key = self._object_key(pointer_oid)
        if self._store.stat(key) is None:
            raise MirrorError(f"{path}: LFS object {pointer_oid} is not stored whole (Xet chunks only?); "
                              "mirroring such files is not supported yet")
        if self._linked_prefix is not None:
            head = self._store.head(key) if hasattr(self._store, "head") else None
            checksum = head[1] if head else None
            return PutObject(path, git_oid, size, physical_address=self._linked_prefix + key, checksum=checksum)
        return PutObject(path, git_oid, size, read=lambda: self._store.read_range(key))


class RepoReplayer:
    """Mirrors one hub repo (by storage key) into its lakeFS repository."""

    def __init__(self, versioning: VersioningBackend, target: MirrorTarget, lfs: LfsSource,
                 keep_alive: Callable[[], None] = lambda: None) -> None:
        self._git = versioning
        self._target = target
        self._lfs = lfs
        self._keep_alive = keep_alive  # called between commits: renews the drainer's lease

    def sync(self, key: str) -> int:
        """Make lakeFS match the hub repo ``key`` (deleting the lakeFS repository when the repo is gone).

        Returns the number of commits replayed.

        Raises:
            MirrorError: lakeFS failed; what was done stays done and the next run continues from there.
        """
        name = repository_name(key)
        if not self._git.repo_exists(key):
            self._target.delete_repository(name)
            queue_db.forget_repo(key)
            return 0
        default = self._target.ensure_repository(name, key)
        refs = self._git.refs(key)
        branches = {branch: tip for branch, tip in refs.branches.items() if LAKEFS_BRANCH.fullmatch(branch)}
        if len(branches) < len(refs.branches):
            log.warning("lakeFS mirror of repo %s leaves out branches lakeFS cannot name: %s", key,
                        ", ".join(sorted(set(refs.branches) - set(branches))))
        replayed = 0
        heads = self._target.branches(name)
        for branch in sorted(branches, key=lambda b: (b != default, b)):  # the default first: others fork from it
            replayed += self._sync_branch(key, name, branch, branches[branch], heads, default)
        for branch in set(self._target.branches(name)) - set(branches) - {default}:
            self._target.delete_branch(name, branch)
        self._sync_tags(key, name, refs.tags, default)
        return replayed

    # --- branches ------------------------------------------------------------------------------------

    def _sync_branch(self, key: str, name: str, branch: str, tip: str, heads: dict[str, Head], default: str) -> int:
        head = heads.get(branch)
        if head is not None and head.hub_commit == tip:
            queue_db.record_mirrored_commit(key, tip, head.commit_id)  # a run cut short before recording it
            return 0
        todo, base = self._unmirrored(key, tip, head)
        rewritten = head is not None and branch != default and (base is None or head.commit_id != base.lakefs_commit)
        if head is None or rewritten:
            if head is not None:
                self._target.delete_branch(name, branch)  # history rewritten: recreate at the chain's base
            # No mirrored ancestor: the chain starts from nothing, so the branch starts at the empty root.
            source = base.lakefs_commit if base is not None else self._target.root_commit(name)
            self._target.create_branch(name, branch, source)
            current = base.hub_commit if base is not None else None
        else:
            current = head.hub_commit
        files = self._files_at(key, name, branch, current)
        for info in todo:
            files = self._replay(key, name, branch, info, files)
            self._keep_alive()
        return len(todo)

    def unmirrored_commits(self, key: str) -> int:
        """Hub commits on the repo's branches that no lakeFS commit mirrors yet (from the hub's records alone).

        Raises:
            NotFoundError: the repo is gone.
        """
        todo: set[str] = set()
        for tip in self._git.refs(key).branches.values():
            todo.update(info.id for info in self._unmirrored(key, tip, None)[0])
        return len(todo)

    def _unmirrored(self, key: str, tip: str, head: Head | None) -> tuple[list[CommitInfo], Base | None]:
        """The commits of ``tip``'s first-parent chain after its newest mirrored one (oldest first), and that one."""
        todo: list[CommitInfo] = []
        skip = 0
        while True:
            page = self._git.log(key, tip, skip=skip, limit=LOG_PAGE)
            known = queue_db.lakefs_commits_of(key, [info.id for info in page])
            for info in page:
                if head is not None and info.id == head.hub_commit:
                    return todo[::-1], Base(info.id, head.commit_id)
                if info.id in known:
                    return todo[::-1], Base(info.id, known[info.id])
                todo.append(info)
            if len(page) < LOG_PAGE:
                return todo[::-1], None
            skip += LOG_PAGE

    def _files_at(self, key: str, name: str, branch: str, hub_commit: str | None) -> dict[str, str | None]:
        """path -> git blob id of what the lakeFS branch holds: from git when it is a hub commit git still has,
        else as lakeFS lists it (the empty root, or a commit that git has collected)."""
        if hub_commit is not None:
            try:
                return self._git_files(key, hub_commit)
            except RevisionNotFoundError:
                pass  # rewritten away and collected: ask lakeFS
        return self._target.files(name, branch)

    def _git_files(self, key: str, commit: str) -> dict[str, str | None]:
        return {entry.path: entry.oid for entry in self._git.list_tree(key, commit, recursive=True)
                if entry.type == "file"}

    def _replay(self, key: str, name: str, branch: str, info: CommitInfo, old: dict[str, str | None]) -> dict:
        new = self._git_files(key, info.id)
        puts = [self._put(key, path, oid) for path, oid in sorted(new.items()) if old.get(path) != oid]
        deletes = sorted(set(old) - set(new))
        spec = CommitSpec(hub_commit=info.id, message=info.message or info.title, date=info.date,
                          author=f"{info.author_name} <{info.author_email}>",
                          metadata={COMMIT_KEY: info.id, "kohakuhub.author": f"{info.author_name} <{info.author_email}>",
                                    "kohakuhub.parents": ",".join(info.parents)})
        lakefs_commit = self._target.commit(name, branch, puts, deletes, spec)
        queue_db.record_mirrored_commit(key, info.id, lakefs_commit)
        return new

    def _put(self, key: str, path: str, oid: str) -> PutObject:
        size = self._git.blob_size(key, oid)
        if size <= MAX_POINTER_SIZE:
            data = self._git.read_blob(key, oid)
            pointer = parse_pointer(data)
            if pointer is not None:
                return self._lfs.put(path, oid, pointer.oid, pointer.size)
            return PutObject(path, oid, size, read=lambda: iter([data]))
        return PutObject(path, oid, size, read=lambda: _chunks(self._git.read_blob(key, oid)))

    # --- tags ------------------------------------------------------------------------------------------

    def _sync_tags(self, key: str, name: str, hub_tags: dict[str, str], default: str) -> None:
        there = self._target.tags(name)
        wanted = queue_db.lakefs_commits_of(key, sorted(set(hub_tags.values())))
        for tag, commit in sorted(hub_tags.items()):
            if commit not in wanted:
                wanted[commit] = self._replay_for_tag(key, name, commit, default)
            if there.get(tag) != wanted[commit]:
                if tag in there:
                    self._target.delete_tag(name, tag)
                self._target.create_tag(name, tag, wanted[commit])
        for tag in set(there) - set(hub_tags):
            self._target.delete_tag(name, tag)

    def _replay_for_tag(self, key: str, name: str, commit: str, default: str) -> str:
        """Mirror a tagged commit that no branch holds, on a scratch branch; return its lakeFS commit."""
        self._target.delete_branch(name, TAG_BRANCH)
        heads = self._target.branches(name)
        self._sync_branch(key, name, TAG_BRANCH, commit, heads, default)
        self._target.delete_branch(name, TAG_BRANCH)
        found = queue_db.lakefs_commits_of(key, [commit])
        if commit not in found:
            raise MirrorError(f"tagged commit {commit} was replayed but not recorded")
        return found[commit]


def _chunks(data: bytes, size: int = 1 << 20) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]
    if not data:
        yield b""

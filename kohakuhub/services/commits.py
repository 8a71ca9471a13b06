"""Writing repos: preupload, the NDJSON commit, branches, tags and squash."""

from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kohakuhub.config import Settings
from kohakuhub.errors import (
    BadRequestError,
    EntryNotFoundError,
    ForbiddenError,
    IntegrityError,
    InvalidRevisionError,
    RevisionNotFoundError,
    StaleParentError,
)
from kohakuhub.lib.card_validation import MAX_CARD_BYTES, refusal_lines, validate_readme_bytes
from kohakuhub.lib.gitattributes import DEFAULT_GITATTRIBUTES, is_lfs_tracked, with_lfs_path
from kohakuhub.lib.hashing import is_sha256_hex, sha256_file
from kohakuhub.lib.lfs_pointer import make_pointer
from kohakuhub.lib.ndjson_commit import CommitLine
from kohakuhub.lib.paths import normalize_folder_path, normalize_repo_path
from kohakuhub.services.auth import Access, Caller
from kohakuhub.services.files import FileService
from kohakuhub.services.lfs import LfsService
from kohakuhub.services.pull_requests import PullRequestService, pr_number
from kohakuhub.services.quotas import QuotaService, Reservation
from kohakuhub.services.repos import NEW_PULL_REQUEST, RepoRef, RepoService, signature_of
from kohakuhub.types import CommitOperation, DeleteFile, DeleteFolder, DiscussionInfo, PutFile, Refs, pull_request_ref
from kohakuhub.versioning.base import VersioningBackend

PARENT_RE = re.compile(r"^[0-9a-fA-F]{5,40}$")
CARD_PATH = "README.md"  # the repo card: its metadata is validated on every write
MAX_PREUPLOAD_FILES = 1000
# A .gitattributes or .gitignore larger than this is not read as rules (git's own limit is 100 MB).
MAX_RULES_FILE_BYTES = 1 << 20


def branch_name(revision: str) -> str:
    """The branch a commit-like revision names (``main`` or ``refs/heads/main``)."""
    return revision.removeprefix("refs/heads/")


@dataclass
class CommitSession:
    """One NDJSON commit being received: blobs are written as lines arrive, the ref moves at the end.

    It goes to ``branch``, or to pull request ``pr_number`` (``refs/pr/<num>``), or (``new_pr``) opens a
    pull request targeting ``branch`` from ``parentCommit`` or the branch head; ``opened`` is then set.
    """

    service: CommitService
    caller: Caller
    repo: RepoRef
    branch: str
    pr_number: int | None = None
    new_pr: bool = False
    opened: DiscussionInfo | None = None
    summary: str = ""
    description: str = ""
    parent: str | None = None
    operations: list[CommitOperation] = field(default_factory=list)
    lfs_oids: list[str] = field(default_factory=list)
    lfs_paths: list[str] = field(default_factory=list)
    gitattributes: bytes | None = None
    seen_header: bool = False
    # Inline contents at or above the LFS threshold: (spooled file, sha256, size), published as LFS
    # objects only in ``finish`` so a rejected commit stores nothing.
    pending_lfs: list[tuple[Path, str, int]] = field(default_factory=list)
    # Small in-memory ``file`` contents of the current batch: (index of their PutFile in ``operations``,
    # content). They are written together at the end of ``add_lines`` (one pack instead of one loose
    # object each), and their PutFile placeholders then get the blob ids.
    inline_blobs: list[tuple[int, bytes]] = field(default_factory=list)
    # For the quota: raw bytes of the git blobs this commit writes (an upper bound of what it adds to the
    # repo's git storage) and the LFS objects it references (oid -> size).
    git_bytes: int = 0
    lfs_sizes: dict[str, int] = field(default_factory=dict)
    # A blob this commit uses already existed in the repo (old history, a copy, an orphan): git's
    # "not reachable from the parent" listing may then count it again, so the repo is re-measured.
    reuses_blobs: bool = False

    def __post_init__(self) -> None:
        self.repo.require_ref_write(self.git_ref)

    @property
    def git_ref(self) -> str:
        """The ref this commit moves (NEW_PULL_REQUEST for one it creates)."""
        if self.new_pr:
            return NEW_PULL_REQUEST
        if self.pr_number is not None:
            return pull_request_ref(self.pr_number)
        return f"refs/heads/{self.branch}"

    @property
    def base_revision(self) -> str:
        """The revision the commit is built on."""
        if self.new_pr:
            return self.parent or self.branch
        return self.git_ref

    def _note_blobs(self, blobs: list[bytes]) -> None:
        if self.reuses_blobs or not blobs:
            return
        ids = [hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest() for data in blobs]
        if self.service.versioning.existing_objects(self.repo.key, ids):
            self.reuses_blobs = True

    def add_lines(self, lines: list[CommitLine]) -> None:
        """Apply a batch of parsed lines (blob writes happen here, the commit in ``finish``)."""
        for line in lines:
            try:
                self._add(line)
            except (BadRequestError, EntryNotFoundError) as exc:
                exc.message = f"line {line.number}: {exc.message}"
                exc.args = (exc.message,)
                raise
        self._write_inline_blobs()

    def _write_inline_blobs(self) -> None:
        if not self.inline_blobs:
            return
        slots = [slot for slot, _data in self.inline_blobs]
        self._note_blobs([data for _slot, data in self.inline_blobs])
        blobs = self.service.versioning.write_blobs(self.repo.key, [data for _slot, data in self.inline_blobs])
        self.inline_blobs = []
        for slot, blob in zip(slots, blobs, strict=True):
            self.operations[slot] = PutFile(self.operations[slot].path, blob)

    def _add(self, line: CommitLine) -> None:
        handler = {
            "header": self._header,
            "file": self._file,
            "lfsFile": self._lfs_file,
            "deletedFile": self._deleted_file,
            "deletedFolder": self._deleted_folder,
            "copyFile": self._copy_file,
        }.get(line.key)
        if handler is None:
            raise BadRequestError(f"Unknown commit operation key {line.key!r}")
        if line.key != "header" and not self.seen_header:
            raise BadRequestError("The first line of a commit must be its header")
        handler(line)

    def _header(self, line: CommitLine) -> None:
        if self.seen_header:
            raise BadRequestError("A commit has exactly one header line")
        self.seen_header = True
        value = line.value
        self.summary = str(value.get("summary") or "").strip()
        self.description = str(value.get("description") or "")
        parent = value.get("parentCommit")
        if parent is not None:
            if not isinstance(parent, str) or not PARENT_RE.match(parent):
                raise BadRequestError(f"parentCommit must be 5-40 hex digits, got {parent!r}")
            self.parent = parent.lower()

    def _file(self, line: CommitLine) -> None:
        path = _path(line.value)
        if path == CARD_PATH:
            self._check_card(_head_bytes(line))
        git = self.service.versioning
        if line.content_size >= self.service.lfs_threshold:
            src = _as_file(line, self.service.spool_dir)
            line.content_file = src  # owned by the line until it is pending (discard() cleans up)
            oid, size = sha256_file(src)
            self.pending_lfs.append((src, oid, size))
            line.content_file = None
            self._put_lfs(path, oid, size)
            return
        self.git_bytes += line.content_size
        if line.content_file is not None:
            if not self.reuses_blobs and git.existing_objects(self.repo.key, [_blob_id_of_file(line.content_file)]):
                self.reuses_blobs = True
            blob = git.write_blob_from_file(self.repo.key, line.content_file)
            line.content_file.unlink(missing_ok=True)
        else:
            data = line.content or b""
            if path == ".gitattributes":
                self.gitattributes = data
            self.inline_blobs.append((len(self.operations), data))
            blob = ""  # placeholder until _write_inline_blobs
        self.operations.append(PutFile(path, blob))

    def _lfs_file(self, line: CommitLine) -> None:
        value = line.value
        path = _path(value)
        oid = value.get("oid")
        if value.get("algo", "sha256") != "sha256" or not isinstance(oid, str) or not is_sha256_hex(oid):
            raise BadRequestError(f"lfsFile {path!r}: oid must be a sha256 (64 lowercase hex)")
        pending = {p_oid: p_size for _, p_oid, p_size in self.pending_lfs}
        if oid in pending:
            stored = pending[oid]
        elif self.service.lfs.reachable(self.caller, self.repo, oid):
            stored = self.service.lfs.object_size(oid) or 0
        else:
            raise BadRequestError(f"lfsFile {path!r}: LFS object {oid} was never uploaded")
        size = value.get("size")
        if size is not None and size != stored:
            raise IntegrityError(f"lfsFile {path!r}: size {size} does not match the uploaded object ({stored})")
        self._put_lfs(path, oid, stored)

    def _put_lfs(self, path: str, oid: str, size: int) -> None:
        pointer = make_pointer(oid, size)
        self.git_bytes += len(pointer)
        self._note_blobs([pointer])
        self.lfs_sizes[oid] = size
        blob = self.service.versioning.write_blob(self.repo.key, pointer)
        self.operations.append(PutFile(path, blob))
        self.lfs_oids.append(oid)
        self.lfs_paths.append(path)

    def _check_card(self, readme: bytes) -> None:
        """Refuse a README.md whose metadata the Hub would refuse (an LFS-stored README is not read).

        Raises:
            BadRequestError: the Hub's "rejected during YAML metadata verification" and each error.
        """
        report = validate_readme_bytes(readme, self.repo.type.value)
        if report.errors:
            raise BadRequestError("\n".join(refusal_lines(report.errors)))

    def _deleted_file(self, line: CommitLine) -> None:
        self.operations.append(DeleteFile(_path(line.value)))

    def _deleted_folder(self, line: CommitLine) -> None:
        raw = line.value.get("path")
        if not isinstance(raw, str):
            raise BadRequestError("deletedFolder needs a string 'path'")
        self.operations.append(DeleteFolder(normalize_folder_path(raw)))

    def _copy_file(self, line: CommitLine) -> None:
        value = line.value
        path = _path(value)
        src = value.get("srcPath")
        if not isinstance(src, str):
            raise BadRequestError("copyFile needs a string 'srcPath'")
        files = self.service.files
        commit = files.resolve(self.repo, str(value.get("srcRevision") or self.branch))
        view = files.file(self.repo, commit, normalize_repo_path(src))
        if path == CARD_PATH and view.lfs is None:
            self._check_card(files.read_small(self.repo, view.oid))
        if view.lfs is not None:
            self.lfs_oids.append(view.lfs.oid)
        self.reuses_blobs = True
        self.operations.append(PutFile(path, view.oid))

    def finish(self) -> str:
        """Write the commit and move the branch (compare-and-swap). Returns the commit id.

        Raises:
            BadRequestError: no header line.
            StaleParentError: parentCommit is not the head any more.
            EntryNotFoundError: a deleted path does not exist.
        """
        if not self.seen_header:
            raise BadRequestError("The commit payload is empty: a header line is required")
        self._track_lfs_paths()
        if self.new_pr:  # an unknown parentCommit fails before any object is published
            self.service.versioning.resolve(self.repo.key, self.base_revision)
        elif self.pending_lfs and self.parent is not None:
            # Cheap early answer for the common stale-parent case, before any object is published;
            # the versioning commit re-checks under the repo lock.
            head = self.service.versioning.resolve(self.repo.key, self.git_ref)
            if not head.startswith(self.parent):
                raise StaleParentError()
        quotas = self.service.quotas
        needed = self.git_bytes + self.service.lfs.new_to_repo(self.repo, self.lfs_sizes)
        reservation = quotas.reserve(self.repo.row, needed, "this commit")
        linked = 0
        try:
            while self.pending_lfs:
                src, oid, size = self.pending_lfs.pop()
                self.service.lfs.store_file(src, oid=oid, size=size, uploader=self.caller, hashed=(oid, size))
            # Linking first errs on the safe side: a crash after it leaves an unreferenced link, never a
            # commit whose object the repo cannot serve.
            linked = self.service.lfs.link(self.repo, self.lfs_oids)
            commit = self._commit(reservation, linked)
        finally:
            if not reservation.done:  # the commit failed; the links it made stay (and count)
                quotas.settle(reservation, self.repo.row, lfs=linked)
        if self.git_ref.startswith("refs/heads/"):  # a pull request changes no branch: lastModified stays
            self.service.repos.touch(self.repo)
        return commit

    def _commit(self, reservation: Reservation, linked: int) -> str:
        """Write the commit and settle the reservation with the bytes it added, under the repo lock.

        The git bytes added are the blobs reachable from the new commit but not from its parent or any
        other ref. Settling under the lock keeps a concurrent re-measure from counting them twice.
        """
        git = self.service.versioning
        message = self.summary or "Upload files"
        if self.description:
            message = f"{message}\n\n{self.description}"
        with git.repo_lock(self.repo.key):  # reentrant: the commit takes it too; refs stay still meanwhile
            head, commit = self._write(message)
            added = 0
            if self.reuses_blobs:
                added = self.service.quotas.git_growth(self.repo.row)
            elif self.git_bytes:  # without a blob written, every blob of the tree was reachable already
                moved = pull_request_ref(self.opened.num) if self.opened else self.git_ref
                hide = [head] + [name for name in _ref_names(git.refs(self.repo.key)) if name != moved]
                added = git.blob_bytes(self.repo.key, [commit], hide)
            self.service.quotas.settle(reservation, self.repo.row, lfs=linked, git=added)
            return commit

    def _write(self, message: str) -> tuple[str, str]:
        """Write the commit where it goes (under the repo lock); returns (the commit it was built on, its id)."""
        git = self.service.versioning
        author = signature_of(self.caller.username)
        if self.new_pr:
            start = git.resolve(self.repo.key, self.base_revision)
            self.opened, commit = self.service.pull_requests.open_with_commit(
                self.caller, self.repo, target_branch=self.branch, start=start, operations=self.operations,
                message=message, title=self.summary, description=self.description)
            return start, commit
        head = git.resolve(self.repo.key, self.git_ref)
        if self.pr_number is not None:
            self.service.pull_requests.require_writable(self.repo, self.pr_number)  # merged or closed meanwhile?
            return head, git.commit_to_pull_request(self.repo.key, self.pr_number, operations=self.operations,
                                                    message=message, author=author, expected_head=self.parent)
        return head, git.commit(self.repo.key, branch=self.branch, operations=self.operations, message=message,
                                author=author, expected_head=self.parent)

    def _track_lfs_paths(self) -> None:
        """Add LFS paths no pattern covers to .gitattributes, so git-lfs clones get real bytes."""
        if not self.lfs_paths:
            return
        text = self._current_gitattributes()
        updated = text
        for path in self.lfs_paths:
            if not is_lfs_tracked(path, updated):
                updated = with_lfs_path(updated, path)
        if updated != text:
            data = updated.encode()
            self.git_bytes += len(data)
            self._note_blobs([data])
            blob = self.service.versioning.write_blob(self.repo.key, data)
            self.operations.append(PutFile(".gitattributes", blob))

    def _current_gitattributes(self) -> str:
        if self.gitattributes is not None:
            return self.gitattributes.decode("utf-8", "replace")
        git = self.service.versioning
        head = git.resolve(self.repo.key, self.base_revision)
        entry = git.get_entry(self.repo.key, head, ".gitattributes")
        if entry is None or entry.type != "file":
            return ""
        return git.read_blob(self.repo.key, entry.oid).decode("utf-8", "replace")

    def discard(self, lines: list[CommitLine] | None = None) -> None:
        """Remove spooled files of lines that were not consumed."""
        for line in lines or []:
            if line.content_file is not None:
                line.content_file.unlink(missing_ok=True)
        while self.pending_lfs:
            self.pending_lfs.pop()[0].unlink(missing_ok=True)


def _ref_names(refs: Refs) -> list[str]:
    """Every ref as a full name."""
    return ([f"refs/heads/{b}" for b in refs.branches] + [f"refs/tags/{t}" for t in refs.tags]
            + [pull_request_ref(n) for n in refs.pull_requests])


def _head_bytes(line: CommitLine) -> bytes:
    """The start of a ``file`` line's content (all of it when small), enough for a card's metadata."""
    if line.content_file is None:
        return line.content or b""
    with line.content_file.open("rb") as src:
        return src.read(MAX_CARD_BYTES)


def _blob_id_of_file(path: Path) -> str:
    """The git blob id of a file's content (sha1 of ``blob <size>\\0`` + content)."""
    digest = hashlib.sha1(b"blob %d\0" % path.stat().st_size)
    with path.open("rb") as src:
        while chunk := src.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _path(value: dict[str, Any]) -> str:
    raw = value.get("path")
    if not isinstance(raw, str):
        raise BadRequestError("Each operation needs a string 'path'")
    return normalize_repo_path(raw)


def _as_file(line: CommitLine, spool_dir: Path) -> Path:
    if line.content_file is not None:
        return line.content_file
    spool_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=spool_dir, delete=False, prefix="inline-") as tmp:
        tmp.write(line.content or b"")
    return Path(tmp.name)


class CommitService:
    """Write-side use cases of a repo."""

    def __init__(self, versioning: VersioningBackend, repos: RepoService, files: FileService,
                 lfs: LfsService, quotas: QuotaService, settings: Settings,
                 pull_requests: PullRequestService) -> None:
        self.versioning = versioning
        self.pull_requests = pull_requests
        self.quotas = quotas
        self.repos = repos
        self.files = files
        self.lfs = lfs
        self.lfs_threshold = settings.lfs_threshold_bytes
        self.upload_mode = settings.upload_mode
        self.spool_dir = settings.spool_dir

    # --- commits ---------------------------------------------------------------------------------

    def begin(self, caller: Caller, repo: RepoRef, revision: str, *, create_pr: bool = False) -> CommitSession:
        """Start receiving a commit to a branch or to ``refs/pr/<num>``, or (``create_pr``) one that opens
        a pull request against the branch ``revision``.

        Raises:
            ForbiddenError: ``repo`` was not authorized for this write.
            RevisionNotFoundError: the branch or pull request does not exist.
            BadRequestError: the pull request is closed or merged.
        """
        number = None if create_pr else pr_number(revision)
        if number is not None:
            self.pull_requests.require_writable(repo, number)
            return CommitSession(self, caller, repo, revision, pr_number=number)
        branch = branch_name(revision)
        if branch not in self.versioning.refs(repo.key).branches:
            target = "a pull request targets" if create_pr else "commits go to"
            raise RevisionNotFoundError(f"Invalid rev id: {revision} ({target} an existing branch)")
        return CommitSession(self, caller, repo, branch, new_pr=create_pr)

    def preupload(self, repo: RepoRef, revision: str, files: list[Any],
                  gitignore: str | None = None) -> list[dict[str, Any]]:
        """Upload mode, ignore flag and current oid for each announced file.

        ``shouldIgnore`` follows the root ``.gitignore``: ``gitignore`` when the client sends one (it does
        when the commit adds a ``.gitignore``), else the one committed at ``revision``, as the Hub does.

        Raises:
            BadRequestError: malformed entries, too many files, or a ``gitIgnore`` that is not a string.
            ForbiddenError: ``repo`` was not authorized for writing.
            RevisionNotFoundError: the revision does not resolve.
        """
        repo.require_upload()
        if not isinstance(files, list) or len(files) > MAX_PREUPLOAD_FILES:
            raise BadRequestError(f"'files' must be a list of at most {MAX_PREUPLOAD_FILES} entries")
        if gitignore is not None and not isinstance(gitignore, str):
            raise BadRequestError("'gitIgnore' must be the text of a .gitignore file")
        commit = self.files.resolve(repo, revision)
        gitattributes = self._gitattributes_at(repo, commit)
        announced: list[tuple[str, int]] = []
        for item in files:
            size = item.get("size", 0) if isinstance(item, dict) else None
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise BadRequestError("Each preupload entry needs 'path' and a non-negative integer 'size'")
            announced.append((_path(item), size))
        rules = gitignore if gitignore is not None else self._text_at(repo, commit, ".gitignore", "")
        ignored = self.versioning.ignored_paths(rules, [path for path, _ in announced])
        answers = []
        total = 0
        for path, size in announced:
            answers.append({
                "path": path,
                "uploadMode": self._upload_mode(path, size, gitattributes),
                "shouldIgnore": path in ignored,
                "oid": self._remote_oid(repo, commit, path),
            })
            total += size
        # The announced sizes, all of them: the client sends no content hash here, so a file that turns
        # out unchanged is counted too (the commit itself is charged only what it adds).
        self.quotas.check(repo.row, total, "this upload")
        return answers

    def _upload_mode(self, path: str, size: int, gitattributes: str) -> str:
        # "regular" keeps every client on the inline path (protocol section 6, option A). Otherwise the
        # Hub's policy: clients with hf_xet then upload "lfs" files through Xet, others through LFS.
        if self.upload_mode == "regular" or size <= 0:
            return "regular"
        if size >= self.lfs_threshold or is_lfs_tracked(path, gitattributes):
            return "lfs"
        return "regular"

    def _remote_oid(self, repo: RepoRef, commit: str, path: str) -> str | None:
        entry = self.versioning.get_entry(repo.key, commit, path)
        if entry is None or entry.type != "file":
            return None
        view = self.files.view(repo, entry)
        # The client compares this with the sha256 for lfs-mode files and the git blob id otherwise.
        return view.lfs.oid if view.lfs else view.oid

    def _gitattributes_at(self, repo: RepoRef, commit: str) -> str:
        return self._text_at(repo, commit, ".gitattributes", DEFAULT_GITATTRIBUTES)

    def _text_at(self, repo: RepoRef, commit: str, path: str, default: str) -> str:
        """A small text file of the commit (``.gitattributes``, ``.gitignore``), ``default`` if absent."""
        entry = self.versioning.get_entry(repo.key, commit, path)
        if entry is None or entry.type != "file" or entry.size > MAX_RULES_FILE_BYTES:
            return default
        return self.versioning.read_blob(repo.key, entry.oid).decode("utf-8", "replace")

    # --- refs ------------------------------------------------------------------------------------

    def refs(self, repo: RepoRef) -> Refs:
        return self.versioning.refs(repo.key)

    def create_branch(self, repo: RepoRef, branch: str, starting_point: str | None) -> None:
        """Create a branch at ``starting_point`` (default: main).

        Raises:
            ForbiddenError: ``repo`` was authorized for reading only.
            InvalidRevisionError: ``refs/...`` or another name git refuses ("Invalid reference for a branch").
            ConflictError: "Reference refs/heads/<branch> already exists" (the Hub's text).
            RevisionNotFoundError: the starting point does not resolve.
        """
        repo.require(Access.WRITE)
        if branch.startswith("refs/"):
            raise InvalidRevisionError(f"Invalid reference for a branch: {branch!r}")
        commit = self.files.resolve(repo, starting_point or "main")
        self.versioning.create_branch(repo.key, branch, commit)
        self.repos.touch(repo)

    def delete_branch(self, repo: RepoRef, branch: str) -> None:
        """Delete a branch other than the default one.

        Raises:
            ForbiddenError: ``repo`` was authorized for reading only, or ``branch`` is the default branch
                ("Cannot delete refs/heads/main", the Hub's text).
            RevisionNotFoundError: no such branch ("Invalid rev id: <branch>").
        """
        repo.require(Access.WRITE)
        branch = branch_name(branch)
        if branch == "main":
            raise ForbiddenError("Cannot delete refs/heads/main: it is the default branch")
        with self.versioning.repo_lock(repo.key):  # history may shrink: re-measure this repo
            self.versioning.delete_branch(repo.key, branch)
            self.quotas.remeasure_git(repo.row)
        self.repos.touch(repo)

    def create_tag(self, caller: Caller, repo: RepoRef, revision: str, tag: str, message: str | None) -> None:
        """Tag ``revision``. The revision is resolved before the name is checked, as on the Hub (a missing
        revision is a RevisionNotFoundError whatever the tag's name).

        Raises:
            ForbiddenError: ``repo`` was authorized for reading only.
            RevisionNotFoundError: ``revision`` does not resolve.
            InvalidRevisionError: the tag name is not acceptable.
            ConflictError: "Reference refs/tags/<tag> already exists".
        """
        repo.require(Access.WRITE)
        commit = self.files.resolve(repo, revision)
        if not isinstance(tag, str) or not tag or tag.startswith("refs/"):
            raise InvalidRevisionError(f"Invalid reference for a tag: {tag!r}")
        self.versioning.create_tag(repo.key, tag, commit, message=message or None,
                                   tagger=signature_of(caller.username))

    def delete_tag(self, repo: RepoRef, tag: str) -> None:
        """Raises ForbiddenError (a read-authorized ref), RevisionNotFoundError."""
        repo.require(Access.WRITE)
        with self.versioning.repo_lock(repo.key):
            self.versioning.delete_tag(repo.key, tag.removeprefix("refs/tags/"))
            self.quotas.remeasure_git(repo.row)

    def super_squash(self, caller: Caller, repo: RepoRef, revision: str, message: str | None) -> str:
        """Squash a branch's history into one commit.

        Raises:
            ForbiddenError: ``repo`` was not authorized for writing.
            BadRequestError: the revision is a tag or a commit id, not a branch.
            RevisionNotFoundError: unknown revision.
        """
        repo.require(Access.WRITE)
        branch = branch_name(revision)
        refs = self.versioning.refs(repo.key)
        if branch not in refs.branches:
            if branch in refs.tags:
                raise BadRequestError(f"Cannot squash a tag ({branch}); squash a branch")
            self.files.resolve(repo, revision)  # RevisionNotFoundError if unknown
            raise BadRequestError(f"Cannot squash {revision!r}: it is not a branch")
        with self.versioning.repo_lock(repo.key):
            commit = self.versioning.squash(repo.key, branch=branch, message=message or "Super-squash branch",
                                            author=signature_of(caller.username))
            self.quotas.remeasure_git(repo.row)
        self.repos.touch(repo)
        return commit

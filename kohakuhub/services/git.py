"""Git over HTTP: clone and fetch of readable repos, and pushes checked before any ref moves.

A push is accepted only if every ref update is a branch or tag the HF API can address, no update
deletes the default branch or overwrites a ref that moved since the pusher fetched, no new file is a
plain blob at or above the LFS threshold, and every LFS pointer names a verified object the pusher may
use (one they uploaded, or one this repo already references). Afterwards the repo's LFS references and
lastModified are updated, so the HF API shows the push at once (it reads git directly for the rest).

The quota check comes last: the new blobs' sizes plus the LFS objects the pointers bring to this repo
are reserved in the namespace's bucket before any ref moves (or the push is refused), and settled in
post-receive; a push that deletes refs or rewrites history has its repo re-measured instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing

from kohakuhub.config import Settings
from kohakuhub.errors import InvalidPathError, InvalidRevisionError, QuotaExceededError
from kohakuhub.lib.card_validation import refusal_lines, validate_readme_bytes
from kohakuhub.lib.lfs_pointer import POINTER_SIZES, LfsPointer, parse_pointer
from kohakuhub.lib.paths import normalize_repo_path
from kohakuhub.services.auth import Access, Caller
from kohakuhub.services.lfs import LfsService
from kohakuhub.services.quotas import QuotaService, Reservation
from kohakuhub.services.repos import RepoRef, RepoService
from kohakuhub.versioning.git.naming import validate_ref_name
from kohakuhub.versioning.git.push_context import PushContext, PushedBlob, RefUpdate
from kohakuhub.versioning.git.transport import GitTransport, Verdict

PREFIX = "KohakuHub: "
# Enough offending paths to act on without flooding the terminal.
MAX_LISTED = 10
# New blob ids are looked up in the repo's object store this many at a time (pushes are streamed).
BLOB_CHECK_CHUNK = 10_000
CARD_PATH = "README.md"


class GitService:
    """Serves git's transport for hub repos; callers have been checked by ``RepoService.get``."""

    def __init__(self, transport: GitTransport, repos: RepoService, lfs: LfsService, quotas: QuotaService,
                 settings: Settings) -> None:
        self._transport = transport
        self._repos = repos
        self._lfs = lfs
        self._quotas = quotas
        self._threshold = settings.lfs_threshold_bytes

    def advertise(self, ref: RepoRef, service: str, protocol: str | None) -> AsyncIterator[bytes]:
        """The ref advertisement for ``service`` (``upload-pack`` or ``receive-pack``, which needs write)."""
        ref.require(Access.WRITE if service == "receive-pack" else Access.DOWNLOAD)
        return self._transport.advertise(ref.key, service, protocol)

    def upload_pack(self, ref: RepoRef, body: AsyncIterator[bytes], protocol: str | None) -> AsyncIterator[bytes]:
        """Answer a clone/fetch request (the repo's content: a gated repo's readers need an accepted request)."""
        ref.require(Access.DOWNLOAD)
        return self._transport.upload_pack(ref.key, body, protocol)

    def receive_pack(self, caller: Caller, ref: RepoRef, body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """Receive a push from a caller holding write access to ``ref``.

        Raises ForbiddenError at once (before any byte is answered) when ``ref`` was authorized for reading.
        """
        ref.require(Access.WRITE)
        return self._receive_pack(caller, ref, body)

    async def _receive_pack(self, caller: Caller, ref: RepoRef, body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        policy = PushPolicy(self._lfs, self._repos, self._quotas, self._threshold, caller, ref)
        try:
            async with aclosing(self._transport.receive_pack(ref.key, body, policy)) as report:
                async for chunk in report:
                    yield chunk
        finally:
            # A push that passed pre-receive but never reached post-receive (git failed, client gone)
            # gives its reservation back.
            await asyncio.to_thread(self._quotas.release, policy.reservation)


class PushPolicy:
    """The checks and bookkeeping of one push (a ``PushGate``)."""

    def __init__(self, lfs: LfsService, repos: RepoService, quotas: QuotaService, threshold: int,
                 caller: Caller, ref: RepoRef) -> None:
        self._lfs = lfs
        self._repos = repos
        self._quotas = quotas
        self._threshold = threshold
        self._caller = caller
        self._ref = ref
        self._lfs_oids: list[str] = []
        self._lfs_sizes: dict[str, int] = {}
        self._git_bytes = 0
        self._blob_ids: list[str] = []  # checked against the repo's object store in chunks
        self._reuses_blobs = False
        self._updates: list[RefUpdate] = []
        self._rewrites = False
        self.reservation: Reservation | None = None

    def pre_receive(self, push: PushContext) -> Verdict:
        problems = self._ref_problems(push)
        if not problems:
            problems = self._path_problems(push)
        if not problems:
            problems = self._card_problems(push)
        if not problems:
            problems = self._content_problems(push)
        if not problems:
            problems = self._quota_problems(push)
        if problems:
            return Verdict(False, [PREFIX + line for line in problems] + [PREFIX + "push rejected; nothing was changed"])
        return Verdict(True)

    def _quota_problems(self, push: PushContext) -> list[str]:
        self._updates = list(push.updates)
        # Deleted refs and rewritten history can shrink the repo, and a blob the repo already held (in old
        # history, or left unreferenced) may be listed as new: the repo is re-measured after such pushes.
        self._rewrites = any(u.is_delete or (not u.is_create and not push.is_ancestor(u.old, u.new))
                             for u in push.updates) or self._reuses_blobs or self._flush_blob_ids()
        needed = self._git_bytes + self._lfs.new_to_repo(self._ref, self._lfs_sizes)
        try:
            self.reservation = self._quotas.reserve(self._ref.row, needed, "this push")
        except QuotaExceededError as exc:
            return [exc.message]
        return []

    def _note_blob(self, oid: str) -> None:
        if self._reuses_blobs:
            return
        self._blob_ids.append(oid)
        if len(self._blob_ids) >= BLOB_CHECK_CHUNK:
            self._flush_blob_ids()

    def _flush_blob_ids(self) -> bool:
        """True once a pushed blob turns out to be in the repo's object store already."""
        if self._blob_ids and not self._reuses_blobs:
            self._reuses_blobs = self._quotas.has_any_object(self._ref.row, self._blob_ids)
        self._blob_ids = []
        return self._reuses_blobs

    def post_receive(self, updates: list[RefUpdate]) -> Verdict:
        # Runs under the repo lock (held until git exits), so the settlement cannot race a re-measure.
        linked = 0
        try:
            if updates:
                linked = self._lfs.link(self._ref, self._lfs_oids)
                self._repos.touch(self._ref)
        finally:
            if updates and (self._rewrites or len(updates) != len(self._updates)):
                self._quotas.settle(self.reservation, self._ref.row, lfs=linked)
                self._quotas.remeasure_git(self._ref.row, lock=False)
            else:
                self._quotas.settle(self.reservation, self._ref.row, lfs=linked,
                                    git=self._git_bytes if updates else 0)
        return Verdict(True)

    def _ref_problems(self, push: PushContext) -> list[str]:
        problems = []
        default = push.default_branch()
        for update in push.updates:
            kind, _, short = update.ref.removeprefix("refs/").partition("/")
            if not update.ref.startswith(("refs/heads/", "refs/tags/")):
                problems.append(f"{update.ref}: only branches (refs/heads/) and tags (refs/tags/) can be pushed")
                continue
            try:
                validate_ref_name(short, kind)
            except InvalidRevisionError as exc:
                problems.append(f"{update.ref}: {exc.message}")
                continue
            if update.is_delete and update.ref == default:
                problems.append(f"{update.ref} is the default branch and cannot be deleted")
            elif push.current(update.ref) != update.old:
                problems.append(f"{update.ref} changed on the hub since you fetched (another push or commit); "
                                "fetch, merge or rebase, and push again")
            elif not update.is_delete:
                wanted = ("commit",) if kind == "heads" else ("commit", "tag")
                found = push.object_type(update.new)
                if found not in wanted:
                    problems.append(f"{update.ref} must point to a {' or '.join(wanted)}, not a {found}")
        return problems

    @staticmethod
    def _path_problems(push: PushContext) -> list[str]:
        """Paths the HF API refuses (``..\\x``, ``.git``, control characters...) are refused here too: a
        repo never holds a file that would escape a client's folder, whichever way it came in."""
        problems = []
        for path in push.new_paths():
            try:
                normalize_repo_path(path)
            except InvalidPathError as exc:
                problems.append(exc.message)
                if len(problems) == MAX_LISTED:
                    break
        return problems

    def _card_problems(self, push: PushContext) -> list[str]:
        """A branch whose README.md changes must carry valid card metadata, as on the Hub (a README.md
        stored as an LFS pointer is not read). A new branch is compared with the default branch."""
        default = push.default_branch()
        for update in push.updates:
            if update.is_delete or not update.ref.startswith("refs/heads/"):
                continue
            new = push.blob_at(update.new, CARD_PATH)
            old = push.blob_at(update.old if not update.is_create else push.current(default), CARD_PATH)
            if new is None or new == old:
                continue
            [(_, readme)] = list(push.read_blobs([new]))
            if parse_pointer(readme) is not None:
                continue
            report = validate_readme_bytes(readme, self._ref.type.value)
            if report.errors:
                return [f"{update.ref}: {line}" if i == 0 else line
                        for i, line in enumerate(refusal_lines(report.errors))]
        return []

    def _content_problems(self, push: PushContext) -> list[str]:
        too_big: list[PushedBlob] = []
        candidates: dict[str, str] = {}
        for blob in push.new_blobs():
            self._git_bytes += blob.size
            self._note_blob(blob.oid)
            if blob.size >= self._threshold:
                too_big.append(blob)
            elif blob.size in POINTER_SIZES:  # only these can be pointers: others need no read
                candidates.setdefault(blob.oid, blob.path)
        problems = [
            f"{blob.path or blob.oid} is {blob.size:,} bytes, at or above the "
            f"{self._threshold:,}-byte limit for files stored in git. Store it with git-lfs: "
            f"git lfs track \"{blob.path or '<path>'}\", git add .gitattributes, re-add the file, amend "
            "the commit and push again"
            for blob in too_big[:MAX_LISTED]
        ]
        pointers = [(candidates[oid], pointer) for oid, data in push.read_blobs(list(candidates))
                    if (pointer := parse_pointer(data)) is not None]
        problems += self._pointer_problems(pointers)
        return problems

    def _pointer_problems(self, pointers: list[tuple[str, LfsPointer]]) -> list[str]:
        problems = []
        lfs = self._lfs
        for path, pointer in pointers:
            stored = lfs.object_size(pointer.oid)
            if stored is None or not lfs.reachable(self._caller, self._ref, pointer.oid):
                problems.append(f"{path}: LFS object {pointer.oid} is not on the hub; upload it first "
                                "(git lfs push --all origin, or install git-lfs and push again)")
            elif stored != pointer.size:
                problems.append(f"{path}: the pointer says {pointer.size} bytes but LFS object "
                                f"{pointer.oid} has {stored}")
            else:
                self._lfs_oids.append(pointer.oid)
                self._lfs_sizes[pointer.oid] = stored
        return problems[:MAX_LISTED]

"""Git over HTTP: clone and fetch of readable repos, and pushes checked before any ref moves.

A push is accepted only if every ref update is a branch or tag the HF API can address, no update
deletes the default branch or overwrites a ref that moved since the pusher fetched, no new file is a
plain blob at or above the LFS threshold, and every LFS pointer names a verified object the pusher may
use (one they uploaded, or one this repo already references). Afterwards the repo's LFS references and
lastModified are updated, so the HF API shows the push at once (it reads git directly for the rest).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from kohakuhub.config import Settings
from kohakuhub.errors import InvalidRevisionError
from kohakuhub.lib.lfs_pointer import POINTER_SIZES, LfsPointer, parse_pointer
from kohakuhub.services.auth import Caller
from kohakuhub.services.lfs import LfsService
from kohakuhub.services.repos import RepoRef, RepoService
from kohakuhub.versioning.git.naming import validate_ref_name
from kohakuhub.versioning.git.push_context import PushContext, PushedBlob, RefUpdate
from kohakuhub.versioning.git.transport import GitTransport, Verdict

PREFIX = "KohakuHub: "
# Enough offending paths to act on without flooding the terminal.
MAX_LISTED = 10


class GitService:
    """Serves git's transport for hub repos; callers have been checked by ``RepoService.get``."""

    def __init__(self, transport: GitTransport, repos: RepoService, lfs: LfsService, settings: Settings) -> None:
        self._transport = transport
        self._repos = repos
        self._lfs = lfs
        self._threshold = settings.lfs_threshold_bytes

    def advertise(self, ref: RepoRef, service: str, protocol: str | None) -> AsyncIterator[bytes]:
        """The ref advertisement for ``service`` (``upload-pack`` or ``receive-pack``)."""
        return self._transport.advertise(ref.key, service, protocol)

    def upload_pack(self, ref: RepoRef, body: AsyncIterator[bytes], protocol: str | None) -> AsyncIterator[bytes]:
        """Answer a clone/fetch request."""
        return self._transport.upload_pack(ref.key, body, protocol)

    def receive_pack(self, caller: Caller, ref: RepoRef, body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """Receive a push from a caller holding write access to ``ref``."""
        policy = PushPolicy(self._lfs, self._repos, self._threshold, caller, ref)
        return self._transport.receive_pack(ref.key, body, policy)


class PushPolicy:
    """The checks and bookkeeping of one push (a ``PushGate``)."""

    def __init__(self, lfs: LfsService, repos: RepoService, threshold: int, caller: Caller,
                 ref: RepoRef) -> None:
        self._lfs = lfs
        self._repos = repos
        self._threshold = threshold
        self._caller = caller
        self._ref = ref
        self._lfs_oids: list[str] = []

    def pre_receive(self, push: PushContext) -> Verdict:
        problems = self._ref_problems(push)
        if not problems:
            problems = self._content_problems(push)
        if problems:
            return Verdict(False, [PREFIX + line for line in problems] + [PREFIX + "push rejected; nothing was changed"])
        return Verdict(True)

    def post_receive(self, updates: list[RefUpdate]) -> Verdict:
        if updates:
            self._lfs.link(self._ref, self._lfs_oids)
            self._repos.touch(self._ref)
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

    def _content_problems(self, push: PushContext) -> list[str]:
        too_big: list[PushedBlob] = []
        candidates: dict[str, str] = {}
        for blob in push.new_blobs():
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
        return problems[:MAX_LISTED]

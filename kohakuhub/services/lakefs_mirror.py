"""The lakeFS mirror's drainer: every API worker runs one, coordinated through the database.

A ref change of any hub repo queues the repo (``note``: the versioning backend's ref listener, so no write
path is missed). The drainer thread claims one pending repo at a time with a lease in the database (two
workers never mirror the same repo at once; a dead worker's lease runs out), replays it (lakefs_replay.py)
and records the result; a failure is recorded with its message and retried after a growing delay. The
hub never waits for lakeFS: queueing is one small database write, and the replay runs in the background.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

from kohakuhub.db import lakefs_mirror as queue_db
from kohakuhub.db.lakefs_mirror import MirrorState
from kohakuhub.errors import NotFoundError
from kohakuhub.lakefs.base import MirrorError, MirrorTarget, repository_name
from kohakuhub.services.lakefs_replay import LfsSource, RepoReplayer
from kohakuhub.versioning.base import VersioningBackend

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=15)  # renewed after every replayed commit, so only a dead worker loses it
BACKOFF_FIRST_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 600.0
IDLE_POLL_SECONDS = 5.0  # other workers' changes are noticed this late at most


def backoff(attempts: int) -> timedelta:
    """The wait before the next try after ``attempts`` failures in a row (doubling, capped)."""
    return timedelta(seconds=min(BACKOFF_FIRST_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


class LakefsMirrorService:
    """Queues ref changes, drains the queue into lakeFS, and reports how far behind the mirror is."""

    def __init__(self, versioning: VersioningBackend, target: MirrorTarget, lfs: LfsSource, *,
                 idle_poll_seconds: float = IDLE_POLL_SECONDS) -> None:
        self._versioning = versioning
        self.target = target
        self._lfs = lfs
        self._idle_poll = idle_poll_seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- queueing -------------------------------------------------------------------------------------

    def note(self, key: str) -> None:
        """Queue repo ``key`` (its refs moved or it was deleted) and wake this worker's drainer."""
        queue_db.note_refs_changed(key)
        self._wake.set()

    @staticmethod
    def queue_existing_repos() -> int:
        """Queue the repos made before the mirror was configured (a row is kept per repo until it is
        deleted, so a repo without one was never queued); returns how many."""
        return queue_db.queue_repos_never_queued()

    def resync(self, keys: list[str], *, rebuild: bool = False) -> None:
        """Queue ``keys`` again now; ``rebuild`` first deletes their lakeFS repositories (a full replay).

        Raises:
            MirrorError: lakeFS refused a deletion (nothing is queued then).
        """
        if rebuild:
            for key in keys:
                self.target.delete_repository(repository_name(key))
                queue_db.forget_mirrored_commits(key)
        queue_db.queue_all(keys)
        self._wake.set()

    # --- draining -------------------------------------------------------------------------------------

    def drain_once(self) -> bool:
        """Mirror one pending repo if any is due; False when there was nothing to do."""
        claim = queue_db.claim_next(self.owner, LEASE)
        if claim is None:
            return False

        def keep_alive() -> None:
            if not queue_db.renew_lease(claim, self.owner, LEASE):
                raise MirrorError("lost the lease (another worker took over)")

        try:
            replayed = RepoReplayer(self._versioning, self.target, self._lfs, keep_alive).sync(claim.key)
        except (MirrorError, NotFoundError) as exc:
            self._failed(claim, str(exc))
        except Exception as exc:  # a bug or an unexpected failure: recorded and retried like the rest
            log.exception("lakeFS mirror of repo %s failed", claim.key)
            self._failed(claim, f"{type(exc).__name__}: {exc}")
        else:
            queue_db.mark_mirrored(claim, self.owner)
            if replayed:
                log.info("lakeFS mirror: repo %s, %d commit(s) replayed", claim.key, replayed)
        return True

    def _failed(self, claim: queue_db.Claim, message: str) -> None:
        attempts = queue_db.failed_attempts(claim.key) + 1
        log.warning("lakeFS mirror of repo %s failed (attempt %d): %s", claim.key, attempts, message)
        queue_db.mark_failed(claim, self.owner, message, backoff(attempts))

    def drain(self, limit: int = 1000) -> int:
        """Drain until nothing is due (at most ``limit`` repos); the number of repos handled."""
        handled = 0
        while handled < limit and self.drain_once():
            handled += 1
        return handled

    def start(self) -> None:
        """Run the drainer in a daemon thread of this process."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="lakefs-mirror", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        """Stop the drainer thread after the repo it is on (its lease then runs out if it is stuck)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.drain_once()
            except Exception:  # e.g. the database is briefly unreachable: keep the thread alive
                log.exception("lakeFS mirror drainer error")
                worked = False
            if not worked:
                self._wake.wait(self._idle_poll)
                self._wake.clear()

    # --- reporting ------------------------------------------------------------------------------------

    @staticmethod
    def states() -> list[MirrorState]:
        """Every queued repo and how far behind it is, the most behind first."""
        return queue_db.mirror_states()

    def commits_behind(self, key: str) -> int | None:
        """How many of the repo's commits lakeFS does not have yet; None when the repo is gone."""
        if not self._versioning.repo_exists(key):
            return None
        try:
            return RepoReplayer(self._versioning, self.target, self._lfs).unmirrored_commits(key)
        except NotFoundError:  # deleted meanwhile
            return None

    def health(self) -> str:
        """lakeFS answers, and how many repos wait.

        Raises:
            MirrorError: lakeFS cannot be reached, or some repo fails to mirror (the first is named).
        """
        answer = self.target.health()
        states = self.states()
        pending = sum(1 for state in states if state.pending)
        failing = [state for state in states if state.last_error]
        if failing:
            raise MirrorError(f"{answer}, but {len(failing)} repo(s) fail to mirror, e.g. "
                              f"{failing[0].repo or failing[0].key}: {failing[0].last_error}")
        return f"{answer}; {pending} repo(s) waiting to be mirrored"

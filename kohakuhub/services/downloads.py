"""Download counting off the hot path: resolve records a visit in memory, a thread writes them in batches.

``record`` is called by every resolve (HEAD and GET) on the event loop and does no I/O: it drops files
that do not count (lib/download_rules.py) and visits already seen in this window, and appends the rest to
a list. A daemon thread, started on the first visit and ending after a quiet spell, writes the list every
``flush_interval`` seconds (sooner when it grows past ``max_pending``) in one transaction, where a unique
row per (repo, visitor, window) makes several workers count a visit once. Reads that show counts
(info, lists) flush first, so a worker shows its own counts at once; other workers' within an interval.
A worker killed with ``kill -9`` loses at most its last interval of counts; a normal shutdown flushes.

A visitor is the signed-in user, or the client address for anonymous requests (the Hub counts by
address); only a digest of it is stored. A window is ``WINDOW_SECONDS`` long.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

from kohakuhub.db.database import Database, close_thread_connection
from kohakuhub.db.downloads import Visit, record_visits
from kohakuhub.lib.download_rules import counts_as_download

log = logging.getLogger(__name__)

WINDOW_SECONDS = 300  # the Hub's 5 minutes: one visitor's requests to one repo within it are one download
MAX_SEEN = 100_000  # bound on the in-memory "already counted" set; the database dedups past it
# Bound on visits waiting to be written (a database that stalls, or more new visitors a second than a flush
# writes): past it new visits are not counted, so counting can never exhaust a worker's memory.
MAX_PENDING = 200_000


def _digest(visitor: str) -> str:
    return hashlib.blake2b(visitor.encode(), digest_size=16).hexdigest()


def _day_of(window: int) -> date:
    return datetime.fromtimestamp(window * WINDOW_SECONDS, UTC).date()


class DownloadCounter:
    """Counts downloads for one hub (one database), in memory first."""

    def __init__(self, db: Database, *, flush_interval: float = 1.0, max_pending: int = 1000,
                 idle_exit: float = 30.0, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._interval = flush_interval
        self._max_pending = max_pending
        self._idle_exit = idle_exit
        self._clock = clock
        self._lock = threading.Lock()  # guards the fields below
        self._writing = threading.Lock()  # one batch at a time: flush() waits for a batch in flight
        self._pending: list[tuple[int, str, int]] = []
        self._seen: set[tuple[int, str, int]] = set()
        self._seen_window = -1
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._dropped = 0  # visits not counted because MAX_PENDING was reached (logged by the next flush)

    def record(self, repo_id: int, repo_type: str, path: str, visitor: str) -> None:
        """Note that ``visitor`` fetched ``path`` of the repo (no I/O; safe on the event loop)."""
        if not counts_as_download(repo_type, path):
            return
        visit = (repo_id, visitor, int(self._clock() // WINDOW_SECONDS))
        with self._lock:
            if visit in self._seen or self._closed:
                return
            if len(self._pending) >= MAX_PENDING:
                self._dropped += 1
                return
            if visit[2] != self._seen_window or len(self._seen) >= MAX_SEEN:
                self._seen.clear()  # a new window (or too many visitors): the database dedups the rest
                self._seen_window = visit[2]
            self._seen.add(visit)
            self._pending.append(visit)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="download-counter", daemon=True)
                self._thread.start()
            elif len(self._pending) >= self._max_pending:
                self._wake.set()

    def flush(self) -> int:
        """Write the visits recorded so far (waiting for a batch another thread is writing); return how
        many were new downloads. A database failure is logged and those visits are not counted: counts are
        derived data, and no request fails for them."""
        with self._writing:
            with self._lock:
                batch, self._pending = self._pending, []
                dropped, self._dropped = self._dropped, 0
            if dropped:
                log.warning("%d download visits were not counted: %d were waiting to be written", dropped,
                            MAX_PENDING)
            if not batch:
                return 0
            window = int(self._clock() // WINDOW_SECONDS)
            visits: list[Visit] = [(repo_id, _digest(visitor), w, _day_of(w)) for repo_id, visitor, w in batch]
            try:
                return record_visits(self._db, visits, oldest_window=window - 1)
            except Exception:
                log.exception("could not record %d download visits; they are not counted", len(batch))
                return 0

    def close(self) -> None:
        """Stop the thread and write what is left (at shutdown)."""
        with self._lock:
            self._closed = True
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout=10)
        self.flush()

    def _run(self) -> None:
        quiet = 0.0
        try:
            while True:
                self._wake.wait(self._interval)
                self._wake.clear()
                wrote = self.flush()
                with self._lock:
                    quiet = 0.0 if wrote or self._pending else quiet + self._interval
                    if self._closed or (quiet >= self._idle_exit and not self._pending):
                        self._thread = None
                        return
        finally:
            close_thread_connection(self._db)

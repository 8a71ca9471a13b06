"""Per-repository write lock that serialises writers across threads and processes.

Two layers, because each covers what the other cannot:

- a ``threading.Lock`` per repo key, so threads of one process queue in Python without each holding a
  file descriptor and a blocked syscall;
- ``fcntl.flock`` on a lock file inside the bare repo, so uvicorn workers (separate processes) and
  anything else that honours the lock (e.g. the push handler) queue too. flock locks belong to the open
  file description and vanish when the holder dies, so a killed process never leaves the repo locked.

The lock is reentrant per thread: code already holding a repo's lock (say, a push handler) may call
backend methods that take it again.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kohakuhub.errors import RepoNotFoundError

LOCK_FILE_NAME = "kohakuhub.lock"


class RepoLocks:
    """Registry of per-repo locks for one process."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._thread_locks: dict[str, threading.Lock] = {}
        self._held = threading.local()

    @contextmanager
    def hold(self, key: str, repo_dir: Path) -> Iterator[None]:
        """Hold the exclusive write lock of the repo at ``repo_dir`` for the ``with`` block.

        Raises:
            RepoNotFoundError: the repository does not exist (or was deleted while we waited).
        """
        held: set[str] = self._held.__dict__.setdefault("keys", set())
        if key in held:
            yield
            return
        with self._thread_lock(key):
            fd = _acquire_file_lock(repo_dir / LOCK_FILE_NAME)
            held.add(key)
            try:
                yield
            finally:
                held.discard(key)
                os.close(fd)  # closing the descriptor releases the flock

    def _thread_lock(self, key: str) -> threading.Lock:
        with self._guard:
            lock = self._thread_locks.get(key)
            if lock is None:
                lock = self._thread_locks[key] = threading.Lock()
            return lock


def _acquire_file_lock(lock_path: Path) -> int:
    """Open (creating if needed) and flock ``lock_path``; return the descriptor.

    Raises:
        RepoNotFoundError: the repo directory is missing, or was deleted while we were blocked.
    """
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise RepoNotFoundError() from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            # The holder may have deleted (renamed away) the repo, possibly re-creating it, while we
            # waited: our descriptor then guards a stale file. Retry on the current one.
            if _is_current(fd, lock_path):
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def _is_current(fd: int, lock_path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(lock_path))
    except FileNotFoundError:
        return False

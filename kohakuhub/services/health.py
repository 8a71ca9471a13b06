"""The site's health as a site admin sees it: each part the hub depends on, measured now.

Every check does the real thing once (a database round trip, an object written to the blob store, read
back and deleted, the git binary run, a file written where the repositories live) and reports
``{name, ok, latency_ms, detail}``; a failing part is reported, never raised, so one broken service does
not hide the state of the others.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kohakuhub.config import Settings
from kohakuhub.db.site_admin import database_round_trip
from kohakuhub.services.admin import require_admin
from kohakuhub.services.auth import Caller
from kohakuhub.storage.base import BlobStore
from kohakuhub.versioning.git.health import git_binary_version, probe_repo_dir

log = logging.getLogger("kohakuhub.health")

PROBE_PREFIX = "health/"
MAX_DETAIL = 500


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    latency_ms: float
    detail: str


def _gb(n: int) -> str:
    return f"{n / 1e9:.1f} GB"


class HealthService:
    """Measures the database, the blob store (local files or S3), the git binary and the git data dir."""

    def __init__(self, store: BlobStore, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    def checks(self, caller: Caller | None) -> list[Check]:
        """Run every check, in order. Raises as ``require_admin``."""
        require_admin(caller)
        return [
            self._measure("database", self._database),
            self._measure("blob_store", self._blob_store),
            self._measure("git", git_binary_version),
            self._measure("git_data_dir", self._git_data_dir),
        ]

    @staticmethod
    def _measure(name: str, check: Callable[[], str]) -> Check:
        start = time.perf_counter()
        try:
            detail, ok = check(), True
        except Exception as exc:  # the check's whole point: report any failure of the part it probes
            log.warning("health check %s failed: %s", name, exc)
            detail, ok = f"{type(exc).__name__}: {exc}".strip(), False
        latency = round((time.perf_counter() - start) * 1000, 3)
        return Check(name, ok, latency, detail[:MAX_DETAIL])

    def _database(self) -> str:
        return database_round_trip()

    def _store_label(self) -> str:
        settings = self._settings
        if settings.uses_s3:
            return f"S3 bucket {settings.s3_bucket_name} at {settings.s3_endpoint or 'AWS ' + settings.s3_region}"
        return f"local directory {settings.blob_dir}"

    def _blob_store(self) -> str:
        """Write a small object, read it back, delete it.

        Raises:
            RuntimeError: the bytes read back differ. Or whatever the store raises.
        """
        key = f"{PROBE_PREFIX}{secrets.token_hex(16)}"
        data = secrets.token_bytes(64)
        try:
            self._store.put_bytes(key, data)
            back = b"".join(self._store.read_range(key))
        except Exception:
            with contextlib.suppress(Exception):  # the first failure is the one to report
                self._store.delete(key)
            raise
        self._store.delete(key)
        if back != data:
            raise RuntimeError(f"read back {len(back)} bytes that differ from the {len(data)} written")
        return f"{self._store_label()}: wrote, read back and deleted {len(data)} bytes"

    def _git_data_dir(self) -> str:
        root: Path = self._settings.git_dir
        free, total = probe_repo_dir(root)
        return f"{root}: writable, {_gb(free)} free of {_gb(total)}"

"""Probes of what serving git needs: the git binary, and a writable directory for the repositories."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

PROBE_TIMEOUT_SECONDS = 10


def git_binary_version() -> str:
    """``git version 2.39.5``: what the hub runs for clone, fetch, push and storage measurement.

    Raises:
        FileNotFoundError: no ``git`` on the PATH. subprocess.SubprocessError: it failed or hung.
    """
    # The PATH of the hub's process, read now, as every git the hub runs gets it.
    env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C", "HOME": os.devnull}
    done = subprocess.run(["git", "--version"], env=env, capture_output=True, check=True,
                          timeout=PROBE_TIMEOUT_SECONDS)
    return done.stdout.decode(errors="replace").strip()


def probe_repo_dir(root: Path) -> tuple[int, int]:
    """Write, sync and remove a file in the repositories' directory; return its disk's (free, total) bytes.

    Raises:
        OSError: the directory cannot be made, or is not writable (a full disk, a read-only volume).
    """
    root.mkdir(parents=True, exist_ok=True)  # as the first repo would make it
    probe = root / f".health-{uuid.uuid4().hex}"
    try:
        with open(probe, "wb") as handle:
            handle.write(b"kohakuhub health probe\n")
            handle.flush()
            os.fsync(handle.fileno())
    finally:
        probe.unlink(missing_ok=True)
    usage = shutil.disk_usage(root)
    return usage.free, usage.total

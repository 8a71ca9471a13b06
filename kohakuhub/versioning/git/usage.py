"""Storage measurement of a repository: the total size of distinct blobs reachable from given tips.

The hub counts a repo's git storage as the raw (uncompressed) sizes of the distinct file contents its
history holds, which unlike the on-disk size does not change when packs are consolidated in the
background, and which can be computed both incrementally (the blobs a commit adds) and from scratch.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

# A full measurement walks the whole history of one repo; give large repos time.
MEASURE_TIMEOUT_SECONDS = 600


def git_env() -> dict[str, str]:
    """git's environment for hub-side inspection: no user or system config."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C", "HOME": os.devnull}


def reachable_blob_bytes(repo_path: Path, tips: Sequence[str] | None, hide: Sequence[str] = ()) -> int:
    """Sum of the sizes of distinct blobs reachable from ``tips`` (every ref if None) but not from ``hide``.

    ``tips`` and ``hide`` hold commit ids or full ref names.
    """
    git = ["git", "--git-dir", str(repo_path)]
    if tips is None:
        args = [*git, "rev-list", "--objects", "--no-object-names", "--all"]
        stdin = b""
    else:
        if not tips:
            return 0
        args = [*git, "rev-list", "--objects", "--no-object-names", "--stdin"]
        stdin = "".join([f"{t}\n" for t in tips] + [f"^{h}\n" for h in hide]).encode()
    env = git_env()
    listing = subprocess.run(args, input=stdin, env=env, capture_output=True, check=True,
                             timeout=MEASURE_TIMEOUT_SECONDS).stdout
    if not listing:
        return 0
    checks = subprocess.run([*git, "cat-file", "--batch-check=%(objecttype) %(objectsize)"], input=listing,
                            env=env, capture_output=True, check=True, timeout=MEASURE_TIMEOUT_SECONDS).stdout
    total = 0
    for line in checks.split(b"\n"):
        if line.startswith(b"blob "):
            total += int(line[5:])
    return total

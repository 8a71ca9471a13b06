"""Which paths a ``.gitignore`` ignores, decided by git itself (``git check-ignore``).

Git's rules have many corners (``dir/`` only matches directories and everything below them, ``**``,
negation with ``!``, anchoring with a leading or middle ``/``, escapes), so the hub does not reimplement
them: the ignore file is written into a throwaway work tree whose git directory is an empty skeleton, and
``git check-ignore --no-index`` answers for every path at once (one process, about 7 ms). The user's and
the system's git config (and their global excludes file) are kept out.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

CHECK_TIMEOUT_SECONDS = 60


def ignored_paths(gitignore: str, paths: Sequence[str]) -> set[str]:
    """The ``paths`` (repo-relative, ``/``-separated, already validated) that ``gitignore`` ignores.

    Args:
        gitignore: the content of a ``.gitignore`` at the root of the repo.
        paths: file paths to check.

    Raises:
        subprocess.SubprocessError: git failed (not expected for any input: it is a bug or a broken
            installation, and the request fails with a 500 rather than with a wrong answer).
    """
    if not paths or not gitignore.strip():
        return set()
    work = Path(tempfile.mkdtemp(prefix="khub-ignore-"))
    try:
        _skeleton(work)
        (work / ".gitignore").write_text(gitignore, encoding="utf-8", errors="surrogateescape")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(work / ".git"),
            "XDG_CONFIG_HOME": str(work / ".git"),  # no global excludes file (core.excludesFile default)
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
        }
        result = subprocess.run(
            ["git", "-C", str(work), "check-ignore", "--no-index", "--stdin", "-z", "-v", "-n"],
            input=b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in paths),
            env=env, capture_output=True, timeout=CHECK_TIMEOUT_SECONDS, check=False,
        )
        if result.returncode not in (0, 1):  # 1: nothing ignored
            raise subprocess.CalledProcessError(result.returncode, result.args, result.stdout, result.stderr)
        return _parse(result.stdout)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _skeleton(work: Path) -> None:
    """The least git accepts as a repository: HEAD, objects/ and refs/ (no hooks, config or templates)."""
    git_dir = work / ".git"
    (git_dir / "objects").mkdir(parents=True)
    (git_dir / "refs").mkdir()
    (git_dir / "HEAD").write_text("ref: refs/heads/main\n")


def _parse(output: bytes) -> set[str]:
    """``-z -v -n`` output: ``source NUL line NUL pattern NUL path NUL`` per path; an empty pattern means no
    rule matched, and a matching ``!pattern`` re-includes the path."""
    fields = output.split(b"\0")
    ignored = set()
    for start in range(0, len(fields) - 3, 4):
        pattern, path = fields[start + 2], fields[start + 3]
        if pattern and not pattern.startswith(b"!"):
            ignored.add(path.decode("utf-8", "surrogateescape"))
    return ignored

"""Finding the small blobs of a repository's history (LFS pointers are small), with where each first appears.

``git rev-list --objects`` walks a ref's history and names every object with the first path it was seen
at; ``git cat-file --batch-check`` adds type and size. Refs are walked one after the other, each excluding
what the earlier ones reach, so a blob is reported once, for the first ref that reaches it: the default
branch first, then the other branches, tags and other refs by name. Streamed: a history of millions of
objects is never held in memory.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pygit2

from kohakuhub.versioning.git.usage import git_env

SCAN_TIMEOUT_SECONDS = 3600


def ordered_refs(repo: pygit2.Repository) -> list[str]:
    """Every ref name, the default branch first, then branches, tags and the rest, each by name."""
    default = repo.references["HEAD"].target if "HEAD" in repo.references else "refs/heads/main"
    names = [name for name in repo.references if name != "HEAD" and name.startswith("refs/")]

    def rank(name: str) -> tuple[int, str]:
        order = 0 if name == default else 1 if name.startswith("refs/heads/") else 2 if name.startswith(
            "refs/tags/") else 3
        return order, name

    return sorted(names, key=rank)


def small_blobs(git_dir: Path, refs: list[str], max_size: int) -> Iterator[tuple[str, str, str]]:
    """``(ref, path, blob id)`` for each blob of at most ``max_size`` bytes reachable from ``refs``.

    Raises:
        subprocess.CalledProcessError: git failed.
    """
    for index, ref in enumerate(refs):
        args = ["rev-list", "--objects", ref]
        if index:
            args += ["--not", *refs[:index]]
        yield from ((ref, path, oid) for oid, path in _blobs_of(git_dir, args, max_size))


def _blobs_of(git_dir: Path, rev_list_args: list[str], max_size: int) -> Iterator[tuple[str, str]]:
    env = git_env()
    listing = subprocess.Popen(["git", "--git-dir", str(git_dir), *rev_list_args], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, env=env)
    checks = subprocess.Popen(
        ["git", "--git-dir", str(git_dir), "cat-file", "--batch-check=%(objecttype) %(objectname) %(objectsize) %(rest)"],
        stdin=listing.stdout, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    listing.stdout.close()  # cat-file owns it now
    try:
        for line in checks.stdout:
            kind, oid, size, *path = line.decode("utf-8", "surrogateescape").rstrip("\n").split(" ", 3)
            if kind == "blob" and int(size) <= max_size:
                yield oid, path[0] if path else ""
    except BaseException:  # the consumer stopped early (or failed): stop git too
        for proc in (checks, listing):
            proc.kill()
            proc.wait()
        raise
    for proc in (listing, checks):
        if proc.wait(SCAN_TIMEOUT_SECONDS) != 0:
            raise subprocess.CalledProcessError(proc.returncode, proc.args)

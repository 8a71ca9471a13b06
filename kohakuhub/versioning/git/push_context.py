"""What a push wants to do, as the pre-receive check sees it: ref updates and the objects they bring.

During pre-receive git keeps the pushed objects in a quarantine directory, so they are read with
``git rev-list``/``git cat-file`` under the object environment the hook passed on (the quarantine plus
the repository's own objects as an alternate). Reading them through git, rather than libgit2, keeps the
quarantine out of the hub's cached repositories.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ZERO_ID = "0" * 40
# A git inspection taking longer than this fails the check rather than holding the repo lock forever.
INSPECT_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class RefUpdate:
    """One ``<old> <new> <ref>`` line of a push (all-zero ids mean create or delete)."""

    old: str
    new: str
    ref: str

    @property
    def is_create(self) -> bool:
        return self.old == ZERO_ID

    @property
    def is_delete(self) -> bool:
        return self.new == ZERO_ID


@dataclass(frozen=True)
class PushedBlob:
    """A blob a push adds, with the first path it appears at (for messages)."""

    oid: str
    size: int
    path: str


def parse_updates(text: str) -> list[RefUpdate]:
    """Parse the hook's stdin.

    Raises:
        ValueError: a line is not ``<old> <new> <ref>``.
    """
    updates = []
    for line in text.splitlines():
        if not line.strip():
            continue
        old, new, ref = line.split(" ", 2)
        updates.append(RefUpdate(old, new, ref))
    return updates


class PushContext:
    """Read access to a push in progress: its updates, the repo's current refs and the new objects."""

    def __init__(self, repo_path: Path, object_env: Mapping[str, str], updates: list[RefUpdate],
                 base_env: Mapping[str, str]) -> None:
        self.repo_path = Path(repo_path)
        self.updates = updates
        self._env = {**base_env, **object_env}

    def _git(self, *args: str, stdin: bytes | None = None) -> bytes:
        return subprocess.run(["git", "--git-dir", str(self.repo_path), *args], input=stdin, env=self._env,
                              capture_output=True, check=True, timeout=INSPECT_TIMEOUT_SECONDS).stdout

    def current(self, ref: str) -> str:
        """The id ``ref`` points at now (all zeros if it does not exist)."""
        out = subprocess.run(["git", "--git-dir", str(self.repo_path), "rev-parse", "-q", "--verify", ref],
                             env=self._env, capture_output=True, timeout=60, check=False)
        return out.stdout.decode().strip() or ZERO_ID

    def default_branch(self) -> str:
        """The full ref HEAD points at (``refs/heads/main``)."""
        return self._git("symbolic-ref", "HEAD").decode().strip()

    def is_ancestor(self, old: str, new: str) -> bool:
        """True when ``new`` contains ``old`` in its history (a fast-forward)."""
        out = subprocess.run(["git", "--git-dir", str(self.repo_path), "merge-base", "--is-ancestor", old, new],
                             env=self._env, capture_output=True, check=False, timeout=INSPECT_TIMEOUT_SECONDS)
        return out.returncode == 0

    def object_type(self, oid: str) -> str:
        """``commit``, ``tag``, ``tree`` or ``blob``."""
        return self._git("cat-file", "-t", oid).decode().strip()

    def new_blobs(self) -> Iterator[PushedBlob]:
        """Every blob reachable from the pushed tips that no existing ref reaches, with its size.

        Blobs already in the repository but unreachable (say, left by a rejected commit) are listed
        too: nothing that is not yet in the history escapes the checks. Streamed: a push of millions of
        files is never held in memory.
        """
        tips = [u.new for u in self.updates if not u.is_delete]
        if not tips:
            return
        listing = self._popen("rev-list", "--objects", "--stdin", "--not", "--all")
        listing.stdin.write("".join(f"{tip}\n" for tip in tips).encode())
        listing.stdin.close()
        checks = self._popen("cat-file", "--batch-check=%(objecttype) %(objectname) %(objectsize) %(rest)",
                             stdin=listing.stdout)
        listing.stdout.close()  # cat-file owns it now; rev-list gets SIGPIPE if cat-file dies
        with _reaped(listing), _reaped(checks):
            for line in checks.stdout:
                kind, oid, size, *path = line.decode("utf-8", "surrogateescape").rstrip("\n").split(" ", 3)
                if kind == "blob":
                    yield PushedBlob(oid, int(size), path[0] if path else "")

    def blob_at(self, commit: str, path: str) -> str | None:
        """The id of the blob at ``path`` in ``commit`` (pushed or existing), None if absent or not a file."""
        if commit == ZERO_ID:
            return None
        out = self._git("ls-tree", "-z", commit, "--", path).split(b"\0")[0].decode()
        meta, _, _name = out.partition("\t")
        parts = meta.split(" ")
        return parts[2] if len(parts) == 3 and parts[1] == "blob" else None

    def new_paths(self) -> Iterator[str]:
        """Every path a pushed commit adds or changes (each once), against each of its parents.

        Covers every new commit, not only the tips: an intermediate commit is checked out by whoever
        fetches it. Paths that are not UTF-8 come back with surrogate escapes (and fail validation).
        """
        tips = [u.new for u in self.updates if not u.is_delete and self.object_type(u.new) == "commit"]
        if not tips:
            return
        log = self._popen("log", "--format=", "--name-only", "-z", "-m", "--no-renames", "--diff-filter=d",
                          "--stdin", "--not", "--all")
        log.stdin.write("".join(f"{tip}\n" for tip in tips).encode())
        log.stdin.close()
        seen: set[bytes] = set()
        with _reaped(log):
            pending = b""
            while chunk := log.stdout.read(1 << 16):
                *names, pending = (pending + chunk).split(b"\0")
                for name in names:
                    name = name.strip(b"\n")
                    if name and name not in seen:
                        seen.add(name)
                        yield name.decode("utf-8", "surrogateescape")

    def read_blobs(self, oids: list[str]) -> Iterator[tuple[str, bytes]]:
        """The content of each blob (meant for small ones, such as LFS pointer candidates), streamed."""
        if not oids:
            return
        batch = self._popen("cat-file", "--batch")
        # A writer thread, so git never blocks on a full output pipe while we are still writing ids.
        feeder = threading.Thread(target=_write_lines, args=(batch.stdin, oids), daemon=True)
        feeder.start()
        with _reaped(batch):
            for _ in oids:
                header = batch.stdout.readline().decode().split(" ")
                if len(header) != 3:
                    raise subprocess.SubprocessError(f"git cat-file: unexpected answer {header!r}")
                content = batch.stdout.read(int(header[2]))
                batch.stdout.read(1)  # the newline after each object
                yield header[0], content
        feeder.join()

    def _popen(self, *args: str, stdin: Any = subprocess.PIPE) -> subprocess.Popen[bytes]:
        return subprocess.Popen(["git", "--git-dir", str(self.repo_path), *args], stdin=stdin,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=self._env)


def _write_lines(pipe: IO[bytes], lines: list[str]) -> None:
    try:
        for line in lines:
            pipe.write(f"{line}\n".encode())
        pipe.close()
    except BrokenPipeError:
        pass  # the reader stopped early; it reports why


@contextmanager
def _reaped(proc: subprocess.Popen[bytes]) -> Iterator[None]:
    """Wait for ``proc`` after the block; kill it if the block ended early; raise if git failed."""
    try:
        yield
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    if proc.stdout is not None and not proc.stdout.closed:
        proc.stdout.read()  # drain, so git can exit
    if proc.wait(INSPECT_TIMEOUT_SECONDS) != 0:
        raise subprocess.CalledProcessError(proc.returncode, proc.args)

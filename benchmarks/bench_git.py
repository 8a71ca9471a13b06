"""Git over HTTP (issue 3): clone from the hub against git http-backend, and a push with git-lfs.

clone: two hub repos, one of ~25 KB files (2,000 by default, ~50 MB) and one of ~500-byte files
       (100,000, ~50 MB), each built in 4 commits on top of the hub's initial commit. The content is
       written with ``git fast-import`` into a scratch repo and fetched into the hub's own bare repository
       on disk, so setup does not depend on the speed of the hub's push route. Then ``git clone`` of the
       same bare repository from the hub (``/alice/<name>.git``) and from ``git http-backend`` behind
       nginx + fcgiwrap (``/<key[:2]>/<key>.git``), both anonymous (public repos), protocol v2, best of 3,
       runs interleaved after one untimed warm-up clone each. The timed clone is a normal ``git clone``
       (full history and a checkout of main) into tmpfs (see ``memory_dir``); the notes also give
       ``git clone --bare`` (no checkout), whose ratio shows the server's share more sharply because the
       checkout costs the same on both sides.
push:  a clone of an empty hub repo gets 1,000 small files and one random LFS file (500 MiB by default,
       ``*.bin`` is LFS-tracked by the hub's .gitattributes), committed locally; timed: ``git lfs push``
       (LFS batch API + basic transfer PUT) and then ``git push`` (pack over git-receive-pack), over HTTP
       with Basic auth (any user, write token as password). Report only: seconds and MB/s.

Every git command runs with an empty HOME and no system config, so the user's global settings (an
installed git-lfs filter, credential helpers, ...) do not change what is measured.
"""

from __future__ import annotations

import base64
import os
import random
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import BenchError, MiB, Result, mb_per_s, remove_tree, small_files, write_random_file
from benchmarks.common import memory_dir as common_memory_dir
from benchmarks.context import Context
from benchmarks.servers import check, start_git_http_backend

CLONE_RUNS = 3
CLONE_COMMITS = 4
SMALL_MEAN_BYTES = 25_000  # the 2,000-file repo: ~50 MB
MANY_MEAN_BYTES = 500  # the 100,000-file repo: ~50 MB
PUSH_SMALL_FILES = 1_000
BASELINE_NAME = "git http-backend (nginx + fcgiwrap)"


# --- running git ---------------------------------------------------------------------------------


def git_env(ctx: Context) -> dict[str, str]:
    """Environment for every git call: own HOME and config, never a prompt, no inherited GIT_* state."""
    home = ctx.root / "git-home"
    if not (home / ".gitconfig").exists():
        home.mkdir(parents=True, exist_ok=True)
        (home / ".gitconfig").write_text(
            "[user]\n\tname = bench\n\temail = bench@example.com\n"
            "[init]\n\tdefaultBranch = main\n"
            "[protocol]\n\tversion = 2\n"
            "[advice]\n\tdetachedHead = false\n"
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_TERMINAL_PROMPT": "0"})
    return env


def git(ctx: Context, *args: str, cwd: Path | None = None, input: bytes | None = None,
        timeout: float = 600) -> tuple[float, str]:
    """Run ``git *args``; return (wall seconds, stdout).

    Raises:
        BenchError: git exits non-zero (its stderr, with any token masked, is in the message).
    """
    started = time.perf_counter()
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, env=git_env(ctx), input=input, capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"git {' '.join(args[:2])} timed out after {timeout:.0f} s") from exc
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace")[-1500:]
        if ctx.hub.token:
            message = message.replace(ctx.hub.token, "***")
        raise BenchError(f"git {' '.join(args[:2])} failed ({proc.returncode}): {message}")
    return elapsed, proc.stdout.decode(errors="replace")


# --- clone ---------------------------------------------------------------------------------------


@dataclass
class CloneRepo:
    name: str
    key: str
    files: int
    content_bytes: int
    head: str


def bench_clone(ctx: Context) -> list[Result]:
    sizes = ctx.sizes
    repos = [
        build_clone_repo(ctx, "clone-small", sizes.clone_files, SMALL_MEAN_BYTES),
        build_clone_repo(ctx, "clone-many", sizes.clone_many_files, MANY_MEAN_BYTES),
    ]
    backend = start_git_http_backend(ctx.root / "git-http-backend", ctx.hub.data_dir / "repos")
    clone_root = memory_dir(ctx)
    try:
        return [measure_clone(ctx, clone_root, backend.url, repo) for repo in repos]
    finally:
        backend.stop()
        remove_tree(clone_root)


def memory_dir(ctx: Context) -> Path:
    """A fresh directory for the clones (see common.memory_dir).

    Checking out 100,000 files onto this machine's disk took 9 to 38 s from one run to the next (page
    cache writeback), the same client work for both servers; in memory it takes a steady ~2.5 s, so the
    ratio shows the servers rather than the disk.
    """
    return common_memory_dir(ctx.root / "clones", "kohakuhub-bench-clone-")


def build_clone_repo(ctx: Context, name: str, count: int, mean_bytes: int) -> CloneRepo:
    """Create hub repo alice/<name>; put ``count`` files in ``CLONE_COMMITS`` commits into its bare repo."""
    hub = ctx.hub
    key = hub.create_repo(name)
    git_dir = hub.git_dir(key)
    scratch = ctx.root / f"{name}-scratch.git"
    ctx.log(f"building {name}: {count:,} files of ~{mean_bytes:,} bytes with git fast-import")
    started = time.perf_counter()
    git(ctx, "init", "--bare", "-q", str(scratch))
    # Start from the hub's initial commit, so the result is an ordinary fast-forward of the hub's main.
    git(ctx, "--git-dir", str(scratch), "fetch", "-q", str(git_dir), "refs/heads/main:refs/heads/main")
    stream, content_bytes = random_files_stream(count, mean_bytes)
    git(ctx, "--git-dir", str(scratch), "fast-import", "--quiet", input=stream)
    del stream
    # A fetch run inside the hub's repository (not a push into it): no receive hooks run, and git writes
    # one pack with its index, as it would for a pushed pack of this size.
    git(ctx, "--git-dir", str(git_dir), "fetch", "-q", "--no-tags", str(scratch),
        "refs/heads/main:refs/heads/main")
    _, head = git(ctx, "--git-dir", str(git_dir), "rev-parse", "refs/heads/main")
    remove_tree(scratch)
    ctx.log(f"  built in {time.perf_counter() - started:.1f} s, {content_bytes / 1e6:.0f} MB of content")
    return CloneRepo(name, key, count, content_bytes, head.strip())


def random_files_stream(count: int, mean_bytes: int) -> tuple[bytes, int]:
    """A fast-import stream adding ``count`` files in ``CLONE_COMMITS`` commits on top of main.

    Files are base64 text of seeded random bytes (compressible like text, no deltas between files), of
    0.5x-1.5x ``mean_bytes``, 100 per directory in a two-level layout. Returns (stream, content bytes).
    """
    rng = random.Random(count)
    per_commit = -(-count // CLONE_COMMITS)
    parts: list[bytes] = []
    total = 0
    for number, first in enumerate(range(0, count, per_commit)):  # bounded: CLONE_COMMITS commits
        message = f"Add files {first} to {min(count, first + per_commit) - 1}".encode()
        parts += [b"commit refs/heads/main\n",
                  b"committer bench <bench@example.com> %d +0000\n" % (1700000000 + number),
                  b"data %d\n%s\n" % (len(message), message)]
        if number == 0:
            parts.append(b"from refs/heads/main^0\n")  # continue the existing branch (fast-import docs)
        for i in range(first, min(count, first + per_commit)):  # bounded by count
            size = mean_bytes // 2 + (i * 7919) % mean_bytes
            content = base64.encodebytes(rng.randbytes(size * 3 // 4))
            path = f"data/d{i // 1000:03d}/s{(i // 100) % 10}/file{i:06d}.txt".encode()
            parts.append(b"M 100644 inline %s\ndata %d\n%s\n" % (path, len(content), content))
            total += len(content)
        parts.append(b"\n")
    return b"".join(parts), total


def measure_clone(ctx: Context, clone_root: Path, backend_url: str, repo: CloneRepo) -> Result:
    hub = ctx.hub
    urls = {"hub": f"{hub.url}/{hub.username}/{repo.name}.git",
            "baseline": f"{backend_url}/{repo.key[:2]}/{repo.key}.git"}
    # Untimed warm-up (page cache, first-request imports), which also checks both serve the same history.
    pack_bytes = 0
    for side, url in urls.items():
        pack_bytes = clone_once(ctx, clone_root, url, repo, bare=True, side=side)[1]
    times: dict[tuple[str, bool], list[float]] = {(s, b): [] for s in urls for b in (False, True)}
    ctx.log(f"cloning {repo.name}: best of {CLONE_RUNS}, hub and baseline interleaved")
    for _ in range(CLONE_RUNS):  # bounded by CLONE_RUNS
        for bare in (False, True):
            for side, url in urls.items():
                times[(side, bare)].append(clone_once(ctx, clone_root, url, repo, bare=bare, side=side)[0])
    best = {k: min(v) for k, v in times.items()}
    listing = "; ".join(f"{side}{' --bare' if bare else ''} {', '.join(f'{t:.2f}' for t in v)} s"
                        for (side, bare), v in times.items())
    bare_ratio = best[("hub", True)] / best[("baseline", True)]
    return Result(
        name=f"git clone {repo.files:,} files ({repo.content_bytes / 1e6:.0f} MB)", unit="s",
        value=best[("hub", False)], baseline_name=BASELINE_NAME, baseline=best[("baseline", False)],
        target=1.2, higher_is_better=False,
        notes=[f"normal clone with checkout, protocol v2, best of {CLONE_RUNS}; --bare (no checkout) ratio "
               f"{bare_ratio:.2f}x; pack {pack_bytes / 1e6:.0f} MB; {listing}"],
    )


def clone_once(ctx: Context, clone_root: Path, url: str, repo: CloneRepo, *, bare: bool,
               side: str) -> tuple[float, int]:
    """Clone ``url`` into a fresh directory, check its main is ``repo.head``, remove it.

    Returns (wall seconds of ``git clone``, bytes of the received pack(s)).

    Raises:
        BenchError: the clone fails or has another history.
    """
    dest = clone_root / f"clone-{side}"
    remove_tree(dest)
    timeout = 120 + repo.files / 100  # far above any sane clone time; 100k files: ~18 min
    seconds, _ = git(ctx, "clone", "-q", *(["--bare"] if bare else []), url, str(dest), timeout=timeout)
    _, head = git(ctx, "-C", str(dest), "rev-parse", "HEAD")
    if head.strip() != repo.head:
        raise BenchError(f"{side} clone of {repo.name} has HEAD {head.strip()}, expected {repo.head}")
    pack_dir = dest / ("objects" if bare else ".git/objects") / "pack"
    pack_bytes = sum(p.stat().st_size for p in pack_dir.glob("*.pack"))
    remove_tree(dest)
    return seconds, pack_bytes


# --- push ----------------------------------------------------------------------------------------


def bench_push(ctx: Context) -> list[Result]:
    hub = ctx.hub
    name = "push-bench"
    hub.create_repo(name)
    host = hub.url.split("://", 1)[1]
    remote = f"http://git:{hub.token}@{host}/{hub.username}/{name}.git"
    work = ctx.root / "push-work"
    git(ctx, "clone", "-q", remote, str(work), timeout=120)
    git(ctx, "lfs", "install", "--local", cwd=work)  # clean filter + pre-push hook for this clone only
    # The locking API is not part of what is measured; without this git-lfs asks /locks/verify first.
    git(ctx, "config", "lfs.locksverify", "false", cwd=work)

    small = small_files(PUSH_SMALL_FILES, prefix="small")
    for path, content in small:
        target = work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    lfs_bytes = ctx.sizes.push_lfs_bytes
    ctx.log(f"writing {lfs_bytes / MiB:.0f} MiB LFS file and {len(small):,} small files, committing")
    write_random_file(work / "big.bin", lfs_bytes)
    git(ctx, "lfs", "track", "*.bin", cwd=work)  # already in the hub's .gitattributes; a no-op then
    git(ctx, "add", "-A", cwd=work)
    git(ctx, "commit", "-q", "-m", f"Add {len(small)} small files and big.bin", cwd=work)
    _, lfs_files = git(ctx, "lfs", "ls-files", "-n", cwd=work)
    if "big.bin" not in lfs_files.split():
        raise BenchError(f"big.bin was not stored as an LFS pointer (git lfs ls-files: {lfs_files!r})")
    _, head = git(ctx, "rev-parse", "HEAD", cwd=work)

    timeout = 120 + lfs_bytes / 10e6
    ctx.log("pushing: git lfs push, then git push")
    lfs_seconds, _ = git(ctx, "lfs", "push", "origin", "main", cwd=work, timeout=timeout)
    pack_seconds, _ = git(ctx, "push", "-q", "origin", "main", cwd=work, timeout=timeout)
    seconds = lfs_seconds + pack_seconds

    # The hub must show the pushed state at once (issue 3), with the LFS file's real size.
    info = hub.client.get(f"/api/models/{hub.username}/{name}")
    check(info, "repo_info after push")
    if info.json().get("sha") != head.strip():
        raise BenchError(f"repo_info sha {info.json().get('sha')} after push, expected {head.strip()}")
    resolved = hub.client.head(f"/{hub.username}/{name}/resolve/main/big.bin")
    check(resolved, "HEAD big.bin after push")
    if int(resolved.headers.get("x-linked-size", "-1")) != lfs_bytes:
        raise BenchError(f"big.bin after push has X-Linked-Size {resolved.headers.get('x-linked-size')}")
    remove_tree(work)

    small_bytes = sum(len(c) for _, c in small)
    total = lfs_bytes + small_bytes
    return [Result(
        name=f"git push {len(small):,} files + {lfs_bytes / MiB:.0f} MiB LFS", unit="s", value=seconds,
        baseline_name="", baseline=None, target=None,
        notes=[f"{mb_per_s(total, seconds):.0f} MB/s ({total / 1e6:.0f} MB in {seconds:.2f} s): git lfs push "
               f"{lfs_seconds:.2f} s ({mb_per_s(lfs_bytes, lfs_seconds):.0f} MB/s), git push (pack of "
               f"{len(small):,} files, {small_bytes / 1e6:.1f} MB) {pack_seconds:.2f} s"],
    )]

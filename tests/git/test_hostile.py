"""Bad input and failures over git smart HTTP (issue 3, "Bad input and failure").

Every case must leave the repository consistent: ``git fsck --strict`` clean, refs as expected, no
quarantine or temporary pack left behind, no ref locks, no per-push socket directory, no git process.
Where git cannot produce the bad input, the request is built by hand (pkt-lines, packs from
``git pack-objects``) and sent with httpx or a plain socket.
"""

from __future__ import annotations

import base64
import gzip
import os
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from huggingface_hub import CommitOperationAdd

from tests.git.conftest import LFS_THRESHOLD, Git, GitHub

ZERO = "0" * 40
PUSH_TYPE = "application/x-git-receive-pack-request"
FETCH_TYPE = "application/x-git-upload-pack-request"
# Plain git blobs (below the LFS threshold) of random bytes: the pack can be neither compressed nor deltified.
BLOB_SIZE = LFS_THRESHOLD - 64 * 1024


# --- wire helpers -------------------------------------------------------------------------------------

def pkt(data: str | bytes) -> bytes:
    data = data.encode() if isinstance(data, str) else data
    return b"%04x" % (len(data) + 4) + data


def push_request(old: str, new: str, pack: bytes, ref: str = "refs/heads/main") -> bytes:
    """A receive-pack request: one command with capabilities, a flush, then the pack."""
    return pkt(f"{old} {new} {ref}\0 report-status side-band-64k agent=khub-tests\n") + b"0000" + pack


def fetch_request(want: str, *, sideband: bool = True) -> bytes:
    """A protocol v0 upload-pack request for one commit, without negotiation."""
    caps = "side-band-64k ofs-delta" if sideband else "ofs-delta"
    return pkt(f"want {want} {caps} agent=khub-tests\n") + b"0000" + pkt("done\n")


def basic(token: str) -> str:
    return "Basic " + base64.b64encode(f"git:{token}".encode()).decode()


def post(hub: GitHub, repo_id: str, service: str, body: bytes | Iterator[bytes], *, token: str | None = None,
         content_type: str | None = None, headers: dict[str, str] | None = None,
         timeout: float = 30) -> httpx.Response:
    all_headers = {"Content-Type": content_type or f"application/x-git-{service}-request",
                   "Authorization": basic(token or hub.server.token), **(headers or {})}
    return httpx.post(f"{hub.url}/{repo_id}.git/git-{service}", content=body, headers=all_headers,
                      timeout=timeout)


def make_pack(git: Git, work: Path, new: str, old: str = ZERO) -> bytes:
    revs = f"{new}\n" + (f"^{old}\n" if old != ZERO else "")
    result = subprocess.run(["git", "pack-objects", "--stdout", "--revs", "-q"], cwd=work, env=git.env,
                            input=revs.encode(), capture_output=True, check=True)
    return result.stdout


# --- repo helpers -------------------------------------------------------------------------------------

def commit_files(git: Git, work: Path, files: dict[str, bytes], message: str = "local") -> str:
    for name, data in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_bytes(data)
    git.run("add", "-A", cwd=work)
    git.run("commit", "-q", "-m", message, cwd=work)
    return git.out("rev-parse", "HEAD", cwd=work)


def clone(hub: GitHub, git: Git, repo_id: str, work: Path) -> Path:
    git.run("clone", "-q", hub.remote(repo_id), str(work))
    return work


def fresh_repo(hub: GitHub, git: Git, tmp_path: Path) -> tuple[str, Path, str]:
    """A repo with one API commit, cloned with alice's write token; returns (repo_id, clone, main sha)."""
    repo_id = hub.new_repo()
    info = hub.api().upload_file(path_or_fileobj=b"base\n", path_in_repo="base.txt", repo_id=repo_id)
    return repo_id, clone(hub, git, repo_id, tmp_path / "work"), info.oid


def push_dirs() -> set[str]:
    """The hub's per-push socket directories (the server shares this process's temp dir)."""
    return {p.name for p in Path(tempfile.gettempdir()).glob("khub-push-*")}


def hub_git_processes(repo_dir: Path) -> list[str]:
    """Processes working on ``repo_dir``: named on their command line (upload-pack, receive-pack) or
    running inside it (their pack-objects, index-pack, hooks)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if command and (str(repo_dir) in command or cwd == str(repo_dir)):
            found.append(f"{proc.name}: {command}")
    return found


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still {what} after {timeout} s")
        time.sleep(0.05)


def quarantined(repo_dir: Path) -> bool:
    """Whether receive-pack holds pushed objects in a quarantine directory right now."""
    return any(p.name.startswith(("tmp_objdir", "incoming-")) for p in (repo_dir / "objects").iterdir())


def leftovers(repo_dir: Path) -> list[str]:
    """Quarantines, temporary packs and lock files that a finished push must not leave behind."""
    objects = repo_dir / "objects"
    found = [p for p in objects.iterdir() if p.name.startswith(("incoming-", "tmp_objdir"))]
    found += list((objects / "pack").glob("tmp_*")) + list(objects.glob("*/tmp_obj_*"))
    found += list((repo_dir / "refs").rglob("*.lock"))
    found += [repo_dir / name for name in ("HEAD.lock", "packed-refs.lock", "config.lock", "shallow.lock")
              if (repo_dir / name).exists()]
    return [str(p.relative_to(repo_dir)) for p in found]


def assert_consistent(hub: GitHub, repo_id: str, refs: dict[str, str] | None, dirs_before: set[str]) -> None:
    """No git process left on the repo, refs as given (if given), fsck clean, nothing temporary left."""
    repo_dir = hub.repo_dir(repo_id)
    wait_until(lambda: not hub_git_processes(repo_dir), 10,
               f"git processes on the repo: {hub_git_processes(repo_dir)}")
    if refs is not None:
        assert hub.refs(repo_id) == refs
    fsck = hub.bare(repo_id, "fsck", "--strict", "--no-progress", check=False)
    assert fsck.returncode == 0 and "error" not in fsck.stderr, fsck.stderr
    assert leftovers(repo_dir) == []
    # Another test's push may hold a socket directory for a moment; a leftover one never goes away.
    wait_until(lambda: not (push_dirs() - dirs_before), 10, f"new push dirs: {push_dirs() - dirs_before}")


@pytest.fixture
def dirs_before() -> set[str]:
    return push_dirs()


# --- broken packs -------------------------------------------------------------------------------------

@pytest.mark.parametrize("damage,files", [
    ("truncated", 3),  # few objects: receive-pack runs unpack-objects
    ("truncated", 120),  # over receive.unpackLimit (100): index-pack writes a temporary pack
    ("garbage", 3),
    ("garbage", 120),
    ("flipped-byte", 120),  # right length, wrong content: zlib or checksum error deep in the pack
])
def test_broken_pack_is_refused(git_hub: GitHub, git: Git, tmp_path: Path, dirs_before: set[str],
                                damage: str, files: int) -> None:
    repo_id, work, old = fresh_repo(git_hub, git, tmp_path)
    new = commit_files(git, work, {f"f/{i}.txt": os.urandom(2000) for i in range(files)})
    pack = make_pack(git, work, new, old)
    assert pack.startswith(b"PACK")
    if damage == "truncated":
        pack = pack[:len(pack) // 2]
    elif damage == "garbage":
        pack = os.urandom(len(pack))
    else:
        middle = len(pack) // 2
        pack = pack[:middle] + bytes([pack[middle] ^ 0xFF]) + pack[middle + 1:]
    refs = git_hub.refs(repo_id)

    response = post(git_hub, repo_id, "receive-pack", push_request(old, new, pack))
    assert response.status_code == 200
    assert b"unpack " in response.content and b"unpack ok" not in response.content, response.content[-500:]
    assert b"ng refs/heads/main" in response.content, response.content[-500:]
    assert_consistent(git_hub, repo_id, refs, dirs_before)
    # The repo still takes a good push of the same commit.
    git.run("push", "-q", "origin", "main", cwd=work)
    assert git_hub.refs(repo_id)["refs/heads/main"] == new


def test_malformed_object_is_refused(git_hub: GitHub, git: Git, tmp_path: Path,
                                     dirs_before: set[str]) -> None:
    """A well-formed pack carrying a broken commit (no author) is stopped by receive.fsckObjects."""
    repo_id, work, old = fresh_repo(git_hub, git, tmp_path)
    tree = git.out("rev-parse", "HEAD^{tree}", cwd=work)
    body = f"tree {tree}\nparent {old}\ncommitter X <x@example.com> 1700000000 +0000\n\nno author\n"
    bad = git.run("hash-object", "-t", "commit", "--literally", "-w", "--stdin", cwd=work,
                  input=body.encode()).stdout.strip()
    refs = git_hub.refs(repo_id)
    result = git.run("push", "origin", f"{bad}:refs/heads/main", cwd=work, check=False)
    assert result.returncode != 0
    assert "missingAuthor" in result.stderr or "fsck" in result.stderr, result.stderr
    assert_consistent(git_hub, repo_id, refs, dirs_before)


# --- refused ref updates ------------------------------------------------------------------------------

def test_refs_outside_heads_and_tags_are_refused(git_hub: GitHub, git: Git, tmp_path: Path,
                                                 dirs_before: set[str]) -> None:
    repo_id, work, _ = fresh_repo(git_hub, git, tmp_path)
    commit_files(git, work, {"new.txt": b"new\n"})
    refs = git_hub.refs(repo_id)
    # The good update (main) rides in the same push: a rejected push changes nothing at all.
    result = git.run("push", "origin", "main", "HEAD:refs/notes/x", "HEAD:refs/pull/1/head", cwd=work,
                     check=False)
    assert result.returncode != 0
    only = "remote: KohakuHub: refs/notes/x: only branches (refs/heads/) and tags (refs/tags/) can be pushed"
    assert only in result.stderr, result.stderr
    assert "remote: KohakuHub: refs/pull/1/head:" in result.stderr, result.stderr
    assert "remote: KohakuHub: push rejected; nothing was changed" in result.stderr, result.stderr
    assert_consistent(git_hub, repo_id, refs, dirs_before)


def test_non_commit_branch_tip_is_refused(git_hub: GitHub, git: Git, tmp_path: Path,
                                          dirs_before: set[str]) -> None:
    repo_id, work, _ = fresh_repo(git_hub, git, tmp_path)
    refs = git_hub.refs(repo_id)
    result = git.run("push", "origin", "HEAD^{tree}:refs/heads/a-tree", "HEAD:base.txt:refs/tags/a-blob",
                     cwd=work, check=False)
    assert result.returncode != 0
    assert "remote: KohakuHub: refs/heads/a-tree must point to a commit, not a tree" in result.stderr, \
        result.stderr
    assert "remote: KohakuHub: refs/tags/a-blob must point to a commit or tag, not a blob" in result.stderr, \
        result.stderr
    assert_consistent(git_hub, repo_id, refs, dirs_before)


def test_default_branch_cannot_be_deleted_but_others_can(git_hub: GitHub, git: Git, tmp_path: Path,
                                                         dirs_before: set[str]) -> None:
    repo_id, work, _ = fresh_repo(git_hub, git, tmp_path)
    api = git_hub.api()
    api.create_branch(repo_id, branch="dev")
    api.create_tag(repo_id, tag="v1")
    refs = git_hub.refs(repo_id)

    result = git.run("push", "origin", ":main", cwd=work, check=False)
    assert result.returncode != 0
    default = "remote: KohakuHub: refs/heads/main is the default branch and cannot be deleted"
    assert default in result.stderr, result.stderr
    # Deleting main together with a legal delete: neither happens.
    result = git.run("push", "origin", ":main", ":dev", cwd=work, check=False)
    assert result.returncode != 0
    assert_consistent(git_hub, repo_id, refs, dirs_before)

    git.run("push", "origin", ":dev", ":refs/tags/v1", cwd=work)
    del refs["refs/heads/dev"], refs["refs/tags/v1"]
    assert_consistent(git_hub, repo_id, refs, dirs_before)
    names = api.list_repo_refs(repo_id)
    assert [b.name for b in names.branches] == ["main"] and names.tags == []


def test_force_push_by_writer(git_hub: GitHub, git: Git, tmp_path: Path, dirs_before: set[str]) -> None:
    repo_id, work, _ = fresh_repo(git_hub, git, tmp_path)
    first = commit_files(git, work, {"a.txt": b"one\n"})
    git.run("push", "-q", "origin", "main", cwd=work)
    git.run("reset", "-q", "--hard", "HEAD~1", cwd=work)
    rewritten = commit_files(git, work, {"b.txt": b"two\n"}, message="rewritten")

    plain = git.run("push", "origin", "main", cwd=work, check=False)
    assert plain.returncode != 0 and "non-fast-forward" in plain.stderr, plain.stderr
    git.run("push", "-q", "--force", "origin", "main", cwd=work)
    assert git_hub.refs(repo_id)["refs/heads/main"] == rewritten
    assert git_hub.api().repo_info(repo_id).sha == rewritten
    assert sorted(git_hub.api().list_repo_files(repo_id)) == [".gitattributes", "b.txt", "base.txt"]
    assert git_hub.bare(repo_id, "merge-base", "--is-ancestor", first, "main", check=False).returncode == 1
    assert_consistent(git_hub, repo_id, None, dirs_before)


# --- races with API commits ---------------------------------------------------------------------------

def test_push_racing_an_api_commit_is_told_to_fetch(git_hub: GitHub, git: Git, tmp_path: Path,
                                                    dirs_before: set[str]) -> None:
    repo_id, work, old = fresh_repo(git_hub, git, tmp_path)
    mine = commit_files(git, work, {"pushed.txt": b"from git\n"})
    theirs = git_hub.api().upload_file(path_or_fileobj=b"from api\n", path_in_repo="api.txt",
                                       repo_id=repo_id).oid
    refs = git_hub.refs(repo_id)

    # git sees the new tip in the advertisement and refuses to overwrite it.
    result = git.run("push", "origin", "main", cwd=work, check=False)
    assert result.returncode != 0 and "rejected" in result.stderr, result.stderr
    assert "fetch first" in result.stderr or "non-fast-forward" in result.stderr, result.stderr
    # A client that read the refs before the API commit (the request built by hand) is refused by the hub.
    stale = push_request(old, mine, make_pack(git, work, mine, old))
    response = post(git_hub, repo_id, "receive-pack", stale)
    assert b"unpack ok" in response.content, response.content[-500:]
    assert b"KohakuHub: refs/heads/main changed on the hub since you fetched" in response.content
    assert b"ng refs/heads/main" in response.content
    assert_consistent(git_hub, repo_id, refs, dirs_before)

    git.run("pull", "-q", "--rebase", "origin", "main", cwd=work)
    git.run("push", "-q", "origin", "main", cwd=work)
    head = git.out("rev-parse", "HEAD", cwd=work)
    assert git_hub.api().repo_info(repo_id).sha == head
    assert git_hub.bare(repo_id, "merge-base", "--is-ancestor", theirs, head, check=False).returncode == 0
    files = git_hub.api().list_repo_files(repo_id)
    assert {"api.txt", "pushed.txt", "base.txt"} <= set(files)
    assert_consistent(git_hub, repo_id, None, dirs_before)


def test_push_concurrent_with_api_commits(git_hub: GitHub, git: Git, tmp_path: Path,
                                          dirs_before: set[str]) -> None:
    """API commits keep landing on main for as long as a fast-forward push runs."""
    repo_id, work, _ = fresh_repo(git_hub, git, tmp_path)
    mine = commit_files(git, work, {f"pushed/{i}.txt": os.urandom(5000) for i in range(50)})
    api = git_hub.api()
    start = threading.Barrier(4)
    push_done = threading.Event()

    def api_commits(worker: int) -> list[str]:
        start.wait()
        oids: list[str] = []
        while len(oids) < 2 or (not push_done.is_set() and len(oids) < 20):
            oids.append(api.upload_file(path_or_fileobj=f"{worker}-{len(oids)}\n".encode(),
                                        path_in_repo=f"api/{worker}-{len(oids)}.txt", repo_id=repo_id).oid)
        return oids

    def push() -> subprocess.CompletedProcess[str]:
        start.wait()
        try:
            return git.run("push", "origin", "main", cwd=work, check=False)
        finally:
            push_done.set()

    with ThreadPoolExecutor(4) as pool:
        committers = [pool.submit(api_commits, worker) for worker in range(3)]
        pushed = pool.submit(push)
        per_worker = [future.result() for future in committers]
        result = pushed.result()
    api_oids = [oid for oids in per_worker for oid in oids]

    head = git_hub.refs(repo_id)["refs/heads/main"]
    assert git_hub.bare(repo_id, "rev-list", "--merges", head).stdout == ""  # linear
    history = git_hub.bare(repo_id, "rev-list", head).stdout.split()
    assert set(api_oids) <= set(history), "an API commit was lost"
    files = set(api.list_repo_files(repo_id))
    assert {f"api/{w}-{i}.txt" for w, oids in enumerate(per_worker) for i in range(len(oids))} <= files
    if result.returncode == 0:
        assert mine in history and "pushed/0.txt" in files
    else:
        told = ("fetch first", "KohakuHub: refs/heads/main changed on the hub")
        assert any(reason in result.stderr for reason in told), result.stderr
        assert mine not in history and "pushed/0.txt" not in files
    assert_consistent(git_hub, repo_id, None, dirs_before)


# --- clients that go away -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def big_repo(git_hub: GitHub) -> tuple[str, str]:
    """A repo with 8 MB of incompressible plain git blobs: its pack cannot be sent in one go."""
    repo_id = git_hub.new_repo()
    ops = [CommitOperationAdd(f"blob{i}.dat", os.urandom(BLOB_SIZE)) for i in range(8)]
    info = git_hub.api().create_commit(repo_id, operations=ops, commit_message="big")
    # Stored in git, not LFS, so they are in the clone's pack.
    assert int(git_hub.bare(repo_id, "cat-file", "-s", "HEAD:blob0.dat").stdout) == BLOB_SIZE
    return repo_id, info.oid


def open_post(hub: GitHub, repo_id: str, service: str, length: int, *,
              rcvbuf: int | None = None) -> socket.socket:
    """Start a POST by hand (headers only), so the test controls exactly how much body is sent and read."""
    host, port = hub.url.removeprefix("http://").split(":")
    sock = socket.socket()
    if rcvbuf:  # a small receive window: the hub cannot park the whole answer in kernel buffers
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(30)
    sock.connect((host, int(port)))
    sock.sendall((f"POST /{repo_id}.git/git-{service} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                  f"Authorization: {basic(hub.server.token)}\r\n"
                  f"Content-Type: application/x-git-{service}-request\r\n"
                  f"Content-Length: {length}\r\n\r\n").encode())
    return sock


def test_client_disconnect_mid_clone_stops_git(git_hub: GitHub, git: Git, big_repo: tuple[str, str],
                                               tmp_path: Path) -> None:
    repo_id, head = big_repo
    repo_dir = git_hub.repo_dir(repo_id)
    body = fetch_request(head)
    sock = open_post(git_hub, repo_id, "upload-pack", len(body), rcvbuf=16384)
    try:
        sock.sendall(body)
        received = sock.recv(4096)
        assert received.startswith(b"HTTP/1.1 200"), received[:200]
        time.sleep(0.3)
        # The client reads no more: git is stuck writing the pack, not finished.
        assert hub_git_processes(repo_dir), "git finished before the client left; the test proves nothing"
    finally:
        sock.close()
    wait_until(lambda: not hub_git_processes(repo_dir), 5,
               f"serving a gone client: {hub_git_processes(repo_dir)}")
    # The hub still serves this repo, completely.
    work = tmp_path / "c"
    git.run("clone", "-q", git_hub.remote(repo_id, ""), str(work))
    assert git.out("rev-parse", "HEAD", cwd=work) == head
    assert (work / "blob7.dat").stat().st_size == BLOB_SIZE


def test_client_disconnect_mid_clone_httpx(git_hub: GitHub, big_repo: tuple[str, str]) -> None:
    repo_id, head = big_repo
    repo_dir = git_hub.repo_dir(repo_id)
    small_window = httpx.HTTPTransport(socket_options=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)])
    headers = {"Content-Type": FETCH_TYPE, "Authorization": basic(git_hub.server.token)}
    with httpx.Client(timeout=30, transport=small_window) as client, \
            client.stream("POST", f"{git_hub.url}/{repo_id}.git/git-upload-pack", content=fetch_request(head),
                          headers=headers) as response:
        assert response.status_code == 200
        # Keep the iterator: dropping it would already close the connection.
        chunks = response.iter_raw(65536)
        assert next(chunks).startswith(b"0008NAK\n")
        time.sleep(0.3)
        assert hub_git_processes(repo_dir), "git finished before the client left; the test proves nothing"
        chunks.close()  # httpx closes the connection: the client is gone mid-pack
    wait_until(lambda: not hub_git_processes(repo_dir), 5,
               f"serving a gone client: {hub_git_processes(repo_dir)}")
    refs = httpx.get(f"{git_hub.url}/{repo_id}.git/info/refs?service=git-upload-pack", timeout=30)
    assert refs.status_code == 200 and head.encode() in refs.content


def test_client_disconnect_mid_push_socket(git_hub: GitHub, git: Git, tmp_path: Path,
                                           dirs_before: set[str]) -> None:
    """The client sends half of a large push and hangs up while git waits for the rest."""
    repo_id, work, old = fresh_repo(git_hub, git, tmp_path)
    new = commit_files(git, work, {f"b{i}.bin": os.urandom(BLOB_SIZE) for i in range(4)})
    body = push_request(old, new, make_pack(git, work, new, old))
    refs = git_hub.refs(repo_id)
    repo_dir = git_hub.repo_dir(repo_id)
    sock = open_post(git_hub, repo_id, "receive-pack", len(body))
    try:
        sock.sendall(body[:len(body) // 2])
        wait_until(lambda: any("receive-pack" in p for p in hub_git_processes(repo_dir)), 10,
                   "without a receive-pack for the push")
        wait_until(lambda: quarantined(repo_dir), 10, "without a quarantine (git has not received any pack)")
    finally:
        sock.close()
    assert_consistent(git_hub, repo_id, refs, dirs_before)
    git.run("push", "-q", "origin", "main", cwd=work)  # and the same push, whole, works
    assert git_hub.refs(repo_id)["refs/heads/main"] == new


def test_client_disconnect_mid_push_httpx(git_hub: GitHub, git: Git, tmp_path: Path,
                                          dirs_before: set[str]) -> None:
    """The request body generator breaks off: httpx drops the connection mid-body."""
    repo_id, work, old = fresh_repo(git_hub, git, tmp_path)
    new = commit_files(git, work, {f"b{i}.bin": os.urandom(BLOB_SIZE) for i in range(3)})
    body = push_request(old, new, make_pack(git, work, new, old))
    refs = git_hub.refs(repo_id)

    class Gone(Exception):
        pass

    repo_dir = git_hub.repo_dir(repo_id)

    def broken_body() -> Iterator[bytes]:
        half = len(body) // 2  # the *.bin files are LFS pointers here: the whole body is under 1 KiB
        for start in range(0, half, 64 * 1024):
            yield body[start:min(start + 64 * 1024, half)]
        # Git holds part of the pack in its quarantine when the client goes.
        wait_until(lambda: quarantined(repo_dir), 10, "without a quarantine")
        raise Gone

    with pytest.raises(Gone):
        post(git_hub, repo_id, "receive-pack", broken_body())
    assert_consistent(git_hub, repo_id, refs, dirs_before)


# --- request encoding ---------------------------------------------------------------------------------

def test_gzip_request_bodies(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    repo_id, work, head = fresh_repo(git_hub, git, tmp_path)
    # v2 ls-refs, gzipped.
    ls_refs = pkt("command=ls-refs\n") + pkt("agent=khub-tests\n") + b"0001" + pkt("symrefs\n") + b"0000"
    response = post(git_hub, repo_id, "upload-pack", gzip.compress(ls_refs),
                    headers={"Content-Encoding": "gzip", "Git-Protocol": "version=2"})
    assert response.status_code == 200
    assert f"{head} HEAD symref-target:refs/heads/main\n".encode() in response.content, response.content
    # v0 fetch, gzipped: the answer is NAK and a pack git can index.
    response = post(git_hub, repo_id, "upload-pack", gzip.compress(fetch_request(head, sideband=False)),
                    headers={"Content-Encoding": "gzip"})
    assert response.content.startswith(b"0008NAK\nPACK"), response.content[:100]
    check = tmp_path / "check.git"
    git.run("init", "-q", "--bare", str(check))
    git.run("index-pack", "--stdin", cwd=check, input=response.content[8:])
    git.run("cat-file", "-e", f"{head}:base.txt", cwd=check)

    # A gzipped push body (git never sends one, but the hub accepts gzip on both services).
    new = commit_files(git, work, {"gz.txt": b"gzipped push\n"})
    body = gzip.compress(push_request(head, new, make_pack(git, work, new, head)))
    response = post(git_hub, repo_id, "receive-pack", body, headers={"Content-Encoding": "gzip"})
    assert b"unpack ok" in response.content and b"ok refs/heads/main" in response.content, response.content
    assert git_hub.refs(repo_id)["refs/heads/main"] == new


def test_git_gzips_large_negotiations(git_hub: GitHub, git: Git, tmp_path: Path) -> None:
    """git gzips a request body over 1 KiB: a clone wanting 40 branch tips sends one."""
    repo_id, work, _ = fresh_repo(git_hub, git, tmp_path)
    stream = "".join(  # 40 branches, each on its own commit of one chain, written by one fast-import
        f"commit refs/heads/b{i:02d}\nmark :{i + 1}\ncommitter T <t@example.com> {1700000000 + i} +0000\n"
        f"data 4\nc{i:02d}\n" + (f"from :{i}\n" if i else "from refs/heads/main\n") + "\n" for i in range(40))
    git.run("fast-import", "--quiet", cwd=work, input=stream.encode())
    git.run("push", "-q", "origin", "--all", cwd=work)
    for version in ("0", "2"):
        target = tmp_path / f"clone-v{version}"
        env_before = dict(git.env)
        git.env["GIT_TRACE_CURL"] = "1"
        git.env["GIT_TRACE_CURL_NO_DATA"] = "1"
        try:
            result = git.run("-c", f"protocol.version={version}", "clone", "--no-checkout",
                             git_hub.remote(repo_id, ""), str(target))
        finally:
            git.env.clear()
            git.env.update(env_before)
        assert "Content-Encoding: gzip" in result.stderr, f"git sent no gzip body (v{version})"
        assert len(git.out("branch", "-r", cwd=target).splitlines()) == 42  # 40 + main + origin/HEAD


@pytest.mark.parametrize("service", ["upload-pack", "receive-pack"])
@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_gzip_body_fails_cleanly(git_hub: GitHub, git: Git, tmp_path: Path, dirs_before: set[str],
                                         service: str, damage: str) -> None:
    repo_id, work, head = fresh_repo(git_hub, git, tmp_path)
    if service == "upload-pack":
        body = gzip.compress(fetch_request(head))
    else:
        new = commit_files(git, work, {"x.txt": os.urandom(3000)})
        body = gzip.compress(push_request(head, new, make_pack(git, work, new, head)))
    body = os.urandom(len(body)) if damage == "garbage" else body[:len(body) // 2]
    refs = git_hub.refs(repo_id)
    started = time.monotonic()
    response = post(git_hub, repo_id, service, body, headers={"Content-Encoding": "gzip"}, timeout=10)
    assert time.monotonic() - started < 8  # a hang would last the hub's 30 s exit grace
    # Refused with a reason: a 400 naming the body's problem, or (once git has answered) git's own failure
    # report. Never a success, and never an empty 200 that tells the client nothing.
    assert response.status_code in (200, 400), (response.status_code, response.text)
    if response.status_code == 400:
        assert "gzip" in response.text, response.text
    else:
        assert b"PACK" not in response.content and b"unpack ok" not in response.content, \
            response.content[:300]
        assert b"unpack " in response.content or b"ERR " in response.content, \
            f"200 with no failure report: {response.content[:300]!r}"
    assert_consistent(git_hub, repo_id, refs, dirs_before)
    git.run("ls-remote", "origin", cwd=work)  # the hub still serves the repo


def test_wrong_content_type_and_dumb_http(git_hub: GitHub) -> None:
    repo_id = git_hub.new_repo()
    token = git_hub.server.token
    for service, content_type in (("upload-pack", "text/plain"), ("upload-pack", PUSH_TYPE),
                                  ("receive-pack", FETCH_TYPE), ("receive-pack", "application/octet-stream")):
        response = post(git_hub, repo_id, service, b"0000", content_type=content_type)
        assert response.status_code == 400, (service, content_type, response.status_code)
        assert f"application/x-git-{service}-request" in response.text
    response = post(git_hub, repo_id, "upload-pack", b"0000", headers={"Content-Encoding": "br"})
    assert response.status_code == 400 and "Content-Encoding" in response.text
    for query in ("", "?service=git-bogus", "?service=upload-pack"):
        response = httpx.get(f"{git_hub.url}/{repo_id}.git/info/refs{query}", auth=("git", token), timeout=30)
        assert response.status_code == 400, (query, response.status_code)
        assert "smart HTTP" in response.text and "service=git-upload-pack" in response.text

"""Contract suite of the BlobStore port, run on every adapter.

To add an adapter (S3...), add one entry to ``ADAPTERS``: a factory taking the pytest ``request`` (to pull
fixtures such as an S3 server with ``request.getfixturevalue``) and a scratch directory.
Tests after the "local adapter only" marker cover LocalBlobStore specifics (layout, temp files, crashes).
"""

from __future__ import annotations

import errno
import hashlib
import os
import random
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from kohakuhub.errors import NotFoundError
from kohakuhub.storage.base import BlobStore, lfs_key
from kohakuhub.storage.local import TMP_DIR_NAME, LocalBlobStore
from kohakuhub.storage.memory import MemoryBlobStore
from tests.s3_support import s3_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
MiB = 1 << 20

def _s3_store(request: pytest.FixtureRequest, tmp: Path) -> BlobStore:
    from kohakuhub.storage.s3 import S3BlobStore

    settings = s3_settings()  # a fresh bucket on the tests' MinIO server
    store = S3BlobStore(bucket=str(settings["s3_bucket"]), endpoint=str(settings["s3_endpoint"]),
                        access_key=str(settings["s3_access_key"]), secret_key=str(settings["s3_secret_key"]))
    store.ensure_bucket()
    return store


ADAPTERS: dict[str, Callable[[pytest.FixtureRequest, Path], BlobStore]] = {
    "memory": lambda request, tmp: MemoryBlobStore(),
    "local": lambda request, tmp: LocalBlobStore(tmp / "blobs"),
    "s3": _s3_store,
}


@pytest.fixture(params=list(ADAPTERS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    return ADAPTERS[request.param](request, tmp_path)


@pytest.fixture
def local_store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def read_all(store: BlobStore, key: str, **kwargs) -> bytes:
    return b"".join(store.read_range(key, **kwargs))


def make_src(directory: Path, data: bytes, name: str = "upload.bin") -> Path:
    src = directory / name
    src.write_bytes(data)
    return src


DATA = bytes(range(256)) * 4  # 1024 bytes, every offset distinguishable modulo 256


# --- basic objects ---------------------------------------------------------------------------------


def test_put_bytes_then_stat_exists_read(store):
    store.put_bytes("lfs/aa/bb/obj", DATA)
    assert store.stat("lfs/aa/bb/obj") == len(DATA)
    assert store.exists("lfs/aa/bb/obj")
    assert read_all(store, "lfs/aa/bb/obj") == DATA


def test_lfs_key_is_a_valid_key(store):
    oid = hashlib.sha256(b"hello").hexdigest()
    store.put_bytes(lfs_key(oid), b"hello")
    assert read_all(store, lfs_key(oid)) == b"hello"


def test_empty_object(store):
    store.put_bytes("empty", b"")
    assert store.stat("empty") == 0
    assert store.exists("empty")
    assert list(store.read_range("empty")) == []  # no chunks at all, not one empty chunk
    assert list(store.list_keys()) == ["empty"]


def test_missing_key(store):
    assert store.stat("lfs/no/pe/missing") is None
    assert not store.exists("lfs/no/pe/missing")
    chunks = store.read_range("lfs/no/pe/missing")  # lazy: calling does not raise
    with pytest.raises(NotFoundError):
        next(chunks)


def test_directory_prefix_is_not_an_object(store):
    store.put_bytes("lfs/aa/bb/obj", DATA)
    for prefix in ("lfs", "lfs/aa", "lfs/aa/bb"):
        assert store.stat(prefix) is None
        assert not store.exists(prefix)
        with pytest.raises(NotFoundError):
            next(store.read_range(prefix))
        store.delete(prefix)  # a no-op, and it must not remove the objects below it
    assert read_all(store, "lfs/aa/bb/obj") == DATA


def test_local_path_is_none_or_the_object_bytes(store):
    store.put_bytes("a/b", DATA)
    path = store.local_path("a/b")
    assert path is None or path.read_bytes() == DATA
    assert store.local_path("a/missing") is None


def test_put_bytes_copies_a_mutable_buffer(store):
    buf = bytearray(b"original")
    store.put_bytes("k", buf)
    buf[:] = b"mutated!"
    assert read_all(store, "k") == b"original"


# --- ranges and chunks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, None, DATA),
        (0, 1024, DATA),
        (10, None, DATA[10:]),
        (10, 20, DATA[10:20]),
        (1023, None, DATA[1023:]),
        (1023, 1024, DATA[1023:]),
        (0, 1, DATA[:1]),
        (5, 5, b""),  # empty range
        (1024, None, b""),  # start at the end
        (2000, None, b""),  # start past the end: nothing, the caller decides about 416
        (10, 5000, DATA[10:]),  # end past the size is clamped
        (1024, 2000, b""),
    ],
)
def test_read_range(store, start, end, expected):
    store.put_bytes("obj", DATA)
    assert read_all(store, "obj", start=start, end=end) == expected


@pytest.mark.parametrize("chunk_size", [1, 7, 1000, 1024, 1025, MiB])
@pytest.mark.parametrize(("start", "end"), [(0, None), (3, 1000)])
def test_read_range_chunk_sizes(store, chunk_size, start, end):
    store.put_bytes("obj", DATA)
    chunks = list(store.read_range("obj", start=start, end=end, chunk_size=chunk_size))
    assert b"".join(chunks) == DATA[start:end]
    assert all(0 < len(c) <= chunk_size for c in chunks)


@pytest.mark.parametrize(
    "kwargs", [{"start": -1}, {"start": 10, "end": 5}, {"chunk_size": 0}, {"chunk_size": -5}]
)
def test_read_range_rejects_bad_arguments(store, kwargs):
    store.put_bytes("obj", DATA)
    with pytest.raises(ValueError):
        list(store.read_range("obj", **kwargs))


def test_read_started_before_overwrite_sees_one_version(store):
    old, new = b"o" * (3 * 1000), b"n" * (5 * 1000)
    store.put_bytes("obj", old)
    chunks = store.read_range("obj", chunk_size=1000)
    first = next(chunks)
    store.put_bytes("obj", new)
    assert first + b"".join(chunks) == old
    assert read_all(store, "obj") == new


def test_large_object_streamed_in_chunks(store):
    data = random.Random(1234).randbytes(20 * MiB)
    digest = hashlib.sha256(data).hexdigest()
    store.put_bytes("big", data)
    assert store.stat("big") == len(data)
    for chunk_size in (MiB, 65537):
        hasher, largest = hashlib.sha256(), 0
        for chunk in store.read_range("big", chunk_size=chunk_size):
            hasher.update(chunk)
            largest = max(largest, len(chunk))
        assert hasher.hexdigest() == digest
        assert largest <= chunk_size
    assert read_all(store, "big", start=7 * MiB + 3, end=9 * MiB) == data[7 * MiB + 3 : 9 * MiB]


# --- put_file, overwrite, delete -------------------------------------------------------------------


def test_put_file_consumes_src(store, tmp_path):
    src = make_src(tmp_path, DATA)
    store.put_file("lfs/aa/bb/from-file", src)
    assert not src.exists()
    assert store.stat("lfs/aa/bb/from-file") == len(DATA)
    assert read_all(store, "lfs/aa/bb/from-file") == DATA


def test_put_file_missing_src_publishes_nothing(store, tmp_path):
    with pytest.raises(FileNotFoundError):
        store.put_file("k", tmp_path / "nope.bin")
    assert not store.exists("k")


def test_overwrite(store, tmp_path):
    store.put_bytes("k", b"first version, longer")
    store.put_bytes("k", b"second")
    assert store.stat("k") == len(b"second")
    assert read_all(store, "k") == b"second"
    store.put_file("k", make_src(tmp_path, b"third via file"))
    assert read_all(store, "k") == b"third via file"
    assert list(store.list_keys()) == ["k"]


def test_delete(store):
    store.put_bytes("a/b", DATA)
    store.delete("a/b")
    assert store.stat("a/b") is None
    assert not store.exists("a/b")
    assert list(store.list_keys()) == []
    store.delete("a/b")  # deleting again (missing key) is not an error
    store.delete("never/existed")
    store.put_bytes("a/b", b"back")  # and the key can be reused
    assert read_all(store, "a/b") == b"back"


# --- listing ---------------------------------------------------------------------------------------

KEYS = ["lfs/aa/bb/x1", "lfs/aa/cc/x2", "lfs/ab/cd/x3", "other/y", "top"]


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("", KEYS),
        ("lfs/", KEYS[:3]),
        ("lfs/a", KEYS[:3]),
        ("lfs/aa/", KEYS[:2]),
        ("lfs/aa", KEYS[:2]),
        ("lfs/aa/b", KEYS[:1]),  # a prefix may end inside a segment
        ("lfs/aa/bb/x1", KEYS[:1]),
        ("lfs/aa/bb/x1/", []),
        ("t", ["top"]),
        ("nope", []),
        ("nope/deeper/", []),
        ("../", []),
    ],
)
def test_list_keys_with_prefix(store, prefix, expected):
    for key in KEYS:
        store.put_bytes(key, key.encode())
    assert sorted(store.list_keys(prefix)) == sorted(expected)


def test_list_keys_on_empty_store(store):
    assert list(store.list_keys()) == []
    assert list(store.list_keys("lfs/")) == []


# --- concurrency -----------------------------------------------------------------------------------


def run_threads(n: int, target: Callable[[int], None]) -> None:
    """Run ``target(i)`` in n threads released together, re-raising the first error."""
    barrier, errors = threading.Barrier(n), []

    def body(i: int) -> None:
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:  # noqa: BLE001 - collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_concurrent_put_same_key_leaves_a_complete_object(store, tmp_path):
    # Distinct payloads of one size: a torn write would mix bytes of two payloads.
    payloads = [bytes([i]) * (2 * MiB) for i in range(8)]

    def put(i: int) -> None:
        if i % 2:
            store.put_file("lfs/aa/bb/same", make_src(tmp_path, payloads[i], f"src{i}"))
        else:
            store.put_bytes("lfs/aa/bb/same", payloads[i])

    run_threads(8, put)
    assert read_all(store, "lfs/aa/bb/same") in payloads
    assert list(store.list_keys()) == ["lfs/aa/bb/same"]


def test_readers_never_see_a_partial_object(store):
    payloads = [bytes([i]) * MiB for i in range(6)]
    store.put_bytes("k", payloads[0])
    seen: list[bytes] = []

    def work(i: int) -> None:
        if i < 3:
            for p in payloads:
                store.put_bytes("k", p)
        else:
            for _ in range(10):
                seen.append(read_all(store, "k", chunk_size=64 * 1024))

    run_threads(6, work)
    assert seen and all(s in payloads for s in seen)


# --- keys ------------------------------------------------------------------------------------------

INVALID_KEYS = [
    "", "/abs", "a//b", "a/", "/", "..", "../x", "a/../b", ".", "./a", "a/./b",
    "a b", "a\\b", "a\nb", "lfs/aa/bb/sha\n", "é", "a\x00b", "a:b", f"{TMP_DIR_NAME}/x", TMP_DIR_NAME,
]  # fmt: skip


@pytest.mark.parametrize("key", INVALID_KEYS)
def test_invalid_keys_rejected(store, tmp_path, key):
    src = make_src(tmp_path, DATA)
    operations = {
        "put_bytes": lambda: store.put_bytes(key, DATA),
        "put_file": lambda: store.put_file(key, src),
        "stat": lambda: store.stat(key),
        "exists": lambda: store.exists(key),
        "read_range": lambda: store.read_range(key),  # at call time, not on first next
        "delete": lambda: store.delete(key),
    }
    for name, operation in operations.items():
        with pytest.raises(ValueError):
            operation()
            pytest.fail(f"{name}({key!r}) accepted an invalid key")
    assert src.exists()  # a rejected put_file does not consume its source
    assert list(store.list_keys()) == []


@pytest.mark.parametrize("key", ["a", ".hidden", "a.b-c_d", "A/B/C", f"x/{TMP_DIR_NAME}/y", ".tmpx/y", "..a"])
def test_unusual_valid_keys_accepted(store, key):
    store.put_bytes(key, b"v")
    assert read_all(store, key) == b"v"
    assert list(store.list_keys()) == [key]


# --- local adapter only ----------------------------------------------------------------------------


def test_local_layout_and_local_path(local_store):
    local_store.put_bytes("lfs/aa/bb/obj", DATA)
    path = local_store.root / "lfs/aa/bb/obj"
    assert path.read_bytes() == DATA
    assert local_store.local_path("lfs/aa/bb/obj") == path
    assert local_store.local_path("lfs/aa") is None  # a directory is not an object
    with pytest.raises(ValueError):  # local_path builds a path, so it must refuse an escaping key
        local_store.local_path("../blobs-sibling")


def test_local_creates_directories_lazily(tmp_path):
    store = LocalBlobStore(tmp_path / "not" / "yet")
    assert store.stat("k") is None
    assert list(store.list_keys()) == []
    assert store.cleanup_tmp(0) == 0
    store.delete("k")
    assert not (tmp_path / "not").exists()
    store.put_bytes("k", b"v")
    assert (tmp_path / "not" / "yet" / "k").read_bytes() == b"v"


def test_local_put_leaves_no_temp_files(local_store, tmp_path):
    local_store.put_bytes("a", DATA)
    local_store.put_file("b", make_src(tmp_path, DATA))
    assert list(local_store.tmp_dir.iterdir()) == []


def test_local_put_file_across_filesystems_copies(local_store):
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == local_store.root.parent.stat().st_dev:
        pytest.skip("needs /dev/shm on another filesystem than the test directory")
    src = make_src(shm, DATA, f"kohaku-contract-{os.getpid()}")
    try:
        local_store.put_file("lfs/aa/bb/x", src)
        assert not src.exists()
    finally:
        src.unlink(missing_ok=True)  # /dev/shm is not a pytest tmp dir
    assert read_all(local_store, "lfs/aa/bb/x") == DATA
    assert list(local_store.tmp_dir.iterdir()) == []


def test_local_put_file_falls_back_to_copy_on_exdev(local_store, tmp_path, monkeypatch):
    # Same st_dev but different mount points (bind mounts) still make rename fail with EXDEV.
    real_replace = os.replace

    def replace(src, dst):
        if Path(src).parent != local_store.tmp_dir:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    src = make_src(tmp_path, DATA)
    local_store.put_file("k", src)
    assert not src.exists()
    assert read_all(local_store, "k") == DATA


def test_local_killed_writer_leaves_no_visible_object(local_store):
    # A real process dies after writing its temp file but before the rename (os.fsync is made fatal).
    script = textwrap.dedent(
        """
        import os, sys
        from pathlib import Path
        from kohakuhub.storage.local import LocalBlobStore

        store = LocalBlobStore(Path(sys.argv[1]))
        store.put_bytes("lfs/aa/bb/ok", b"ok")
        os.fsync = lambda fd: os._exit(9)
        store.put_bytes("lfs/aa/bb/victim", b"x" * 100_000)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run([sys.executable, "-c", script, str(local_store.root)], env=env, check=False)
    assert proc.returncode == 9

    leftovers = list(local_store.tmp_dir.iterdir())
    assert len(leftovers) == 1 and leftovers[0].stat().st_size == 100_000
    assert sorted(local_store.list_keys()) == ["lfs/aa/bb/ok"]
    assert local_store.stat("lfs/aa/bb/victim") is None
    with pytest.raises(NotFoundError):
        next(local_store.read_range("lfs/aa/bb/victim"))
    with pytest.raises(ValueError):  # the temp file is not addressable as a key either
        local_store.stat(f"{TMP_DIR_NAME}/{leftovers[0].name}")

    assert local_store.cleanup_tmp(3600) == 0  # fresh: might be a live writer
    os.utime(leftovers[0], (0, 0))
    assert local_store.cleanup_tmp(3600) == 1
    assert list(local_store.tmp_dir.iterdir()) == []
    assert read_all(local_store, "lfs/aa/bb/ok") == b"ok"


def test_local_failed_write_cleans_its_temp_file(local_store, monkeypatch):
    local_store.put_bytes("warmup", b"")  # create .tmp before breaking fsync

    def broken_fsync(fd):
        raise OSError(errno.EIO, "disk on fire")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        local_store.put_bytes("k", DATA)
    assert list(local_store.tmp_dir.iterdir()) == []
    assert local_store.stat("k") is None

"""The in-process pack writer, checked against git itself (verify-pack, fsck, index-pack) and libgit2."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import zlib
from pathlib import Path

import pygit2
import pytest

from kohakuhub.versioning.git.opening import RepoCache
from kohakuhub.versioning.git.packwriter import (
    blob_id,
    deflate,
    index_bytes,
    object_header,
    write_pack,
)


@pytest.fixture
def repo_dir(tmp_path: Path) -> Path:
    path = tmp_path / "r.git"
    pygit2.init_repository(str(path), bare=True)
    return path


def git(repo_dir: Path, *args: str, stdin: bytes | None = None) -> str:
    result = subprocess.run(["git", "--git-dir", str(repo_dir), *args], input=stdin, capture_output=True,
                            check=True)
    return result.stdout.decode().strip()


def pack_files(repo_dir: Path) -> list[str]:
    return sorted(os.listdir(repo_dir / "objects" / "pack"))


def sample_blobs() -> list[bytes]:
    rnd = random.Random(7)
    blobs = [b"", b"a", b"x" * 15, b"y" * 16, b"hello\n", bytes(range(256)) * 9]
    blobs += [rnd.randbytes(rnd.randrange(0, 3000)) for _ in range(200)]
    blobs += [b"line %d\n" % i * (i % 50) for i in range(200)]
    blobs.append(rnd.randbytes(3 << 20))  # multi-byte size varint, full 32 KiB window
    return blobs


def decode_header(data: bytes) -> tuple[int, int, int]:
    """(type, size, header length) of a pack entry header: the reference decoding of git's unpack."""
    byte = data[0]
    obj_type, size, shift, i = (byte >> 4) & 7, byte & 0x0F, 4, 1
    while byte & 0x80:
        byte = data[i]
        size |= (byte & 0x7F) << shift
        shift += 7
        i += 1
    return obj_type, size, i


@pytest.mark.parametrize("size", [0, 1, 15, 16, 127, 2047, 2048, 1 << 20, (1 << 32) + 5])
def test_object_header_round_trips(size):
    header = object_header(3, size)
    assert decode_header(header) == (3, size, len(header))


@pytest.mark.parametrize("size", [0, 1, 200, 250, 5000, 40000, 1 << 20])
def test_deflate_is_plain_zlib(size):
    data = random.Random(size).randbytes(size // 2) + b"z" * (size - size // 2)
    assert zlib.decompress(deflate(data)) == data


def test_pack_is_valid_git(repo_dir):
    blobs = sample_blobs()
    ids = write_pack(repo_dir / "objects" / "pack", blobs)

    assert ids == [blob_id(b) for b in blobs]
    for data in (b"", b"hello\n", blobs[-1]):
        assert git(repo_dir, "hash-object", "--stdin", stdin=data) == ids[blobs.index(data)]
    names = pack_files(repo_dir)
    assert len(names) == 2 and names[0].endswith(".idx") and names[1].endswith(".pack")
    pack = repo_dir / "objects" / "pack" / names[1]
    trailer = pack.read_bytes()[-20:]
    assert names[1] == f"pack-{trailer.hex()}.pack"  # named after its checksum, like git
    assert (pack.stat().st_mode & 0o777) == 0o444

    listing = git(repo_dir, "verify-pack", "-v", str(pack.with_suffix(".idx")))
    unique = set(ids)
    assert f"non delta: {len(unique)} objects" in listing
    listed = {line.split()[0] for line in listing.splitlines() if " blob " in line}
    assert listed == unique
    git(repo_dir, "fsck", "--strict")  # dangling blobs are fine (no commit refers to them yet)


def test_index_is_byte_identical_to_git_index_pack(repo_dir, tmp_path):
    write_pack(repo_dir / "objects" / "pack", sample_blobs())
    ours = next((repo_dir / "objects" / "pack").glob("*.idx")).read_bytes()
    pack = next((repo_dir / "objects" / "pack").glob("*.pack"))
    theirs = tmp_path / "git.idx"
    git(repo_dir, "index-pack", "-o", str(theirs), str(pack))
    assert ours == theirs.read_bytes()


def test_large_offsets_match_git(repo_dir, tmp_path):
    """Offsets past 2^31 go to the 8-byte table; git moves smaller ones there with --index-version=2,N."""
    write_pack(repo_dir / "objects" / "pack", sample_blobs())
    pack = next((repo_dir / "objects" / "pack").glob("*.pack"))
    data = pack.read_bytes()
    entries = []
    offset = 12
    while offset < len(data) - 20:  # walk the pack: every entry is a whole deflated blob
        obj_type, size, header_len = decode_header(data[offset:offset + 16])
        stream = zlib.decompressobj()
        content = stream.decompress(data[offset + header_len:])
        end = len(data) - len(stream.unused_data)
        assert obj_type == 3 and len(content) == size
        oid = hashlib.sha1(b"blob %d\0" % size + content).digest()
        entries.append((oid, zlib.crc32(data[offset:end]), offset))
        offset = end
    limit = entries[len(entries) // 2][2]
    theirs = tmp_path / "large.idx"
    git(repo_dir, "index-pack", f"--index-version=2,{limit}", "-o", str(theirs), str(pack))
    ours = index_bytes(entries, data[-20:], off32_limit=limit)
    assert ours == theirs.read_bytes()
    assert ours != index_bytes(entries, data[-20:])  # the table really is in use
    # 2^31 and above always use it, as the format requires.
    big = index_bytes([(b"\1" * 20, 0, (1 << 31) - 1), (b"\2" * 20, 0, 1 << 31), (b"\3" * 20, 0, 5 << 32)],
                      b"\0" * 20)
    offsets = big[8 + 1024 + 60 + 12:8 + 1024 + 60 + 24]
    assert offsets == bytes.fromhex("7fffffff" "80000000" "80000001")
    assert big[8 + 1024 + 60 + 24:-40] == (1 << 31).to_bytes(8, "big") + (5 << 32).to_bytes(8, "big")


def test_identical_blobs_are_stored_once(repo_dir):
    ids = write_pack(repo_dir / "objects" / "pack", [b"same", b"other", b"same", b"same"])
    assert ids[0] == ids[2] == ids[3] != ids[1]
    idx = next((repo_dir / "objects" / "pack").glob("*.idx"))
    assert "non delta: 2 objects" in git(repo_dir, "verify-pack", "-v", str(idx))


def test_nothing_is_written_for_no_blobs(repo_dir):
    assert write_pack(repo_dir / "objects" / "pack", []) == []
    assert pack_files(repo_dir) == []


def test_readable_by_fresh_and_already_open_repositories(repo_dir):
    """libgit2 rescans the pack directory when a lookup misses, so an open handle sees a new pack."""
    cached = RepoCache().open(repo_dir)
    fresh_before = pygit2.Repository(str(repo_dir))
    blobs = [b"packed %d\n" % i for i in range(50)]
    missing = blob_id(blobs[0])
    assert cached.get(missing) is None  # the handles have loaded the (empty) pack list already
    assert fresh_before.odb.exists(missing) is False

    ids = write_pack(repo_dir / "objects" / "pack", blobs)
    for handle in (cached, fresh_before, pygit2.Repository(str(repo_dir))):
        assert [handle[oid].data for oid in ids] == blobs
        assert handle.odb.read_header(ids[1]) == (pygit2.GIT_OBJECT_BLOB, len(blobs[1]))


def test_repo_cache_reopens_after_packs_change(repo_dir):
    cache = RepoCache()
    first = cache.open(repo_dir)
    assert cache.open(repo_dir) is first
    write_pack(repo_dir / "objects" / "pack", [b"one", b"two"])
    second = cache.open(repo_dir)
    assert second is not first  # a pack added (or removed by a repack) gives a fresh handle
    assert cache.open(repo_dir) is second


def test_a_failed_write_leaves_no_files(repo_dir):
    class Boom(Exception):
        pass

    class FailingLock:
        def __enter__(self):
            raise Boom()

        def __exit__(self, *exc):
            return False

    with pytest.raises(Boom):
        write_pack(repo_dir / "objects" / "pack", [b"a", b"b"], publish_lock=FailingLock())
    assert pack_files(repo_dir) == []


def test_writing_the_same_pack_twice_is_harmless(repo_dir):
    blobs = [b"again %d" % i for i in range(40)]
    first = write_pack(repo_dir / "objects" / "pack", blobs)
    assert write_pack(repo_dir / "objects" / "pack", blobs, fsync=True) == first
    assert len(pack_files(repo_dir)) == 2
    assert [pygit2.Repository(str(repo_dir))[oid].data for oid in first] == blobs
    git(repo_dir, "fsck", "--strict")

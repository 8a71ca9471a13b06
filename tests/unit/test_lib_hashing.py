import hashlib
import subprocess

import pytest

from kohakuhub.errors import IntegrityError
from kohakuhub.lib.hashing import GitBlobHasher, git_blob_sha1, is_sha1_hex, is_sha256_hex, sha256_file


def test_git_blob_sha1_known_values():
    # `git hash-object` of the empty blob and of "hello\n"
    assert git_blob_sha1(b"") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
    assert git_blob_sha1(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


def test_git_blob_sha1_matches_git(tmp_path):
    data = bytes(range(256)) * 100
    p = tmp_path / "f"
    p.write_bytes(data)
    try:
        out = subprocess.run(["git", "hash-object", str(p)], capture_output=True, text=True, check=True)
    except (FileNotFoundError, subprocess.CalledProcessError):
        pytest.skip("git not available")
    assert git_blob_sha1(data) == out.stdout.strip()


def test_incremental_hasher_matches():
    data = b"x" * 10_000 + b"y" * 123
    h = GitBlobHasher(len(data))
    for i in range(0, len(data), 777):
        h.update(data[i : i + 777])
    assert h.hexdigest() == git_blob_sha1(data)


def test_incremental_hasher_empty():
    assert GitBlobHasher(0).hexdigest() == git_blob_sha1(b"")


def test_incremental_hasher_size_mismatch():
    h = GitBlobHasher(3)
    h.update(b"ab")
    with pytest.raises(IntegrityError):
        h.hexdigest()
    with pytest.raises(IntegrityError):
        h.update(b"cd")
    with pytest.raises(ValueError):
        GitBlobHasher(-1)


@pytest.mark.parametrize("size", [0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) * 2 + 5])
def test_sha256_file(tmp_path, size):
    data = (b"0123456789abcdef" * (size // 16 + 1))[:size]
    p = tmp_path / "f"
    p.write_bytes(data)
    assert sha256_file(p) == (hashlib.sha256(data).hexdigest(), size)
    assert sha256_file(str(p))[1] == size


def test_hex_predicates():
    assert is_sha256_hex("a" * 64)
    assert is_sha256_hex(hashlib.sha256(b"").hexdigest())
    assert not is_sha256_hex("A" * 64)
    assert not is_sha256_hex("a" * 63)
    assert not is_sha256_hex("a" * 65)
    assert not is_sha256_hex("g" * 64)
    assert not is_sha256_hex("a" * 64 + "\n")
    assert not is_sha256_hex(None)
    assert is_sha1_hex("0" * 40)
    assert not is_sha1_hex("0" * 64)
    assert not is_sha1_hex("F" * 40)
    assert not is_sha1_hex(b"0" * 40)

"""HashingWriter: the bytes on disk and the digest match the body, with and without O_DIRECT."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import random
from pathlib import Path

import pytest

from kohakuhub.lib import hashing_writer
from kohakuhub.lib.hashing_writer import DIRECT_ALIGN, HashingWriter


def _body(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def _buffers(data: bytes, seed: int = 3) -> list[list[bytes]]:
    """Split ``data`` into buffers of odd-sized chunks, as the receive loop hands them over."""
    rng = random.Random(seed)
    buffers, position = [], 0
    while position < len(data):
        buffer = []
        for _ in range(rng.randint(1, 5)):
            size = rng.choice([1, 511, 4095, 4097, 65536, 70001])
            buffer.append(data[position:position + size])
            position += size
            if position >= len(data):
                break
        buffers.append(buffer)
    return buffers


def _write(path: Path, data: bytes, *, offset: int = 0, direct: bool, capacity: int = 16384) -> HashingWriter:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        writer = HashingWriter(fd, hashlib.sha256(), offset, direct=direct, capacity=capacity)
        for buffer in _buffers(data):
            writer(buffer)
        writer.finish()
        assert not fcntl.fcntl(fd, fcntl.F_GETFL) & getattr(os, "O_DIRECT", 0), "finish leaves fd buffered"
    finally:
        os.close(fd)
    return writer


def _direct_supported(directory: Path) -> bool:
    probe = directory / "probe"
    fd = os.open(probe, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        return hashing_writer._set_direct(fd, True)
    finally:
        os.close(fd)
        probe.unlink()


@pytest.mark.parametrize("size", [0, 1, DIRECT_ALIGN - 1, DIRECT_ALIGN, 3 * DIRECT_ALIGN + 5, 200_003])
@pytest.mark.parametrize("direct", [True, False])
def test_file_and_digest_match_body(tmp_path: Path, size: int, direct: bool) -> None:
    data = _body(size)
    path = tmp_path / "out"
    writer = _write(path, data, direct=direct)
    assert path.read_bytes() == data
    assert writer.digest.hexdigest() == hashlib.sha256(data).hexdigest()
    assert writer.offset == size


def test_large_body_goes_direct_where_supported(tmp_path: Path) -> None:
    if not _direct_supported(tmp_path):
        pytest.skip("this file system refuses O_DIRECT")  # the tests' temp dir is on the CI disk, which allows it
    fd = os.open(tmp_path / "out", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        writer = HashingWriter(fd, hashlib.sha256(), direct=True)
        assert writer.direct
        writer([_body(3 * DIRECT_ALIGN + 1)])
        assert writer.direct
        writer.finish()
        assert not writer.direct
    finally:
        os.close(fd)


def test_writes_at_an_offset_leave_the_rest_of_the_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "out"
    before = _body(5 * DIRECT_ALIGN, seed=1)
    path.write_bytes(before + b"\0" * 100_000)
    data = _body(60_000, seed=2)
    writer = _write(path, data, offset=len(before), direct=True)
    assert path.read_bytes()[:len(before)] == before
    assert path.read_bytes()[len(before):len(before) + len(data)] == data
    assert writer.digest.hexdigest() == hashlib.sha256(data).hexdigest()


def test_an_unaligned_offset_is_written_buffered(tmp_path: Path) -> None:
    path = tmp_path / "out"
    path.write_bytes(b"x" * 10)
    fd = os.open(path, os.O_RDWR)
    try:
        writer = HashingWriter(fd, hashlib.sha256(), 10, direct=True)
        assert not writer.direct
        writer([b"abc"])
        writer.finish()
    finally:
        os.close(fd)
    assert path.read_bytes() == b"x" * 10 + b"abc"


def test_a_file_system_refusing_direct_io_falls_back_to_buffered(tmp_path: Path, monkeypatch) -> None:
    if not _direct_supported(tmp_path):
        pytest.skip("this file system refuses O_DIRECT")
    real_pwrite = os.pwrite

    def refusing_pwrite(fd: int, data, offset: int) -> int:
        # What a file system that accepts the flag but not the I/O does (seen on some network mounts).
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(hashing_writer.os, "pwrite", refusing_pwrite)
    data = _body(100_000)
    path = tmp_path / "out"
    writer = _write(path, data, direct=True)
    assert not writer.direct
    assert path.read_bytes() == data
    assert writer.digest.hexdigest() == hashlib.sha256(data).hexdigest()

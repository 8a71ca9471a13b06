"""Write many blobs as one git packfile (pack v2 + index v2), in-process, without ``git``.

A loose object costs a file create, a deflate, a write and a rename each (~280 us); a pack holds any
number of objects in two files. Only whole blobs are written (no deltas), which is what ``git
fast-import`` does for new content too; ``git repack`` may delta-compress them later.

Format (gitformat-pack(5)):

- ``.pack``: ``PACK``, version 2, object count (big-endian u32); per object a header (type 3 = blob in
  bits 4-6 of the first byte, the size as a little-endian base-128 varint starting with its low 4 bits)
  followed by the zlib-deflated content; then the SHA-1 of everything before.
- ``.idx``: magic ``\\377tOc``, version 2, a 256-entry fan-out table (number of ids whose first byte is
  <= i), the sorted 20-byte ids, the CRC32 of each object's packed bytes (header + deflated data), the
  4-byte offsets (MSB set: index into the following table of 8-byte offsets, for offsets >= 2^31), the
  pack's SHA-1 and the SHA-1 of the index itself.

Publication follows git (``finish_tmp_packfile``): both files are written under temporary names in
``objects/pack``, then the ``.pack`` is renamed to ``pack-<pack sha1>.pack`` and only after it the
``.idx``; readers (git and libgit2) discover packs through their ``.idx`` so they never see a pack half
written. Like libgit2's own object writes (``GIT_OPT_ENABLE_FSYNC_GITDIR`` is off by default), nothing
is fsynced unless asked.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
import zlib
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

PACK_SIGNATURE = b"PACK"
IDX_SIGNATURE = b"\377tOc"
_OBJ_BLOB = 3
_OFF32_LIMIT = 0x7FFFFFFF  # larger offsets go to the 8-byte table
_LARGE_FLAG = 0x80000000  # a 4-byte offset with this bit is an index into that table
_FILE_MODE = 0o444  # what git and libgit2 give pack files


def blob_id(data: bytes) -> str:
    """The git id (SHA-1, hex) of a blob with content ``data``."""
    digest = hashlib.sha1(b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


def object_header(obj_type: int, size: int) -> bytes:
    """A pack entry header: type and size, the size as a varint whose first 4 bits share the type byte."""
    byte = (obj_type << 4) | (size & 0x0F)
    size >>= 4
    out = bytearray()
    while size:
        out.append(byte | 0x80)
        byte = size & 0x7F
        size >>= 7
    out.append(byte)
    return bytes(out)


def deflate(data: bytes, level: int = 1) -> bytes:
    """zlib-compress ``data`` with a window and hash table sized to it.

    ``zlib.compress`` sets up (and zeroes) a 32 KiB window and a 64 KiB hash table per call, which for
    a blob of a few hundred bytes costs more than compressing it. A window covering the data plus zlib's
    262 bytes of lookahead compresses as well (measured: same total size for 10,000 blobs of 16-1040
    bytes, ~3x faster); from 32 KiB on these are zlib's defaults. Any inflater reads the result.
    """
    wbits = max(9, min(15, (len(data) + 262).bit_length()))
    stream = zlib.compressobj(level, zlib.DEFLATED, wbits, max(1, wbits - 7))
    return stream.compress(data) + stream.flush()


def write_pack(
    pack_dir: Path,
    blobs: Sequence[bytes],
    *,
    level: int = 1,
    fsync: bool = False,
    publish_lock: AbstractContextManager[object] | None = None,
) -> list[str]:
    """Store ``blobs`` as one new pack in ``pack_dir`` (a repo's ``objects/pack``) and return their ids.

    The ids are in the order of ``blobs``; identical blobs are stored once. Nothing is written for an
    empty sequence. Blobs that already exist elsewhere in the repository are stored again (git allows
    an object in several packs; ``git repack`` drops the copies).

    Args:
        level: zlib compression level (1 is several times faster than git's default and the blobs
            written here are small).
        fsync: fsync both files and the directory before returning.
        publish_lock: held around the two renames only (the backend passes the repo lock, so a
            ``git repack -d`` never runs while a pack is half published).
    """
    ids: list[str] = []
    unique: dict[bytes, bytes] = {}  # binary id -> content, first occurrence wins
    for data in blobs:
        digest = hashlib.sha1(b"blob %d\0" % len(data))
        digest.update(data)
        raw = digest.digest()
        unique.setdefault(raw, data)
        ids.append(raw.hex())
    if not unique:
        return ids
    pack_dir.mkdir(parents=True, exist_ok=True)
    temps: list[Path] = []
    try:
        pack_tmp, entries, pack_sha = _write_pack_file(pack_dir, unique, level, fsync, temps)
        idx_tmp = _write_index_file(pack_dir, entries, pack_sha, fsync, temps)
        name = f"pack-{pack_sha.hex()}"
        with publish_lock or nullcontext():
            os.replace(pack_tmp, pack_dir / f"{name}.pack")
            temps.remove(pack_tmp)
            os.replace(idx_tmp, pack_dir / f"{name}.idx")
            temps.remove(idx_tmp)
        if fsync:
            _fsync_dir(pack_dir)
    finally:
        for path in temps:
            path.unlink(missing_ok=True)
    return ids


def _write_pack_file(
    pack_dir: Path, objects: dict[bytes, bytes], level: int, fsync: bool, temps: list[Path]
) -> tuple[Path, list[tuple[bytes, int, int]], bytes]:
    """Write the ``.pack`` under a temporary name; return it, (id, crc32, offset) per object, its SHA-1."""
    fd, name = tempfile.mkstemp(dir=pack_dir, prefix="tmp_pack_")
    path = Path(name)
    temps.append(path)
    checksum = hashlib.sha1()
    entries: list[tuple[bytes, int, int]] = []
    with os.fdopen(fd, "wb", buffering=1 << 20) as out:
        head = PACK_SIGNATURE + struct.pack(">II", 2, len(objects))
        checksum.update(head)
        out.write(head)
        offset = len(head)
        for oid, data in objects.items():
            header = object_header(_OBJ_BLOB, len(data))
            body = deflate(data, level)
            checksum.update(header)
            checksum.update(body)
            out.write(header)
            out.write(body)
            entries.append((oid, zlib.crc32(body, zlib.crc32(header)), offset))
            offset += len(header) + len(body)
        pack_sha = checksum.digest()
        out.write(pack_sha)
        _finish(out, fsync)
    return path, entries, pack_sha


def _write_index_file(
    pack_dir: Path, entries: list[tuple[bytes, int, int]], pack_sha: bytes, fsync: bool, temps: list[Path]
) -> Path:
    """Write the ``.idx`` of ``entries`` under a temporary name and return it."""
    fd, name = tempfile.mkstemp(dir=pack_dir, prefix="tmp_idx_")
    path = Path(name)
    temps.append(path)
    with os.fdopen(fd, "wb") as out:
        out.write(index_bytes(entries, pack_sha))
        _finish(out, fsync)
    return path


def index_bytes(entries: Sequence[tuple[bytes, int, int]], pack_sha: bytes, *,
                off32_limit: int = _OFF32_LIMIT) -> bytes:
    """A version 2 pack index of ``entries`` (binary id, crc32, offset), checksum included.

    Offsets above ``off32_limit`` go to the 8-byte table (git's ``index-pack --index-version=2,<limit>``;
    the format requires it above 2^31 - 1).
    """
    entries = sorted(entries)
    count = len(entries)
    fanout = [0] * 256
    for oid, _crc, _offset in entries:
        fanout[oid[0]] += 1
    total = 0
    for i in range(256):
        total += fanout[i]
        fanout[i] = total
    small: list[int] = []
    large: list[int] = []
    for _oid, _crc, offset in entries:
        if offset > min(off32_limit, _OFF32_LIMIT):
            small.append(_LARGE_FLAG | len(large))
            large.append(offset)
        else:
            small.append(offset)
    body = b"".join([
        IDX_SIGNATURE + struct.pack(">I", 2),
        struct.pack(">256I", *fanout),
        b"".join(oid for oid, _crc, _offset in entries),
        struct.pack(f">{count}I", *(crc for _oid, crc, _offset in entries)),
        struct.pack(f">{count}I", *small),
        struct.pack(f">{len(large)}Q", *large),
        pack_sha,
    ])
    return body + hashlib.sha1(body).digest()


def _finish(out, fsync: bool) -> None:
    out.flush()
    os.fchmod(out.fileno(), _FILE_MODE)
    if fsync:
        os.fsync(out.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""BlobStore on a local directory: objects live at ``root/<key>``.

Publishing is write-to-temp + fsync + ``os.replace``, so a key is either absent or complete, even if the
process is killed mid-write or the machine loses power after ``put_*`` returned. Temp files live in
``root/.tmp`` (same filesystem as the objects, so the final rename is atomic); ``cleanup_tmp`` removes the
ones a killed writer left behind.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat as stat_mod
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from kohakuhub.errors import NotFoundError
from kohakuhub.storage.base import BlobStore

TMP_DIR_NAME = ".tmp"
_SEGMENT_RE = re.compile(r"[A-Za-z0-9._-]+")
_COPY_CHUNK = 1 << 20


def validate_key(key: str) -> str:
    """Check that ``key`` is a safe relative slash-separated object key and return it.

    Keys become filesystem paths, so anything that could escape the root or alias another key is refused.

    Args:
        key: The candidate key, such as ``lfs/aa/bb/<sha256>``.

    Returns:
        The key unchanged.

    Raises:
        ValueError: the key is empty, absolute, has an empty, ``.`` or ``..`` segment, a character outside
            ``[A-Za-z0-9._-]``, or starts with the reserved temp directory name.
    """
    if not isinstance(key, str) or not key:
        raise ValueError(f"invalid blob key {key!r}: must be a non-empty string")
    segments = key.split("/")
    for segment in segments:
        # fullmatch, not match+$: "$" would accept a trailing newline.
        if not _SEGMENT_RE.fullmatch(segment):
            raise ValueError(f"invalid blob key {key!r}: segments must be non-empty [A-Za-z0-9._-]")
        if segment in (".", ".."):
            raise ValueError(f"invalid blob key {key!r}: '.' and '..' segments are not allowed")
    if segments[0] == TMP_DIR_NAME:
        raise ValueError(f"invalid blob key {key!r}: {TMP_DIR_NAME!r} is reserved for temp files")
    return key


def validate_range(start: int, end: int | None, chunk_size: int) -> None:
    """Reject nonsensical ``read_range`` arguments (a caller bug, not a client's bad Range header).

    Raises:
        ValueError: ``start`` is negative, ``end`` is before ``start`` or ``chunk_size`` is not positive.
    """
    if start < 0:
        raise ValueError(f"start must be >= 0, got {start}")
    if end is not None and end < start:
        raise ValueError(f"end ({end}) must be >= start ({start})")
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be > 0, got {chunk_size}")


def _fsync_dir(path: Path) -> None:
    """fsync a directory so a rename or create inside it survives a crash."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    """fsync a file's data; a read-only descriptor is enough on Linux."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore(BlobStore):
    """Stores objects as plain files under a root directory.

    Directories (including the root) are created lazily on first write. Keys that are directory prefixes of
    other keys (``lfs/aa``) are not objects: ``stat`` returns None for them.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / TMP_DIR_NAME

    # --- reading ------------------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def stat(self, key: str) -> int | None:
        """Return the object's size in bytes, or None when the key is absent.

        Raises:
            ValueError: the key is invalid.
        """
        try:
            st = os.stat(self._path(key))
        except (FileNotFoundError, NotADirectoryError):
            return None
        return st.st_size if stat_mod.S_ISREG(st.st_mode) else None

    def local_path(self, key: str) -> Path | None:
        """Path of the object's file, or None when the key is absent.

        Raises:
            ValueError: the key is invalid.
        """
        path = self._path(key)
        return path if path.is_file() else None

    def read_range(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = 1 << 20
    ) -> Iterator[bytes]:
        """Yield bytes ``[start, end)`` in chunks of at most ``chunk_size``.

        ``end`` is clamped to the object size and a ``start`` past the end yields nothing: checking a client
        Range against the size (416) is the caller's job. An overwrite or delete during the read does not
        affect it: the open descriptor keeps the old file.

        Raises:
            ValueError: the key or range arguments are invalid (raised at call time).
            NotFoundError: the key is absent (raised on the first ``next``).
        """
        path = self._path(key)
        validate_range(start, end, chunk_size)
        return self._iter_file(key, path, start, end, chunk_size)

    @staticmethod
    def _iter_file(key: str, path: Path, start: int, end: int | None, chunk_size: int) -> Iterator[bytes]:
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed by the with below, after the error mapping
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise NotFoundError(f"blob {key!r} not found") from None
        with f:
            size = os.fstat(f.fileno()).st_size
            stop = size if end is None else min(end, size)
            f.seek(start)
            remaining = stop - start
            while remaining > 0:
                chunk = f.read(min(chunk_size, remaining))
                if not chunk:  # the file cannot shrink (we never write in place), but never spin
                    break
                remaining -= len(chunk)
                yield chunk

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        """Yield every key starting with ``prefix``; temp files are never listed."""
        for dirpath, dirnames, filenames in os.walk(self._walk_start(prefix)):
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            if rel_dir == ".":
                # Temp files are not objects; pruning here also skips walking them.
                dirnames[:] = [d for d in dirnames if d != TMP_DIR_NAME]
                rel_dir = ""
            for name in filenames:
                key = f"{rel_dir}/{name}" if rel_dir else name
                if key.startswith(prefix):
                    yield key

    def _walk_start(self, prefix: str) -> Path:
        """Deepest directory every matching key must live in, so a prefix lists without a full walk."""
        dir_part = prefix.rpartition("/")[0]
        try:
            return self._path(dir_part) if dir_part else self.root
        except ValueError:
            # A prefix that is not a valid key path matches no key; walking the root filters it out safely.
            return self.root

    # --- writing ------------------------------------------------------------------------------------

    def put_bytes(self, key: str, data: bytes) -> None:
        """Publish ``data`` under ``key`` atomically and durably.

        Raises:
            ValueError: the key is invalid.
            OSError: the write failed; nothing is published.
        """
        dest = self._path(key)
        tmp = self._new_tmp_file()
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            self._publish(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def put_file(self, key: str, src: Path) -> None:
        """Publish local file ``src`` under ``key`` atomically and durably; ``src`` is consumed.

        On the same filesystem the file is renamed into place (no copy); otherwise it is copied into a temp
        file in ``root/.tmp`` first, and deleted once published.

        Raises:
            ValueError: the key is invalid.
            FileNotFoundError: ``src`` does not exist.
            OSError: the move or copy failed; nothing is published.
        """
        dest = self._path(key)
        src = Path(src)
        self._ensure_dir(self.tmp_dir)
        if os.stat(src).st_dev == os.stat(self.tmp_dir).st_dev:
            try:
                _fsync_file(src)  # the caller may not have synced it, and rename does not
                self._publish(src, dest)
                return
            except OSError as exc:
                # Same st_dev but different mount points (bind mounts) still refuse rename: copy instead.
                if exc.errno != errno.EXDEV:
                    raise
        self._copy_then_publish(src, dest)

    def _copy_then_publish(self, src: Path, dest: Path) -> None:
        tmp = self._new_tmp_file()
        try:
            with open(src, "rb") as fin, open(tmp, "wb") as fout:
                shutil.copyfileobj(fin, fout, _COPY_CHUNK)
                fout.flush()
                os.fsync(fout.fileno())
            self._publish(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        src.unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        """Remove an object; a missing key is not an error.

        Empty parent directories are kept: removing them would race with a concurrent ``put`` that just
        created them (its rename would then fail).

        Raises:
            ValueError: the key is invalid.
        """
        try:
            os.unlink(self._path(key))
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            pass

    def cleanup_tmp(self, older_than_seconds: float) -> int:
        """Remove temp files not modified for ``older_than_seconds``, as left by a killed writer.

        A live writer keeps touching its temp file, so a threshold well above the slowest expected write
        never removes an upload in progress.

        Returns:
            How many files were removed.
        """
        cutoff = time.time() - older_than_seconds
        removed = 0
        try:
            entries = list(os.scandir(self.tmp_dir))
        except FileNotFoundError:
            return 0
        for entry in entries:
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime <= cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:  # published or cleaned by someone else meanwhile
                continue
        return removed

    # --- helpers ------------------------------------------------------------------------------------

    def _new_tmp_file(self) -> Path:
        self._ensure_dir(self.tmp_dir)
        fd, name = tempfile.mkstemp(dir=self.tmp_dir, prefix="put-", suffix=".part")
        os.close(fd)
        return Path(name)

    def _publish(self, src: Path, dest: Path) -> None:
        """Atomically rename a synced file into place, then sync the directory entry."""
        self._ensure_dir(dest.parent)
        os.replace(src, dest)
        _fsync_dir(dest.parent)

    def _ensure_dir(self, path: Path) -> None:
        """Create ``path`` and missing parents, fsyncing each new directory's parent for durability."""
        if path.is_dir():
            return
        missing: list[Path] = []
        current = path
        while not current.is_dir():
            missing.append(current)
            if current.parent == current:
                break
            current = current.parent
        for directory in reversed(missing):
            try:
                directory.mkdir()
            except FileExistsError:
                # A concurrent writer made it; if a file sits there, the write fails on the next step.
                continue
            _fsync_dir(directory.parent)

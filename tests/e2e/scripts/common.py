"""Small helpers shared by the client scenarios."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def error_of(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> str | None:
    """Name of the exception ``fn`` raises (None if it returns), so the test can assert the type."""
    try:
        fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the type is the observation
        return type(exc).__name__
    return None


def http_error_of(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any] | None:
    """Type, HTTP status and message of the error ``fn`` raises (None if it returns)."""
    try:
        fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the error is the observation
        response = getattr(exc, "response", None)
        return {"type": type(exc).__name__, "status": getattr(response, "status_code", None),
                "message": str(exc)}
    return None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: str | Path) -> str:
    return sha256(Path(path).read_bytes())


def random_file(path: Path, size: int) -> bytes:
    """Write ``size`` random bytes and return them (unique, so the hub never already holds the object)."""
    data = os.urandom(size)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def workdir(ctx: Any, name: str) -> Path:
    path = Path(ctx.workdir) / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def tree_rows(entries: Any) -> dict[str, dict[str, Any]]:
    """RepoFile/RepoFolder objects as {path: {type, size, lfs, last_commit}} for easy assertions."""
    rows: dict[str, dict[str, Any]] = {}
    for entry in entries:
        from huggingface_hub.hf_api import RepoFile

        is_file = isinstance(entry, RepoFile)
        row: dict[str, Any] = {"type": "file" if is_file else "directory",
                               "oid": entry.blob_id if is_file else entry.tree_id}
        if is_file:
            row["size"] = entry.size
            row["xet_hash"] = entry.xet_hash
            row["lfs"] = None if entry.lfs is None else {"sha256": entry.lfs.sha256, "size": entry.lfs.size}
        last = getattr(entry, "last_commit", None)
        row["last_commit"] = None if last is None else {"oid": last.oid, "title": last.title}
        rows[entry.path] = row
    return rows


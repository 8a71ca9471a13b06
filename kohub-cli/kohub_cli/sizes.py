"""Byte counts for people: ``1.5 GiB`` out, ``10GB`` / ``512MiB`` / ``1000`` in."""

from __future__ import annotations

import re

from kohub_cli.errors import UsageError

UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def human(size: int | None, *, none: str = "-") -> str:
    """``1536`` -> ``1.5 KiB``; ``None`` -> ``none`` (a quota says ``unlimited``)."""
    if size is None:
        return none
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def parse(text: str) -> int:
    """Bytes in ``text`` (decimal units kB/MB/GB/TB, binary KiB/MiB/GiB/TiB, or none).

    Raises:
        UsageError: not a size.
    """
    match = _SIZE.match(text)
    unit = match.group(2).lower() if match else None
    if not match or unit not in UNITS:
        raise UsageError(f"Invalid size {text!r}: use e.g. 500MB, 10GiB or a number of bytes")
    return int(float(match.group(1)) * UNITS[unit])

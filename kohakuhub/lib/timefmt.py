"""Timestamps in the form the client's parse_datetime accepts."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_z(dt: datetime | None) -> str | None:
    """ISO-8601 in UTC with milliseconds and a trailing ``Z`` (``+00:00`` breaks the client)."""
    if dt is None:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt.isoformat(timespec="milliseconds") + "Z"

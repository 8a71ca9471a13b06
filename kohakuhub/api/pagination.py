"""Link-header pagination: absolute next URLs that carry every query parameter (protocol section 1)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request

from kohakuhub.errors import BadRequestError


def next_link(request: Request, **changes: str) -> str:
    """``Link`` value pointing at this URL with ``changes`` applied to its query."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    items += list(changes.items())
    url = request.url.replace(query=urlencode(items))
    return f'<{url}>; rel="next"'


def parse_limit(raw: str | None, *, default: int, maximum: int) -> int:
    """Page size from a ``limit`` query value. Raises BadRequestError when not a positive integer."""
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequestError(f"limit must be an integer, not {raw!r}") from None
    if value <= 0:
        raise BadRequestError("limit must be positive")
    return min(value, maximum)


MAX_OFFSET = 2**62  # anything larger is no real position, and would overflow the database's integers


def parse_offset(raw: str | None, name: str) -> int:
    """A non-negative integer position (``cursor`` of listings, ``p`` of commits). Raises BadRequestError."""
    if raw is None or raw == "":
        return 0
    try:
        value = int(raw)
    except ValueError:
        raise BadRequestError(f"{name} must be an integer, not {raw!r}") from None
    if not 0 <= value <= MAX_OFFSET:
        raise BadRequestError(f"{name} must be between 0 and {MAX_OFFSET}")
    return value


def parse_bool(raw: str | None, default: bool = False) -> bool:
    """Query booleans as the client sends them (``true``/``false``; ``1``/``0`` accepted)."""
    if raw is None or raw == "":
        return default
    lowered = raw.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise BadRequestError(f"Expected a boolean, got {raw!r}")

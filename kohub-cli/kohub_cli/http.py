"""HTTP to the hub's own API (everything except uploads and downloads, which go through huggingface_hub).

Every error answer becomes a ``HubError`` carrying the hub's message: the JSON body's ``error`` (the exact
text) or, failing that, ``X-Error-Message`` (the same text, ASCII-escaped for a header).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from kohub_cli import __version__
from kohub_cli.errors import CliError, HubError

TIMEOUT = httpx.Timeout(60.0, connect=10.0)


def seg(value: str) -> str:
    """One URL path segment: a revision, name or id with every reserved character escaped.

    The hub routes on the raw path and decodes each segment itself (as the Hub does for ``refs/pr/1``).
    """
    return quote(value, safe="")


def error_from(response: httpx.Response) -> HubError:
    """The ``HubError`` for an error answer."""
    message = ""
    try:
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            message = body["error"]
    except ValueError:
        pass
    message = message or response.headers.get("x-error-message", "")
    if not message:
        message = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    return HubError(response.status_code, message, response.headers.get("x-error-code"))


class HubHttp:
    """A connection to one hub with one identity (a token, or anonymous)."""

    def __init__(self, endpoint: str, token: str | None) -> None:
        headers = {"User-Agent": f"kohub-cli/{__version__}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.endpoint = endpoint
        self.signed_in = bool(token)
        self._client = httpx.Client(
            base_url=endpoint, headers=headers, follow_redirects=True, timeout=TIMEOUT
        )

    def close(self) -> None:
        self._client.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request; return the response when its status is below 400.

        Raises:
            HubError: the hub answered with an error status.
            CliError: the hub could not be reached.
        """
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise CliError(f"Cannot reach the hub at {self.endpoint}: {exc}") from None
        if response.status_code >= 400:
            error = error_from(response)
            if response.status_code == 401 and not self.signed_in:
                error.message += " (not signed in: run `kohub-cli auth login` or pass --token)"
            raise error
        return response

    def get(self, path: str, **params: Any) -> Any:
        """GET a JSON answer (``None`` parameters are left out)."""
        return self.request("GET", path, params=_clean(params)).json()

    def send(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """POST/PUT/PATCH/DELETE with a JSON body; return the JSON answer (or ``None`` when empty)."""
        response = self.request(method, path, json=body, params=_clean(params))
        return response.json() if response.content else None

    def paginate(self, path: str, *, max_items: int | None = None, **params: Any) -> list[Any]:
        """Every item of a listing paginated with ``Link: <url>; rel="next"``, up to ``max_items``."""
        items: list[Any] = []
        response = self.request("GET", path, params=_clean(params))
        while True:
            items.extend(response.json())
            following = response.links.get("next", {}).get("url")
            if not following or (max_items is not None and len(items) >= max_items):
                return items[:max_items] if max_items is not None else items
            response = self.request("GET", following)


def _clean(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}

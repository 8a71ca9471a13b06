"""HMAC-SHA256 signatures for self-authorizing URLs.

The LFS upload/download hrefs the hub hands out (LFS batch ``actions``, local-storage downloads behind
``/resolve``) are fetched **without credentials**: the Python client sends no Bearer token on LFS PUT,
part or completion URLs, and git-lfs sends no Basic auth on the href, only the action ``header`` map
(hf-client-protocol.md sections 1 and 10). A 401 there makes git-lfs retry hundreds of times. So the URL
itself must carry the authorization: an expiry and a signature over the path and every query parameter.

Every signature is also bound to a **purpose** (download, upload, verify, a part, ...), which is signed but
not sent: a URL handed out for one operation verifies for no other, even where two operations share a
path (an upload href must never serve bytes). Any change to the path, the expiry or a signed parameter,
and any added or removed parameter, breaks the signature. Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping

__all__ = ["UrlSigner"]

_EXPIRES = "expires"
_SIG = "sig"
_DIGITS_RE = re.compile(r"[0-9]{1,20}")
_SIG_RE = re.compile(r"[0-9a-f]{64}")


class UrlSigner:
    """Signs and verifies ``(path, expires, params)`` with one server secret."""

    def __init__(self, secret: str) -> None:
        """Create a signer.

        Raises:
            ValueError: ``secret`` is empty.
        """
        if not secret:
            raise ValueError("UrlSigner needs a non-empty secret")
        self._key = secret.encode("utf-8")

    def _digest(self, purpose: str, path: str, expires: str, params: Mapping[str, str]) -> str:
        # JSON gives an unambiguous encoding: no choice of purpose, path or values can collide with another.
        message = json.dumps([purpose, path, expires, sorted(params.items())], separators=(",", ":"))
        return hmac.new(self._key, message.encode("utf-8"), hashlib.sha256).hexdigest()

    def sign(self, path: str, *, purpose: str, expires_at: int, **params: str) -> dict[str, str]:
        """Return the query parameters that make ``path`` self-authorizing for ``purpose`` until ``expires_at``.

        Args:
            path: The URL path (without query string) the signature is bound to.
            purpose: The one operation the URL is for; ``verify`` must be asked for the same.
            expires_at: Unix time (seconds) after which the URL is refused.
            **params: Extra query parameters to bind (oid, size, repo id...); all must be strings.

        Returns:
            ``{"expires": str(expires_at), "sig": <64 hex>, **params}``.

        Raises:
            ValueError: A parameter is named ``expires`` or ``sig``, or a value is not a string.
        """
        for name, value in params.items():
            if name in (_EXPIRES, _SIG):
                raise ValueError(f"{name!r} is reserved for the signature")
            if not isinstance(value, str):
                raise ValueError(f"Signed parameter {name!r} must be a string")
        expires = str(int(expires_at))
        return {_EXPIRES: expires, _SIG: self._digest(purpose, path, expires, params), **params}

    def verify(self, path: str, query: Mapping[str, str], *, purpose: str, now: float | None = None) -> bool:
        """Check a signed URL.

        Args:
            path: The URL path as requested.
            purpose: The operation the request performs; a URL signed for another is refused.
            query: All query parameters of the request. A multi-dict with a repeated key is refused.
            now: Current Unix time; defaults to ``time.time()``.

        Returns:
            True only if the signature matches the path, the expiry and exactly the given parameters,
            and the URL has not expired.
        """
        getlist = getattr(query, "getlist", None)
        if getlist is not None and any(len(getlist(key)) > 1 for key in query):
            return False
        expires = query.get(_EXPIRES)
        sig = query.get(_SIG)
        if not isinstance(expires, str) or not isinstance(sig, str):
            return False
        if not _DIGITS_RE.fullmatch(expires) or not _SIG_RE.fullmatch(sig):
            return False
        params = {k: v for k, v in query.items() if k not in (_EXPIRES, _SIG)}
        if not all(isinstance(v, str) for v in params.values()):
            return False
        expected = self._digest(purpose, path, expires, params)
        if not hmac.compare_digest(expected, sig):
            return False
        return (time.time() if now is None else now) < int(expires)

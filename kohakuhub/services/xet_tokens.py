"""Xet access tokens: short-lived, scoped to one repo and to read or write (Xet specification: auth).

The hub is both the token issuer and the CAS server, so a token is self-contained and signed with the
hub's secret: ``xet1.<repo id>.<user id>.<scope>.<expires>.<signature>``. Nothing is stored; a token dies
at its expiry. User id 0 stands for an anonymous reader of a public repo.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from kohakuhub.errors import AuthenticationError, ForbiddenError
from kohakuhub.lib.signing import UrlSigner
from kohakuhub.services.auth import Access
from kohakuhub.services.repos import RepoRef

_PREFIX = "xet1"
_PURPOSE = "/xet-token"  # binds the signature to this use: an LFS URL signature is never a token
SCOPES = ("read", "write")


@dataclass(frozen=True)
class XetGrant:
    """What a valid token allows: ``write`` includes read (specification: token scope)."""

    repo_id: int
    user_id: int
    write: bool
    expires_at: int

    def require_write(self) -> None:
        """Raises ForbiddenError for a read token (the client then asks for a write token)."""
        if not self.write:
            raise ForbiddenError("This Xet token is read-only; request a write token (xet-write-token)")


class XetTokens:
    """Issues and checks Xet tokens."""

    def __init__(self, signer: UrlSigner, ttl_seconds: int) -> None:
        self._signer = signer
        self._ttl = ttl_seconds

    def issue(self, repo: RepoRef, user_id: int, scope: str) -> tuple[str, int]:
        """A token and its expiry (Unix seconds).

        Raises ForbiddenError for a write token through a ref that was authorized for reading (without
        a pull request scope: uploads for a pull request get one).
        """
        if scope not in SCOPES:
            raise ValueError(f"unknown Xet token scope {scope!r}")
        if scope == "write":
            repo.require_upload()
        else:
            repo.require(Access.DOWNLOAD)
        repo_id = repo.row.id
        expires_at = int(time.time()) + self._ttl
        query = self._signer.sign(_PURPOSE, purpose=_PURPOSE, expires_at=expires_at, repo=str(repo_id), user=str(user_id),
                                  scope=scope)
        return f"{_PREFIX}.{repo_id}.{user_id}.{scope}.{expires_at}.{query['sig']}", expires_at

    def check(self, authorization: str | None) -> XetGrant:
        """The grant of an ``Authorization: Bearer <token>`` header.

        Raises:
            AuthenticationError: missing, malformed, forged or expired token (the client refreshes on 401).
        """
        scheme, _, token = (authorization or "").partition(" ")
        parts = token.strip().split(".")
        if scheme.lower() != "bearer" or len(parts) != 6 or parts[0] != _PREFIX:
            raise AuthenticationError("A Xet token is required: Authorization: Bearer <xet token>")
        _, repo, user, scope, expires, sig = parts
        query = {"expires": expires, "sig": sig, "repo": repo, "user": user, "scope": scope}
        if scope not in SCOPES or not self._signer.verify(_PURPOSE, query, purpose=_PURPOSE):
            raise AuthenticationError("Invalid or expired Xet token; request a new one")
        return XetGrant(int(repo), int(user), scope == "write", int(expires))

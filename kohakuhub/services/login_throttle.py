"""Brute-force protection for password checks: a sliding window of failures per username and per address.

Failures live in the ``login_failure`` table so every uvicorn worker (and every restart) sees the same
counts. An attempt is recorded *before* the password is checked and removed again if it succeeds, so
attempts running concurrently count against each other instead of all slipping under the limit.
Blocked attempts are not recorded: a key holds at most ``limit`` rows per window, and the table stays
small (rows older than the window are pruned on every attempt).

Trade-off (documented for operators): the username limit lets anyone lock a known username out of
password login for one window. Tokens keep working, and a successful login resets the username count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from peewee import Database

from kohakuhub.db.database import write_transaction
from kohakuhub.db.models import LoginFailure, utcnow
from kohakuhub.errors import RateLimitedError

_KEY_MAX = 160


@dataclass(frozen=True)
class Attempt:
    """A login attempt in progress: the rows recorded for it (deleted again on success)."""

    user_key: str | None
    row_ids: tuple[int, ...]


class LoginThrottle:
    """Counts failed logins in the database and refuses attempts over the limits."""

    def __init__(self, db: Database, *, per_username: int, per_address: int, window_seconds: int) -> None:
        self._db = db
        self._per_username = per_username
        self._per_address = per_address
        self._window = timedelta(seconds=window_seconds)

    def begin(self, username: str, address: str) -> Attempt:
        """Check the limits and record this attempt as a failure until ``succeeded`` is called.

        Raises:
            RateLimitedError: the username or the address has too many recent failures.
        """
        keys: list[tuple[str, int, str]] = []
        user_key = ("user:" + (username or "").lower())[:_KEY_MAX]
        if self._per_username:
            keys.append((user_key, self._per_username, "for this account"))
        if self._per_address and address:
            keys.append((("addr:" + address)[:_KEY_MAX], self._per_address, "from your address"))
        if not keys:
            return Attempt(None, ())
        now = utcnow()
        since = now - self._window
        with write_transaction(self._db):
            LoginFailure.delete().where(LoginFailure.created_at < since).execute()
            for key, limit, label in keys:
                times = [
                    row.created_at for row in LoginFailure.select(LoginFailure.created_at)
                    .where((LoginFailure.key == key) & (LoginFailure.created_at >= since))
                    .order_by(LoginFailure.created_at)
                ]
                if len(times) >= limit:
                    # The count drops under the limit when the failure that pushed it over leaves the window.
                    frees_at = times[len(times) - limit] + self._window
                    retry = max(1, math.ceil((frees_at - now).total_seconds()))
                    raise RateLimitedError(
                        f"Too many failed login attempts {label}. Try again in {retry} seconds.",
                        retry_after=retry,
                    )
            ids = tuple(LoginFailure.create(key=key, created_at=now).id for key, _, _ in keys)
        return Attempt(user_key if self._per_username else None, ids)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: forget this attempt and every failure of the username."""
        with write_transaction(self._db):
            if attempt.row_ids:
                LoginFailure.delete().where(LoginFailure.id.in_(attempt.row_ids)).execute()
            if attempt.user_key:
                LoginFailure.delete().where(LoginFailure.key == attempt.user_key).execute()

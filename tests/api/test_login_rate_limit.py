"""Brute-force protection on login: per-username and per-address limits in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kohakuhub.db.models import LoginFailure
from tests.api.helpers import assert_error
from tests.conftest import PASSWORD
from tests.databases import hub_sql


def _login(client, username="alice", password="wrong-password", **kwargs):
    return client.post("/api/auth/login", json={"username": username, "password": password}, **kwargs)


def test_username_limit_429_with_retry_after_and_reset(make_hub):
    hub = make_hub(login_max_failures_per_username=3, login_max_failures_per_address=0,
                   login_failure_window_seconds=600)
    client = hub.client
    for _ in range(3):
        assert_error(_login(client), 401)
    blocked = _login(client)
    assert_error(blocked, 429, message="Too many failed login attempts for this account")
    retry = int(blocked.headers["retry-after"])
    assert 590 <= retry <= 600
    assert str(retry) in blocked.json()["error"]
    # Even the right password is refused while blocked (else the limit would leak the password).
    assert_error(_login(client, password=PASSWORD), 429)
    assert_error(_login(client, username="ALICE", password=PASSWORD), 429)  # names are case-insensitive
    assert LoginFailure.select().count() == 3  # blocked attempts are not recorded

    # When the oldest failure leaves the window, one attempt is allowed again; success resets the count.
    oldest = LoginFailure.select().order_by(LoginFailure.created_at).first()
    LoginFailure.update(created_at=oldest.created_at - timedelta(seconds=600)).where(
        LoginFailure.id == oldest.id).execute()
    assert _login(client, password=PASSWORD).status_code == 200
    assert LoginFailure.select().count() == 0
    assert_error(_login(client), 401)
    assert_error(_login(client), 401)
    assert LoginFailure.select().count() == 2


def test_unknown_usernames_are_limited_too(make_hub):
    hub = make_hub(login_max_failures_per_username=2, login_max_failures_per_address=0)
    for _ in range(2):
        assert_error(_login(hub.client, username="ghost"), 401)
    assert_error(_login(hub.client, username="ghost"), 429)
    # Other accounts are unaffected.
    assert _login(hub.client, password=PASSWORD).status_code == 200


def test_address_limit_spans_usernames_and_is_not_reset_by_success(make_hub):
    hub = make_hub(login_max_failures_per_username=100, login_max_failures_per_address=3)
    client = hub.client
    hub.hub.accounts.create_user("bob", "bob@example.com", PASSWORD)
    for name in ("x1", "x2", "x3"):
        assert_error(_login(client, username=name), 401)
    blocked = _login(client, username="bob", password=PASSWORD)
    assert_error(blocked, 429, message="from your address")
    assert int(blocked.headers["retry-after"]) > 0


def test_limits_are_shared_by_every_worker(make_hub):
    """Failures recorded by another worker (another process, its own connection) count here too."""
    hub = make_hub(login_max_failures_per_username=2, login_max_failures_per_address=0)
    assert_error(_login(hub.client), 401)
    # Another worker: its own connection (SQLite file or PostgreSQL database).
    assert hub_sql(hub.data_dir, "SELECT COUNT(*) FROM login_failure") == [(1,)]
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    hub_sql(hub.data_dir, "INSERT INTO login_failure (key, created_at) VALUES ('user:alice', ?)", (now,))
    assert_error(_login(hub.client, password=PASSWORD), 429)


def test_limit_zero_turns_it_off(make_hub):
    hub = make_hub(login_max_failures_per_username=0, login_max_failures_per_address=0)
    for _ in range(12):
        assert_error(_login(hub.client), 401)
    assert _login(hub.client, password=PASSWORD).status_code == 200
    assert LoginFailure.select().count() == 0


def test_wrong_old_password_counts_as_a_failed_login(make_hub):
    hub = make_hub(login_max_failures_per_username=2, login_max_failures_per_address=0)
    body = {"old_password": "wrong-password", "new_password": "brand-new-password"}
    for _ in range(2):
        assert_error(hub.client.post("/api/auth/password", json=body, headers=hub.auth()), 403)
    assert_error(hub.client.post("/api/auth/password", json=body, headers=hub.auth()), 429)
    assert_error(_login(hub.client, password=PASSWORD), 429)


def test_default_settings():
    from kohakuhub.config import Settings

    settings = Settings()
    assert settings.login_max_failures_per_username == 10
    assert settings.login_failure_window_seconds == 900

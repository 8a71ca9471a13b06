"""``token``, ``quota`` and ``admin``: secrets shown once, site-admin commands over the admin API with the
bootstrap token, and what non-admins are refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.cli.conftest import ADMIN_TOKEN, unique

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-enough-password"


def test_tokens_create_list_revoke(cli):
    created = cli.alice("token", "create", "ci", "--role", "read", "--expires-in-days", "3")
    secret = created.out.strip()
    assert secret.startswith("khub_") and "\n" not in secret  # alone on stdout, for $(...)
    assert "not shown again" in created.err
    who = cli("--token", secret, "auth", "whoami", "--json").json()
    assert who["name"] == "alice" and who["auth"]["accessToken"] == {"displayName": "ci", "role": "read"}

    listed = {t["name"]: t for t in cli.alice("token", "list", "--json").json()}
    assert listed["ci"]["role"] == "read" and listed["ci"]["expires_at"] and listed["ci"]["expired"] is False
    assert secret not in cli.alice("token", "list").out
    token_id = str(listed["ci"]["id"])

    kept = cli("token", "revoke", token_id, token=cli.hub.alice_token)
    assert kept.code == 2 and cli("--token", secret, "auth", "whoami").code == 0
    cli.alice("token", "revoke", token_id, "--yes")
    assert cli("--token", secret, "auth", "whoami").code == 1
    again = cli("token", "revoke", token_id, "--yes", token=cli.hub.alice_token)
    assert again.code == 1 and again.err.strip() == f"Error: Token {token_id} not found"

    soon = (date.today() + timedelta(days=30)).isoformat()
    dated = cli.alice("token", "create", "dated", "--expires-at", soon, "--json").json()
    assert dated["expires_at"].startswith(soon) and dated["token"].startswith("khub_")
    too_late = cli("token", "create", "late", "--expires-at", "2999-01-01", token=cli.hub.alice_token)
    assert too_late.code == 1 and too_late.err.strip() == "Error: expires_at must be within 3650 days"
    assert "late" not in {t["name"] for t in cli.alice("token", "list", "--json").json()}


def _new_user(cli) -> str:
    name = unique("user")
    created = cli(
        "--token",
        ADMIN_TOKEN,
        "admin",
        "users",
        "create",
        name,
        "--email",
        f"{name}@example.com",
        "--password-stdin",
        "--json",
        input=PASSWORD + "\n",
    )
    assert created.code == 0, created.err
    assert created.json()["user"]["username"] == name
    return name


def test_admin_users(cli):
    admin = ("--token", ADMIN_TOKEN)
    refused = cli("admin", "stats", token=cli.hub.alice_token)
    assert refused.code == 1 and refused.err.strip() == "Error: Only site administrators may do this"
    name = _new_user(cli)
    assert cli("auth", "login", "-u", name, "--password-stdin", input=PASSWORD + "\n").code == 0
    found = cli(*admin, "admin", "users", "list", "--search", name, "--json").json()
    assert found["total"] == 1 and found["users"][0]["is_admin"] is False

    promoted = cli(*admin, "admin", "users", "set", name, "--admin", "--json").json()["user"]
    assert promoted["is_admin"] is True and promoted["disabled"] is False
    assert cli("admin", "stats", "--json").code == 0  # their own login is a site admin's now
    assert cli(*admin, "admin", "users", "set", name, "--disable").code == 0
    assert cli("auth", "whoami").code == 1  # disabling revoked their tokens
    assert cli(*admin, "admin", "users", "set", name, "--enable", "--no-admin").code == 0

    stats = cli(*admin, "admin", "stats", "--json").json()
    assert stats["users"]["total"] >= 3 and {"repos", "lfs", "xet", "tokens"} <= set(stats)
    assert cli(*admin, "admin", "stats").out.startswith("users: ")
    kept = cli(*admin, "admin", "users", "delete", name)
    assert kept.code == 2  # no terminal, no --yes
    cli(*admin, "admin", "users", "delete", name, "--yes")
    assert cli(*admin, "admin", "users", "list", "--search", name, "--json").json()["total"] == 0
    missing = cli(*admin, "admin", "users", "delete", name, "--yes")
    assert missing.code == 1 and missing.err.strip() == f"Error: User '{name}' not found"


def test_quotas(cli):
    admin = ("--token", ADMIN_TOKEN)
    name = _new_user(cli)
    # alice may read her quota but not set it; the bootstrap token may set anyone's.
    before = cli.alice("quota", "show", "--json").json()
    assert before["namespace"] == "alice"
    refused = cli("quota", "set", "alice", "--private", "1GB", token=cli.hub.alice_token)
    assert refused.code == 1 and refused.err.strip() == "Error: Only site administrators may do this"
    assert cli.alice("quota", "show", "--json").json()["private"]["limit"] == before["private"]["limit"]
    limits = cli(*admin, "quota", "set", name, "--private", "10MiB", "--public", "unlimited", "--json").json()
    assert limits["private"] == {"used": 0, "limit": 10 * 2**20} and limits["public"]["limit"] is None
    listed = cli(*admin, "admin", "quotas", "list", "--search", name, "--json").json()["quotas"]
    assert [(q["namespace"], q["type"], q["private"]["limit"]) for q in listed] == [
        (name, "user", 10 * 2**20)
    ]
    assert "10.0 MiB" in cli(*admin, "admin", "quotas", "show", name).out
    reset = cli(*admin, "admin", "quotas", "set", name, "--private", "default", "--json").json()
    assert reset["private"]["limit"] is None
    assert cli(*admin, "quota", "recalculate", name, "--json").json()["namespace"] == name
    bad = cli(*admin, "quota", "set", name, "--private", "12XB")
    assert bad.code == 2 and "Invalid size '12XB'" in bad.err


def test_admin_repos(cli):
    admin = ("--token", ADMIN_TOKEN)
    name, repo = _new_user(cli), unique("adopted")
    cli.alice("repo", "create", f"alice/{repo}", "--private")
    rows = cli(*admin, "admin", "repos", "list", "--namespace", "alice", "--search", repo, "--json").json()
    assert [(r["id"], r["private"]) for r in rows["repositories"]] == [(f"alice/{repo}", True)]
    moved = cli(*admin, "admin", "repos", "transfer", f"alice/{repo}", name, "--json").json()
    assert moved["repository"]["id"] == f"{name}/{repo}"
    assert cli(*admin, "admin", "repos", "delete", f"{name}/{repo}").code == 2  # no terminal, no --yes
    assert cli(*admin, "admin", "repos", "list", "--namespace", name, "--json").json()["total"] == 1
    assert cli(*admin, "admin", "repos", "delete", f"{name}/{repo}", "--yes").code == 0
    assert cli(*admin, "admin", "repos", "list", "--namespace", name, "--json").json()["total"] == 0
    refused = cli("admin", "repos", "delete", "alice/anything", "--yes", token=cli.hub.alice_token)
    assert refused.code == 1 and refused.err.strip() == "Error: Only site administrators may do this"

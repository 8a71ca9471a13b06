"""kohub-cli installs and runs without the hub's server side, and misuse exits 2 without side effects."""

from __future__ import annotations

import subprocess

import pytest

from tests.cli.installed import SERVER_PACKAGES

pytestmark = pytest.mark.e2e


def test_installed_without_the_server_dependencies(cli_venv):
    python = str(cli_venv / "bin" / "python")
    config = (cli_venv / "pyvenv.cfg").read_text()
    assert "include-system-site-packages = false" in config
    probe = (
        "import importlib.util, json, kohub_cli, huggingface_hub, typer, rich, httpx; "
        f"print(json.dumps([m for m in {list(SERVER_PACKAGES)!r} if importlib.util.find_spec(m)]))"
    )
    result = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=False, cwd="/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    # A real install (not a link to the checkout): the package lives in the environment.
    where = subprocess.run(
        [python, "-c", "import kohub_cli; print(kohub_cli.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    ).stdout
    assert where.startswith(str(cli_venv))


def test_version_and_help(cli):
    assert cli("--version").out.strip() == "kohub-cli 0.1.0"
    result = cli("--help")
    assert result.code == 0
    for group in (
        "auth",
        "token",
        "repo",
        "branch",
        "tag",
        "upload",
        "download",
        "org",
        "collaborator",
        "quota",
        "admin",
        "health",
    ):
        assert group in result.out


@pytest.mark.parametrize(
    "args",
    [
        ("bogus",),  # unknown command
        ("repo", "info"),  # missing argument
        ("repo", "list", "--type", "kernel"),  # not a repo type
        ("token", "create", "x", "--role", "owner"),  # not a token role
        ("repo", "settings", "alice/x"),  # nothing to change
        ("quota", "set", "alice"),  # nothing to change
        ("org", "invite", "acme", "--max-uses", "2", "--unlimited"),
        ("--endpoint", "ftp://hub", "health"),  # not an http(s) endpoint
        ("repo", "info", "a/b/c"),  # not a repo id
        ("auth", "login"),  # would have to ask, and stdin is no terminal
        ("auth", "login", "--password-stdin"),  # a password for whom?
    ],
)
def test_usage_errors_exit_2(cli, args):
    result = cli(*args, token=cli.hub.alice_token)
    assert result.code == 2, (result.out, result.err)
    assert result.out == ""
    assert not (cli.home / "stored_tokens").exists()


def test_unreachable_hub_exits_1(cli):
    result = cli("--endpoint", "http://127.0.0.1:9", "health")
    assert result.code == 1
    assert "Cannot reach the hub at http://127.0.0.1:9" in result.err


def test_health(cli):
    result = cli("health", "--json")
    assert result.code == 0
    assert result.json() == {
        "endpoint": cli.hub.url,
        "status": "ok",
        "api": "kohakuhub",
        "version": result.json()["version"],
    }

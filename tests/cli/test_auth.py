"""``auth``: one login signs in kohub-cli, the ``hf`` CLI and huggingface_hub; logout, switch, refusals."""

from __future__ import annotations

import socket

import pytest

from tests.cli.conftest import python_with_hf, unique
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def test_password_login_signs_in_hf_and_the_python_client(cli):
    repo = f"alice/{unique('private')}"
    cli.alice("repo", "create", repo, "--private")
    (cli.home.parent / "f.txt").write_text("only alice\n")
    cli.alice("upload", repo, str(cli.home.parent / "f.txt"), "-q")

    result = cli("auth", "login", "--username", "alice", "--password-stdin", input=PASSWORD + "\n")
    assert result.code == 0, result.err
    name = f"kohub-cli@{socket.gethostname()}"
    assert f"as alice; token {name!r} is stored and active" in result.out
    assert list(cli.stored_tokens()) == [name]
    assert (cli.home / "token").read_text() == cli.stored_tokens()[name]

    who = cli("auth", "whoami", "--json").json()  # no HF_TOKEN: the stored login
    assert who["name"] == "alice" and who["auth"]["accessToken"] == {"displayName": name, "role": "write"}

    # The hf CLI and the Python client (another install, same HF_HOME) need nothing more.
    hf = cli.hf("auth", "whoami")
    assert hf.returncode == 0 and "alice" in hf.stdout, hf.stderr
    code = (
        "from huggingface_hub import HfApi, hf_hub_download; "
        f"print(HfApi().whoami()['name']); print(open(hf_hub_download({repo!r}, 'f.txt')).read(), end='')"
    )
    client = python_with_hf(cli.env(), code)
    assert client.returncode == 0, client.stderr
    assert client.stdout == "alice\nonly alice\n"

    # The endpoint is remembered: without HF_ENDPOINT kohub-cli still finds the hub.
    listed = cli("auth", "list", "--json").json()
    assert listed == [
        {
            "name": name,
            "active": True,
            "endpoint": cli.hub.url,
            "username": "alice",
            "token": listed[0]["token"],
        }
    ]
    assert cli("auth", "whoami", "--json", env={"HF_ENDPOINT": None}).json()["name"] == "alice"


def test_logout_revokes_the_token_a_password_login_made(cli):
    assert (
        cli(
            "auth",
            "login",
            "-u",
            "alice",
            "--password-stdin",
            "--token-name",
            "laptop",
            input=PASSWORD + "\n",
        ).code
        == 0
    )
    token = cli.stored_tokens()["laptop"]
    assert cli("--token", token, "auth", "whoami").code == 0

    result = cli("auth", "logout")
    assert result.code == 0, result.err
    assert "Revoked token 'laptop'" in result.err
    assert cli.stored_tokens() == {} and not (cli.home / "token").exists()
    refused = cli("--token", token, "auth", "whoami")
    assert refused.code == 1 and "does not accept this token" in refused.err
    assert cli.hf("auth", "whoami").returncode != 0
    again = cli("auth", "logout")
    assert again.code == 1 and "Not logged in" in again.err


def test_token_logins_switch_and_precedence(cli):
    hub = cli.hub
    assert (
        cli("auth", "login", "--with-token", "--token-name", "bob-token", input=hub.bob_token + "\n").code
        == 0
    )
    assert cli("--token", hub.alice_token, "auth", "login", "--token-name", "alice-token").code == 0
    assert sorted(cli.stored_tokens()) == ["alice-token", "bob-token"]
    assert cli("auth", "whoami", "--json").json()["name"] == "alice"

    switched = cli("auth", "switch", "bob-token")
    assert switched.code == 0 and "Active token: 'bob-token'" in switched.out
    assert cli("auth", "whoami", "--json").json()["name"] == "bob"
    assert "bob" in cli.hf("auth", "whoami").stdout
    # HF_TOKEN wins over the stored login, --token over both.
    assert cli("auth", "whoami", "--json", token=hub.alice_token).json()["name"] == "alice"
    assert (
        cli("--token", hub.bob_token, "auth", "whoami", "--json", token=hub.alice_token).json()["name"]
        == "bob"
    )

    missing = cli("auth", "switch", "nope")
    assert missing.code == 1 and "No stored token named 'nope'" in missing.err
    assert cli("auth", "whoami", "--json").json()["name"] == "bob"

    # A pasted token is only forgotten here: it was made elsewhere and keeps working.
    assert cli("auth", "logout", "bob-token").code == 0
    assert list(cli.stored_tokens()) == ["alice-token"]
    assert cli("--token", hub.bob_token, "auth", "whoami").code == 0


def test_refused_logins_store_nothing(cli):
    before = len(cli.alice("token", "list", "--json").json())
    wrong = cli("auth", "login", "-u", "alice", "--password-stdin", input="not-the-password\n")
    assert wrong.code == 1
    assert "Invalid username or password" in wrong.err
    bad_token = cli("auth", "login", "--with-token", input="khub_not-a-token\n")
    assert bad_token.code == 1 and "does not accept this token" in bad_token.err
    assert not (cli.home / "stored_tokens").exists() and not (cli.home / "token").exists()
    assert len(cli.alice("token", "list", "--json").json()) == before


def test_interactive_logins_in_a_terminal(cli):
    result = cli.in_terminal("auth", "login", answers=[("Username", "alice"), ("Password", PASSWORD)])
    assert result.code == 0, result.out
    assert PASSWORD not in result.out  # typed without echo
    pasted = cli.in_terminal(
        "auth",
        "login",
        "--token-name",
        "bob-token",
        answers=[("Username", ""), ("Access token", cli.hub.bob_token)],
    )
    assert pasted.code == 0, pasted.out
    assert cli.hub.bob_token not in pasted.out
    assert cli("auth", "whoami", "--json").json()["name"] == "bob"

    number = sorted(cli.stored_tokens()).index(f"kohub-cli@{socket.gethostname()}") + 1  # as listed
    chosen = cli.in_terminal("auth", "switch", answers=[("Token number", str(number))])
    assert chosen.code == 0, chosen.out
    assert cli("auth", "whoami", "--json").json()["name"] == "alice"


def test_a_login_that_cannot_store_its_token_revokes_it(cli, tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("HF_HOME must be a directory\n")
    result = cli(
        "auth",
        "login",
        "-u",
        "alice",
        "--password-stdin",
        "--token-name",
        "unstorable",
        input=PASSWORD + "\n",
        env={"HF_HOME": str(blocked)},
    )
    assert result.code == 1 and result.err.startswith("Error: Cannot store the token:")
    assert "unstorable" not in {t["name"] for t in cli.alice("token", "list", "--json").json()}

"""``repo``: lifecycle with --json output parsed, the typed-name confirmation, and refusals that change
nothing."""

from __future__ import annotations

import re

import pytest

from tests.cli.conftest import unique

pytestmark = pytest.mark.e2e

SHA1 = re.compile(r"^[0-9a-f]{40}$")


def test_repo_lifecycle(cli):
    model, dataset = f"alice/{unique('model')}", f"alice/{unique('data')}"
    created = cli.alice("repo", "create", model, "--private", "--json").json()
    assert created["url"] == f"{cli.hub.url}/{model}"
    assert (
        cli.alice("repo", "create", dataset, "--type", "dataset").out.strip()
        == f"Created {cli.hub.url}/datasets/{dataset}"
    )

    again = cli("repo", "create", model, token=cli.hub.alice_token)
    assert again.code == 1 and again.out == ""
    assert again.err.strip() == f"Error: Model repository {model} already exists"
    assert cli.alice("repo", "create", model, "--exist-ok", "--json").json()["exists"] is True

    mine = {r["id"]: r for r in cli.alice("repo", "list", "--author", "alice", "--json").json()}
    assert mine[model]["private"] is True and dataset not in mine
    assert dataset in {r["id"] for r in cli.alice("repo", "list", "-t", "dataset", "--json").json()}
    # The type may be given as on the web: datasets/NS/NAME.
    info = cli.alice("repo", "info", f"datasets/{dataset}", "--json").json()
    assert info["id"] == dataset and SHA1.match(info["sha"]) and info["private"] is False
    assert [s["rfilename"] for s in info["siblings"]] == [".gitattributes"]

    public = cli.alice("repo", "settings", model, "--public", "--json").json()
    assert public == {"id": model, "private": False, "gated": False}
    assert cli.alice("repo", "info", model, "--json").json()["private"] is False

    moved = f"alice/{unique('moved')}"
    assert (
        cli.alice("repo", "move", model, moved.split("/")[1], "--json").json()["url"]
        == f"{cli.hub.url}/{moved}"
    )
    assert cli.alice("repo", "info", moved, "--json").json()["id"] == moved
    assert (
        cli.alice("repo", "delete", dataset, "-t", "dataset", "--yes").out.strip()
        == f"Deleted datasets/{dataset}."
    )
    gone = cli("repo", "info", dataset, "-t", "dataset", token=cli.hub.alice_token)
    assert gone.code == 1 and "not found" in gone.err.lower()


def test_delete_asks_to_type_the_name(cli):
    repo = f"alice/{unique('keep')}"
    cli.alice("repo", "create", repo)
    # No terminal and no --yes: refused as a usage error, nothing asked, nothing deleted.
    piped = cli("repo", "delete", repo, token=cli.hub.alice_token, input=repo + "\n")
    assert piped.code == 2 and "pass --yes" in piped.err
    wrong = cli.in_terminal(
        "repo",
        "delete",
        repo,
        token=cli.hub.alice_token,
        answers=[(f"Type {repo} to confirm", "alice/other")],
    )
    assert wrong.code == 1 and "nothing was changed" in wrong.out
    assert cli.alice("repo", "info", repo, "--json").json()["id"] == repo
    right = cli.in_terminal(
        "repo", "delete", repo, token=cli.hub.alice_token, answers=[(f"Type {repo} to confirm", repo)]
    )
    assert right.code == 0, right.out
    assert cli("repo", "info", repo, token=cli.hub.alice_token).code == 1


def test_refusals_print_the_hubs_message_and_change_nothing(cli):
    repo = f"alice/{unique('target')}"
    cli.alice("repo", "create", repo)
    before = cli.alice("repo", "info", repo, "--json").json()
    bob = cli.hub.bob_token
    for args, message in [
        (("repo", "delete", repo, "--yes"), f"You don't have the rights to administer model {repo}"),
        (("repo", "settings", repo, "--private"), f"You don't have the rights to administer model {repo}"),
        (("repo", "move", repo, "bob/stolen"), f"You don't have the rights to administer model {repo}"),
        (("repo", "create", "alice/by-bob"), "You don't have the rights to create a repo under 'alice'"),
    ]:
        result = cli(*args, token=bob)
        assert result.code == 1, (args, result.err)
        assert result.err.strip() == f"Error: {message}"
        assert result.out == ""
    assert cli.alice("repo", "info", repo, "--json").json() == before
    assert cli("repo", "info", "bob/stolen", token=bob).code == 1
    assert cli("repo", "info", "alice/by-bob", token=cli.hub.alice_token).code == 1
    # Anonymous: the hub's message and a hint to sign in.
    anonymous = cli("repo", "create", "alice/anon")
    assert anonymous.code == 1 and "kohub-cli auth login" in anonymous.err


def test_gated_setting(cli):
    repo = f"alice/{unique('gated')}"
    cli.alice("repo", "create", repo)
    result = cli("repo", "settings", repo, "--gated", "manual", "--json", token=cli.hub.alice_token)
    assert result.code == 0, result.err
    assert result.json()["gated"] == "manual"
    assert cli.alice("repo", "settings", repo, "--gated", "off", "--json").json()["gated"] is False

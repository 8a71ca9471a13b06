"""``org`` (members, roles, invitations) and ``collaborator``: what org and repo admins do, and what
others are refused."""

from __future__ import annotations

import httpx
import pytest

from tests.cli.conftest import unique

pytestmark = pytest.mark.e2e


def _members(cli, org: str) -> dict[str, str]:
    return {m["username"]: m["role"] for m in cli.alice("org", "members", "list", org, "--json").json()}


def test_org_members_and_invitations(cli):
    org = unique("acme")
    assert (
        cli.alice("org", "create", org, "--description", "Rockets").out.strip()
        == f"Created organization {org}."
    )
    info = cli.alice("org", "info", org, "--json").json()
    assert info["name"] == org and info["description"] == "Rockets" and info["member_count"] == 1

    cli.alice("org", "members", "add", org, "bob", "--role", "visitor")
    assert _members(cli, org) == {"alice": "super-admin", "bob": "visitor"}
    # A visitor cannot manage members: the hub's message, nothing changed.
    refused = cli("org", "members", "role", org, "bob", "admin", token=cli.hub.bob_token)
    assert refused.code == 1 and refused.err.strip() == f"Error: You must be an admin of {org} to do this"
    assert _members(cli, org)["bob"] == "visitor"
    assert {o["name"]: o["role"] for o in cli("org", "list", "--json", token=cli.hub.bob_token).json()} == {
        org: "visitor"
    }

    cli.alice("org", "members", "role", org, "bob", "member")
    assert _members(cli, org)["bob"] == "member"
    kept = cli("org", "members", "remove", org, "bob", token=cli.hub.alice_token)
    assert kept.code == 2 and _members(cli, org)["bob"] == "member"  # no terminal, no --yes
    cli.alice("org", "members", "remove", org, "bob", "--yes")
    assert _members(cli, org) == {"alice": "super-admin"}

    link = cli.alice("org", "invite", org, "--role", "admin", "--json").json()
    assert link["invitation_link"] == f"{cli.hub.url}/invite/{link['token']}"
    assert (link["role"], link["max_uses"], link["is_valid"]) == ("admin", 1, True)
    assert cli.alice("org", "invite", org, "--unlimited").out.startswith(f"{cli.hub.url}/invite/khinv_")
    # The link works: bob accepts it over the hub's API and becomes what it says.
    accepted = httpx.post(
        f"{cli.hub.url}/api/invitations/{link['token']}/accept",
        headers={"Authorization": f"Bearer {cli.hub.bob_token}"},
    )
    assert accepted.status_code == 200, accepted.text
    assert _members(cli, org)["bob"] == "admin"
    listed = cli.alice("org", "invitations", org, "--json").json()
    assert sorted((i["uses"], i["max_uses"]) for i in listed) == [(0, None), (1, 1)]


def test_collaborators(cli):
    repo = f"alice/{unique('shared')}"
    cli.alice("repo", "create", repo, "--private")
    assert cli("repo", "info", repo, token=cli.hub.bob_token).code == 1

    assert cli.alice("collaborator", "add", repo, "bob").out.strip() == f"bob has read access to {repo}."
    assert cli.alice("collaborator", "list", repo, "--json").json() == [{"username": "bob", "role": "read"}]
    assert cli("repo", "info", repo, "--json", token=cli.hub.bob_token).json()["id"] == repo
    # A reader cannot grant access; nothing changes.
    refused = cli("collaborator", "add", repo, "bob", "--role", "write", token=cli.hub.bob_token)
    assert (
        refused.code == 1
        and refused.err.strip() == f"Error: You don't have the rights to administer model {repo}"
    )
    assert cli.alice("collaborator", "list", repo, "--json").json() == [{"username": "bob", "role": "read"}]

    cli.alice("collaborator", "add", repo, "bob", "--role", "write")
    assert cli.alice("collaborator", "list", repo, "--json").json() == [{"username": "bob", "role": "write"}]
    cli.alice("collaborator", "remove", repo, "bob", "--yes")
    assert cli.alice("collaborator", "list", repo, "--json").json() == []
    assert cli("repo", "info", repo, token=cli.hub.bob_token).code == 1

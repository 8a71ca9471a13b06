"""``org create|info|list``, ``org members list|add|remove|role`` and ``org invite`` / ``org invitations``."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from kohub_cli.errors import UsageError
from kohub_cli.http import seg
from kohub_cli.options import Json, Yes
from kohub_cli.output import confirm_typed, done, emit_json, fields, table
from kohub_cli.session import current

app = typer.Typer(name="org", help="Organizations, their members and invitations.", no_args_is_help=True)
members = typer.Typer(
    name="members", help="List, add, remove members and change their roles.", no_args_is_help=True
)
app.add_typer(members)

Org = Annotated[str, typer.Argument(metavar="ORG", help="The organization's name.")]
User = Annotated[str, typer.Argument(metavar="USER", help="A user name.")]


class OrgRole(str, Enum):
    visitor = "visitor"
    member = "member"
    admin = "admin"
    super_admin = "super-admin"


@app.command()
def create(
    ctx: typer.Context,
    name: Org,
    description: Annotated[str | None, typer.Option(help="A line about the organization.")] = None,
) -> None:
    """Create an organization; you become its super-admin."""
    answer = current(ctx).http.send("POST", "/org/create", {"name": name, "description": description})
    done(f"Created organization {answer['name']}.")


@app.command()
def info(ctx: typer.Context, name: Org, json: Json = False) -> None:
    """An organization's description, creation date and member count."""
    data = current(ctx).http.get(f"/org/{seg(name)}")
    if json:
        emit_json(data)
        return
    fields(
        [
            ("name", data["name"]),
            ("description", data.get("description") or ""),
            ("created", data.get("created_at")),
            ("members", data.get("member_count")),
        ]
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Argument(metavar="[USER]", help="Whose (default: yours).")] = None,
    json: Json = False,
) -> None:
    """The organizations a user belongs to, with their role."""
    session = current(ctx)
    orgs = session.http.get(f"/org/users/{seg(user or session.username)}/orgs")["organizations"]
    if json:
        emit_json(orgs)
        return
    table(
        ["name", "role", "description"],
        [[o["name"], o["role"], o.get("description")] for o in orgs],
        empty="No organizations.",
    )


@members.command("list")
def list_members(ctx: typer.Context, org: Org, json: Json = False) -> None:
    """An organization's members and roles."""
    rows = current(ctx).http.get(f"/org/{seg(org)}/members")["members"]
    if json:
        emit_json(rows)
        return
    table(["user", "role"], [[m["username"], m["role"]] for m in rows], empty="No members.")


@members.command("add")
def add_member(
    ctx: typer.Context,
    org: Org,
    user: User,
    role: Annotated[OrgRole, typer.Option(help="The new member's role.")] = OrgRole.member,
) -> None:
    """Add a user to an organization (org admins)."""
    answer = current(ctx).http.send(
        "POST", f"/org/{seg(org)}/members", {"username": user, "role": role.value}
    )
    done(f"Added {answer['username']} to {org} as {answer['role']}.")


@members.command("role")
def set_role(
    ctx: typer.Context,
    org: Org,
    user: User,
    role: Annotated[OrgRole, typer.Argument(metavar="ROLE", help="visitor, member, admin or super-admin.")],
) -> None:
    """Change a member's role (org admins; super-admin only by a super-admin)."""
    answer = current(ctx).http.send("PUT", f"/org/{seg(org)}/members/{seg(user)}", {"role": role.value})
    done(f"{answer['username']} is now {answer['role']} of {org}.")


@members.command("remove")
def remove_member(ctx: typer.Context, org: Org, user: User, yes: Yes = False) -> None:
    """Remove a member (or leave, with your own name). Asks to type the user name unless --yes."""
    confirm_typed(f"remove {user} from {org}", user, yes)
    current(ctx).http.send("DELETE", f"/org/{seg(org)}/members/{seg(user)}")
    done(f"Removed {user} from {org}.")


@app.command()
def invite(
    ctx: typer.Context,
    org: Org,
    role: Annotated[OrgRole, typer.Option(help="Role given to whoever accepts.")] = OrgRole.member,
    max_uses: Annotated[
        int | None, typer.Option(min=1, help="How many may accept it [default: 1].", show_default=False)
    ] = None,
    unlimited: Annotated[bool, typer.Option("--unlimited", help="Any number may accept it.")] = False,
    expires_in_days: Annotated[int, typer.Option(min=1, help="Lifetime in days.")] = 7,
    json: Json = False,
) -> None:
    """Create an invitation link to join an organization (org admins)."""
    if unlimited and max_uses is not None:
        raise UsageError("Give --max-uses or --unlimited, not both")
    body = {
        "role": role.value,
        "max_uses": None if unlimited else (max_uses or 1),
        "expires_in_days": expires_in_days,
    }
    answer = current(ctx).http.send("POST", f"/api/invitations/org/{seg(org)}/create", body)
    if json:
        emit_json(answer)
    else:
        done(answer["invitation_link"])


@app.command()
def invitations(ctx: typer.Context, org: Org, json: Json = False) -> None:
    """An organization's invitations and whether each is still valid (org admins)."""
    rows = current(ctx).http.get(f"/api/invitations/org/{seg(org)}/list")["invitations"]
    if json:
        emit_json(rows)
        return
    table(
        ["id", "role", "uses", "expires", "valid"],
        [
            [
                i["id"],
                i.get("role"),
                f"{i['uses']}/{i['max_uses'] if i['max_uses'] is not None else 'unlimited'}",
                i.get("expires_at") or "never",
                "yes" if i.get("is_valid") else i.get("error"),
            ]
            for i in rows
        ],
        empty="No invitations.",
    )

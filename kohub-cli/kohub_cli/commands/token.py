"""``token create|list|revoke``: the signed-in user's access tokens on the hub."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from kohub_cli.commands.auth import Role
from kohub_cli.errors import UsageError
from kohub_cli.options import Json, Yes
from kohub_cli.output import confirm_typed, done, emit_json, note, table
from kohub_cli.session import current

app = typer.Typer(name="token", help="Create, list and revoke your access tokens.", no_args_is_help=True)


@app.command()
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A name to recognise the token by.")],
    role: Annotated[
        Role, typer.Option(help="read: download only; write: also upload and manage.")
    ] = Role.write,
    expires_in_days: Annotated[int | None, typer.Option(min=1, help="Lifetime in days.")] = None,
    expires_at: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"], help="Expiry date (UTC).")
    ] = None,
    json: Json = False,
) -> None:
    """Create a token. Its secret is printed once, alone on stdout (for scripts); the hub keeps a hash."""
    if expires_in_days is not None and expires_at is not None:
        raise UsageError("Give --expires-in-days or --expires-at, not both")
    body = {
        "name": name,
        "role": role.value,
        "expires_in_days": expires_in_days,
        "expires_at": expires_at.isoformat() if expires_at else None,
    }
    created = current(ctx).http.send("POST", "/api/auth/tokens/create", body)
    if json:
        emit_json(created)
        return
    expiry = created.get("expires_at") or "never"
    note(
        f"Token {created['name']!r} (id {created['token_id']}, {created['role']}, expires {expiry}). "
        "Copy it now: it is not shown again."
    )
    done(created["token"])


@app.command("list")
def list_(ctx: typer.Context, json: Json = False) -> None:
    """Your tokens (never their secrets)."""
    tokens = current(ctx).http.get("/api/auth/tokens")["tokens"]
    if json:
        emit_json(tokens)
        return
    table(
        ["id", "name", "role", "created", "last used", "expires"],
        [
            [
                t["id"],
                t["name"],
                t["role"],
                t["created_at"],
                t.get("last_used") or "never",
                ("expired " if t.get("expired") else "") + (t.get("expires_at") or "never"),
            ]
            for t in tokens
        ],
        empty="No tokens.",
    )


@app.command()
def revoke(
    ctx: typer.Context,
    token_id: Annotated[int, typer.Argument(metavar="ID", min=1, help="The token's id (see `token list`).")],
    yes: Yes = False,
) -> None:
    """Revoke a token: anything using it is signed out at once."""
    http = current(ctx).http
    names = {t["id"]: t["name"] for t in http.get("/api/auth/tokens")["tokens"]}
    # An unknown id is sent anyway: the hub's refusal says what is wrong.
    confirm_typed(f"revoke token {token_id}", names.get(token_id, str(token_id)), yes)
    http.send("DELETE", f"/api/auth/tokens/{token_id}")
    done(f"Revoked token {token_id} ({names.get(token_id, '?')}).")

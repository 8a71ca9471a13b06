"""``health``: is the hub up, and which version answers."""

from __future__ import annotations

import typer

from kohub_cli.options import Json
from kohub_cli.output import emit_json, fields
from kohub_cli.session import current


def register(app: typer.Typer) -> None:
    app.command()(health)


def health(ctx: typer.Context, json: Json = False) -> None:
    """Check that the hub answers (exit code 1 when it does not)."""
    session = current(ctx)
    http = session.http_with(None)  # health needs no identity, and a bad token must not fail it
    data = {"endpoint": session.endpoint, **http.get("/health"), **http.get("/api/version")}
    if json:
        emit_json(data)
    else:
        fields(
            [
                ("endpoint", data["endpoint"]),
                ("status", data.get("status")),
                ("version", f"{data.get('api')} {data.get('version')}"),
            ]
        )

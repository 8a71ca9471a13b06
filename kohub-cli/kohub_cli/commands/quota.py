"""``quota show|set|recalculate``: a namespace's storage use and limits (private and public repos).

``show`` uses ``/api/quota/{ns}`` (the namespace's own users and members); ``set`` and ``recalculate``
go through the admin API, which a site admin's token and the bootstrap admin token both open.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from kohub_cli.errors import UsageError
from kohub_cli.http import seg
from kohub_cli.options import Json
from kohub_cli.output import emit_json, table
from kohub_cli.session import current
from kohub_cli.sizes import human, parse

app = typer.Typer(
    name="quota", help="Storage use and limits of a user or organization.", no_args_is_help=True
)

Namespace = Annotated[str, typer.Argument(metavar="NAMESPACE", help="A user or organization.")]
LimitOpt = Annotated[
    str | None,
    typer.Option(
        help="A size (10GB, 500MiB, bytes), 'unlimited', or 'default' (the hub's setting).",
        show_default=False,
    ),
]


def print_quota(data: dict[str, Any]) -> None:
    """Private and public usage against their limits."""
    table(
        ["namespace", "repos", "used", "limit"],
        [
            [data["namespace"], side, human(data[side]["used"]), human(data[side]["limit"], none="unlimited")]
            for side in ("private", "public")
        ],
    )


def limit_value(text: str) -> int | str | None:
    """The JSON value of a limit typed on the command line."""
    if text.lower() == "unlimited":
        return None
    if text.lower() == "default":
        return "default"
    return parse(text)


def limits_body(private: str | None, public: str | None) -> dict[str, Any]:
    """``{"private": ..., "public": ...}`` with only the limits given.

    Raises:
        UsageError: neither limit given, or a value that is not a size.
    """
    if private is None and public is None:
        raise UsageError("Nothing to change: give --private and/or --public")
    return {
        side: limit_value(text)
        for side, text in (("private", private), ("public", public))
        if text is not None
    }


@app.command()
def show(
    ctx: typer.Context,
    namespace: Annotated[str | None, typer.Argument(metavar="[NAMESPACE]", help="Default: yours.")] = None,
    json: Json = False,
) -> None:
    """Storage used and the limits of a namespace you belong to."""
    session = current(ctx)
    data = session.http.get(f"/api/quota/{seg(namespace or session.username)}")
    if json:
        emit_json(data)
    else:
        print_quota(data)


@app.command("set")
def set_(
    ctx: typer.Context,
    namespace: Namespace,
    private: LimitOpt = None,
    public: LimitOpt = None,
    json: Json = False,
) -> None:
    """Change a namespace's limits (site admins)."""
    body = limits_body(private, public)
    data = current(ctx).http.send("PUT", f"/admin/api/quotas/{seg(namespace)}", body)
    if json:
        emit_json(data)
    else:
        print_quota(data)


@app.command()
def recalculate(ctx: typer.Context, namespace: Namespace, json: Json = False) -> None:
    """Measure a namespace's repos again from storage (site admins)."""
    data = current(ctx).http.send("POST", f"/admin/api/quotas/{seg(namespace)}/recalculate")
    if json:
        emit_json(data)
    else:
        print_quota(data)

"""``config show|set|unset``: kohub-cli's default endpoint (see config.py)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from kohub_cli import config
from kohub_cli.errors import UsageError
from kohub_cli.options import Json
from kohub_cli.output import done, emit_json, fields
from kohub_cli.session import current

app = typer.Typer(name="config", help="kohub-cli's settings (the default endpoint).", no_args_is_help=True)


class Key(str, Enum):
    endpoint = "endpoint"


@app.command()
def show(ctx: typer.Context, json: Json = False) -> None:
    """The endpoint and token this run would use, and where each comes from."""
    session = current(ctx)
    endpoint, endpoint_source = session.endpoint_and_source
    data = {
        "config_file": str(config.config_path()),
        "endpoint": endpoint,
        "endpoint_source": endpoint_source,
        "token_source": session.token_and_source[1],
    }
    if json:
        emit_json(data)
    else:
        fields(data.items())


@app.command("set")
def set_(
    key: Annotated[Key, typer.Argument(metavar="KEY", help="endpoint")],
    value: Annotated[str, typer.Argument(metavar="VALUE")],
) -> None:
    """Set a setting (HF_ENDPOINT and --endpoint still take precedence)."""
    if not value.startswith(("http://", "https://")):
        raise UsageError(f"Invalid endpoint {value!r}: expected http://... or https://...")
    config.update(**{key.value: value.rstrip("/")})
    done(f"{key.value} = {value.rstrip('/')}")


@app.command()
def unset(key: Annotated[Key, typer.Argument(metavar="KEY", help="endpoint")]) -> None:
    """Remove a setting."""
    config.update(**{key.value: None})
    done(f"{key.value} unset")

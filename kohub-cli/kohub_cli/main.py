"""The ``kohub-cli`` command: global options, the command groups, and the exit codes.

Exit codes: 0 success; 1 an error from the hub (its message on stderr) or the hub out of reach; 2 a
usage error. See errors.py.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from kohub_cli import __version__
from kohub_cli.commands import (
    admin,
    auth,
    collaborator,
    config_cmd,
    health,
    history,
    org,
    quota,
    refs,
    repo,
    token,
    transfer,
)
from kohub_cli.errors import EXIT_ERROR, CliError
from kohub_cli.output import error
from kohub_cli.session import Session

app = typer.Typer(
    name="kohub-cli",
    help="The command line of a KohakuHub server.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kohub-cli {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            "-e",
            help="The hub's address (default: HF_ENDPOINT, then the one you logged in to).",
            show_default=False,
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token", help="Access token (default: HF_TOKEN, then the stored login).", show_default=False
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Sign in, manage tokens, repos, organizations, quotas, and administer the hub.

    Uploads and downloads go through huggingface_hub (LFS, Xet, resumes and progress bars), and logging in
    signs in `hf`, `transformers` and the Python client too.
    """
    ctx.obj = Session(endpoint, token)


for group in (
    auth.app,
    token.app,
    repo.app,
    refs.app,
    refs.tags,
    org.app,
    collaborator.app,
    quota.app,
    admin.app,
    config_cmd.app,
):
    app.add_typer(group)
history.register(repo.app)
transfer.register(app)
health.register(app)


def run() -> None:
    """Entry point of the console script: errors become a message and an exit code, never a traceback."""
    try:
        app()
    except CliError as exc:
        error(exc.message)
        sys.exit(exc.exit_code)
    except Exception as exc:
        message = _hf_error_message(exc)
        if message is None:
            raise
        error(message)
        sys.exit(EXIT_ERROR)


def _hf_error_message(exc: Exception) -> str | None:
    """The hub's message in an error raised by huggingface_hub, or None for any other exception."""
    try:
        from huggingface_hub.errors import HfHubHTTPError
    except ImportError:  # pragma: no cover - huggingface_hub is a dependency
        return None
    if isinstance(exc, HfHubHTTPError):
        response = exc.response
        if response is not None:
            try:
                body = response.json()
                if isinstance(body, dict) and isinstance(body.get("error"), str):
                    return body["error"]
            except ValueError:
                pass
            header = response.headers.get("x-error-message")
            if header:
                return header
        return str(exc).splitlines()[0]
    if isinstance(exc, (OSError, ValueError)) and type(exc).__module__.startswith("huggingface_hub"):
        return str(exc)
    return None

"""Options shared by many commands, so they read and behave the same everywhere."""

from __future__ import annotations

from typing import Annotated

import typer

from kohub_cli.repo_ref import RepoType

Json = Annotated[bool, typer.Option("--json", help="Print the hub's JSON answer (for scripts).")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask to type the name to confirm.")]
Type = Annotated[
    RepoType | None,
    typer.Option(
        "--type", "-t", help="Repo type (default: model).", case_sensitive=False, show_default=False
    ),
]
Revision = Annotated[
    str | None, typer.Option("--revision", "-r", help="Branch, tag or commit (default: main).")
]
RepoArg = Annotated[
    str, typer.Argument(help="Repo id: NAMESPACE/NAME, or NAME in your namespace.", metavar="REPO")
]
Limit = Annotated[int | None, typer.Option("--limit", "-n", min=1, help="Show at most this many.")]

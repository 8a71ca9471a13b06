"""What a command prints: data on stdout (a table, or JSON with ``--json``), notes and prompts on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from kohub_cli.errors import CliError, UsageError

# Piped output is not cut to 80 columns: a table's cells stay whole for grep and awk.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 4096)
err = Console(stderr=True, soft_wrap=True)


def emit_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout (exactly what the hub answered, for scripts)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, empty: str = "Nothing to show.") -> None:
    """Print rows under column headers; ``empty`` when there are none."""
    rows = [["" if cell is None else str(cell) for cell in row] for row in rows]
    if not rows:
        err.print(empty)
        return
    grid = Table(*columns, box=None, header_style="bold", pad_edge=False)
    for row in rows:
        grid.add_row(*(Text(cell) for cell in row))  # Text: a cell is data, never markup
    out.print(grid)


def fields(pairs: Iterable[tuple[str, Any]]) -> None:
    """Print ``name: value`` lines."""
    for name, value in pairs:
        out.print(f"[bold]{name}[/bold]: {escape('' if value is None else str(value))}", highlight=False)


def note(message: str) -> None:
    """A message for the person at the terminal (stderr, so stdout stays data)."""
    err.print(message, highlight=False, markup=False)


def error(message: str) -> None:
    """An error message (stderr)."""
    err.print(Text.assemble(("Error:", "red"), " ", message), highlight=False)


def done(message: str) -> None:
    """The result of a command that changes something."""
    out.print(message, highlight=False, markup=False)


def is_terminal() -> bool:
    return sys.stdin.isatty()


def need_terminal(what: str, instead: str) -> None:
    """Refuse to prompt when stdin is not a terminal (scripts never hang on a question).

    Raises:
        UsageError: stdin is not a terminal.
    """
    if not is_terminal():
        raise UsageError(f"{what} needs a terminal to ask; stdin is not one: {instead}")


def confirm_typed(action: str, name: str, yes: bool) -> None:
    """Ask the user to type ``name`` before a destructive ``action``; ``--yes`` skips it.

    Raises:
        UsageError: no ``--yes`` and stdin is not a terminal.
        CliError: the typed text is not ``name`` (nothing was changed).
    """
    if yes:
        return
    need_terminal(f"Confirming to {action}", "pass --yes")
    typed = typer.prompt(
        f"This will {action}. Type {name} to confirm", default="", show_default=False, err=True
    )
    if typed.strip() != name:
        raise CliError(f"Confirmation did not match {name!r}; nothing was changed")

"""``collaborator add|remove|list``: users granted read or write on one repo by its administrators."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from kohub_cli.http import seg
from kohub_cli.options import Json, RepoArg, Type, Yes
from kohub_cli.output import confirm_typed, done, emit_json, table
from kohub_cli.session import current

app = typer.Typer(name="collaborator", help="Grant one user read or write on one repo.", no_args_is_help=True)

User = Annotated[str, typer.Argument(metavar="USER", help="A user name.")]


class Access(str, Enum):
    read = "read"
    write = "write"


@app.command("list")
def list_(ctx: typer.Context, repo: RepoArg, type: Type = None, json: Json = False) -> None:
    """A repo's collaborators and their access."""
    session = current(ctx)
    rows = session.http.get(f"{session.repo(repo, type).api}/collaborators")["collaborators"]
    if json:
        emit_json(rows)
        return
    table(["user", "role"], [[c["username"], c["role"]] for c in rows], empty="No collaborators.")


@app.command()
def add(
    ctx: typer.Context,
    repo: RepoArg,
    user: User,
    type: Type = None,
    role: Annotated[Access, typer.Option(help="read or write.")] = Access.read,
) -> None:
    """Grant (or change) a user's access to a repo (repo admins)."""
    session = current(ctx)
    ref = session.repo(repo, type)
    answer = session.http.send("PUT", f"{ref.api}/collaborators/{seg(user)}", {"role": role.value})
    done(f"{answer['username']} has {answer['role']} access to {ref}.")


@app.command()
def remove(ctx: typer.Context, repo: RepoArg, user: User, type: Type = None, yes: Yes = False) -> None:
    """Take a collaborator's access away. Asks to type the user name unless --yes."""
    session = current(ctx)
    ref = session.repo(repo, type)
    confirm_typed(f"remove {user}'s access to {ref}", user, yes)
    session.http.send("DELETE", f"{ref.api}/collaborators/{seg(user)}")
    done(f"Removed {user} from {ref}.")

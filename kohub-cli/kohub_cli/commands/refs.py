"""``branch create|delete|list`` and ``tag create|delete|list`` (git refs of the repo)."""

from __future__ import annotations

from typing import Annotated

import typer

from kohub_cli.http import seg
from kohub_cli.options import Json, RepoArg, Type, Yes
from kohub_cli.output import confirm_typed, done, emit_json, table
from kohub_cli.session import current

app = typer.Typer(name="branch", help="Create, delete and list branches.", no_args_is_help=True)
tags = typer.Typer(name="tag", help="Create, delete and list tags.", no_args_is_help=True)

Name = Annotated[str, typer.Argument(metavar="NAME")]


def _list(ctx: typer.Context, repo: str, type, kind: str, json: bool) -> None:
    session = current(ctx)
    refs = session.http.get(f"{session.repo(repo, type).api}/refs")[kind]
    if json:
        emit_json(refs)
        return
    table(["name", "commit"], [[r["name"], r["targetCommit"]] for r in refs], empty=f"No {kind}.")


@app.command("list")
def list_branches(ctx: typer.Context, repo: RepoArg, type: Type = None, json: Json = False) -> None:
    """The repo's branches and the commit each points at."""
    _list(ctx, repo, type, "branches", json)


@app.command("create")
def create_branch(
    ctx: typer.Context,
    repo: RepoArg,
    name: Name,
    type: Type = None,
    start: Annotated[str | None, typer.Option("--from", help="Start point (default: main's head).")] = None,
) -> None:
    """Create a branch."""
    session = current(ctx)
    ref = session.repo(repo, type)
    session.http.send("POST", f"{ref.api}/branch/{seg(name)}", {"startingPoint": start} if start else None)
    done(f"Created branch {name} in {ref}.")


@app.command("delete")
def delete_branch(ctx: typer.Context, repo: RepoArg, name: Name, type: Type = None, yes: Yes = False) -> None:
    """Delete a branch. Asks to type its name unless --yes."""
    session = current(ctx)
    ref = session.repo(repo, type)
    confirm_typed(f"delete branch {name} of {ref}", name, yes)
    session.http.send("DELETE", f"{ref.api}/branch/{seg(name)}")
    done(f"Deleted branch {name} of {ref}.")


@tags.command("list")
def list_tags(ctx: typer.Context, repo: RepoArg, type: Type = None, json: Json = False) -> None:
    """The repo's tags and the commit each points at."""
    _list(ctx, repo, type, "tags", json)


@tags.command("create")
def create_tag(
    ctx: typer.Context,
    repo: RepoArg,
    name: Name,
    type: Type = None,
    revision: Annotated[
        str | None, typer.Option("--revision", "-r", help="What to tag (default: main).")
    ] = None,
    message: Annotated[
        str | None, typer.Option("--message", "-m", help="An annotated tag's message.")
    ] = None,
) -> None:
    """Create a tag."""
    session = current(ctx)
    ref = session.repo(repo, type)
    session.http.send("POST", f"{ref.api}/tag/{seg(revision or 'main')}", {"tag": name, "message": message})
    done(f"Created tag {name} in {ref}.")


@tags.command("delete")
def delete_tag(ctx: typer.Context, repo: RepoArg, name: Name, type: Type = None, yes: Yes = False) -> None:
    """Delete a tag. Asks to type its name unless --yes."""
    session = current(ctx)
    ref = session.repo(repo, type)
    confirm_typed(f"delete tag {name} of {ref}", name, yes)
    session.http.send("DELETE", f"{ref.api}/tag/{seg(name)}")
    done(f"Deleted tag {name} of {ref}.")

"""``repo create|list|info|files|delete|move|settings`` (``repo commits|diff`` live in history.py)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from kohub_cli.errors import CliError, HubError, UsageError
from kohub_cli.http import seg
from kohub_cli.options import Json, Limit, RepoArg, Revision, Type, Yes
from kohub_cli.output import confirm_typed, done, emit_json, fields, table
from kohub_cli.repo_ref import RepoRef
from kohub_cli.session import Session, current
from kohub_cli.sizes import human

app = typer.Typer(name="repo", help="Create, list, inspect, move and delete repos.", no_args_is_help=True)


class Gated(str, Enum):
    auto = "auto"
    manual = "manual"
    off = "off"


@app.command()
def create(
    ctx: typer.Context,
    repo: RepoArg,
    type: Type = None,
    private: Annotated[bool, typer.Option("--private", help="Only you (and your org) can see it.")] = False,
    exist_ok: Annotated[bool, typer.Option("--exist-ok", help="Succeed if it exists already.")] = False,
    json: Json = False,
) -> None:
    """Create a repo (it starts with one commit holding .gitattributes)."""
    session = current(ctx)
    ref = session.repo(repo, type)
    body = {
        "name": ref.name,
        "organization": ref.namespace,
        "type": ref.type.value,
        "visibility": "private" if private else "public",
    }
    try:
        answer = session.http.send("POST", "/api/repos/create", body)
    except HubError as exc:
        if not (exist_ok and exc.status == 409):
            raise
        answer = {"url": f"{session.endpoint}/{ref}", "repo_id": ref.id, "exists": True}
    if json:
        emit_json(answer)
    else:
        done(("Exists: " if answer.get("exists") else "Created ") + answer["url"])


@app.command("list")
def list_(
    ctx: typer.Context,
    type: Type = None,
    author: Annotated[str | None, typer.Option(help="Only this user's or organization's repos.")] = None,
    search: Annotated[str | None, typer.Option(help="Only ids containing this text.")] = None,
    limit: Limit = None,
    json: Json = False,
) -> None:
    """Repos you can see, newest first."""
    plural = f"{(type.value if type else 'model')}s"
    repos = current(ctx).http.paginate(
        f"/api/{plural}",
        max_items=limit,
        author=author,
        search=search,
        sort="lastModified",
        direction="-1",
        limit=min(limit, 1000) if limit else None,
    )
    if json:
        emit_json(repos)
        return
    table(
        ["id", "visibility", "updated", "downloads", "likes"],
        [
            [
                r["id"],
                "private" if r.get("private") else "public",
                r.get("lastModified"),
                r.get("downloads"),
                r.get("likes"),
            ]
            for r in repos
        ],
        empty="No repos.",
    )


def _info(session: Session, ref: RepoRef, revision: str | None) -> dict:
    path = ref.api if revision is None else f"{ref.api}/revision/{seg(revision)}"
    return session.http.get(path)


@app.command()
def info(
    ctx: typer.Context, repo: RepoArg, type: Type = None, revision: Revision = None, json: Json = False
) -> None:
    """A repo's visibility, current commit, size and files."""
    session = current(ctx)
    ref = session.repo(repo, type)
    data = _info(session, ref, revision)
    if json:
        emit_json(data)
        return
    gated = data.get("gated")
    fields(
        [
            ("id", data["id"]),
            ("type", ref.type.value),
            ("visibility", "private" if data.get("private") else "public"),
            ("gated", gated if gated else "no"),
            ("commit", data.get("sha")),
            ("last modified", data.get("lastModified")),
            ("created", data.get("createdAt")),
            ("storage", human(data.get("usedStorage"))),
            ("files", len(data.get("siblings", []))),
            ("tags", ", ".join(data.get("tags", [])) or "none"),
            ("url", f"{session.endpoint}/{ref}"),
        ]
    )


@app.command()
def files(
    ctx: typer.Context,
    repo: RepoArg,
    type: Type = None,
    revision: Revision = None,
    path: Annotated[str | None, typer.Option("--path", help="Only under this folder.")] = None,
    limit: Limit = None,
    json: Json = False,
) -> None:
    """Every file of a revision, with sizes (LFS files marked)."""
    session = current(ctx)
    ref = session.repo(repo, type)
    url = f"{ref.api}/tree/{seg(revision or 'main')}" + (f"/{seg(path.strip('/'))}" if path else "")
    entries = session.http.paginate(url, max_items=limit, recursive="true")
    if json:
        emit_json(entries)
        return
    table(
        ["path", "size", "storage"],
        [
            [e["path"], human(e.get("size")), "lfs" if e.get("lfs") else "git"]
            for e in entries
            if e.get("type") == "file"
        ],
        empty="No files.",
    )


@app.command()
def delete(ctx: typer.Context, repo: RepoArg, type: Type = None, yes: Yes = False) -> None:
    """Delete a repo with its whole history. Asks to type its id unless --yes."""
    session = current(ctx)
    ref = session.repo(repo, type)
    confirm_typed(f"delete the {ref.type.value} {ref.id} and all its history", ref.id, yes)
    session.http.send(
        "DELETE",
        "/api/repos/delete",
        {"name": ref.name, "organization": ref.namespace, "type": ref.type.value},
    )
    done(f"Deleted {ref}.")


@app.command()
def move(
    ctx: typer.Context,
    repo: RepoArg,
    to: Annotated[
        str, typer.Argument(metavar="NEW_ID", help="NAMESPACE/NAME, or NAME in the same namespace.")
    ],
    type: Type = None,
    json: Json = False,
) -> None:
    """Rename a repo or move it to another namespace (the old id keeps redirecting)."""
    session = current(ctx)
    ref = session.repo(repo, type)
    target = to if "/" in to else f"{ref.namespace}/{to}"
    answer = session.http.send(
        "POST", "/api/repos/move", {"fromRepo": ref.id, "toRepo": target, "type": ref.type.value}
    )
    if json:
        emit_json(answer)
    else:
        done(f"Moved {ref} to {answer.get('url', target)}")


@app.command()
def settings(
    ctx: typer.Context,
    repo: RepoArg,
    type: Type = None,
    private: Annotated[
        bool | None, typer.Option("--private/--public", help="Change the visibility.", show_default=False)
    ] = None,
    gated: Annotated[
        Gated | None, typer.Option(help="Access requests: auto-approved, manual, or off.", show_default=False)
    ] = None,
    json: Json = False,
) -> None:
    """Change visibility or gating (through huggingface_hub's update_repo_settings), then show them."""
    if private is None and gated is None:
        raise UsageError("Nothing to change: give --private/--public and/or --gated")
    session = current(ctx)
    ref = session.repo(repo, type)
    gate = None if gated is None else (False if gated is Gated.off else gated.value)
    session.hf_api().update_repo_settings(ref.id, private=private, gated=gate, repo_type=ref.type.value)
    data = _info(session, ref, None)
    # Read back: a hub that accepted a setting without applying it must not look like success.
    if private is not None and bool(data.get("private")) != private:
        raise CliError(f"The hub did not apply the visibility of {ref}")
    if gate is not None and (data.get("gated") or False) != gate:
        raise CliError(f"The hub did not apply gated={gated.value} to {ref} (it may not support gated repos)")
    if json:
        emit_json({"id": data["id"], "private": data.get("private"), "gated": data.get("gated")})
    else:
        done(f"{ref}: {'private' if data.get('private') else 'public'}, gated: {data.get('gated') or 'no'}")

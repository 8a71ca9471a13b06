"""``repo commits`` and ``repo diff``: a revision's history, and what changed between two revisions.

``repo diff REPO A B`` is the hub's ``compare/{A}...{B}`` (like ``git diff A...B``: from their merge
base); ``repo diff REPO REV`` is the commit ``REV`` against its parent.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from kohub_cli.http import seg
from kohub_cli.options import Json, Limit, RepoArg, Revision, Type
from kohub_cli.output import emit_json, note, out, table
from kohub_cli.session import current
from kohub_cli.sizes import human


def register(repo_app: typer.Typer) -> None:
    repo_app.command()(commits)
    repo_app.command()(diff)


def commits(
    ctx: typer.Context,
    repo: RepoArg,
    type: Type = None,
    revision: Revision = None,
    path: Annotated[
        str | None, typer.Option("--path", help="Only commits that changed this file or folder.")
    ] = None,
    limit: Limit = None,
    json: Json = False,
) -> None:
    """The commits of a revision, newest first (git SHA-1s, as `git log` shows them)."""
    session = current(ctx)
    ref = session.repo(repo, type)
    url = f"{ref.api}/commits/{seg(revision or 'main')}" + (f"/{seg(path.strip('/'))}" if path else "")
    items = session.http.paginate(url, max_items=limit, limit=min(limit, 1000) if limit else None)
    if json:
        emit_json(items)
        return
    table(
        ["commit", "date", "author", "title"],
        [
            [
                c["id"][:12],
                c.get("date"),
                ", ".join(a.get("user", "") for a in c.get("authors", [])),
                c.get("title"),
            ]
            for c in items
        ],
        empty="No commits.",
    )


def diff(
    ctx: typer.Context,
    repo: RepoArg,
    rev1: Annotated[str, typer.Argument(metavar="REV1", help="Base revision (alone: show this commit).")],
    rev2: Annotated[str | None, typer.Argument(metavar="[REV2]", help="Head revision.")] = None,
    type: Type = None,
    stat: Annotated[bool, typer.Option("--stat", help="Only the changed files and line counts.")] = False,
    json: Json = False,
) -> None:
    """What changed between REV1 and REV2 (or in the commit REV1): files, LFS objects and text diffs."""
    session = current(ctx)
    ref = session.repo(repo, type)
    path = f"/compare/{seg(rev1)}...{seg(rev2)}" if rev2 else f"/commit/{seg(rev1)}"
    data = session.http.get(ref.api + path)
    if json:
        emit_json(data)
        return
    if rev2:
        note(
            f"{data['base'][:12]}...{data['head'][:12]}: {len(data.get('commits', []))} commit(s), "
            f"{data.get('filesChanged', 0)} file(s) changed"
        )
    else:
        note(f"commit {data['id']}: {data.get('title', '')} ({data.get('filesChanged', 0)} file(s) changed)")
    for item in data.get("files", []):
        _print_file(item, stat)
    if data.get("truncated"):
        note(f"(only the first {len(data.get('files', []))} files are shown, or diffs were cut: see --json)")


def _print_file(item: dict, stat: bool) -> None:
    name = item.get("newPath") or item.get("oldPath")
    if item.get("status") == "renamed":
        name = f"{item.get('oldPath')} -> {item.get('newPath')}"
    counts = f"+{item.get('additions', 0)} -{item.get('deletions', 0)}"
    out.print(Text.assemble((f"{item.get('status', '?'):9} ", "bold"), (name or "", "bold"), f"  {counts}"))
    if stat:
        return
    lfs = item.get("lfs")
    if lfs:
        sides = [
            f"{side}: {obj['oid'][:12]} ({human(obj.get('size'))})"
            for side, obj in (("old", lfs.get("old")), ("new", lfs.get("new")))
            if obj
        ]
        out.print("  LFS " + ", ".join(sides), highlight=False)
    elif item.get("binary"):
        out.print(f"  binary, {human(item.get('oldSize'))} -> {human(item.get('newSize'))}", highlight=False)
    for line in (item.get("diff") or "").splitlines():
        style = (
            "green"
            if line.startswith("+")
            else "red"
            if line.startswith("-")
            else "cyan"
            if line.startswith("@@")
            else None
        )
        out.print(Text(line, style=style or ""))
    if item.get("truncated"):
        out.print("  (diff cut)", highlight=False)

"""The ``kohakuhub`` command: serve, migrate and admin tasks.

Every command finds its data the same way: ``--data-dir``, else ``KOHAKU_HUB_DATA_DIR``, else
``./kohakuhub-data``. Admin commands talk to the database directly, so they work while the hub runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from kohakuhub.errors import HubError

app = typer.Typer(help="KohakuHub: a self-hosted Hugging Face compatible hub.", no_args_is_help=True)
admin = typer.Typer(help="Administration tasks (users and tokens).", no_args_is_help=True)
app.add_typer(admin, name="admin")
lakefs = typer.Typer(help="The lakeFS mirror (KOHAKU_HUB_LAKEFS_*): its lag and its resync.", no_args_is_help=True)
admin.add_typer(lakefs, name="lakefs")

DataDir = Annotated[Optional[Path], typer.Option("--data-dir", help="Data directory (default ./kohakuhub-data).")]


def _settings(data_dir: Path | None, **extra: object):
    from kohakuhub.config import load_settings

    try:
        return load_settings(data_dir=data_dir, **extra)
    except HubError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None


def _hub(data_dir: Path | None):
    from kohakuhub.app import build_hub

    return build_hub(_settings(data_dir))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 28080,
    data_dir: DataDir = None,
    workers: Annotated[int, typer.Option(help="Number of worker processes.")] = 1,
) -> None:
    """Run the hub (embedded defaults: SQLite + local files under the data dir)."""
    import uvicorn

    settings = _settings(data_dir)
    # Workers are separate processes that build the app from the environment: pass the choices on.
    os.environ["KOHAKU_HUB_DATA_DIR"] = str(settings.data_dir.resolve())
    if "KOHAKU_HUB_BASE_URL" not in os.environ and host not in ("0.0.0.0", "::"):
        os.environ["KOHAKU_HUB_BASE_URL"] = f"http://{host}:{port}"
    from kohakuhub.app import build_hub

    build_hub(_settings(None))  # migrate once before workers start; fail early on bad config
    if settings.ui_dir is None:  # the checkout's own UI: build it when missing or stale
        from kohakuhub.api.ui import default_ui_dist
        from kohakuhub.ui_build import ensure_ui_built

        ensure_ui_built(default_ui_dist().parent, say=typer.echo)
    typer.echo(f"KohakuHub serving on http://{host}:{port} (data: {settings.data_dir.resolve()})")
    uvicorn.run("kohakuhub.main:app", host=host, port=port, workers=workers, proxy_headers=True,
                forwarded_allow_ips="127.0.0.1", log_level=settings.log_level)


@app.command("migrate")
def migrate_command(data_dir: DataDir = None) -> None:
    """Bring the database schema up to date (idempotent)."""
    from kohakuhub.db.database import open_database
    from kohakuhub.db.migrations import current_version, migrate

    settings = _settings(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(settings.resolved_database_url)
    applied = migrate(db)
    typer.echo(f"applied migrations: {applied or 'none'}; schema version {current_version(db)}")


@admin.command("create-user")
def create_user(
    name: str,
    email: Annotated[str, typer.Option(help="Email address.")],
    password: Annotated[str, typer.Option(help="Password (at least 8 characters).")],
    is_admin: Annotated[bool, typer.Option("--admin", help="Make the user a site administrator.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Create a user."""
    hub = _hub(data_dir)
    try:
        user = hub.accounts.create_user(name, email, password, is_admin=is_admin)
    except HubError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"created user {user.username}{' (admin)' if user.is_admin else ''}")


@admin.command("create-token")
def create_token(
    name: str,
    label: Annotated[str, typer.Option("--name", help="Token label.")] = "cli",
    role: Annotated[str, typer.Option(help="read or write.")] = "write",
    data_dir: DataDir = None,
) -> None:
    """Create an API token for user NAME; the token alone is the last line of output."""
    hub = _hub(data_dir)
    try:
        user = hub.accounts.get_user(name)
        _, secret = hub.accounts.create_token(user.id, label, role)
    except HubError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"token for {user.username} ({role}):", err=True)
    sys.stdout.write(secret + "\n")


@admin.command("storage-stats")
def storage_stats(data_dir: DataDir = None) -> None:
    """Xet storage: logical bytes of Xet files, bytes of xorbs stored, and the dedup ratio (JSON)."""
    import json

    typer.echo(json.dumps(_hub(data_dir).xet.stats()))


def _mirror(data_dir: Path | None):
    hub = _hub(data_dir)
    if hub.lakefs is None:
        typer.echo("error: the lakeFS mirror is off (set KOHAKU_HUB_LAKEFS_ENDPOINT and the other "
                   "KOHAKU_HUB_LAKEFS_* settings)", err=True)
        raise typer.Exit(2)
    return hub.lakefs


@lakefs.command("status")
def lakefs_status(data_dir: DataDir = None) -> None:
    """Each queued repo: changes not yet mirrored and since when, commits lakeFS lacks ("behind"), commits
    mirrored, failures in a row, last error."""
    mirror = _mirror(data_dir)
    states = mirror.states()
    if not states:
        typer.echo("no repo queued: every change so far is mirrored (or none was made)")
        return
    typer.echo(f"{'repo':<40} {'pending':>7} {'since':<19} {'behind':>6} {'mirrored':>8} {'fails':>5}  last error")
    for state in states:
        since = state.pending_since.strftime("%Y-%m-%d %H:%M:%S") if state.pending_since else "-"
        name = state.repo or f"(deleted) {state.key}"
        behind = mirror.commits_behind(state.key) if state.pending else 0
        error = (state.last_error or "").replace("\n", " ")[:200]
        typer.echo(f"{name:<40} {state.pending:>7} {since:<19} {'-' if behind is None else behind:>6} "
                   f"{state.mirrored_commits:>8} {state.attempts:>5}  {error}")


@lakefs.command("resync")
def lakefs_resync(
    repo: Annotated[Optional[str], typer.Argument(help="TYPE/NAMESPACE/NAME, e.g. model/alice/bert (or --all).")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every hub repo.")] = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Delete the lakeFS repositories first and replay "
                                          "the whole git history.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Queue repos for a fresh comparison with lakeFS (the running hub's workers do the work)."""
    from kohakuhub.db import lakefs_mirror as queue_db

    if (repo is None) == (not every):
        typer.echo("error: name one repo (TYPE/NAMESPACE/NAME) or pass --all, not both", err=True)
        raise typer.Exit(2)
    mirror = _mirror(data_dir)
    if every:
        keys = queue_db.all_repo_keys()
    else:
        key = queue_db.repo_key_of(repo if repo.count("/") == 2 else f"model/{repo}")
        if key is None:
            typer.echo(f"error: no repo {repo} (give TYPE/NAMESPACE/NAME, e.g. dataset/alice/data)", err=True)
            raise typer.Exit(1)
        keys = [key]
    try:
        mirror.resync(keys, rebuild=rebuild)
    except HubError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"queued {len(keys)} repo(s){' for a rebuild' if rebuild else ''}")


if __name__ == "__main__":
    app()

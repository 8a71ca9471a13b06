"""``upload`` and ``download``, through huggingface_hub: LFS and Xet transfers, resumed downloads, the
cache and its progress bars are the client's own, against the same endpoint and token as every command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kohub_cli.errors import UsageError
from kohub_cli.options import Json, RepoArg, Revision, Type
from kohub_cli.output import done, emit_json
from kohub_cli.session import current

Include = Annotated[
    list[str] | None,
    typer.Option("--include", help="Only paths matching this glob (repeatable).", show_default=False),
]
Exclude = Annotated[
    list[str] | None,
    typer.Option("--exclude", help="Leave out paths matching this glob (repeatable).", show_default=False),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]


def register(app: typer.Typer) -> None:
    app.command()(upload)
    app.command()(download)


def _quiet(quiet: bool) -> None:
    if quiet:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()


def upload(
    ctx: typer.Context,
    repo: RepoArg,
    local: Annotated[Path, typer.Argument(exists=True, help="A file or a folder.")],
    path_in_repo: Annotated[
        str | None,
        typer.Argument(help="Where in the repo (default: the file's name, or the repo's root for a folder)."),
    ] = None,
    type: Type = None,
    revision: Revision = None,
    include: Include = None,
    exclude: Exclude = None,
    delete: Annotated[
        list[str] | None,
        typer.Option(
            "--delete",
            help="Also delete remote files matching this glob (folders only; repeatable).",
            show_default=False,
        ),
    ] = None,
    message: Annotated[str | None, typer.Option("--message", "-m", help="Commit message.")] = None,
    quiet: Quiet = False,
    json: Json = False,
) -> None:
    """Upload a file or a folder in one commit (large files through Xet or LFS)."""
    session = current(ctx)
    ref = session.repo(repo, type)
    _quiet(quiet)
    api = session.hf_api()
    common = {"repo_id": ref.id, "repo_type": ref.type.value, "revision": revision, "commit_message": message}
    if local.is_dir():
        commit = api.upload_folder(
            folder_path=local,
            path_in_repo=path_in_repo,
            allow_patterns=include,
            ignore_patterns=exclude,
            delete_patterns=delete,
            **common,
        )
    else:
        if include or exclude or delete:
            raise UsageError("--include, --exclude and --delete apply to folders, not to a single file")
        commit = api.upload_file(path_or_fileobj=local, path_in_repo=path_in_repo or local.name, **common)
    if json:
        emit_json({"commit": commit.oid, "url": commit.commit_url, "message": commit.commit_message})
    else:
        done(f"Committed {commit.oid} to {ref}: {commit.commit_url}")


def download(
    ctx: typer.Context,
    repo: RepoArg,
    filenames: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[FILES]...", help="Files to download (default: the whole repo).", show_default=False
        ),
    ] = None,
    type: Type = None,
    revision: Revision = None,
    include: Include = None,
    exclude: Exclude = None,
    local_dir: Annotated[
        Path | None,
        typer.Option("--local-dir", help="Put the files in this folder (default: huggingface_hub's cache)."),
    ] = None,
    quiet: Quiet = False,
    json: Json = False,
) -> None:
    """Download files or a whole repo (resumed when interrupted); prints where they are."""
    session = current(ctx)
    ref = session.repo(repo, type)
    _quiet(quiet)
    common = {
        "repo_id": ref.id,
        "repo_type": ref.type.value,
        "revision": revision,
        "local_dir": local_dir,
        "endpoint": session.endpoint,
        "token": session.token or False,
    }
    if filenames and len(filenames) == 1 and not include and not exclude:
        from huggingface_hub import hf_hub_download

        path = hf_hub_download(filename=filenames[0], **common)
    else:
        from huggingface_hub import snapshot_download

        patterns = (filenames or []) + (include or [])
        path = snapshot_download(allow_patterns=patterns or None, ignore_patterns=exclude, **common)
    if json:
        emit_json({"path": str(path)})
    else:
        done(str(path))

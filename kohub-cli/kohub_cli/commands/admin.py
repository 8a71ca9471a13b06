"""``admin users|repos|quotas|stats``: the hub's admin API (``/admin/api``), for site admins.

Use a site admin's login, or the bootstrap admin token:
``kohub-cli --token "$KOHAKU_HUB_ADMIN_TOKEN" admin ...``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from kohub_cli.commands.quota import LimitOpt, limits_body, print_quota
from kohub_cli.errors import UsageError
from kohub_cli.http import seg
from kohub_cli.options import Json, RepoArg, Type, Yes
from kohub_cli.output import confirm_typed, done, emit_json, fields, need_terminal, note, table
from kohub_cli.repo_ref import split_repo_id
from kohub_cli.session import current
from kohub_cli.sizes import human

app = typer.Typer(
    name="admin", help="Site administration (site admins or the bootstrap admin token).", no_args_is_help=True
)
users = typer.Typer(
    name="users", help="List, create, disable, promote and delete users.", no_args_is_help=True
)
repos = typer.Typer(name="repos", help="List, delete and transfer any repo.", no_args_is_help=True)
quotas = typer.Typer(name="quotas", help="Every namespace's storage use and limits.", no_args_is_help=True)
for group in (users, repos, quotas):
    app.add_typer(group)

Search = Annotated[str | None, typer.Option(help="Only names containing this text.")]
Offset = Annotated[int, typer.Option(min=0, help="Skip this many.")]
PageLimit = Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="Show at most this many.")]
Name = Annotated[str, typer.Argument(metavar="USER", help="A user name.")]
Namespace = Annotated[str, typer.Argument(metavar="NAMESPACE", help="A user or organization.")]
API = "/admin/api"


def _page_note(data: dict, shown: int) -> None:
    if data.get("total", shown) > shown:
        note(f"{shown} of {data['total']} (from {data.get('offset', 0)}; use --offset and --limit for more)")


@users.command("list")
def list_users(
    ctx: typer.Context, search: Search = None, offset: Offset = 0, limit: PageLimit = 50, json: Json = False
) -> None:
    """Users (not organizations)."""
    data = current(ctx).http.get(f"{API}/users", search=search, offset=offset, limit=limit)
    if json:
        emit_json(data)
        return
    table(
        ["user", "email", "admin", "disabled", "created"],
        [
            [
                u["username"],
                u["email"],
                "yes" if u["is_admin"] else "",
                "yes" if u["disabled"] else "",
                u["created_at"],
            ]
            for u in data["users"]
        ],
        empty="No users.",
    )
    _page_note(data, len(data["users"]))


@users.command("create")
def create_user(
    ctx: typer.Context,
    name: Name,
    email: Annotated[str, typer.Option(help="The user's email address.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    admin: Annotated[bool, typer.Option("--admin", help="Make them a site admin.")] = False,
    json: Json = False,
) -> None:
    """Create a user (asks for the password on a terminal)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UsageError("No password on stdin")
    else:
        need_terminal("Asking for the password", "pass --password-stdin")
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    data = current(ctx).http.send(
        "POST", f"{API}/users", {"username": name, "email": email, "password": password, "is_admin": admin}
    )
    if json:
        emit_json(data)
    else:
        done(
            f"Created user {data['user']['username']}"
            + (" (site admin)." if data["user"]["is_admin"] else ".")
        )


@users.command("set")
def set_user(
    ctx: typer.Context,
    name: Name,
    disabled: Annotated[
        bool | None,
        typer.Option(
            "--disable/--enable",
            help="Disabling signs them out and revokes their tokens.",
            show_default=False,
        ),
    ] = None,
    admin: Annotated[
        bool | None, typer.Option("--admin/--no-admin", help="Site admin or not.", show_default=False)
    ] = None,
    json: Json = False,
) -> None:
    """Disable or enable a user, make or unmake a site admin."""
    if disabled is None and admin is None:
        raise UsageError("Nothing to change: give --disable/--enable and/or --admin/--no-admin")
    data = current(ctx).http.send(
        "PATCH", f"{API}/users/{seg(name)}", {"disabled": disabled, "is_admin": admin}
    )
    if json:
        emit_json(data)
        return
    user = data["user"]
    done(
        f"{user['username']}: {'disabled' if user['disabled'] else 'enabled'}, "
        f"{'site admin' if user['is_admin'] else 'not an admin'}."
    )


@users.command("delete")
def delete_user(ctx: typer.Context, name: Name, yes: Yes = False) -> None:
    """Delete a user with their repos, memberships and collaborations. Asks to type the name unless --yes."""
    confirm_typed(f"delete user {name} and every repo in their namespace", name, yes)
    current(ctx).http.send("DELETE", f"{API}/users/{seg(name)}")
    done(f"Deleted user {name}.")


@repos.command("list")
def list_repos(
    ctx: typer.Context,
    type: Type = None,
    namespace: Annotated[str | None, typer.Option(help="Only this namespace's repos.")] = None,
    search: Search = None,
    offset: Offset = 0,
    limit: PageLimit = 50,
    json: Json = False,
) -> None:
    """Every repo, private ones included."""
    data = current(ctx).http.get(
        f"{API}/repositories",
        type=type.value if type else None,
        namespace=namespace,
        search=search,
        offset=offset,
        limit=limit,
    )
    if json:
        emit_json(data)
        return
    table(
        ["id", "type", "visibility", "created", "updated"],
        [
            [r["id"], r["type"], "private" if r["private"] else "public", r["created_at"], r["updated_at"]]
            for r in data["repositories"]
        ],
        empty="No repos.",
    )
    _page_note(data, len(data["repositories"]))


def _admin_repo_path(repo: str, type) -> tuple[str, str]:
    kind, namespace, name = split_repo_id(repo, type)
    if namespace is None:
        raise UsageError(f"Give the full id NAMESPACE/NAME, not {repo!r}")
    return f"{API}/repositories/{kind.value}s/{seg(namespace)}/{seg(name)}", f"{namespace}/{name}"


@repos.command("delete")
def delete_repo(ctx: typer.Context, repo: RepoArg, type: Type = None, yes: Yes = False) -> None:
    """Delete any repo. Asks to type its id unless --yes."""
    path, full = _admin_repo_path(repo, type)
    confirm_typed(f"delete {full} and all its history", full, yes)
    current(ctx).http.send("DELETE", path)
    done(f"Deleted {full}.")


@repos.command("transfer")
def transfer_repo(
    ctx: typer.Context,
    repo: RepoArg,
    namespace: Namespace,
    type: Type = None,
    name: Annotated[str | None, typer.Option(help="A new name too (default: keep it).")] = None,
    json: Json = False,
) -> None:
    """Move any repo to another namespace."""
    path, full = _admin_repo_path(repo, type)
    data = current(ctx).http.send("POST", f"{path}/transfer", {"namespace": namespace, "name": name})
    if json:
        emit_json(data)
    else:
        done(f"Moved {full} to {data['repository']['id']}.")


@app.command()
def stats(ctx: typer.Context, json: Json = False) -> None:
    """Counts of users, organizations, repos, LFS storage, sessions, tokens, and Xet dedup."""
    data = current(ctx).http.get(f"{API}/stats")
    if json:
        emit_json(data)
        return
    users, counts, xet = data["users"], data["repos"], data.get("xet") or {}
    kinds = ", ".join(f"{counts.get(kind, 0)} {kind}s" for kind in ("model", "dataset", "space"))
    dedup = xet.get("dedup_ratio") or "-"
    stored = f"{human(xet.get('file_bytes'))} stored as {human(xet.get('stored_bytes'))}"
    fields(
        [
            ("users", f"{users['total']} ({users['admins']} admins, {users['disabled']} disabled)"),
            ("organizations", data["organizations"]["total"]),
            ("repos", f"{counts['total']} ({kinds}; {counts['private']} private)"),
            ("LFS", f"{data['lfs']['objects']} objects, {human(data['lfs']['bytes'])}"),
            ("Xet", f"{xet.get('files', 0)} files, {stored} (dedup ratio {dedup})"),
            ("sessions", data["sessions"]),
            ("tokens", data["tokens"]),
        ]
    )


@quotas.command("list")
def list_quotas(
    ctx: typer.Context, search: Search = None, offset: Offset = 0, limit: PageLimit = 50, json: Json = False
) -> None:
    """Every user and organization with usage and limits."""
    data = current(ctx).http.get(f"{API}/quotas", search=search, offset=offset, limit=limit)
    if json:
        emit_json(data)
        return
    table(
        ["namespace", "type", "private used", "private limit", "public used", "public limit"],
        [
            [
                q["namespace"],
                q["type"],
                human(q["private"]["used"]),
                human(q["private"]["limit"], none="unlimited"),
                human(q["public"]["used"]),
                human(q["public"]["limit"], none="unlimited"),
            ]
            for q in data["quotas"]
        ],
        empty="No namespaces.",
    )
    _page_note(data, len(data["quotas"]))


@quotas.command("show")
def show_quota(ctx: typer.Context, namespace: Namespace, json: Json = False) -> None:
    """One namespace's usage and limits."""
    data = current(ctx).http.get(f"{API}/quotas/{seg(namespace)}")
    emit_json(data) if json else print_quota(data)


@quotas.command("set")
def set_quota(
    ctx: typer.Context,
    namespace: Namespace,
    private: LimitOpt = None,
    public: LimitOpt = None,
    json: Json = False,
) -> None:
    """Change a namespace's limits (same as `quota set`)."""
    data = current(ctx).http.send("PUT", f"{API}/quotas/{seg(namespace)}", limits_body(private, public))
    emit_json(data) if json else print_quota(data)


@quotas.command("recalculate")
def recalculate_quota(ctx: typer.Context, namespace: Namespace, json: Json = False) -> None:
    """Measure a namespace's repos again from storage (repair)."""
    data = current(ctx).http.send("POST", f"{API}/quotas/{seg(namespace)}/recalculate")
    emit_json(data) if json else print_quota(data)

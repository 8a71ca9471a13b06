"""``auth login|logout|whoami|switch|list``: sign in once for kohub-cli, ``hf`` and huggingface_hub.

A login stores its token where huggingface_hub keeps tokens (hf_tokens.py), and records the endpoint
in kohub-cli's config. A password login creates a token on the hub (the session used to create it is
ended at once) and remembers its id, so that ``auth logout`` revokes it again; a pasted token is only
forgotten locally, since it was made (and is managed) elsewhere.
"""

from __future__ import annotations

import os
import socket
import sys
from enum import Enum
from typing import Annotated

import typer

from kohub_cli import config, hf_tokens
from kohub_cli.errors import CliError, HubError, UsageError
from kohub_cli.http import HubHttp
from kohub_cli.options import Json
from kohub_cli.output import done, emit_json, fields, need_terminal, note, table
from kohub_cli.session import Session, current

app = typer.Typer(
    name="auth", help="Log in and out, see who you are, switch between stored tokens.", no_args_is_help=True
)


class Role(str, Enum):
    read = "read"
    write = "write"


@app.command()
def login(
    ctx: typer.Context,
    username: Annotated[str | None, typer.Option("--username", "-u", help="Log in with a password.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    with_token: Annotated[
        bool, typer.Option("--with-token", help="Read an access token from stdin.")
    ] = False,
    token_name: Annotated[
        str | None,
        typer.Option(
            "--token-name",
            help="Name of the stored token (and of the token a password login creates).",
            show_default=False,
        ),
    ] = None,
    role: Annotated[Role, typer.Option(help="Role of the token a password login creates.")] = Role.write,
    expires_in_days: Annotated[
        int | None,
        typer.Option(min=1, help="Lifetime of the token a password login creates (default: no expiry)."),
    ] = None,
) -> None:
    """Log in with a password (a token is created for this machine) or with an existing token.

    Without options it asks, on a terminal. The global --token option logs in with that token.
    """
    session = current(ctx)
    token, token_id = _obtain_token(
        session, username, password_stdin, with_token, token_name, role, expires_in_days
    )
    try:
        who = _whoami(session.http_with(token))
        access = (who.get("auth") or {}).get("accessToken") or {}
        _store(
            session,
            token_name or access.get("displayName") or f"kohub-{who['name']}",
            token,
            token_id,
            who["name"],
        )
    except BaseException:
        if token_id is not None:  # a token this login made must not outlive a login that failed
            _revoke(session.endpoint, token, token_id, quiet=True)
        raise


def _obtain_token(
    session: Session,
    username: str | None,
    password_stdin: bool,
    with_token: bool,
    token_name: str | None,
    role: Role,
    expires_in_days: int | None,
) -> tuple[str, int | None]:
    """The token to store and, when this login created it, its id on the hub.

    Raises:
        UsageError: contradictory options, or a question to ask without a terminal.
    """
    given = session.token_option
    if sum(bool(x) for x in (given, username, with_token)) > 1:
        raise UsageError("Use one of --username, --with-token and the global --token")
    if password_stdin and not username:
        raise UsageError("--password-stdin needs --username")
    if given:
        return given, None
    if with_token:
        return _read_secret("token"), None
    if not username:
        need_terminal("auth login", "pass --username NAME --password-stdin, or --with-token")
        username = typer.prompt(
            "Username (leave empty to paste an access token)", default="", show_default=False, err=True
        ).strip()
        if not username:
            return typer.prompt("Access token", hide_input=True, err=True).strip(), None
    if password_stdin:
        password = _read_secret("password")
    else:
        need_terminal("A password login", "pass --password-stdin")
        password = typer.prompt("Password", hide_input=True, err=True)
    name = token_name or f"kohub-cli@{socket.gethostname()}"
    return _password_token(session, username, password, name, role.value, expires_in_days)


def _read_secret(what: str) -> str:
    value = sys.stdin.readline().strip()
    if not value:
        raise UsageError(f"No {what} on stdin")
    return value


def _password_token(
    session: Session, username: str, password: str, name: str, role: str, expires_in_days: int | None
) -> tuple[str, int]:
    """Log in with a password, create a token, and end that session; return the token and its id.

    Raises:
        HubError: the hub refused the login or the token.
    """
    web = session.http_with(None)  # keeps the session cookie between these requests
    try:
        csrf = web.send("POST", "/api/auth/login", {"username": username, "password": password})["csrf_token"]
        headers = {"X-CSRF-Token": csrf}
        body = {"name": name, "role": role, "expires_in_days": expires_in_days}
        try:
            created = web.request("POST", "/api/auth/tokens/create", json=body, headers=headers).json()
        finally:  # the session was only the way to the token: end it either way
            web.request("POST", "/api/auth/logout", headers=headers)
    finally:
        web.close()
    return created["token"], created["token_id"]


def _whoami(http: HubHttp) -> dict:
    try:
        return http.get("/api/whoami-v2")
    except HubError as exc:
        if exc.status == 401:
            raise CliError(f"The hub at {http.endpoint} does not accept this token: {exc.message}") from None
        raise


def _store(session: Session, name: str, token: str, token_id: int | None, username: str) -> None:
    """Store the token for huggingface_hub, active, and record the login in kohub-cli's config.

    Raises:
        CliError: the token or the config cannot be written.
    """
    previous = hf_tokens.stored().get(name)
    if previous and previous != token:
        note(f"Replacing the stored token named {name!r}.")
    try:
        hf_tokens.save_and_activate(name, token)
        data = config.load()
        logins = data.setdefault("logins", {})
        logins[name] = {"endpoint": session.endpoint, "username": username, "token_id": token_id}
        data["endpoint"] = session.endpoint
        config.save(data)
    except OSError as exc:
        raise CliError(f"Cannot store the token: {exc}") from None
    done(f"Logged in to {session.endpoint} as {username}; token {name!r} is stored and active.")
    if os.environ.get("HF_ENDPOINT", "").rstrip("/") != session.endpoint:
        note(f"For hf, transformers and the Python client: export HF_ENDPOINT={session.endpoint}")
    if os.environ.get("HF_TOKEN"):
        note("HF_TOKEN is set in this shell and takes precedence over the stored token.")


@app.command()
def logout(
    name: Annotated[
        str | None, typer.Argument(help="Stored token to forget (default: the active one).")
    ] = None,
    all_tokens: Annotated[bool, typer.Option("--all", help="Forget every stored token.")] = False,
) -> None:
    """Forget a stored token; a token that `auth login` created with a password is revoked on the hub too."""
    if name and all_tokens:
        raise UsageError("Give a token name or --all, not both")
    names = list(hf_tokens.stored()) if all_tokens else [name or hf_tokens.active_name()]
    if not names or names == [None]:
        raise CliError("Not logged in (no active stored token)")
    for each in names:
        _forget(each)


def _forget(name: str) -> None:
    data = config.load()
    login_info = data.get("logins", {}).pop(name, None)
    token = hf_tokens.stored().get(name)
    if token is None:
        raise CliError(f"No stored token named {name!r} (see `kohub-cli auth list`)")
    revoked = bool(login_info and login_info.get("token_id")) and _revoke(
        login_info["endpoint"], token, login_info["token_id"]
    )
    if revoked:
        note(f"Revoked token {name!r} on {login_info['endpoint']}.")
    hf_tokens.remove(name)
    config.save(data)
    done(f"Logged out: token {name!r} is no longer stored.")


def _revoke(endpoint: str, token: str, token_id: int, *, quiet: bool = False) -> bool:
    """Revoke a token with itself; say so (unless ``quiet``) when the hub refuses. True when revoked."""
    http = HubHttp(endpoint, token)
    try:
        http.request("DELETE", f"/api/auth/tokens/{token_id}")
        return True
    except CliError as exc:
        if not quiet:
            note(f"Could not revoke token {token_id} on {endpoint} ({exc.message}); revoke it in the web UI.")
        return False
    finally:
        http.close()


@app.command()
def whoami(ctx: typer.Context, json: Json = False) -> None:
    """Who the hub sees: user, organizations and the token in use."""
    session = current(ctx)
    if not session.token:
        raise CliError("Not logged in: run `kohub-cli auth login`, or pass --token or set HF_TOKEN")
    who = _whoami(session.http)
    if json:
        emit_json(who)
        return
    access = (who.get("auth") or {}).get("accessToken") or {}
    fields(
        [
            ("user", who["name"]),
            ("endpoint", session.endpoint),
            ("token", f"{access.get('displayName', '?')} ({access.get('role', '?')})"),
            ("token from", session.token_and_source[1]),
            (
                "orgs",
                ", ".join(f"{o['name']} ({o.get('roleInOrg', '?')})" for o in who.get("orgs", [])) or "none",
            ),
        ]
    )


@app.command("list")
def list_tokens(json: Json = False) -> None:
    """The stored tokens (shared with `hf auth list`); * marks the active one."""
    logins = config.load().get("logins", {})
    active = hf_tokens.active_name()
    rows = [
        {
            "name": name,
            "active": name == active,
            "endpoint": logins.get(name, {}).get("endpoint"),
            "username": logins.get(name, {}).get("username"),
            "token": f"{token[:5]}...{token[-4:]}",
        }
        for name, token in sorted(hf_tokens.stored().items())
    ]
    if json:
        emit_json(rows)
        return
    table(
        ["", "name", "user", "endpoint", "token"],
        [["*" if r["active"] else "", r["name"], r["username"], r["endpoint"], r["token"]] for r in rows],
        empty="No stored tokens.",
    )


@app.command()
def switch(name: Annotated[str | None, typer.Argument(help="Stored token to make active.")] = None) -> None:
    """Make another stored token the active one (and its hub the default endpoint)."""
    names = sorted(hf_tokens.stored())
    if name is None:
        need_terminal("Choosing a token", "give its name: kohub-cli auth switch NAME")
        if not names:
            raise CliError("No stored tokens: run `kohub-cli auth login`")
        for index, each in enumerate(names, 1):
            note(f"{index}. {each}")
        choice = typer.prompt("Token number", type=int, err=True)
        if not 1 <= choice <= len(names):
            raise CliError(f"No token number {choice}; nothing was changed")
        name = names[choice - 1]
    hf_tokens.switch(name)
    endpoint = config.load().get("logins", {}).get(name, {}).get("endpoint")
    if endpoint:
        config.update(endpoint=endpoint)
    done(f"Active token: {name!r}" + (f" on {endpoint}" if endpoint else ""))
    if os.environ.get("HF_TOKEN"):
        note("HF_TOKEN is set in this shell and takes precedence over the stored token.")
    if endpoint and os.environ.get("HF_ENDPOINT", "").rstrip("/") not in ("", endpoint):
        note(
            f"HF_ENDPOINT is {os.environ['HF_ENDPOINT']}; for hf and the Python client: "
            f"export HF_ENDPOINT={endpoint}"
        )

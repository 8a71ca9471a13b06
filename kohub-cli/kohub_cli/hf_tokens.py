"""The tokens huggingface_hub keeps (``$HF_HOME/token`` and ``$HF_HOME/stored_tokens``), through its own
functions, so that a login here is a login for ``hf``, ``transformers`` and the Python client too.

``_save_token``, ``_set_active_token``, ``_logout_from_token`` and ``_get_token_from_file`` are private to
huggingface_hub (what its ``login``/``logout`` use after asking huggingface.co's whoami); they are only
called here, so a change in them is fixed in one place. ``login()`` itself cannot be used: it validates
the token against ``HF_ENDPOINT`` as read at import, not against the endpoint given on our command line.
"""

from __future__ import annotations

from kohub_cli.errors import CliError


def stored() -> dict[str, str]:
    """Stored token name -> token."""
    from huggingface_hub.utils import get_stored_tokens

    return get_stored_tokens()


def resolved() -> str | None:
    """The token huggingface_hub would send: ``HF_TOKEN``, else the active stored token.

    Raises:
        CliError: the stored token cannot be read (e.g. HF_HOME is not a directory).
    """
    from huggingface_hub import get_token

    try:
        return get_token()
    except OSError as exc:
        raise CliError(f"Cannot read the stored token: {exc}") from None


def active_name() -> str | None:
    """The name of the stored token that is active (``$HF_HOME/token``), if it is a stored one."""
    from huggingface_hub.utils._auth import _get_token_from_file

    current = _get_token_from_file()
    return next((name for name, token in stored().items() if current and token == current), None)


def save_and_activate(name: str, token: str) -> None:
    """Store ``token`` under ``name`` (replacing a token of that name) and make it the active one."""
    from huggingface_hub._login import _set_active_token
    from huggingface_hub.utils._auth import _save_token

    _save_token(token=token, token_name=name)
    _set_active_token(token_name=name, add_to_git_credential=False)


def switch(name: str) -> None:
    """Make the stored token ``name`` the active one.

    Raises:
        CliError: no stored token has that name.
    """
    from huggingface_hub import auth_switch

    if name not in stored():
        raise CliError(f"No stored token named {name!r} (see `kohub-cli auth list`)")
    auth_switch(name, add_to_git_credential=False)


def remove(name: str) -> None:
    """Forget the stored token ``name`` (and deactivate it if it was active)."""
    from huggingface_hub._login import _logout_from_token

    _logout_from_token(name)

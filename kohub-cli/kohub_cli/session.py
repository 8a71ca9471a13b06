"""Who talks to which hub: the endpoint and token of this run, resolved once.

Endpoint: ``--endpoint``, else ``HF_ENDPOINT``, else the one recorded by ``auth login`` (or ``config set
endpoint``), else the hub's default address. Token: ``--token``, else ``HF_TOKEN``, else the active
token stored by ``auth login`` / ``hf auth login``.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import Any

import typer

from kohub_cli import __version__, config
from kohub_cli.errors import UsageError
from kohub_cli.http import HubHttp
from kohub_cli.repo_ref import RepoRef, RepoType, split_repo_id

DEFAULT_ENDPOINT = "http://127.0.0.1:28080"


class Session:
    """The resolved endpoint and identity of one command, with the connections built from them."""

    def __init__(self, endpoint: str | None, token: str | None) -> None:
        self._endpoint_option = endpoint
        self._token_option = token

    @cached_property
    def endpoint_and_source(self) -> tuple[str, str]:
        candidates = (
            (lambda: self._endpoint_option, "--endpoint"),
            (lambda: os.environ.get("HF_ENDPOINT"), "HF_ENDPOINT"),
            (lambda: config.load().get("endpoint"), "config"),
        )
        for read, source in candidates:  # lazily: the config file is read only when it decides
            value = read()
            if value:
                break
        else:
            value, source = DEFAULT_ENDPOINT, "default"
        if not value.startswith(("http://", "https://")):
            raise UsageError(
                f"Invalid endpoint {value!r} (from {source}): expected http://... or https://..."
            )
        return value.rstrip("/"), source

    @property
    def endpoint(self) -> str:
        return self.endpoint_and_source[0]

    @property
    def token_option(self) -> str | None:
        """The token given with --token, if any."""
        return self._token_option

    @cached_property
    def token_and_source(self) -> tuple[str | None, str]:
        if self._token_option:
            return self._token_option, "--token"
        from kohub_cli import hf_tokens

        if os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN"):
            return hf_tokens.resolved(), "HF_TOKEN"
        token = hf_tokens.resolved()
        if not token:
            return None, "none"
        name = hf_tokens.active_name()
        return token, f"stored token {name!r}" if name else "stored token"

    @property
    def token(self) -> str | None:
        return self.token_and_source[0]

    @cached_property
    def http(self) -> HubHttp:
        return HubHttp(self.endpoint, self.token)

    def http_with(self, token: str | None) -> HubHttp:
        """A connection to the same hub with another identity (login, the admin token)."""
        return HubHttp(self.endpoint, token)

    def hf_api(self) -> Any:
        """huggingface_hub's ``HfApi`` for this endpoint and identity (``token=False``: anonymous)."""
        from huggingface_hub import HfApi

        return HfApi(
            endpoint=self.endpoint,
            token=self.token or False,
            library_name="kohub-cli",
            library_version=__version__,
        )

    @cached_property
    def username(self) -> str:
        """The signed-in user's name (asks whoami once)."""
        return self.http.get("/api/whoami-v2")["name"]

    def repo(self, value: str, repo_type: RepoType | None) -> RepoRef:
        """The repo a command argument names; ``NAME`` alone is in the signed-in user's namespace."""
        kind, namespace, name = split_repo_id(value, repo_type)
        return RepoRef(kind, namespace or self.username, name)


def current(ctx: typer.Context) -> Session:
    """The session of this run (built by the root callback)."""
    return ctx.find_root().obj

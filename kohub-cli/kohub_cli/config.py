"""kohub-cli's own settings: the endpoint it last signed in to, and the tokens it created at login.

Kept beside the tokens of huggingface_hub (``$HF_HOME/kohub-cli/config.json``), so that pointing
``HF_HOME`` somewhere else (a test, a second identity) moves both together.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from kohub_cli.errors import CliError


def config_path() -> Path:
    """Where the settings live (``KOHUB_CLI_CONFIG`` overrides)."""
    from huggingface_hub import constants  # its HF_HOME, resolved from the environment as hf does

    return Path(os.environ.get("KOHUB_CLI_CONFIG") or Path(constants.HF_HOME) / "kohub-cli" / "config.json")


def load() -> dict[str, Any]:
    """The settings, empty when there is no file yet.

    Raises:
        CliError: the file exists but is not a JSON object.
    """
    path = config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise CliError(f"Cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise CliError(f"{path} does not hold a JSON object")
    return data


def save(data: dict[str, Any]) -> None:
    """Write the settings (owner-only: they name tokens, though they hold no secret)."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
    os.replace(tmp, path)


def update(**changes: Any) -> dict[str, Any]:
    """Set (or, with ``None``, remove) top-level keys; return the new settings."""
    data = load()
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    save(data)
    return data

"""The card metadata rules the Hub enforces, per repo type, as small composable checks.

Sources: the Hub's metadata specs (hub-docs ``modelcard.md``, ``datasetcard.md``,
``docs/hub/spaces-config-reference.md``, the license table of ``docs/hub/repositories-licenses.md``) and the
messages the Hub answers with, which clients and users quote (Joi's wording: ``"colorFrom" must be one of
[red, ...]``, ``"short_description" length must be less than or equal to 60 characters``,
``"base_model" with value "x" is not valid. Use a model id from https://hf.co/models.``). Keys not listed
are free: cards carry any metadata their libraries want.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# label, value -> the error messages (empty when the value is valid)
Check = Callable[[str, Any], list[str]]

LICENSES = (
    "apache-2.0", "mit", "openrail", "bigscience-openrail-m", "creativeml-openrail-m", "bigscience-bloom-rail-1.0",
    "bigcode-openrail-m", "afl-3.0", "artistic-2.0", "bsl-1.0", "bsd", "bsd-2-clause", "bsd-3-clause",
    "bsd-3-clause-clear", "c-uda", "cc", "cc0-1.0", "cc-by-2.0", "cc-by-2.5", "cc-by-3.0", "cc-by-4.0",
    "cc-by-sa-3.0", "cc-by-sa-4.0", "cc-by-nc-2.0", "cc-by-nc-3.0", "cc-by-nc-4.0", "cc-by-nd-4.0",
    "cc-by-nc-nd-3.0", "cc-by-nc-nd-4.0", "cc-by-nc-sa-2.0", "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0",
    "cdla-sharing-1.0", "cdla-permissive-1.0", "cdla-permissive-2.0", "wtfpl", "ecl-2.0", "epl-1.0", "epl-2.0",
    "etalab-2.0", "eupl-1.1", "eupl-1.2", "agpl-3.0", "gfdl", "gpl", "gpl-2.0", "gpl-3.0", "lgpl", "lgpl-2.1",
    "lgpl-3.0", "isc", "h-research", "intel-research", "lppl-1.3c", "ms-pl", "apple-ascl", "apple-amlr",
    "mpl-2.0", "odc-by", "odbl", "openmdw-1.0", "openmdw-1.1", "openrail++", "osl-3.0", "postgresql", "ofl-1.1",
    "ncsa", "unlicense", "zlib", "pddl", "lgpl-lr", "deepfloyd-if-license", "fair-noncommercial-research-license",
    "llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "llama4", "grok2-community", "gemma", "unknown",
    "other",
)
SPACE_COLORS = ("red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray")
SPACE_SDKS = ("gradio", "streamlit", "docker", "static")
MAX_SHORT_DESCRIPTION = 60
# A Hub model id: "name" or "namespace/name" (the repo-id characters).
_MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}(?:/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?")


def _q(label: str) -> str:
    return f'"{label}"'


def string(label: str, value: Any) -> list[str]:
    return [] if isinstance(value, str) else [f"{_q(label)} must be a string"]


def scalar(label: str, value: Any) -> list[str]:
    """A name-like value: a string, or a number or boolean YAML typed (``tags: [2023]``), never a list or map."""
    return [] if isinstance(value, str | int | float) else [f"{_q(label)} must be a string"]


def boolean(label: str, value: Any) -> list[str]:
    return [] if isinstance(value, bool) else [f"{_q(label)} must be a boolean"]


def integer(label: str, value: Any) -> list[str]:
    if isinstance(value, float):
        return [f"{_q(label)} must be an integer"]
    return [] if isinstance(value, int) and not isinstance(value, bool) else [f"{_q(label)} must be a number"]


def number(label: str, value: Any) -> list[str]:
    return [] if isinstance(value, int | float) and not isinstance(value, bool) else [f"{_q(label)} must be a number"]


def anything(label: str, value: Any) -> list[str]:
    return []


def one_of(*choices: str) -> Check:
    def check(label: str, value: Any) -> list[str]:
        return [] if value in choices else [f"{_q(label)} must be one of [{', '.join(choices)}]"]
    return check


def max_length(limit: int) -> Check:
    def check(label: str, value: Any) -> list[str]:
        if not isinstance(value, str):
            return string(label, value)
        return [] if len(value) <= limit else [f"{_q(label)} length must be less than or equal to {limit} characters"]
    return check


def model_id(label: str, value: Any) -> list[str]:
    if not isinstance(value, str):
        return string(label, value)
    if _MODEL_ID.fullmatch(value) and "--" not in value and ".." not in value:
        return []
    return [f'{_q(label)} with value "{value}" is not valid. Use a model id from https://hf.co/models.']


def array_of(item: Check) -> Check:
    def check(label: str, value: Any) -> list[str]:
        if not isinstance(value, list):
            return [f"{_q(label)} must be an array"]
        return [error for i, element in enumerate(value) for error in item(f"{label}[{i}]", element)]
    return check


def one_or_many(item: Check = scalar) -> Check:
    """A single value or a list of them (``language: en`` and ``language: [en, fr]`` are both fine)."""
    def check(label: str, value: Any) -> list[str]:
        if isinstance(value, list):
            return array_of(item)(label, value)
        if isinstance(value, dict) or value is None:
            return [f"{_q(label)} must be one of [string, array]"]
        return item(label, value)
    return check


def either(*checks: Check) -> Check:
    """Valid when one of the checks passes; otherwise the first one's errors."""
    def check(label: str, value: Any) -> list[str]:
        results = [c(label, value) for c in checks]
        return [] if any(not r for r in results) else results[0]
    return check


def obj(fields: dict[str, Check], required: tuple[str, ...] = ()) -> Check:
    """A mapping whose listed keys are checked (others are free) and whose ``required`` keys are present."""
    def check(label: str, value: Any) -> list[str]:
        if not isinstance(value, dict):
            return [f"{_q(label)} must be of type object"]
        prefix = f"{label}." if label else ""
        errors = [f"{_q(prefix + key)} is required" for key in required if value.get(key) is None]
        for key, field_check in fields.items():
            if value.get(key) is not None:
                errors += field_check(prefix + key, value[key])
        return errors
    return check

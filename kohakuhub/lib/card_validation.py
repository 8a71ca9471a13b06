"""Validation of a repo card's YAML metadata, as the Hub's ``/api/validate-yaml`` and its commit checks do.

``validate_card`` returns the Hub's two lists: errors (the card is refused) and warnings (it is accepted,
and the client shows them: "empty or missing yaml metadata in repo card"). The per-type rules are in
``card_schema.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from kohakuhub.lib.card_schema import (
    LICENSES,
    MAX_SHORT_DESCRIPTION,
    SPACE_COLORS,
    SPACE_SDKS,
    Check,
    anything,
    array_of,
    boolean,
    either,
    integer,
    max_length,
    model_id,
    number,
    obj,
    one_of,
    one_or_many,
    string,
)

MISSING_METADATA = "empty or missing yaml metadata in repo card"
# Front matter is at the top; a README is read up to this size for it.
MAX_CARD_BYTES = 1 << 20

_COMMON: dict[str, Check] = {
    "license": one_or_many(one_of(*LICENSES)),
    "license_name": string,
    "license_link": string,
    "language": one_or_many(),
    "tags": one_or_many(),
    "pretty_name": string,
    "thumbnail": string,
}
_MODEL_INDEX = array_of(obj({
    "name": string,
    "results": array_of(obj({
        "task": obj({"type": string, "name": string}, required=("type",)),
        "dataset": obj({"type": string, "name": string, "config": string, "split": string, "revision": string},
                       required=("type", "name")),
        "metrics": array_of(obj({"type": string, "value": anything, "name": string}, required=("type", "value"))),
    }, required=("task", "dataset", "metrics"))),
}, required=("name", "results")))
_MODEL: dict[str, Check] = {
    **_COMMON,
    "library_name": string,
    "pipeline_tag": string,
    "datasets": one_or_many(),
    "metrics": one_or_many(),
    "base_model": one_or_many(model_id),
    "base_model_relation": one_of("adapter", "merge", "quantized", "finetune"),
    "model-index": _MODEL_INDEX,
    "widget": array_of(anything),
    "inference": either(boolean, obj({})),
}
_DATASET: dict[str, Check] = {
    **_COMMON,
    **{key: one_or_many() for key in ("task_categories", "task_ids", "size_categories", "annotations_creators",
                                       "language_creators", "multilinguality", "source_datasets")},
    "paperswithcode_id": string,
    "configs": array_of(obj({"config_name": string, "default": boolean}, required=("config_name",))),
    "dataset_info": either(obj({}), array_of(obj({}))),
}
_SPACE: dict[str, Check] = {
    **_COMMON,
    "title": string, "emoji": string, "sdk_version": string, "python_version": string, "app_file": string,
    "colorFrom": one_of(*SPACE_COLORS), "colorTo": one_of(*SPACE_COLORS), "sdk": one_of(*SPACE_SDKS),
    "app_port": integer, "pinned": boolean, "fullWidth": boolean, "hf_oauth": boolean,
    "disable_embedding": boolean, "header": one_of("mini", "default"),
    "short_description": max_length(MAX_SHORT_DESCRIPTION),
    "models": one_or_many(), "datasets": one_or_many(), "hf_oauth_scopes": array_of(string),
    "hf_oauth_expiration_minutes": number,
}
RULES: dict[str, dict[str, Check]] = {"model": _MODEL, "dataset": _DATASET, "space": _SPACE}


@dataclass(frozen=True)
class CardReport:
    """The Hub's answer about a card: ``errors`` refuse it, ``warnings`` are shown."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _Yaml12Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 booleans (the Hub's parser): ``no``, ``yes``, ``on`` and ``off``
    stay strings, so ``language: no`` (Norwegian) is a language, not ``False``."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def front_matter(readme: str) -> str | None:
    """The text between the opening and closing ``---`` lines, or None without front matter."""
    lines = readme.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    for end, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "\n".join(lines[1:end])
    return None


def validate_card(readme: str, repo_type: str) -> CardReport:
    """Check a README's metadata against the rules of ``repo_type`` (model, dataset or space)."""
    text = front_matter(readme)
    if text is None:
        return CardReport(warnings=[MISSING_METADATA])
    try:
        data = yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        return CardReport(errors=[f"Invalid YAML in the metadata: {_yaml_problem(exc)}"])
    if data is None or data == {}:
        return CardReport(warnings=[MISSING_METADATA])
    if not isinstance(data, dict):  # a list or a scalar where the metadata mapping should be
        return CardReport(errors=['"value" must be of type object'])
    return CardReport(errors=obj(RULES.get(repo_type, _COMMON))("", data))


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else problem


def validate_readme_bytes(readme: bytes, repo_type: str) -> CardReport:
    """``validate_card`` of a README's first MAX_CARD_BYTES (the front matter is at the top)."""
    return validate_card(readme[:MAX_CARD_BYTES].decode("utf-8", errors="replace"), repo_type)


REFUSAL = "Sorry, your push was rejected during YAML metadata verification:"


def refusal_lines(errors: list[str]) -> list[str]:
    """The Hub's words when a commit or push brings a README.md whose metadata is invalid."""
    return [REFUSAL] + [f" - Error: {error}" for error in errors]

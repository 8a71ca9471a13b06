"""Repo card metadata: the YAML front matter of README.md."""

from __future__ import annotations

from typing import Any

import yaml

MAX_CARD_BYTES = 1 << 20


def parse_card_data(readme: bytes) -> dict[str, Any] | None:
    """The front matter of a README as a dict, or None when absent or not valid YAML mapping."""
    if len(readme) > MAX_CARD_BYTES:
        readme = readme[:MAX_CARD_BYTES]
    text = readme.decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    for end, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            try:
                data = yaml.safe_load("\n".join(lines[1:end]))
            except yaml.YAMLError:
                return None
            return data if isinstance(data, dict) else None
    return None


def card_tags(card: dict[str, Any] | None) -> list[str]:
    """Tags as the Hub derives them: the card's ``tags`` plus ``license:``/``library``/``language`` ones."""
    if not card:
        return []
    tags: list[str] = []
    raw = card.get("tags")
    if isinstance(raw, str):
        raw = [raw]
    if isinstance(raw, list):
        tags += [str(t) for t in raw if isinstance(t, str | int | float)]
    if isinstance(card.get("library_name"), str):
        tags.append(card["library_name"])
    lic = card.get("license")
    if isinstance(lic, str):
        tags.append(f"license:{lic}")
    langs = card.get("language")
    for lang in [langs] if isinstance(langs, str) else langs if isinstance(langs, list) else []:
        if isinstance(lang, str):
            tags.append(lang)
    return list(dict.fromkeys(tags))


MAX_TAG = 255
MAX_TAGS = 200


def _strings(value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [str(item) for item in items if isinstance(item, str | int | float) and not isinstance(item, bool)]


def typed_card_tags(card: dict[str, Any] | None) -> list[tuple[str, str]]:
    """``(kind, tag)`` pairs the lists filter on, grouped as the Hub's tags-by-type: ``library``
    (library_name), ``license`` (license:x), ``language``, ``pipeline_tag``, ``dataset`` (dataset:x) and
    ``other`` (the card's own tags). Each tag once (its first kind), at most MAX_TAGS, each cut to MAX_TAG."""
    if not card:
        return []
    pairs = [("library", tag) for tag in _strings(card.get("library_name"))[:1]]
    pairs += [("license", f"license:{tag}") for tag in _strings(card.get("license"))]
    pairs += [("language", tag) for tag in _strings(card.get("language"))]
    pairs += [("pipeline_tag", tag) for tag in _strings(card.get("pipeline_tag"))[:1]]
    pairs += [("dataset", f"dataset:{tag}") for tag in _strings(card.get("datasets"))]
    pairs += [("other", tag) for tag in _strings(card.get("tags"))]
    seen: dict[str, str] = {}
    for kind, tag in pairs:
        tag = tag.strip()[:MAX_TAG]
        if tag and tag not in seen:
            seen[tag] = kind
    return [(kind, tag) for tag, kind in seen.items()][:MAX_TAGS]

"""The access request form of a gated repo: the card's ``extra_gated_fields`` and the answers to it.

A card declares each field as ``Label: type`` or ``Label: {type: select, options: [...]}``, with the types
of the Hub's gated repos: ``text``, ``checkbox`` (must be ticked), ``date_picker`` (YYYY-MM-DD), ``country``
and ``select`` (options: strings or ``{label, value}``). ``ip_location`` is filled by the Hub itself, not
asked, and is left out here. An unknown type is asked as text. Every declared field must be answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from kohakuhub.errors import BadRequestError

MAX_FIELDS = 50
MAX_ANSWER = 1000
TRUE_WORDS = frozenset({"true", "on", "yes", "1"})


@dataclass(frozen=True)
class GateField:
    label: str
    kind: str  # text | checkbox | date_picker | country | select
    options: tuple[str, ...] = ()  # accepted values of a select (each option's value and its label)


def _options(spec: dict[str, Any]) -> tuple[str, ...]:
    values: list[str] = []
    for option in spec.get("options") or []:
        if isinstance(option, dict):
            values += [str(option[key]) for key in ("value", "label") if key in option]
        elif isinstance(option, str | int | float):
            values.append(str(option))
    return tuple(values)


def gate_fields(card: dict[str, Any] | None) -> list[GateField]:
    """The fields a card asks for (none when it declares none, or declares them in a shape not understood)."""
    declared = (card or {}).get("extra_gated_fields")
    if not isinstance(declared, dict):
        return []
    fields = []
    for label, spec in list(declared.items())[:MAX_FIELDS]:
        kind = spec if isinstance(spec, str) else spec.get("type") if isinstance(spec, dict) else None
        if kind == "ip_location":
            continue
        if kind not in ("text", "checkbox", "date_picker", "country", "select"):
            kind = "text"
        options = _options(spec) if kind == "select" and isinstance(spec, dict) else ()
        fields.append(GateField(str(label), kind, options))
    return fields


def _answer(field: GateField, value: Any) -> Any:
    if field.kind == "checkbox":
        if value is True or (isinstance(value, str) and value.strip().lower() in TRUE_WORDS):
            return True
        raise BadRequestError(f"The field {field.label!r} must be checked")
    if not isinstance(value, str) or not value.strip():
        raise BadRequestError(f"The field {field.label!r} needs an answer")
    value = value.strip()
    if len(value) > MAX_ANSWER:
        raise BadRequestError(f"The answer to {field.label!r} is longer than {MAX_ANSWER} characters")
    if field.kind == "date_picker":
        try:
            date.fromisoformat(value)
        except ValueError:
            raise BadRequestError(f"The field {field.label!r} needs a date as YYYY-MM-DD") from None
    if field.kind == "select" and field.options and value not in field.options:
        raise BadRequestError(f"The field {field.label!r} must be one of: {', '.join(field.options)}")
    return value


def check_answers(fields: list[GateField], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers to keep, one per declared field.

    Raises:
        BadRequestError: a field not declared by the card, a missing or invalid answer.
    """
    known = {field.label for field in fields}
    unknown = [key for key in answers if key not in known]
    if unknown:
        raise BadRequestError(f"Unknown field(s) {', '.join(map(repr, unknown[:10]))}: the card asks for "
                              + (", ".join(map(repr, sorted(known))) or "no fields"))
    return {field.label: _answer(field, answers.get(field.label)) for field in fields}

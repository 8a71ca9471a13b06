"""The access request form of a gated repo (kohakuhub/lib/gate_form.py)."""

from __future__ import annotations

import pytest

from kohakuhub.errors import BadRequestError
from kohakuhub.lib.gate_form import GateField, check_answers, gate_fields

CARD = {"extra_gated_fields": {
    "Company": "text", "Country": "country", "When": "date_picker", "Agree": "checkbox", "Where": "ip_location",
    "Use": {"type": "select", "options": ["Research", {"label": "Other", "value": "other"}]},
    "Odd": "slider",
}}


def test_fields_of_a_card() -> None:
    assert gate_fields(CARD) == [
        GateField("Company", "text"), GateField("Country", "country"), GateField("When", "date_picker"),
        GateField("Agree", "checkbox"), GateField("Use", "select", ("Research", "other", "Other")),
        GateField("Odd", "text"),  # an unknown type is asked as text; ip_location is not asked
    ]
    for card in (None, {}, {"extra_gated_fields": "x"}, {"extra_gated_fields": ["a"]}):
        assert gate_fields(card) == []


def test_good_answers_are_kept_one_per_field() -> None:
    answers = {"Company": " ACME ", "Country": "FR", "When": "2020-02-29", "Agree": "on", "Use": "other", "Odd": "1"}
    assert check_answers(gate_fields(CARD), answers) == {
        "Company": "ACME", "Country": "FR", "When": "2020-02-29", "Agree": True, "Use": "other", "Odd": "1"}
    assert check_answers([], {}) == {}


@pytest.mark.parametrize(("change", "message"), [
    ({"Company": ""}, "needs an answer"), ({"Company": None}, "needs an answer"), ({"Agree": "no"}, "checked"),
    ({"Agree": False}, "checked"), ({"When": "2020-02-30"}, "YYYY-MM-DD"), ({"Use": "Fun"}, "one of"),
    ({"Extra": "x"}, "Unknown field"), ({"Company": "x" * 1001}, "longer"),
])
def test_bad_answers_are_refused(change: dict, message: str) -> None:
    answers = {"Company": "A", "Country": "FR", "When": "2020-01-01", "Agree": True, "Use": "Research", "Odd": "1"}
    with pytest.raises(BadRequestError, match=message):
        check_answers(gate_fields(CARD), {**answers, **change})

"""pydantic errors reach the user in the spec's words, never pydantic's."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import pytest
from pydantic import AwareDatetime, Field, ValidationError

from modelinfra.spec.fields import SpecModel
from modelinfra.spec.pydantic_problems import RFC3339_HINT, message_of


class Rule(SpecModel):
    name: str
    days: int = Field(default=1, ge=1)


class Model(SpecModel):
    rules: list[Rule] = Field(default_factory=list, min_length=1)
    tier: Literal["Hot", "Cool"] = "Hot"
    at: AwareDatetime | None = None
    when: datetime | None = None
    flag: bool = False
    count: int = 0


def messages(data: dict) -> dict[tuple, str]:
    with pytest.raises(ValidationError) as caught:
        Model.model_validate(data)
    return {tuple(e["loc"]): message_of(e, Model, tuple(p for p in e["loc"] if not str(p).startswith("function")))
            for e in caught.value.errors()}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"rules": []}, "must not be empty: give at least one item, or leave the field out"),
        ({"tier": "hot"}, "must be one of: Hot, Cool (got 'hot') (did you mean Hot?)"),
        ({"at": "yesterday"}, RFC3339_HINT),
        ({"at": "2026-01-31T12:00:00"}, RFC3339_HINT),
        ({"when": "yesterday"}, RFC3339_HINT),
        ({"flag": 1}, "must be true or false (got 1)"),
        ({"flag": "yes"}, "must be true or false (got 'yes')"),
        ({"count": True}, "must be a number (got True)"),
        ({"count": "many"}, "must be a whole number (got 'many')"),
        ({"rules": [{"name": "a", "days": 0}]}, "must be at least 1 (got 0)"),
        ({"rules": [{"nam": "a"}]}, "unknown field (did you mean name?)"),
    ],
)
def test_each_error_kind_has_a_spec_message(data: dict, expected: str):
    found = messages(data)
    assert any(expected in m for m in found.values()), found
    assert not any("Input should" in m or "List should" in m for m in found.values()), found


def test_a_missing_field_says_what_to_add():
    found = messages({"rules": [{}]})
    assert "required field is missing; add `name: ...`" in found.values(), found

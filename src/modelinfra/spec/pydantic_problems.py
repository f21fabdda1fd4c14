"""Turn pydantic ``ValidationError``s into positioned, user-worded ``Problem``s."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from modelinfra.errors import Problem
from modelinfra.spec.loader import Document, PathKey

_MESSAGES = {
    "extra_forbidden": "unknown field",
    "missing": "required field is missing",
}


def problems_from_validation(
    doc: Document,
    error: ValidationError,
    prefix: PathKey = (),
    keep: Callable[[PathKey], bool] = lambda loc: True,
) -> list[Problem]:
    """One Problem per pydantic error, located at ``prefix + loc``; errors where ``keep(loc)`` is
    False are dropped (used to ignore fields whose value is only known after apply)."""
    problems = []
    for item in error.errors(include_url=False):
        loc = clean_loc(item["loc"])
        if not keep(loc):
            continue
        problems.append(doc.problem((*prefix, *loc), message_of(item)))
    return problems


def clean_loc(loc: tuple[Any, ...]) -> PathKey:
    """Drop pydantic's internal loc parts (validator and union-member tags)."""
    return tuple(p for p in loc if isinstance(p, int) or not any(c in p for c in "[(,"))


def message_of(item: Any) -> str:
    kind = item["type"]
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    message = str(item["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    if kind == "literal_error" or kind == "enum":
        message = message.replace("Input should be", "must be")
    elif message.startswith("Input should be"):
        message = "must be" + message[len("Input should be"):]
    elif message.startswith("String should match pattern"):
        message = "invalid value: " + message[0].lower() + message[1:]
    received = item.get("input")
    if kind not in ("missing",) and isinstance(received, str | int | float | bool) and len(str(received)) < 80:
        message += f" (got {received!r})"
    return message

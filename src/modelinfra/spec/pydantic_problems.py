"""Turn pydantic ``ValidationError``s into positioned problems worded in the spec's terms.

No pydantic text reaches the user: each error kind has a message that says what is wrong with the
value and how to fix it (allowed values of an enum, ``did you mean`` for an unknown field, the
RFC 3339 form of a time...). Messages from our own validators (``ValueError``) are kept as written.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from modelinfra.errors import Problem
from modelinfra.spec.loader import Document, PathKey
from modelinfra.spec.suggest import did_you_mean

RFC3339_HINT = "not an RFC 3339 time (e.g. 2026-01-31T12:00:00Z)"

_FIXED = {
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "string_type": "must be a string (quote it if it looks like a number or a boolean)",
    "list_type": "must be a list (`[a, b]` or one `- item` per line)",
    "dict_type": "must be a mapping (`key: value` lines)",
    "model_type": "must be a mapping (`key: value` lines)",
    "model_attributes_type": "must be a mapping (`key: value` lines)",
    "timezone_aware": RFC3339_HINT,
    "datetime_type": RFC3339_HINT,
    "datetime_parsing": RFC3339_HINT,
    "datetime_from_date_parsing": RFC3339_HINT,
    "date_parsing": "not a date (e.g. 2026-01-31)",
    "date_from_datetime_parsing": "not a date (e.g. 2026-01-31)",
    "none_required": "must be null",
    "url_parsing": "not a URL (e.g. https://example.com/path)",
}


def problems_from_validation(
    doc: Document,
    error: ValidationError,
    prefix: PathKey = (),
    keep: Callable[[PathKey], bool] = lambda loc: True,
    model: type[BaseModel] | None = None,
) -> list[Problem]:
    """One Problem per pydantic error, located at ``prefix + loc``; errors where ``keep(loc)`` is
    False are dropped (used to ignore fields whose value is only known after apply) — except an
    unknown field, which is wrong whatever its value. ``model`` (the validated model) lets an unknown
    field be matched against the known ones."""
    problems = []
    for item in error.errors(include_url=False):
        loc = clean_loc(item["loc"])
        if item["type"] != "extra_forbidden" and not keep(loc):
            continue
        problems.append(doc.problem((*prefix, *loc), message_of(item, model, loc)))
    return problems


def clean_loc(loc: tuple[Any, ...]) -> PathKey:
    """Drop pydantic's internal loc parts (validator and union-member tags)."""
    return tuple(p for p in loc if isinstance(p, int) or not any(c in p for c in "[(,"))


def message_of(item: Any, model: type[BaseModel] | None = None, loc: PathKey = ()) -> str:
    """The user-facing message of one pydantic error (see the module docstring)."""
    kind = item["type"]
    ctx = item.get("ctx") or {}
    if kind == "extra_forbidden" and len(loc) == 3 and loc[0] == "modules" and loc[2] in ("for_each", "count"):
        return (f"a module cannot take {loc[2]} (not supported yet): declare one module block per copy "
                "(each is an independent copy), or put for_each on the module's resources and pass the keys "
                "as an input")
    if kind == "extra_forbidden":
        known = fields_at(model, loc[:-1]) if model is not None and loc else set()
        return "unknown field" + (did_you_mean(str(loc[-1]), known) if known else "")
    if kind == "missing":
        name = loc[-1] if loc else "it"
        return f"required field is missing; add `{name}: ...`"
    if kind in ("value_error", "assertion_error"):
        message = str(item["msg"])
        for head in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(head)
        return message
    if kind in _FIXED:
        return _FIXED[kind] + _received(item)
    if kind in ("literal_error", "enum"):
        received = item.get("input")
        allowed = [a.strip().strip("'\"") for a in str(ctx.get("expected", "")).replace(" or ", ", ").split(",")]
        hint = did_you_mean(str(received), allowed) if isinstance(received, str) else ""
        return f"must be one of: {', '.join(a for a in allowed if a)}" + _received(item) + hint
    if kind == "too_short":
        if ctx.get("min_length") == 1 and ctx.get("field_type") in ("List", "Dictionary", "Set"):
            return "must not be empty: give at least one item, or leave the field out"
        return f"needs at least {ctx.get('min_length')} item(s)" + _received(item)
    if kind == "too_long":
        return f"takes at most {ctx.get('max_length')} item(s)"
    if kind == "string_too_short":
        return f"must have at least {ctx.get('min_length')} character(s)" + _received(item)
    if kind == "string_too_long":
        return f"must have at most {ctx.get('max_length')} character(s)" + _received(item)
    if kind == "string_pattern_mismatch":
        return f"invalid value: must match the pattern {ctx.get('pattern')}" + _received(item)
    bounds = {"greater_than": "greater than", "greater_than_equal": "at least", "less_than": "less than",
              "less_than_equal": "at most", "multiple_of": "a multiple of"}
    if kind in bounds:
        limit = next(iter(ctx.values()), "")
        return f"must be {bounds[kind]} {limit}" + _received(item)
    message = str(item["msg"])
    if message.startswith("Input should be"):
        message = "must be" + message[len("Input should be"):]
    return message + _received(item)


def _received(item: Any) -> str:
    received = item.get("input")
    if isinstance(received, str | int | float | bool) and len(str(received)) < 80:
        return f" (got {received!r})"
    return ""


def fields_at(model: type[BaseModel] | None, loc: PathKey) -> set[str]:
    """The field names of the model found at ``loc`` inside ``model`` (empty when not a model)."""
    current: Any = model
    for part in loc:
        current = _model_in(current)
        if current is None:
            return set()
        if isinstance(part, int):
            continue
        if part in current.model_fields:
            current = _element(current.model_fields[part].annotation)
        else:
            return set()
    current = _model_in(current)
    return set(current.model_fields) if current is not None else set()


def _element(annotation: Any) -> Any:
    """Unwrap Optional/Annotated/list/dict to the model an annotation holds, if any."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _element(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(_element(arg))
            if found is not None:
                return found
        return None
    if origin in (list, set, tuple, frozenset):
        return _element(typing.get_args(annotation)[0])
    if origin is dict:
        return None
    return annotation


def _model_in(value: Any) -> type[BaseModel] | None:
    return value if isinstance(value, type) and issubclass(value, BaseModel) else None

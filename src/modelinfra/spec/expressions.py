"""``${...}`` expressions: parsing, reference discovery and evaluation.

Forms: ``${var.NAME}``, ``${env.NAME}``, ``${ADDRESS.ATTR[.KEY...]}``. ``$${`` escapes a literal
``${``. A string that is exactly one expression keeps the referenced value's type; an embedded
expression interpolates its value as text. If any referenced value is UNKNOWN the whole string is
UNKNOWN. Evaluation is pure: the caller supplies ``lookup(ref) -> value``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from modelinfra.values import UNKNOWN

_EXPR = re.compile(r"(?<!\$)\$\{([^}]*)\}")
_SEGMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Reference:
    """A parsed ``${...}``: ``kind`` is ``var``, ``env`` or ``resource``."""

    kind: str
    name: str  # variable/env name, or resource address
    attr: tuple[str, ...] = ()  # resource attribute path (empty for var/env)
    text: str = ""

    def __str__(self) -> str:
        return "${" + self.text + "}"


class ExpressionError(ValueError):
    """A malformed ``${...}``; the message is user-facing."""


def parse_reference(inner: str) -> Reference:
    text = inner.strip()
    parts = text.split(".")
    if not text or any(not _SEGMENT.match(p) for p in parts):
        raise ExpressionError(f"invalid expression ${{{inner}}}: expected ${{var.NAME}}, ${{env.NAME}} or ${{ADDRESS.ATTRIBUTE}}")
    if parts[0] in ("var", "env"):
        if len(parts) != 2:
            raise ExpressionError(f"invalid expression ${{{inner}}}: expected ${{{parts[0]}.NAME}}")
        return Reference(parts[0], parts[1], (), text)
    if len(parts) < 2:
        raise ExpressionError(f"invalid expression ${{{inner}}}: a resource reference needs an attribute, e.g. ${{{text}.id}}")
    return Reference("resource", parts[0], tuple(parts[1:]), text)


def iter_strings(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every string inside ``value`` with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from iter_strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_strings(item, (*path, index))


def find_references(value: Any) -> Iterator[tuple[tuple[str | int, ...], Reference | ExpressionError]]:
    """Every reference (or parse error) inside ``value``, with the path of the string holding it."""
    for path, text in iter_strings(value):
        for match in _EXPR.finditer(text):
            try:
                yield path, parse_reference(match.group(1))
            except ExpressionError as exc:
                yield path, exc


def evaluate(value: Any, lookup: Callable[[Reference], Any]) -> Any:
    """``value`` with every expression replaced through ``lookup``. Containers are copied."""
    if isinstance(value, dict):
        return {k: evaluate(v, lookup) for k, v in value.items()}
    if isinstance(value, list):
        return [evaluate(v, lookup) for v in value]
    if not isinstance(value, str) or "${" not in value:
        return value
    whole = _EXPR.fullmatch(value)
    if whole:
        return lookup(parse_reference(whole.group(1)))
    unknown = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal unknown
        result = lookup(parse_reference(match.group(1)))
        if result is UNKNOWN:
            unknown = True
            return ""
        if isinstance(result, str):
            return result
        return json.dumps(result) if isinstance(result, dict | list) else str(result).lower() if isinstance(result, bool) else str(result)

    text = _EXPR.sub(substitute, value)
    return UNKNOWN if unknown else text.replace("$${", "${")


def dig(value: Any, path: tuple[str, ...]) -> Any:
    """``value[path[0]][path[1]]...``; KeyError when a step is missing. UNKNOWN stays UNKNOWN."""
    for part in path:
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise KeyError(part)
    return value


def whole_reference(value: Any) -> Reference | None:
    """The reference a string is exactly (``"${var.x}"``), else None (also for malformed ones)."""
    if not isinstance(value, str):
        return None
    whole = _EXPR.fullmatch(value)
    if not whole:
        return None
    try:
        return parse_reference(whole.group(1))
    except ExpressionError:
        return None

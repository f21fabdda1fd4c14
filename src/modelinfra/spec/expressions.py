"""``${...}`` expressions: parsing, reference discovery and evaluation.

Inside ``${...}``: a reference, a string or number literal, or a function call whose arguments
are expressions (``${format("%s-%s", var.env, each.key)}``; the functions are in ``functions``).
References:

- ``var.NAME``, ``env.NAME``, ``each.key`` / ``each.value`` (inside a ``for_each`` resource);
  ``var.NAME`` and ``each.value`` may continue into an object: ``var.cfg.bucket.name``,
  ``each.value.tier`` (``["KEY"]`` or ``[0]`` steps too);
- ``ADDRESS.ATTR[.KEY...]`` where ADDRESS is a resource name, optionally with an instance key
  (``model["ranker"].version_id``);
- ``data.NAME.ATTR`` (a data source), ``module.NAME.OUTPUT`` (a module's output).

``$${`` escapes a literal ``${``. A string that is exactly one expression keeps the value's type;
an embedded expression interpolates its value as text. If any value is UNKNOWN the whole string
is UNKNOWN (a function of an UNKNOWN argument is UNKNOWN). Evaluation is pure: the caller
supplies ``lookup(ref) -> value`` and, for ``files``, the directory it globs in.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelinfra.values import UNKNOWN, contains_unknown

_EXPR = re.compile(r"(?<!\$)\$\{((?:[^}\"]|\"(?:[^\"\\]|\\.)*\")*)\}")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)|(?P<ident>[A-Za-z_][A-Za-z0-9_-]*)'
                    r"|(?P<punct>[.,()\[\]]))")
SCOPED_KINDS = ("var", "env", "each")


@dataclass(frozen=True)
class Reference:
    """A parsed reference: ``kind`` is ``var``, ``env``, ``each``, ``data``, ``module`` or
    ``resource``. ``name`` is the variable/env name, ``key``/``value`` for each, the data source
    or module name, or the resource address (with its instance key: ``model["ranker"]``)."""

    kind: str
    name: str
    attr: tuple[str, ...] = ()  # attribute path (a module's output first); a path into var/each.value
    text: str = ""

    def __str__(self) -> str:
        return "${" + self.text + "}"

    @property
    def base(self) -> str:
        """The resource name without its instance key (``model`` for ``model["ranker"]``)."""
        return self.name.split("[", 1)[0]

    @property
    def key(self) -> str | None:
        """The instance key of a resource reference (``ranker``), None without one."""
        return instance_key(self.name)


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Any, ...]
    text: str = ""


class ExpressionError(ValueError):
    """A malformed ``${...}`` or a function applied to values it cannot take; user-facing."""


def instance_address(name: str, key: str | None) -> str:
    """``model["ranker"]`` for ``("model", "ranker")``; ``name`` alone for no key."""
    return name if key is None else f"{name}[{json.dumps(key)}]"


def instance_key(address: str) -> str | None:
    """The key of the last instance index in ``address`` (``model["a"]`` -> ``a``), else None."""
    if not address.endswith('"]'):
        return None
    start = address.rfind('["')
    return json.loads(address[start + 1:-1]) if start >= 0 else None


def _tokens(inner: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = inner.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"invalid expression ${{{inner}}}: unexpected {text[pos:].strip()[:20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, inner: str):
        self.inner = inner
        self.tokens = _tokens(inner)
        self.pos = 0

    def fail(self, why: str) -> ExpressionError:
        return ExpressionError(f"invalid expression ${{{self.inner}}}: {why}")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise self.fail(f"expected {value!r}" if value else "unexpected end")
        self.pos += 1
        return token

    def parse(self) -> Any:
        if not self.tokens:
            raise self.fail("expected ${var.NAME}, ${env.NAME} or ${ADDRESS.ATTRIBUTE}")
        node = self.expression()
        if self.peek() is not None:
            raise self.fail(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def expression(self) -> Any:
        kind, value = self.take()
        if kind == "str":
            return Literal(json.loads(value))
        if kind == "num":
            return Literal(json.loads(value))
        if kind != "ident":
            raise self.fail(f"unexpected {value!r}")
        nxt = self.peek()
        if nxt is not None and nxt[1] == "(":
            return self.call(value)
        return self.reference(value)

    def call(self, name: str) -> Call:
        from modelinfra.spec.functions import FUNCTIONS

        start = self.pos - 1
        if name not in FUNCTIONS:
            raise self.fail(f"unknown function {name}() (functions: {', '.join(sorted(FUNCTIONS))})")
        self.take("(")
        args: list[Any] = []
        while self.peek() is not None and self.peek()[1] != ")":  # type: ignore[index]
            args.append(self.expression())
            if self.peek() is not None and self.peek()[1] == ",":  # type: ignore[index]
                self.take(",")
            elif self.peek() is None or self.peek()[1] != ")":  # type: ignore[index]
                raise self.fail("expected ',' or ')' between arguments")
        self.take(")")
        return Call(name, tuple(args), "".join(v for _, v in self.tokens[start:self.pos]))

    def reference(self, first: str) -> Reference:
        start = self.pos - 1
        parts: list[str] = [first]
        key: str | None = None
        while self.peek() is not None and self.peek()[1] in (".", "["):  # type: ignore[index]
            _, punct = self.take()
            if punct == ".":
                kind, value = self.take()
                if kind != "ident":
                    raise self.fail(f"expected a name after '.', got {value!r}")
                parts.append(value)
                continue
            kind, value = self.take()
            self.take("]")
            if len(parts) == 1 and kind == "str" and parts[0] not in (*SCOPED_KINDS, "data", "module"):
                key = json.loads(value)
            elif kind in ("num", "str") and len(parts) > 1:
                parts.append(str(json.loads(value)))
            else:
                raise self.fail("an index [\"KEY\"] follows a resource name or an attribute")
        return _reference(self.inner, parts, key, "".join(v for _, v in self.tokens[start:self.pos]))


def _reference(inner: str, parts: list[str], key: str | None, text: str) -> Reference:
    head = parts[0]
    if head in SCOPED_KINDS:
        if len(parts) < 2:
            raise ExpressionError(f"invalid expression ${{{inner}}}: expected ${{{head}.NAME}}")
        if head == "each" and parts[1] not in ("key", "value"):
            raise ExpressionError(f"invalid expression ${{{inner}}}: expected ${{each.key}} or ${{each.value}}")
        if len(parts) > 2 and (head == "env" or parts[1] == "key"):
            raise ExpressionError(f"invalid expression ${{{inner}}}: expected ${{{head}.{parts[1]}}} "
                                  f"({head}.{parts[1]} is text, it has no keys)")
        return Reference(head, parts[1], tuple(parts[2:]), text)
    if head in ("data", "module"):
        if len(parts) < 3:
            what = "ATTRIBUTE" if head == "data" else "OUTPUT"
            raise ExpressionError(f"invalid expression ${{{inner}}}: expected ${{{head}.NAME.{what}}}")
        return Reference(head, parts[1], tuple(parts[2:]), text)
    if len(parts) < 2:
        raise ExpressionError(f"invalid expression ${{{inner}}}: a resource reference needs an attribute, "
                              f"e.g. ${{{(text or inner).strip()}.id}}")
    return Reference("resource", instance_address(head, key), tuple(parts[1:]), text)


@functools.lru_cache(maxsize=4096)
def parse_expression(inner: str) -> Any:
    """The syntax tree of the text inside ``${...}``: a Reference, Literal or Call. Trees are
    immutable and depend on the text alone, so each distinct text is parsed once (a stack of N
    resources that all say ``${bucket.name}`` parses it once, not at every evaluation); an
    ``ExpressionError`` is raised again on every call."""
    return _Parser(inner).parse()


def parse_reference(inner: str) -> Reference:
    node = parse_expression(inner)
    if not isinstance(node, Reference):
        raise ExpressionError(f"invalid expression ${{{inner}}}: expected a reference")
    return node


def node_references(node: Any) -> Iterator[Reference]:
    if isinstance(node, Reference):
        yield node
    elif isinstance(node, Call):
        for arg in node.args:
            yield from node_references(arg)


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
    """Every reference (or parse error) inside ``value``, with the path of the string holding it;
    references inside function arguments included."""
    for path, text in iter_strings(value):
        unclosed = _unclosed(text)
        if unclosed is not None:
            yield path, ExpressionError(unclosed)
        for match in _EXPR.finditer(text):
            try:
                node = parse_expression(match.group(1))
            except ExpressionError as exc:
                yield path, exc
                continue
            for ref in node_references(node):
                yield path, ref


def _unclosed(text: str) -> str | None:
    """The message for a ``${`` in ``text`` that no ``}`` closes (``$${`` is a literal), else None."""
    if "${" not in text:
        return None
    starts = {m.start() for m in _EXPR.finditer(text)}
    for index in range(len(text) - 1):
        if text.startswith("${", index) and (index == 0 or text[index - 1] != "$") and index not in starts:
            shown = text[index:index + 30] + ("..." if len(text) > index + 30 else "")
            return (f"unclosed expression {shown!r} (at character {index + 1} of the string): add the closing "
                    "'}', or write $${ for a literal ${")
    return None


def evaluate(value: Any, lookup: Callable[[Reference], Any], directory: Path | None = None,
             errors: list[tuple[tuple[str | int, ...], str]] | None = None,
             path: tuple[str | int, ...] = ()) -> Any:
    """``value`` with every expression replaced through ``lookup``. Containers are copied.
    ``directory``: where ``files()`` globs (the spec's directory). A malformed expression or a
    function given values it cannot take raises ``ExpressionError``; with ``errors`` (a list), that
    string is UNKNOWN instead and ``(path, message)`` is appended."""
    if isinstance(value, dict):
        return {k: evaluate(v, lookup, directory, errors, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [evaluate(v, lookup, directory, errors, (*path, i)) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value
    try:
        return _evaluate_string(value, lookup, directory)
    except ExpressionError as exc:
        if errors is None:
            raise
        errors.append((path, str(exc)))
        return UNKNOWN


def _evaluate_string(value: str, lookup: Callable[[Reference], Any], directory: Path | None) -> Any:
    whole = _EXPR.fullmatch(value)
    if whole:
        return evaluate_node(parse_expression(whole.group(1)), lookup, directory)
    unknown = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal unknown
        result = evaluate_node(parse_expression(match.group(1)), lookup, directory)
        if contains_unknown(result):
            unknown = True
            return ""
        if isinstance(result, str):
            return result
        return json.dumps(result) if isinstance(result, dict | list) else str(result).lower() if isinstance(result, bool) else str(result)

    text = _EXPR.sub(substitute, value)
    return UNKNOWN if unknown else text.replace("$${", "${")


def evaluate_node(node: Any, lookup: Callable[[Reference], Any], directory: Path | None = None) -> Any:
    if isinstance(node, Reference):
        return lookup(node)
    if isinstance(node, Literal):
        return node.value
    from modelinfra.spec.functions import call_function

    args = [evaluate_node(a, lookup, directory) for a in node.args]
    if any(contains_unknown(a) for a in args):
        return UNKNOWN
    return call_function(node.name, args, directory)


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


def dig_reference(value: Any, ref: Reference) -> Any:
    """``value`` (what ``var.NAME`` / ``each.value`` holds) followed along ``ref.attr``
    (``${var.cfg.bucket.name}``, ``${each.value.tier}``); ``ExpressionError`` naming the missing key."""
    try:
        return dig(value, ref.attr)
    except KeyError as exc:
        head = "each.value" if ref.kind == "each" else f"{ref.kind}.{ref.name}"
        raise ExpressionError(f"{ref}: {head} has no key {exc.args[0]!r}") from None


def whole_reference(value: Any) -> Reference | None:
    """The reference a string is exactly (``"${var.x}"``), else None (also for malformed ones)."""
    if not isinstance(value, str):
        return None
    whole = _EXPR.fullmatch(value)
    if not whole:
        return None
    try:
        node = parse_expression(whole.group(1))
    except ExpressionError:
        return None
    return node if isinstance(node, Reference) else None


def expressions_in(value: Any) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every parsed ``${...}`` node inside ``value`` with its path (malformed ones skipped)."""
    for path, text in iter_strings(value):
        unclosed = _unclosed(text)
        if unclosed is not None:
            yield path, ExpressionError(unclosed)
        for match in _EXPR.finditer(text):
            try:
                yield path, parse_expression(match.group(1))
            except ExpressionError:
                continue


__all__ = ["Call", "ExpressionError", "Literal", "Reference", "dig", "dig_reference", "evaluate", "find_references",
           "instance_address", "instance_key", "parse_expression", "parse_reference", "whole_reference"]

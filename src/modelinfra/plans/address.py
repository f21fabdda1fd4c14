"""Resource addresses, as state, plans, ``--target`` and every view spell them.

``NAME``, ``NAME["KEY"]`` (a ``for_each`` instance), ``module.M.NAME["KEY"]`` (in module M;
nested modules chain ``module.M.module.N.``), ``data.NAME`` (a data source, never in state).
A *selector* (``--target``, ``moved``/``removed``) names an address or everything under it:
``model`` covers ``model["a"]`` and ``model["b"]``; ``module.m`` covers every address in module m.
A selector's index may arrive without its quotes (the shell ate them): ``model[a]`` means ``model["a"]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_ADDRESS = re.compile(r'^(?P<modules>(?:module\.[^.\[]+(?:\[[^\]]*\])?\.)*)(?P<name>[^.\[]+)(?:\[(?P<index>[^\]]*)\])?$')


@dataclass(frozen=True)
class ParsedAddress:
    module: str  # "" (root) or "module.a" / "module.a.module.b"
    name: str
    index: Any  # None, a str key or an int


def parse_address(address: str) -> ParsedAddress:
    """The module path, resource name and instance key of ``address`` (the whole of it as the
    name when it is not of the address grammar)."""
    match = _ADDRESS.match(address)
    if not match:
        return ParsedAddress("", address, None)
    raw = match.group("index")
    index: Any = None
    if raw is not None:
        index = int(raw) if raw.isdigit() else raw.strip('"')
    return ParsedAddress(match.group("modules").rstrip("."), match.group("name"), index)


_INDEX = re.compile(r"\[(?P<key>[^\]\"']*|'[^']*')\]")


def canonical(selector: str) -> str:
    """``selector`` as addresses spell it: an index the shell stripped of its quotes
    (``model[ranker]``, from an unquoted ``model["ranker"]``) or single-quoted (``model['ranker']``)
    becomes ``model["ranker"]``; a numeric index and an already double-quoted one are kept."""

    def one(match: re.Match[str]) -> str:
        key = match.group("key")
        if key.isdigit():
            return match.group(0)
        return '["' + key.strip("'") + '"]'

    return _INDEX.sub(one, selector.strip())


def covers(selector: str, address: str) -> bool:
    """True when ``selector`` names ``address`` or something ``address`` is inside."""
    selector = canonical(selector)
    return address == selector or address.startswith(selector + "[") or address.startswith(selector + ".")


def select(selector: str, addresses: Any) -> list[str]:
    """The addresses ``selector`` covers, sorted."""
    return sorted(a for a in addresses if covers(selector, a))

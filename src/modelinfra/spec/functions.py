"""The functions expressions may call. Each is pure (``files`` reads only the directory listing),
takes evaluated arguments and raises ``ExpressionError`` with a user-facing message on bad ones.

==========================  ======================================================================
``files(glob)``             sorted paths (``/``-separated, relative to the spec's directory) of the
                            files matching ``glob`` (``models/*.onnx``, ``**`` recurses); for
                            ``for_each``. Never outside the spec's directory.
``basename(path)``          the last path segment: ``basename("models/a.onnx")`` = ``a.onnx``;
                            ``basename(path, suffix)`` also strips ``suffix`` when it ends the name.
``lower(s)`` / ``upper(s)`` case conversion.
``replace(s, old, new)``    every ``old`` in ``s`` replaced by ``new`` (plain text, no regex).
``format(fmt, args...)``    printf-style: ``%s`` (any value as text), ``%d`` (whole number), ``%%``.
``join(sep, list)``         the list's items as text, separated by ``sep``.
==========================  ======================================================================
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _error(message: str) -> Exception:
    from modelinfra.spec.expressions import ExpressionError

    return ExpressionError(message)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return "null" if value is None else str(value)


def _string(name: str, value: Any, what: str = "argument") -> str:
    if not isinstance(value, str):
        raise _error(f"{name}(): the {what} must be a string (got {_text(value)[:40]})")
    return value


def _files(directory: Path | None, pattern: Any) -> list[str]:
    pattern = _string("files", pattern, "glob")
    if directory is None:
        raise _error("files() is not available here")
    if pattern.startswith("/") or ".." in Path(pattern).parts:
        raise _error(f"files({pattern!r}): the glob must stay inside the spec's directory")
    root = directory.resolve()
    return sorted(p.relative_to(root).as_posix() for p in root.glob(pattern) if p.is_file())


def _basename(path: Any, suffix: Any = None) -> str:
    name = _string("basename", path).rstrip("/").rsplit("/", 1)[-1]
    if suffix is not None:
        suffix = _string("basename", suffix, "suffix")
        if suffix and name.endswith(suffix) and name != suffix:
            name = name[: -len(suffix)]
    return name


def _format(fmt: Any, *args: Any) -> str:
    fmt = _string("format", fmt, "format")
    values = iter(args)
    used = 0

    def one(match: re.Match[str]) -> str:
        nonlocal used
        verb = match.group(1)
        if verb == "%":
            return "%"
        try:
            value = next(values)
        except StopIteration:
            raise _error(f"format({fmt!r}): more verbs than arguments") from None
        used += 1
        if verb == "d":
            if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
                raise _error(f"format(): %d needs a whole number (got {_text(value)[:40]})")
            return str(int(value))
        return _text(value)

    out = re.sub(r"%([sd%])", one, fmt)
    if used != len(args):
        raise _error(f"format({fmt!r}): {len(args)} arguments for {used} verbs")
    return out


def _join(sep: Any, items: Any) -> str:
    sep = _string("join", sep, "separator")
    if not isinstance(items, list):
        raise _error(f"join(): the second argument must be a list (got {_text(items)[:40]})")
    return sep.join(_text(i) for i in items)


FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    # name: (implementation, fewest arguments, most arguments; -1 = any)
    "files": (_files, 1, 1),
    "basename": (_basename, 1, 2),
    "lower": (lambda s: _string("lower", s).lower(), 1, 1),
    "upper": (lambda s: _string("upper", s).upper(), 1, 1),
    "replace": (lambda s, old, new: _string("replace", s).replace(_string("replace", old), _string("replace", new)),
                3, 3),
    "format": (_format, 1, -1),
    "join": (_join, 2, 2),
}


SIGNATURES = {
    "files": "files(glob)", "basename": "basename(path[, suffix])", "lower": "lower(s)", "upper": "upper(s)",
    "replace": "replace(s, old, new)", "format": "format(fmt, args...)", "join": "join(sep, list)",
}


def call_function(name: str, args: list[Any], directory: Path | None) -> Any:
    """``name(*args)``; ``ExpressionError`` for a wrong number or kind of argument."""
    function, least, most = FUNCTIONS[name]
    if len(args) < least or (most >= 0 and len(args) > most):
        wanted = str(least) if least == most else f"{least}..{most}" if most >= 0 else f"at least {least}"
        raise _error(f"{name}() takes {wanted} argument{'s' if most != 1 else ''}, got {len(args)}: "
                     f"{SIGNATURES.get(name, name + '(...)')}")
    if name == "files":
        return _files(directory, *args)
    return function(*args)

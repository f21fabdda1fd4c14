"""Terminal consoles: colour only on a TTY, never with NO_COLOR or ``--no-color``; never wrap."""

from __future__ import annotations

import os
import sys
from functools import cache

from rich.console import Console
from rich.text import Text

_no_color_flag = False


def disable_color() -> None:
    global _no_color_flag
    _no_color_flag = True
    stdout.cache_clear()
    stderr.cache_clear()


def _make(file: object) -> Console:
    no_color = _no_color_flag or "NO_COLOR" in os.environ
    return Console(file=file, no_color=no_color, highlight=False, soft_wrap=True, emoji=False,  # type: ignore[arg-type]
                   markup=False, width=None if _isatty(file) else 10_000,
                   color_system=None if no_color else "auto")


def _isatty(file: object) -> bool:
    try:
        return bool(file.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


@cache
def stdout() -> Console:
    return _make(sys.stdout)


@cache
def stderr() -> Console:
    return _make(sys.stderr)


def print_text(console: Console, text: Text) -> None:
    """``console.print(text, end="")``, written straight to the console's file when the console
    renders no style at all (not a terminal, or colour off with no terminal): the output is then
    exactly ``text.plain`` (``Text`` already dropped control codes; soft wrap: never wrapped), and
    rich's line splitting and segment rendering (≈ 1 ms per plan block) are skipped. Tabs, which
    rich expands, go through rich."""
    plain = text.plain
    if console.color_system is None and not console.is_terminal and "\t" not in plain:
        console.file.write(plain)
        console.file.flush()
    else:
        console.print(text, end="")

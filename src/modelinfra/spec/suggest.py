"""``did you mean`` hints: the closest known name to a misspelt one (difflib), or nothing."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``word`` (ratio >= 0.6), or None when none is close enough."""
    found = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean X?)`` for the closest candidate, else an empty string."""
    match = closest(word, candidates)
    return f" (did you mean {match}?)" if match else ""

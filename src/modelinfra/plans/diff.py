"""Attribute diffs: what differs between two attribute dicts, as dotted paths.

Paths are dotted keys with list indices in brackets: ``versioning``, ``tags.team``,
``rules[0].schedule``. A path *matches* a pattern when it equals it or lies beneath it
(``tags`` matches ``tags.team``; ``rules`` matches ``rules[0].schedule``).

Rules (the same for plan and drift, so the two never disagree):
- Only the top-level keys of ``desired`` are compared; observed extras (computed, server-side
  fields the spec does not manage) never count.
- A ``None`` in ``desired`` means "not managed": an unset optional property never shows a diff
  (drift passes ``none_is_unmanaged=False``: there, a value that became None did change).
- Paths matching ``ignore`` (``lifecycle.ignore_changes``) never count.
- A change whose path matches ``force_new`` forces replacement.
- UNKNOWN in ``desired`` is always a change (its value is only known after apply).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from modelinfra.values import UNKNOWN, contains_unknown


@dataclass(frozen=True)
class AttributeChange:
    """One attribute that differs. ``before`` is observed (or None if absent), ``after`` desired."""

    path: str
    before: Any
    after: Any
    forces_replacement: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "before": self.before, "after": self.after,
                "forces_replacement": self.forces_replacement}


def format_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def path_matches(path: str, pattern: str) -> bool:
    """True when ``path`` equals ``pattern`` or lies beneath it."""
    return path == pattern or path.startswith(pattern + ".") or path.startswith(pattern + "[")


def matches_any(path: str, patterns: Iterable[str]) -> bool:
    """True when ``path`` equals or lies beneath one of ``patterns``."""
    return any(path_matches(path, p) for p in patterns)


def diff_attributes(
    desired: dict[str, Any],
    observed: dict[str, Any] | None,
    *,
    ignore: Iterable[str] = (),
    force_new: Iterable[str] = (),
    none_is_unmanaged: bool = True,
) -> list[AttributeChange]:
    """Changes that turn ``observed`` into ``desired``, sorted by path. See the module rules."""
    from deepdiff import DeepDiff

    observed = observed or {}
    ignore = tuple(ignore)
    force_new = tuple(force_new)
    changes: list[AttributeChange] = []
    for key in sorted(desired):
        want = desired[key]
        have = observed.get(key)
        if want is None and (none_is_unmanaged or have is None):
            continue
        if contains_unknown(want):
            if want is UNKNOWN or want != have:
                changes.append(AttributeChange(key, have, want))
            continue
        if key not in observed:
            changes.append(AttributeChange(key, None, want))
            continue
        if _identical(have, want):  # the common case, without DeepDiff's cost
            continue
        tree = DeepDiff(have, want, view="tree", verbose_level=2)
        for items in tree.values():
            for item in items:
                parts = [key, *item.path(output_format="list")]
                before = None if _absent(item.t1) else item.t1
                after = None if _absent(item.t2) else item.t2
                changes.append(AttributeChange(format_path(parts), before, after))
    kept = [c for c in changes if not matches_any(c.path, ignore)]
    return sorted(
        (
            AttributeChange(c.path, c.before, c.after, matches_any(c.path, force_new))
            for c in kept
        ),
        key=lambda c: c.path,
    )


def _identical(a: Any, b: Any) -> bool:
    """Equal with the same types all the way down (``1 == 1.0 == True`` are not identical, as
    DeepDiff reports a type change for them)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_identical(v, b[k]) for k, v in a.items())
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _absent(value: Any) -> bool:
    return type(value).__name__ == "NotPresent"

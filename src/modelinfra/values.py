"""Value markers shared by the spec evaluator, the planner and the renderers.

``UNKNOWN`` stands for a value only known after apply (a computed attribute of a resource that
does not exist yet). It is a singleton; compare with ``is``. It survives pydantic validation
nowhere: the engine never hands a spec containing it to a handler.
"""

from __future__ import annotations

from typing import Any


class _Unknown:
    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(known after apply)"

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()

SENSITIVE_MASK = "(sensitive)"


def contains_unknown(value: Any) -> bool:
    """True if ``value`` is UNKNOWN or a container holding UNKNOWN at any depth."""
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(v) for v in value)
    return False

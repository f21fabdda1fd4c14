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
REDACTED_PREFIX = "(sensitive value sha256:"


def redact(value: Any) -> Any:
    """A stand-in for a secret that can be stored and compared but not read back: a marker with
    a SHA-256 of the value. Idempotent; None and UNKNOWN stay as they are."""
    import hashlib
    import json

    if value is None or value is UNKNOWN or is_redacted(value):
        return value
    digest = hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()
    return f"{REDACTED_PREFIX}{digest[:16]})"


def is_redacted(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(REDACTED_PREFIX)


def redact_keys(attributes: dict[str, Any] | None, keys: set[str] | frozenset[str]) -> dict[str, Any] | None:
    """``attributes`` with the values of ``keys`` redacted."""
    if attributes is None or not keys:
        return attributes
    return {k: redact(v) if k in keys else v for k, v in attributes.items()}


def contains_unknown(value: Any) -> bool:
    """True if ``value`` is UNKNOWN or a container holding UNKNOWN at any depth."""
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(v) for v in value)
    return False

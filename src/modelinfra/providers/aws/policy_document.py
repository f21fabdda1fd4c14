"""IAM policy documents (bucket, key, trust and inline policies): validation and semantic form.

A spec gives a policy as a YAML mapping or as a JSON string; AWS hands it back re-serialised
(keys reordered, a one-element list sometimes collapsed to a string, or the reverse). Comparing
text would show drift that is none, so handlers compare ``canonical_policy`` of both sides.

Canonical form (``canonical_policy``), equal for documents IAM treats alike:
- a JSON string is parsed; ``Statement`` as a single object becomes a one-element list;
- the values that IAM reads as "one or a list" (``Action``, ``NotAction``, ``Resource``,
  ``NotResource``, each ``Principal``/``NotPrincipal`` member, each condition value) become
  sorted, de-duplicated lists — ``"s3:GetObject"`` and ``["s3:GetObject"]`` are one value;
- statements are sorted by their canonical JSON (their order carries no meaning);
- mapping key order never matters (attributes are compared as dicts).

``check_policy`` is the validate-time shape check: a JSON object, ``Version`` 2012-10-17 or
2008-10-17 when given, a non-empty ``Statement``, each statement with ``Effect`` Allow|Deny and
exactly one of ``Action``/``NotAction``. Pure functions, no SDK.
"""

from __future__ import annotations

import json
from typing import Any

VERSIONS = ("2012-10-17", "2008-10-17")
LIST_VALUED = ("Action", "NotAction", "Resource", "NotResource")
PRINCIPALS = ("Principal", "NotPrincipal")

PolicyInput = dict[str, Any] | str


def parse_policy(value: PolicyInput) -> dict[str, Any]:
    """``value`` as a JSON object; ``ValueError`` when a string is not JSON or not an object."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"policy is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(value, dict):
        raise ValueError("policy must be a JSON object (a mapping with Version and Statement)")
    return value


def check_policy(value: PolicyInput) -> PolicyInput:
    """``value`` unchanged if it is a well-formed policy document, else ``ValueError`` naming the
    first problem (fit for a pydantic field validator)."""
    document = parse_policy(value)
    version = document.get("Version")
    if version is not None and version not in VERSIONS:
        raise ValueError(f"policy Version must be one of {', '.join(VERSIONS)} (got {version!r})")
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise ValueError("policy needs a non-empty Statement (an object or a list of objects)")
    for index, statement in enumerate(statements):
        where = f"policy Statement[{index}]"
        if not isinstance(statement, dict):
            raise ValueError(f"{where} must be an object")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise ValueError(f"{where}: Effect must be Allow or Deny (got {statement.get('Effect')!r})")
        if ("Action" in statement) == ("NotAction" in statement):
            raise ValueError(f"{where} needs exactly one of Action and NotAction")
        for key in LIST_VALUED:
            if key in statement and not _strings(statement[key]):
                raise ValueError(f"{where}: {key} must be a string or a list of strings")
    return value


def canonical_policy(value: PolicyInput | None) -> dict[str, Any] | None:
    """The canonical form described in the module docstring; None stays None. A value that is not
    a policy (unparseable text) is returned as found, so a diff still shows it."""
    if value is None:
        return None
    try:
        document = parse_policy(value)
    except ValueError:
        return value  # type: ignore[return-value]
    out = dict(document)
    statements = out.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if isinstance(statements, list):
        canonical = [_statement(s) if isinstance(s, dict) else s for s in statements]
        out["Statement"] = sorted(canonical, key=lambda s: json.dumps(s, sort_keys=True))
    return out


def _statement(statement: dict[str, Any]) -> dict[str, Any]:
    out = dict(statement)
    for key in LIST_VALUED:
        if key in out:
            out[key] = _as_list(out[key])
    for key in PRINCIPALS:
        principal = out.get(key)
        if isinstance(principal, dict):
            out[key] = {kind: _as_list(who) for kind, who in principal.items()}
    condition = out.get("Condition")
    if isinstance(condition, dict):
        out["Condition"] = {
            operator: {name: _as_list(v) for name, v in tests.items()} if isinstance(tests, dict) else tests
            for operator, tests in condition.items()
        }
    return out


def _as_list(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)):
        return [value]
    if isinstance(value, list) and all(isinstance(v, (str, int, float, bool)) for v in value):
        return sorted(set(value), key=lambda v: (str(type(v)), str(v)))
    return value


def _strings(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))

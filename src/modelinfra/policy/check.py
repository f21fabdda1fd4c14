"""``modelinfra check``: the baseline rules over an evaluated spec. Offline: no cloud call, no state.

``run_check(spec, today)`` evaluates every resource's properties (values only known after apply
stay UNKNOWN and are never judged), fills in the type's defaults (an unset ``min_tls_version`` is
the default ``TLS1_2``), runs each rule of the resource's type and returns a ``CheckReport``.

Findings point at the offending property's line in the spec when the spec sets it, else at the
resource's line. Suppressions (``policy.skip``: rule, address, reason, until) mark a finding
suppressed with their reason; a suppression whose ``until`` has passed does not: the finding is
active again and carries a note saying so. A suppression naming an unknown rule is an error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from modelinfra.errors import Problem, SpecError
from modelinfra.policy.rules import BY_ID, RULES, Context, Rule, at_least
from modelinfra.providers.registry import HANDLERS, handler_for
from modelinfra.spec.evaluator import Evaluator
from modelinfra.spec.model import PolicyConfig
from modelinfra.spec.spec import Spec


@dataclass
class Finding:
    rule: Rule
    address: str
    type: str
    property: str
    message: str
    file: str
    line: int
    col: int
    suppressed: str | None = None  # the suppression's reason
    note: str | None = None  # e.g. an expired suppression

    @property
    def active(self) -> bool:
        return self.suppressed is None

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule.id, "severity": self.rule.severity, "title": self.rule.title,
                "address": self.address, "type": self.type, "property": self.property, "message": self.message,
                "fix": self.rule.fix, "file": self.file, "line": self.line, "col": self.col,
                "suppressed": self.suppressed is not None, "suppression_reason": self.suppressed, "note": self.note}


@dataclass
class CheckReport:
    stack: str
    spec_path: str
    findings: list[Finding] = field(default_factory=list)

    def failing(self, threshold: str) -> list[Finding]:
        return [f for f in self.findings if f.active and at_least(f.rule.severity, threshold)]

    def counts(self) -> dict[str, int]:
        out = {"low": 0, "medium": 0, "high": 0, "suppressed": 0}
        for f in self.findings:
            out["suppressed" if not f.active else f.rule.severity] += 1
        return out


def run_check(spec: Spec, today: dt.date | None = None) -> CheckReport:
    today = today or dt.datetime.now(dt.UTC).date()
    skips = _skips(spec)
    evaluator = Evaluator(spec, lenient=True)
    props = {a: effective_properties(r.type, evaluator.properties(a))
             for a, r in spec.resources.items() if r.type in HANDLERS}
    ctx = _context(spec, props)
    report = CheckReport(spec.name, str(spec.path))
    for address in sorted(props):
        resource = spec.resources[address]
        for rule in (r for r in RULES if r.type == resource.type):
            hit = rule.check(props[address], ctx)
            if hit is None:
                continue
            prop, message = hit
            line, col = _position(spec, address, prop)
            finding = Finding(rule, address, resource.type, prop, message, str(spec.path), line, col)
            _suppress(finding, skips, today)
            report.findings.append(finding)
    return report


def effective_properties(type_name: str, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with the type's defaults filled in; where a value is UNKNOWN the model cannot
    validate, so only top-level defaults are added around the given values."""
    model = handler_for(type_name).spec_model
    try:
        return model.model_validate(values).model_dump(mode="json")
    except ValidationError:
        defaults: dict[str, Any] = {}
        for name, info in model.model_fields.items():
            if name in values or info.is_required():
                continue
            default = info.get_default(call_default_factory=True)
            defaults[name] = default.model_dump(mode="json") if hasattr(default, "model_dump") else default
        return {**defaults, **values}


def _context(spec: Spec, props: dict[str, dict[str, Any]]) -> Context:
    accounts, buckets = set(), set()
    for address, values in props.items():
        type_name = spec.resources[address].type
        if type_name == "azure.blob" and isinstance(values.get("account"), str):
            accounts.add(values["account"])
        elif type_name == "aws.s3_object" and isinstance(values.get("bucket"), str):
            buckets.add(values["bucket"])
    return Context(frozenset(accounts), frozenset(buckets))


def _position(spec: Spec, address: str, prop: str) -> tuple[int, int]:
    located = ("resources", address, "properties", prop)
    if located in spec.document.positions:
        return spec.document.positions[located]
    return spec.document.position(("resources", address))


@dataclass(frozen=True)
class _Skip:
    rule: str
    address: str
    reason: str
    until: dt.date | None


def _skips(spec: Spec) -> list[_Skip]:
    config = PolicyConfig.model_validate(spec.document.data.get("policy") or {})
    problems = []
    for index, skip in enumerate(config.skip):
        if skip.rule not in BY_ID:
            line, col = spec.document.position(("policy", "skip", index, "rule"))
            problems.append(Problem(str(spec.path), line, col, f"policy.skip[{index}].rule",
                                    f"unknown rule {skip.rule!r} (the README's `modelinfra check` section lists the rules)"))
    if problems:
        raise SpecError(problems)
    return [_Skip(s.rule, s.address, s.reason, s.until) for s in config.skip]


def _suppress(finding: Finding, skips: list[_Skip], today: dt.date) -> None:
    for skip in skips:
        if skip.rule != finding.rule.id or skip.address != finding.address:
            continue
        if skip.until is not None and today > skip.until:
            finding.note = (f"suppression expired on {skip.until.isoformat()} (reason was: {skip.reason}); "
                            "the finding counts again")
            continue
        finding.suppressed = skip.reason
        finding.note = None
        return

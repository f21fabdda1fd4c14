"""The built-in policy baseline (``modelinfra check``): rules (``policy.rules``), evaluation and
suppressions (``policy.check.run_check``), reports (``policy.output``).

This module stays import-light (the CLI imports it for ``plan``): ``plan_warnings`` loads the rest
when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modelinfra.plans.plan import Plan
    from modelinfra.spec.spec import Spec


def plan_warnings(spec: Spec, plan: Plan) -> list[str]:
    """``Warning: file:line:col: severity MI-...: ...`` for each active finding on an address the
    plan creates, updates or replaces (never for deletions or unchanged resources). A broken
    ``policy`` block never fails a plan: it becomes one warning line."""
    changed = {c.address for c in plan.actionable if c.after is not None}
    if not changed:
        return []
    from modelinfra.errors import SpecError
    from modelinfra.policy.check import run_check
    from modelinfra.policy.output import finding_line

    try:
        findings = run_check(spec).findings
    except SpecError as exc:
        return [f"Warning: policy checks skipped: {p}" for p in exc.problems]
    return [f"Warning: {finding_line(f)}" for f in findings if f.active and f.address in changed]

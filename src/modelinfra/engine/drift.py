"""Drift detection: the read-only check CI runs (``modelinfra drift``).

Per resource in state: ``in_sync``, ``modified`` (attribute paths, before = last applied,
after = cloud now) or ``deleted`` (gone outside modelinfra). Separately, ``pending``: spec
changes not yet applied (spec vs last applied state) — never counted as drift, so an open pull
request does not page anyone. Reads a lock-free snapshot of state and changes nothing.
A read failure is an error (exit 1), never "in sync" and never "deleted".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from modelinfra.engine.context import RunContext
from modelinfra.engine.drift_compare import drift_entries
from modelinfra.engine.planner import make_plan
from modelinfra.engine.refresh import refresh
from modelinfra.plans.action import Action
from modelinfra.plans.diff import AttributeChange
from modelinfra.state.model import State

DRIFT_FORMAT_VERSION = "1.0"
DRIFTED = ("modified", "deleted")


@dataclass
class ResourceDrift:
    address: str
    type: str
    status: str  # in_sync | modified | deleted | not_created
    line: int
    cloud_id: str | None = None
    changes: list[AttributeChange] = field(default_factory=list)
    pending: list[AttributeChange] = field(default_factory=list)
    pending_action: str | None = None

    @property
    def drifted(self) -> bool:
        return self.status in DRIFTED

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address, "type": self.type, "status": self.status, "line": self.line,
            "cloud_id": self.cloud_id,
            "changes": [c.to_json() for c in self.changes],
            "pending_action": self.pending_action,
            "pending_changes": [c.to_json() for c in self.pending],
        }


@dataclass
class DriftReport:
    stack: str
    spec_path: str
    generated_at: str
    resources: list[ResourceDrift]

    @property
    def has_drift(self) -> bool:
        return any(r.drifted for r in self.resources)

    def counts(self) -> dict[str, int]:
        out = {"in_sync": 0, "modified": 0, "deleted": 0, "not_created": 0, "pending": 0}
        for r in self.resources:
            out[r.status] += 1
            out["pending"] += 1 if r.pending_action else 0
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": DRIFT_FORMAT_VERSION,
            "stack": self.stack,
            "spec": self.spec_path,
            "generated_at": self.generated_at,
            "drift": self.has_drift,
            "summary": self.counts(),
            "resources": [r.to_json() for r in self.resources],
        }


def detect_drift(run: RunContext, state: State) -> DriftReport:
    spec = run.spec
    observed = refresh(run, state)
    drifted = {d.address: d for d in drift_entries(run, state, observed)}
    pending_plan, _ = make_plan(run, state, refresh_state=False)
    pending = {c.address: c for c in pending_plan.actionable}
    resources: list[ResourceDrift] = []
    for address in sorted(set(state.resources) | set(spec.resources)):
        entry = state.resources.get(address)
        declared = spec.resources.get(address)
        line = declared.line if declared else 1
        type_name = declared.type if declared else entry.type  # type: ignore[union-attr]
        change = pending.get(address)
        item = ResourceDrift(address, type_name, "in_sync", line, entry.id if entry else None)
        if entry is None:
            item.status = "not_created"
        elif address in drifted:
            item.status = drifted[address].status
            item.changes = drifted[address].changes
        if change is not None and change.action is not Action.NOOP:
            item.pending_action = change.action.value
            item.pending = change.changes
        resources.append(item)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    return DriftReport(spec.name, str(spec.path), now, resources)

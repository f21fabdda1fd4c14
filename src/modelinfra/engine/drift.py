"""Drift detection: the read-only check CI runs (``modelinfra drift``).

Per resource in state: ``in_sync``, ``modified`` (attribute paths, before = last applied,
after = cloud now) or ``deleted`` (gone outside modelinfra). Separately, ``pending``: spec
changes not yet applied (spec vs last applied state) — never counted as drift, so an open pull
request does not page anyone. With ``unmanaged=True``, also the cloud resources that belong to
the stack (tagged ``modelinfra-stack=<stack>``, or inside a resource group the stack manages) but
that state does not hold: they count as drift. Only the clouds the stack uses are asked.

Reads a lock-free snapshot of state and changes nothing. A read or listing failure is an error
(exit 1), never "in sync", never "deleted" and never "nothing unmanaged".
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field
from typing import Any

from modelinfra.engine.context import RunContext
from modelinfra.engine.drift_compare import drift_entries
from modelinfra.engine.planner import make_plan
from modelinfra.engine.refresh import refresh
from modelinfra.errors import ModelinfraError, ProviderError
from modelinfra.plans.action import Action
from modelinfra.plans.diff import AttributeChange
from modelinfra.providers.registry import DISCOVERY
from modelinfra.state.model import State

DRIFT_FORMAT_VERSION = "1.1"
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


@dataclass(frozen=True)
class UnmanagedResource:
    """A cloud resource of the stack that state does not hold. ``type`` is our resource type when
    one maps (``aws.s3_bucket``), else the cloud's own (``Microsoft.KeyVault/vaults``, ``ec2:volume``);
    ``address`` is its ``modelinfra-address`` tag, if any (e.g. left over from a removed address)."""

    cloud: str
    cloud_id: str
    type: str
    cloud_type: str
    name: str
    address: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"cloud": self.cloud, "cloud_id": self.cloud_id, "type": self.type, "cloud_type": self.cloud_type,
                "name": self.name, "address": self.address}


@dataclass
class DriftReport:
    stack: str
    spec_path: str
    generated_at: str
    resources: list[ResourceDrift]
    unmanaged: list[UnmanagedResource] = field(default_factory=list)
    unmanaged_checked: bool = False

    @property
    def has_drift(self) -> bool:
        return bool(self.unmanaged) or any(r.drifted for r in self.resources)

    def counts(self) -> dict[str, int]:
        out = {"in_sync": 0, "modified": 0, "deleted": 0, "not_created": 0, "pending": 0,
               "unmanaged": len(self.unmanaged)}
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
            "unmanaged_checked": self.unmanaged_checked,
            "unmanaged": [u.to_json() for u in self.unmanaged],
        }


def detect_drift(run: RunContext, state: State, *, unmanaged: bool = False) -> DriftReport:
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
    extra = find_unmanaged(run, state) if unmanaged else []
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    return DriftReport(spec.name, str(spec.path), now, resources, extra, unmanaged)


def find_unmanaged(run: RunContext, state: State) -> list[UnmanagedResource]:
    """Resources the clouds of this stack list as the stack's, minus every id state knows (the
    recorded id and the ``id``/``arn`` attributes, compared case-insensitively)."""
    types = {r.type for r in run.spec.resources.values()} | {e.type for e in state.resources.values()}
    clouds = sorted({run.handler(t).cloud for t in types})
    known: set[str] = set()
    for entry in state.resources.values():
        for value in (entry.id, entry.attributes.get("id"), entry.attributes.get("arn")):
            if isinstance(value, str) and value:
                known.add(_key(value))
    out: list[UnmanagedResource] = []
    for cloud in clouds:
        managed = [(e.type, e.id) for e in state.resources.values() if run.handler(e.type).cloud == cloud]
        discover = importlib.import_module(DISCOVERY[cloud]).discover
        try:
            found = discover(run.session(cloud), run.spec.name, managed)
        except ModelinfraError:
            raise
        except Exception as exc:  # an SDK error discovery did not map: still an error, with context
            raise ProviderError(f"listing the {cloud} resources of stack {run.spec.name} failed: {exc}") from exc
        for item in found:
            if _key(item["cloud_id"]) in known:
                continue
            out.append(UnmanagedResource(cloud, item["cloud_id"], item["type"] or item["cloud_type"],
                                         item["cloud_type"], item["name"], item.get("address")))
    return sorted(out, key=lambda u: (u.cloud, u.type, u.cloud_id))


def _key(cloud_id: str) -> str:
    return cloud_id.lower().rstrip("/")

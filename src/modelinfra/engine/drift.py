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

from modelinfra.engine.context import RunContext
from modelinfra.engine.drift_compare import drift_entries
from modelinfra.engine.planner import make_plan
from modelinfra.engine.refresh import refresh
from modelinfra.errors import ModelinfraError, ProviderError
from modelinfra.plans.action import Action
from modelinfra.plans.drift import (
    DRIFT_FORMAT_VERSION,
    DriftReport,
    IgnoreRule,
    ResourceDrift,
    UnmanagedResource,
    apply_ignores,
)
from modelinfra.providers.registry import DISCOVERY
from modelinfra.spec.model import DriftConfig
from modelinfra.spec.spec import Spec
from modelinfra.state.model import State

__all__ = ["DRIFT_FORMAT_VERSION", "DriftReport", "ResourceDrift", "UnmanagedResource", "detect_drift"]

def detect_drift(run: RunContext, state: State, *, unmanaged: bool = False) -> DriftReport:
    spec = run.spec
    observed = refresh(run, state)
    drifted = {d.address: d for d in drift_entries(run, state, observed)}
    pending_plan, _ = make_plan(run, state, refresh_state=False)
    pending = {c.address: c for c in pending_plan.actionable}
    rules = ignore_rules(spec)
    today = dt.datetime.now(dt.UTC).date()
    resources: list[ResourceDrift] = []
    for address in sorted(set(state.resources) | set(spec.resources)):
        entry = state.resources.get(address)
        declared = spec.resources.get(address)
        line = declared.line if declared else 1
        type_name = declared.type if declared else entry.type  # type: ignore[union-attr]
        change = pending.get(address)
        item = ResourceDrift(address, type_name, "in_sync", line, entry.id if entry else None)
        if declared is not None and declared.scope.document is not None \
                and declared.scope.document is not spec.document:
            item.file = declared.scope.document.display_name
        if entry is None:
            item.status = "not_created"
        elif address in drifted:
            item.status = drifted[address].status
            item.changes = drifted[address].changes
        apply_ignores(item, rules, today)
        if change is not None and change.action is not Action.NOOP:
            item.pending_action = change.action.value
            item.pending = change.changes
        resources.append(item)
    extra = find_unmanaged(run, state) if unmanaged else []
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    return DriftReport(spec.name, str(spec.path), now, resources, extra, unmanaged)


def ignore_rules(spec: Spec) -> list[IgnoreRule]:
    """The spec's ``drift.ignore`` rules (validated by ``compile_spec`` with the document)."""
    config = DriftConfig.model_validate(spec.document.data.get("drift") or {})
    return [IgnoreRule(r.address, r.path, r.reason, r.until) for r in config.ignore]


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

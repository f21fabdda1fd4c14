"""Changes made outside modelinfra: the last applied attributes (state) against the cloud now.

Only properties and derived attributes (``sha256``) count — computed ones such as etags move on
their own; ``ignore_changes``
paths never count; the handler's ``normalise`` runs on both sides so server-side casing never does.
"""

from __future__ import annotations

from typing import Any

from modelinfra.engine.context import RunContext
from modelinfra.plans.diff import diff_attributes
from modelinfra.plans.plan import DriftEntry
from modelinfra.state.model import State
from modelinfra.values import redact_keys


def drift_entries(run: RunContext, state: State, observed: dict[str, dict[str, Any] | None]) -> list[DriftEntry]:
    entries: list[DriftEntry] = []
    for address in sorted(state.resources):
        entry = state.resources[address]
        if entry.status != "ready" or address not in observed:
            continue
        now = observed[address]
        if now is None:
            entries.append(DriftEntry(address, entry.type, "deleted"))
            continue
        changes = compare(run, address, entry.type, entry.attributes, now)
        if changes:
            entries.append(DriftEntry(address, entry.type, "modified", changes))
    return entries


def compare(run: RunContext, address: str, type_name: str, applied: dict[str, Any], now: dict[str, Any]) -> list:
    handler = run.handler(type_name)
    skip = (set(handler.computed) - set(handler.derived)) | set(handler.write_only)
    baseline = handler.normalise({k: v for k, v in applied.items() if k not in skip})
    resource = run.spec.resources.get(address)
    current = redact_keys(handler.normalise(dict(now)), resource.sensitive_properties if resource else set()) or {}
    ignore = resource.lifecycle.ignore_changes if resource else []
    current_view = {k: current.get(k) for k in baseline}
    return diff_attributes(current_view, baseline, ignore=ignore, none_is_unmanaged=False)

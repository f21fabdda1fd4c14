"""The drift report: data that ``engine.drift`` builds and the drift views render.

Per resource: ``in_sync``, ``modified`` (attribute paths, before = last applied, after = cloud
now), ``deleted`` (gone outside modelinfra), ``not_created``, or ``ignored`` (changed outside
modelinfra, but every changed path is covered by a live ``drift.ignore`` rule of the spec).
Separately, ``pending``: spec changes not yet applied, never counted as drift.

Drift ignores (``apply_ignores``): a change whose path equals or lies beneath an unexpired rule's
``path`` for that address moves from ``changes`` to ``ignored`` with the rule's reason; it does not
count as drift. A rule whose ``until`` date has passed ignores nothing: the change counts again
and the resource carries a note saying the rule expired. A deletion is never ignored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from modelinfra.plans.diff import AttributeChange, path_matches

DRIFT_FORMAT_VERSION = "1.2"
DRIFTED = ("modified", "deleted")


@dataclass(frozen=True)
class IgnoreRule:
    """One ``drift.ignore`` entry: drift of ``address`` at ``path`` (and beneath) is ignored
    until the end of ``until`` (no date: for good)."""

    address: str
    path: str
    reason: str
    until: dt.date | None = None

    def expired(self, today: dt.date) -> bool:
        return self.until is not None and today > self.until


@dataclass(frozen=True)
class IgnoredChange:
    """A change outside modelinfra that a live ignore rule covers."""

    change: AttributeChange
    reason: str
    until: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**self.change.to_json(), "reason": self.reason, "until": self.until}


@dataclass
class ResourceDrift:
    address: str
    type: str
    status: str  # in_sync | modified | deleted | not_created | ignored
    line: int
    cloud_id: str | None = None
    changes: list[AttributeChange] = field(default_factory=list)
    pending: list[AttributeChange] = field(default_factory=list)
    pending_action: str | None = None
    ignored: list[IgnoredChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. an expired ignore rule
    file: str | None = None  # the file declaring it when not the spec itself (a module's module.yaml)

    @property
    def drifted(self) -> bool:
        return self.status in DRIFTED

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address, "type": self.type, "status": self.status, "line": self.line,
            "cloud_id": self.cloud_id,
            "changes": [c.to_json() for c in self.changes],
            "ignored_changes": [i.to_json() for i in self.ignored],
            "notes": list(self.notes),
            "pending_action": self.pending_action,
            "pending_changes": [c.to_json() for c in self.pending],
            **({"file": self.file} if self.file else {}),
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
        out = {"in_sync": 0, "modified": 0, "deleted": 0, "not_created": 0, "ignored": 0, "pending": 0,
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


def apply_ignores(item: ResourceDrift, rules: list[IgnoreRule], today: dt.date) -> None:
    """Moves the changes of ``item`` that a live rule for its address covers to ``item.ignored``;
    notes each expired rule that would have covered a change; sets the status to ``ignored`` when
    a modification is left with no counted change. Deletions and other statuses are untouched."""
    mine = [r for r in rules if r.address == item.address]
    if item.status != "modified" or not mine:
        return
    kept: list[AttributeChange] = []
    for change in item.changes:
        covering = [r for r in mine if path_matches(change.path, r.path)]
        live = [r for r in covering if not r.expired(today)]
        if live:
            rule = live[0]
            item.ignored.append(IgnoredChange(change, rule.reason, rule.until.isoformat() if rule.until else None))
            continue
        kept.append(change)
        for rule in covering:
            item.notes.append(f"drift ignore for {rule.path} expired on {rule.until}: counted again "
                              f"(reason was: {rule.reason})")
    item.changes = kept
    if not kept:
        item.status = "ignored"

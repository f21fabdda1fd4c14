"""A plan: what apply will do, and against which state and spec it was made.

Invariants: ``lineage``/``serial`` are the state's at plan time (``lineage`` None when there was no
state) and ``spec_digest`` identifies the spec text, variables and env values; apply refuses a plan
when any of them moved ("stale plan"). A plan holds no secret: attributes come from handlers'
``read``, which never returns sensitive attributes, and sensitive outputs carry no value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelinfra.plans.action import Action
from modelinfra.plans.address import parse_address
from modelinfra.plans.diff import AttributeChange
from modelinfra.values import UNKNOWN, contains_unknown

FORMAT_VERSION = "1.0"


@dataclass
class ResourceChange:
    """What the plan does to one resource. ``before`` = observed attributes (None if absent),
    ``after`` = desired attributes (UNKNOWN where only known after apply; None for delete)."""

    address: str
    type: str
    action: Action
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    changes: list[AttributeChange] = field(default_factory=list)
    cloud_id: str | None = None
    reason: str | None = None  # e.g. "tainted", "deleted outside modelinfra", "create interrupted; adopting"
    sensitive_keys: list[str] = field(default_factory=list)  # redacted top-level attributes
    previous_address: str | None = None  # a ``moved`` block: state holds it under this address until apply
    importing: str | None = None  # an ``import`` block: the cloud id adopted at apply

    @property
    def notes(self) -> list[str]:
        """What the change does to state besides its action, in the words every view uses."""
        out = []
        if self.previous_address:
            out.append(f"{self.previous_address} has moved to {self.address}")
        if self.importing:
            out.append(f"{self.address} will be imported (id {self.importing})")
        return out

    @property
    def state_only(self) -> bool:
        """A no-op that still changes state: a move, an import, an adoption of an interrupted create."""
        return self.action is Action.NOOP and bool(self.reason or self.previous_address or self.importing)

    @property
    def replace_paths(self) -> list[str]:
        return [c.path for c in self.changes if c.forces_replacement]

    def to_json(self) -> dict[str, Any]:
        after = self.after
        where = parse_address(self.address)
        return {
            "address": self.address,
            **({"module_address": where.module} if where.module else {}),
            **({"index": where.index} if where.index is not None else {}),
            **({"previous_address": self.previous_address} if self.previous_address else {}),
            "type": self.type,
            "cloud_id": self.cloud_id,
            "change": {
                **({"importing": {"id": self.importing}} if self.importing else {}),
                "actions": self.action.json_actions,
                "before": self.before,
                "after": _known_only(after),
                "after_unknown": _unknown_mask(after),
                "replace_paths": self.replace_paths,
                "attribute_changes": [_change_json(c) for c in self.changes],
                "before_sensitive": {k: True for k in self.sensitive_keys} if self.sensitive_keys else False,
                "after_sensitive": {k: True for k in self.sensitive_keys} if self.sensitive_keys else False,
            },
            **({"reason": self.reason} if self.reason else {}),
        }


@dataclass
class DataRead:
    """A data source as the plan read it: what it looked up and what it found (no secrets: a
    handler's ``lookup`` returns what ``read`` does)."""

    address: str
    type: str
    keys: dict[str, Any]
    cloud_id: str
    attributes: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "mode": "data", "type": self.type, "lookup": self.keys,
                "cloud_id": self.cloud_id, "values": self.attributes}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DataRead:
        return cls(data["address"], data["type"], dict(data.get("lookup") or {}), data.get("cloud_id") or "",
                   dict(data.get("values") or {}))


@dataclass
class DriftEntry:
    """A difference between the last applied state and the cloud, made outside modelinfra."""

    address: str
    type: str
    status: str  # "modified" | "deleted"
    changes: list[AttributeChange] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "type": self.type, "status": self.status,
                "changes": [c.to_json() for c in self.changes]}


@dataclass
class OutputChange:
    name: str
    action: Action
    before: Any
    after: Any
    sensitive: bool = False

    def to_json(self) -> dict[str, Any]:
        hide = self.sensitive
        return {"actions": self.action.json_actions,
                "before": None if hide else self.before,
                "after": None if hide else _known_only(self.after),
                "after_unknown": contains_unknown(self.after),
                "before_sensitive": hide, "after_sensitive": hide}


@dataclass
class Plan:
    stack: str
    spec_path: str
    spec_digest: str
    lineage: str | None
    serial: int
    variables: dict[str, Any]
    resource_changes: list[ResourceChange]
    resource_drift: list[DriftEntry] = field(default_factory=list)
    output_changes: list[OutputChange] = field(default_factory=list)
    destroy: bool = False
    targets: list[str] = field(default_factory=list)
    sensitive_variables: list[str] = field(default_factory=list)  # never written to plan files
    statistics: dict[str, int] | None = None  # {"requests": HTTP attempts to make it, "resources": n}
    data_sources: list[DataRead] = field(default_factory=list)
    refresh_only: bool = False  # ``--refresh-only``: only no-ops; apply records what was observed in state

    @property
    def actionable(self) -> list[ResourceChange]:
        return [c for c in self.resource_changes if c.action is not Action.NOOP]

    @property
    def adoptions(self) -> list[ResourceChange]:
        """No-op changes that still change state: a create interrupted by a crash, found in the
        cloud, becomes managed; a moved resource is renamed; an imported one is recorded."""
        return [c for c in self.resource_changes if c.state_only]

    def data_attributes(self) -> dict[str, dict[str, Any]]:
        """Data source address -> the attributes the plan read."""
        return {d.address: d.attributes for d in self.data_sources}

    @property
    def has_changes(self) -> bool:
        if self.refresh_only:  # what it changes is state: drift to accept, outputs to update
            return bool(self.resource_drift) or any(o.action is not Action.NOOP for o in self.output_changes)
        return bool(self.actionable or self.adoptions) or any(o.action is not Action.NOOP for o in self.output_changes)

    def counts(self) -> tuple[int, int, int]:
        """(to add, to change, to destroy) as Terraform counts them (a forget is none of them)."""
        add = sum(1 for c in self.resource_changes if c.action.creates)
        change = sum(1 for c in self.resource_changes if c.action is Action.UPDATE)
        destroy = sum(1 for c in self.resource_changes if c.action.deletes)
        return add, change, destroy

    def change_for(self, address: str) -> ResourceChange | None:
        """The change planned for ``address`` (O(1); ``resource_changes`` is not edited after planning)."""
        index = self.__dict__.get("_index")
        if index is None or len(index) != len(self.resource_changes):
            index = self.__dict__["_index"] = {c.address: c for c in self.resource_changes}
        return index.get(address)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "stack": self.stack,
            "lineage": self.lineage,
            "serial": self.serial,
            "destroy": self.destroy,
            "targets": self.targets,
            **({"refresh_only": True} if self.refresh_only else {}),
            "resource_changes": [c.to_json() for c in self.resource_changes],
            "resource_drift": [d.to_json() for d in self.resource_drift],
            "output_changes": {o.name: o.to_json() for o in self.output_changes},
            **({"data_sources": [d.to_json() for d in self.data_sources]} if self.data_sources else {}),
            **({"statistics": self.statistics} if self.statistics is not None else {}),
        }


def _change_json(change: AttributeChange) -> dict[str, Any]:
    return {"path": change.path, "before": _known_only(change.before), "after": _known_only(change.after),
            "after_unknown": contains_unknown(change.after), "forces_replacement": change.forces_replacement}


def change_from_json(data: dict[str, Any]) -> AttributeChange:
    after = UNKNOWN if data.get("after_unknown") else data.get("after")
    return AttributeChange(data["path"], data.get("before"), after, bool(data.get("forces_replacement")))


def _known_only(value: Any) -> Any:
    """``value`` with UNKNOWN parts removed (JSON cannot hold them; see ``after_unknown``)."""
    if value is UNKNOWN:
        return None
    if isinstance(value, dict):
        return {k: _known_only(v) for k, v in value.items() if v is not UNKNOWN}
    if isinstance(value, list):
        return [_known_only(v) for v in value]
    return value


def _unknown_mask(value: Any) -> Any:
    """Terraform's ``after_unknown``: True where the value is only known after apply."""
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return {k: m for k, v in value.items() if (m := _unknown_mask(v)) not in (False, {}, [])}
    if isinstance(value, list):
        masks = [_unknown_mask(v) for v in value]
        return masks if any(m not in (False, {}, []) for m in masks) else False
    return False

"""The state of one stack: what modelinfra manages, as last applied and observed.

On disk it is versioned JSON (DESIGN.md §3, a contract)::

    {"version": 1, "lineage": "<uuid4>", "serial": 7, "stack": "<name>",
     "resources": {"<address>": {"type": ..., "id": ..., "attributes": {...},
                                 "dependencies": ["<address>", ...],
                                 "status": "ready" | "create_pending" | "tainted"}},
     "outputs": {"<name>": {"value": ..., "sensitive": false} | {"sensitive": true}}}

Invariants:

- ``lineage`` is fixed when a stack's state is first created and never changes; a state of another
  lineage is another history and is never written over this one (``StateManager`` refuses).
- ``serial`` only grows: the manager bumps it on every persist whose content changed.
- A sensitive output is stored without its value, whatever the in-memory ``State`` holds.
- ``from_json(to_json(s))`` equals ``s`` for any state whose values JSON can hold.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from modelinfra.errors import StateError

STATE_VERSION = 1
STATUSES = ("ready", "create_pending", "tainted")
Status = Literal["ready", "create_pending", "tainted"]


@dataclass
class ResourceState:
    """One managed resource: its type, cloud id (or ARN), last known attributes (no secrets),
    the addresses it depends on, and its status (``create_pending`` = a create may have happened)."""

    type: str
    id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    status: Status = "ready"

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "id": self.id,
            "attributes": copy.deepcopy(self.attributes),
            "dependencies": list(self.dependencies),
            "status": self.status,
        }

    @classmethod
    def from_json(cls, address: str, data: Any) -> ResourceState:
        """Parse the entry of ``address`` in a state document (``StateError`` saying what is wrong)."""
        return _resource_from_json(address, data)


@dataclass
class State:
    """A stack's state. Mutable; ``copy()`` gives an independent deep copy."""

    stack: str
    lineage: str
    serial: int = 0
    resources: dict[str, ResourceState] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    version: int = STATE_VERSION

    @classmethod
    def new(cls, stack: str) -> State:
        """An empty state for ``stack`` with a fresh lineage and serial 0 (never written yet)."""
        return cls(stack=stack, lineage=str(uuid.uuid4()))

    def copy(self) -> State:
        return copy.deepcopy(self)

    def to_json(self) -> dict[str, Any]:
        """The on-disk document (a fresh structure; sensitive output values are dropped)."""
        return {
            "version": self.version,
            "lineage": self.lineage,
            "serial": self.serial,
            "stack": self.stack,
            "resources": {address: entry.to_json() for address, entry in sorted(self.resources.items())},
            "outputs": {name: _output_to_json(name, out) for name, out in sorted(self.outputs.items())},
        }

    @classmethod
    def from_json(cls, data: Any) -> State:
        """Parse an on-disk document. Raises ``StateError`` saying what is wrong and where."""
        if not isinstance(data, dict):
            raise StateError(f"state must be a JSON object, got {_kind(data)}")
        version = data.get("version")
        if type(version) is not int:
            raise StateError(f"state has no valid 'version' (got {version!r})")
        if version != STATE_VERSION:
            newer = " (written by a newer modelinfra; upgrade modelinfra to read it)" if version > STATE_VERSION else ""
            raise StateError(f"unsupported state version {version}; this modelinfra reads version "
                             f"{STATE_VERSION}{newer}")
        unknown = sorted(set(data) - {"version", "lineage", "serial", "stack", "resources", "outputs"})
        if unknown:
            raise StateError(f"state has unknown keys {unknown}")
        lineage = _require(data, "lineage", str, "state")
        try:
            uuid.UUID(lineage)
        except ValueError:
            raise StateError(f"state 'lineage' must be a UUID, got {lineage!r}") from None
        serial = _require(data, "serial", int, "state")
        if serial < 0:
            raise StateError(f"state 'serial' must be >= 0, got {serial}")
        stack = _require(data, "stack", str, "state")
        resources = {
            address: _resource_from_json(address, entry)
            for address, entry in _require(data, "resources", dict, "state").items()
        }
        outputs = {
            name: _output_from_json(name, entry)
            for name, entry in _require(data, "outputs", dict, "state").items()
        }
        return cls(stack=stack, lineage=lineage, serial=serial, resources=resources, outputs=outputs,
                   version=version)


def _output_to_json(name: str, output: dict[str, Any]) -> dict[str, Any]:
    if output.get("sensitive"):
        return {"sensitive": True}
    return {"value": copy.deepcopy(output.get("value")), "sensitive": False}


def _resource_from_json(address: Any, entry: Any) -> ResourceState:
    where = f"state resource {address!r}"
    if not isinstance(entry, dict):
        raise StateError(f"{where} must be an object, got {_kind(entry)}")
    unknown = sorted(set(entry) - {"type", "id", "attributes", "dependencies", "status"})
    if unknown:
        raise StateError(f"{where} has unknown keys {unknown}")
    dependencies = _require(entry, "dependencies", list, where)
    if not all(isinstance(d, str) for d in dependencies):
        raise StateError(f"{where} 'dependencies' must be a list of addresses")
    status = _require(entry, "status", str, where)
    if status not in STATUSES:
        raise StateError(f"{where} has status {status!r}; expected one of {', '.join(STATUSES)}")
    return ResourceState(
        type=_require(entry, "type", str, where),
        id=_require(entry, "id", str, where),
        attributes=_require(entry, "attributes", dict, where),
        dependencies=list(dependencies),
        status=status,  # type: ignore[arg-type]
    )


def _output_from_json(name: Any, entry: Any) -> dict[str, Any]:
    where = f"state output {name!r}"
    if not isinstance(entry, dict):
        raise StateError(f"{where} must be an object, got {_kind(entry)}")
    unknown = sorted(set(entry) - {"value", "sensitive"})
    if unknown:
        raise StateError(f"{where} has unknown keys {unknown}")
    sensitive = _require(entry, "sensitive", bool, where)
    if sensitive:
        return {"sensitive": True}
    if "value" not in entry:
        raise StateError(f"{where} is missing 'value'")
    return {"value": entry["value"], "sensitive": False}


def _require(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in data:
        raise StateError(f"{where} is missing {key!r}")
    value = data[key]
    # bool is an int subclass: a serial of `true` is malformed, not 1.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise StateError(f"{where} {key!r} must be {kind.__name__}, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value), type(value).__name__)

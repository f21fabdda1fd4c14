"""The emulator's resource store: resource bodies keyed by lower-cased resource id.

Invariants: a key is always ``record.id.lower()``; a record's children are exactly the records whose
key starts with ``key + "/"``; ``body`` is the wire JSON that GET returns (a deep copy is handed out,
never the stored dict). The store has its own lock, but the engine holds the emulator lock around
every read-modify-write, so callers may treat one request as atomic.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelinfra.sandbox.arm.resource_type import ResourceType


@dataclass
class Record:
    """One stored resource. ``pending`` names the in-flight LRO verb (``"PUT"``/``"DELETE"``...)."""

    id: str
    rtype: ResourceType
    body: dict[str, Any]
    pending: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.id.lower()

    def view(self) -> dict[str, Any]:
        return copy.deepcopy(self.body)


class Store:
    def __init__(self) -> None:
        self._records: dict[str, Record] = {}
        self._lock = threading.RLock()

    def get(self, resource_id: str) -> Record | None:
        with self._lock:
            return self._records.get(resource_id.lower().rstrip("/"))

    def put(self, record: Record) -> None:
        with self._lock:
            self._records[record.key] = record

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def all(self) -> list[Record]:
        with self._lock:
            return list(self._records.values())

    def of_type(self, type_name: str) -> Iterator[Record]:
        lowered = type_name.lower()
        return (r for r in self.all() if r.rtype.type.lower() == lowered)

    def name_taken(self, type_name: str, body: dict[str, Any]) -> bool:
        """Whether another resource of ``type_name`` (anywhere: the name is global, as for vaults,
        registries and namespaces) already has ``body``'s name, compared case-insensitively."""
        name, key = str(body["name"]).lower(), str(body["id"]).lower()
        return any(r.body.get("name", "").lower() == name and r.key != key for r in self.of_type(type_name))

    def children(self, parent_id: str, type_name: str) -> list[Record]:
        """Records of ``type_name`` directly or indirectly under ``parent_id`` (sorted by id)."""
        prefix = parent_id.lower().rstrip("/") + "/"
        return sorted((r for r in self.of_type(type_name) if r.key.startswith(prefix)), key=lambda r: r.key)

    def remove_subtree(self, resource_id: str) -> list[Record]:
        """Remove a record and everything under it; returns the removed records, deepest first."""
        key = resource_id.lower().rstrip("/")
        with self._lock:
            doomed = [r for k, r in self._records.items() if k == key or k.startswith(key + "/")]
            for record in doomed:
                del self._records[record.key]
        return sorted(doomed, key=lambda r: r.key.count("/"), reverse=True)

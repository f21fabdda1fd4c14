"""An in-memory fake cloud and its resource handlers, for engine tests that need no emulator.

``FakeCloud`` holds objects by cloud id and logs every handler call as ``(op, address, cloud_id)``.
It models what makes real clouds hard for an engine:

- server-assigned values: every create gets a fresh ``uid`` (computed, only known after apply);
- force-new properties (``name``, ``parent``) and a write-only one (``force_destroy``);
- containment: deleting a ``fake.node`` that still has children (objects whose ``parent`` is its
  name) fails unless the delete is called with ``force_destroy: true`` recorded, like a non-empty
  S3 bucket;
- eventual consistency: with ``lag=n`` an object is invisible to the next ``n`` lookups after its
  create, and the handlers answer ``RetryableError`` meanwhile (as real handlers map NoSuchBucket
  just after create);
- data sources: ``lookup`` finds a node by name (``lookup_keys = ("name",)``) and changes nothing;
- managed tags: create and update write ``ctx.managed_tags`` into the cloud object's ``tags`` (as
  real handlers do), and every answer strips them again (``strip_managed_tags``), so
  ``cloud.objects[id]["tags"]`` shows the ``modelinfra-address`` a resource carries;
- injectable failures per call (``fail``): an exception raised before or after the cloud change;
  ``Crash`` (a ``BaseException``) kills the "process": from then on every call raises ``Crash``.

The handlers are registered only through a ``RunContext(handlers=fake_handlers(cloud),
sessions={"fake": cloud})``, never in the global registry.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from modelinfra.errors import RetryableError, TerminalError
from modelinfra.providers.base import ResourceContext, ResourceHandler, strip_managed_tags

OPS = ("read", "create", "update", "delete", "lookup")


class Crash(BaseException):
    """The simulated death of the modelinfra process (kill -9): nothing after it happens."""


@dataclass
class Fault:
    error: BaseException
    after: bool = False  # raise after the cloud change took effect (e.g. created, not recorded)
    times: int = 1


@dataclass
class FakeCloud:
    lag: int = 0
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    dead: bool = False
    _faults: dict[tuple[str, str], list[Fault]] = field(default_factory=dict)
    _invisible: dict[str, int] = field(default_factory=dict)
    _counter: int = 0
    _lock: threading.RLock = field(default_factory=threading.RLock)

    # -- test controls -------------------------------------------------------------------------
    def fail(self, op: str, address: str, error: BaseException, *, after: bool = False, times: int = 1) -> None:
        """Make the next ``times`` calls ``op`` on ``address`` raise ``error``."""
        self._faults.setdefault((op, address), []).append(Fault(error, after, times))

    def ops(self, *kinds: str) -> list[tuple[str, str]]:
        """The logged (op, address) calls, optionally only those of ``kinds``."""
        return [(op, address) for op, address, _ in self.calls if not kinds or op in kinds]

    def clear_log(self) -> None:
        self.calls.clear()

    # -- the cloud -----------------------------------------------------------------------------
    def enter(self, op: str, address: str, cloud_id: str) -> Fault | None:
        """Log the call; raise a 'before' fault now, return an 'after' one for ``leave``."""
        with self._lock:
            if self.dead:
                raise Crash("the process is dead")
            self.calls.append((op, address, cloud_id))
            faults = self._faults.get((op, address))
            if not faults:
                return None
            fault = faults[0]
            fault.times -= 1
            if fault.times <= 0:
                faults.pop(0)
        if not fault.after:
            self._raise(fault.error)
        return fault

    def leave(self, fault: Fault | None) -> None:
        if fault is not None:
            self._raise(fault.error)

    def _raise(self, error: BaseException) -> None:
        if isinstance(error, Crash):
            self.dead = True
        raise error

    def visible(self, cloud_id: str) -> bool:
        with self._lock:
            left = self._invisible.get(cloud_id, 0)
            if left > 0:
                self._invisible[cloud_id] = left - 1
                return False
            return True

    def put(self, cloud_id: str, attributes: dict[str, Any], *, new: bool) -> dict[str, Any]:
        with self._lock:
            if new:
                self._counter += 1
                attributes["uid"] = f"srv-{self._counter}"
                attributes["rev"] = 1
                if self.lag:
                    self._invisible[cloud_id] = self.lag
            else:
                attributes["rev"] = attributes.get("rev", 0) + 1
            self.objects[cloud_id] = attributes
            return dict(attributes)

    def children(self, name: str) -> list[str]:
        with self._lock:
            return sorted(i for i, o in self.objects.items() if o.get("parent") == name)


class NodeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    parent: str | None = None
    label: str | None = None
    tags: dict[str, str] = {}
    force_destroy: bool = False


class FakeNodeHandler(ResourceHandler[NodeSpec]):
    """``fake.node``: cloud id = name. Computed ``uid`` (server-assigned per create), ``arn``, and
    ``rev`` (1 at create, bumped by every update or adopting create: ``recomputed_on_update``)."""

    type_name: ClassVar[str] = "fake.node"
    cloud: ClassVar[str] = "fake"
    spec_model = NodeSpec
    computed = ("uid", "arn", "rev")
    recomputed_on_update = ("rev",)
    force_new = ("name", "parent")
    write_only = ("force_destroy",)
    taggable = True
    lookup_keys = ("name",)

    def identify(self, ctx: ResourceContext, spec: NodeSpec) -> str:
        return spec.name

    def _attributes(self, ctx: ResourceContext, spec: NodeSpec) -> dict[str, Any]:
        """What create/update write: the spec (minus write-only), the managed tags on top of its own."""
        data = spec.model_dump(mode="json")
        data.pop("force_destroy")
        data["arn"] = f"fake:node/{spec.name}"
        data["tags"] = {**spec.tags, **ctx.managed_tags}
        return data

    @staticmethod
    def _answer(found: dict[str, Any]) -> dict[str, Any]:
        """A cloud object as the handler answers it: the managed tags stripped, like real handlers."""
        return {**found, "tags": strip_managed_tags(found.get("tags"))} if "tags" in found else dict(found)

    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        cloud: FakeCloud = ctx.session
        fault = cloud.enter("read", ctx.address, cloud_id)
        found = cloud.objects.get(cloud_id)
        if found is not None and not cloud.visible(cloud_id):
            raise RetryableError(f"{cloud_id}: not yet visible (eventual consistency)")
        cloud.leave(fault)
        return None if found is None else self._answer(found)

    def create(self, ctx: ResourceContext, spec: NodeSpec) -> dict[str, Any]:
        cloud: FakeCloud = ctx.session
        fault = cloud.enter("create", ctx.address, spec.name)
        if spec.parent is not None and (spec.parent not in cloud.objects or not cloud.visible(spec.parent)):
            raise RetryableError(f"parent {spec.parent} not found (yet)")
        existing = cloud.objects.get(spec.name)
        if existing is not None:  # adopt: idempotent create
            result = cloud.put(spec.name, {**existing, **self._attributes(ctx, spec)}, new=False)
        else:
            result = cloud.put(spec.name, self._attributes(ctx, spec), new=True)
        cloud.leave(fault)
        return self._answer(result)

    def update(self, ctx: ResourceContext, spec: NodeSpec, observed: dict[str, Any], changes: list[Any]) -> dict[str, Any]:
        cloud: FakeCloud = ctx.session
        fault = cloud.enter("update", ctx.address, spec.name)
        if spec.name not in cloud.objects:
            raise TerminalError(f"{spec.name}: not found")
        if any(matches(c.path, self.force_new) for c in changes):
            raise TerminalError(f"{spec.name}: update asked to change a force-new property: {changes}")
        result = cloud.put(spec.name, {**cloud.objects[spec.name], **self._attributes(ctx, spec)}, new=False)
        cloud.leave(fault)
        return self._answer(result)

    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        cloud: FakeCloud = ctx.session
        fault = cloud.enter("delete", ctx.address, cloud_id)
        children = cloud.children(cloud_id)
        if children and not attributes.get("force_destroy"):
            raise TerminalError(f"{cloud_id} is not empty ({', '.join(children)}); set force_destroy")
        with cloud._lock:
            for child in children:
                cloud.objects.pop(child, None)
            cloud.objects.pop(cloud_id, None)
        cloud.leave(fault)


    def lookup(self, ctx: ResourceContext, keys: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """A data source: the node named ``keys["name"]``, read-only."""
        cloud: FakeCloud = ctx.session
        fault = cloud.enter("lookup", ctx.address, keys["name"])
        found = cloud.objects.get(keys["name"])
        cloud.leave(fault)
        return None if found is None else (keys["name"], self._answer(found))


def matches(path: str, patterns: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + ".") for p in patterns)


def fake_handlers() -> dict[str, ResourceHandler]:
    return {"fake.node": FakeNodeHandler()}

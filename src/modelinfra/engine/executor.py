"""Apply: execute a plan's actions in dependency order, in parallel, persisting state after each.

Each action makes durable only the entries it changed (``StateManager.record``: O(entry), a
journal append over a local state); the whole state is written once, at the end (``persist``).

Invariants (crash safety, DESIGN.md §3):
- Before a create, the resource is persisted as ``create_pending`` with its deterministic cloud
  id; after, as ``ready`` with its attributes. A crash in between is resolved by the next plan,
  which reads that id and adopts what it finds or creates it.
- A delete removes the resource from state only after the cloud call succeeded.
- With ``create_before_destroy`` the old resource is kept in state as ``<address>#deposed`` until
  its delete succeeds, so a failure never orphans it: the next plan deletes it.
- State never holds a sensitive attribute.
- A failure skips the failed resource's dependents and is reported once, as the root cause;
  everything that succeeded stays persisted.
- Moves, forgets and imports touch state before any cloud call, except a move whose
  ``modelinfra-address`` tag is rewritten: its entry takes the new address in the same record as
  that update's result, so a failed retag leaves the move for the next plan.
- A refresh-only plan makes no cloud call: state takes the attributes the plan observed, and the
  resources it found deleted outside modelinfra leave state.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

from modelinfra.engine.blocks import apply_state_blocks, retag_change
from modelinfra.engine.context import RunContext
from modelinfra.engine.desired import keep_ignored
from modelinfra.errors import (
    AbortedError,
    ApplyError,
    ModelinfraError,
    PlanError,
    StalePlanError,
    TerminalError,
)
from modelinfra.graph.dag import Graph
from modelinfra.plans.action import Action
from modelinfra.plans.diff import diff_attributes
from modelinfra.plans.plan import Plan, ResourceChange
from modelinfra.spec.evaluator import Evaluator
from modelinfra.state.manager import StateManager
from modelinfra.state.model import ResourceState, State
from modelinfra.values import UNKNOWN, contains_unknown, redact_keys

DEPOSED = "#deposed"


class Executor:
    def __init__(self, run: RunContext, plan: Plan, manager: StateManager, state: State):
        self.run = run
        self.plan = plan
        self.manager = manager
        self.state = state
        self._lock = threading.Lock()
        self._evaluator = Evaluator(run.spec, _Ready(self), handlers=run.handler, data=plan.data_attributes())

    # -- public ------------------------------------------------------------------------------------
    def apply(self) -> State:
        """Run the plan. Raises ``ApplyError`` (root causes) or ``AbortedError`` (interrupted)."""
        if self.plan.refresh_only:
            return self._accept_refresh()
        changes = {c.address: c for c in self.plan.actionable if c.action is not Action.FORGET}
        retagged = frozenset(a for a, c in changes.items() if c.action is Action.UPDATE
                             and retag_change(self.run.handler(c.type), c.previous_address, a) is not None)
        with self._lock:  # moves, forgets and imports first: they touch state only (a retagged move: at its update)
            if apply_state_blocks(self.plan, self.state, self.run.spec, retagged):
                self._persist()
        steps = _steps(changes)
        graph = Graph(self._ordering(changes, steps))
        cycle = graph.find_cycle()
        if cycle:  # a plan the engine cannot order: refuse before touching anything
            raise PlanError("cannot order the plan's actions (" + " -> ".join(cycle) + "); nothing was changed")
        self._record_no_ops()
        result = graph.walk(lambda step: self._execute(steps[step], changes), self.run.settings.parallelism,
                            self.run.tiebreak)
        with self._lock:
            self._record_outputs()
            self.state = self.manager.persist(self.state, force=bool(changes))
        if result.interrupted:
            raise AbortedError("interrupted: finished the actions under way and saved state; run plan to continue")
        if result.failed:
            raise ApplyError({steps[s][1]: _message(e) for s, e in result.failed.items()})
        return self.state

    # -- ordering ----------------------------------------------------------------------------------
    def _ordering(self, changes: dict[str, ResourceChange], steps: dict[str, tuple[str, str]]) -> dict[str, set[str]]:
        """A change is one or two steps: ``+addr`` (create/update) and ``-addr`` (delete); a
        replacement has both, in its order. Creates and updates wait for their dependencies'
        creates/updates (so a dependent is evaluated against the replaced resource); deletes wait
        for the deletes of what depends on them. A plain delete, and the delete of the deposed
        half of a ``create_before_destroy`` replacement, also wait for the creates/updates of every
        resource that depended on it: nothing is left pointing at a deleted resource. A leftover
        ``<address>#deposed`` is deleted after what depends on ``<address>`` moved, too."""
        deps: dict[str, set[str]] = {step: set() for step in steps}
        dependents: dict[str, set[str]] = {}  # address -> state keys (maybe #deposed) that depend on it
        for other, entry in self.state.resources.items():
            for target in entry.dependencies:
                dependents.setdefault(target, set()).add(other)
        for address, change in changes.items():
            if f"+{address}" in steps:
                resource = self.run.spec.resources[address]
                deps[f"+{address}"] |= {f"+{d}" for d in resource.dependencies if f"+{d}" in steps}
            if f"-{address}" in steps:  # a deposed resource (left by a failed apply) counts as its address
                base = address.split(DEPOSED)[0]
                for key in dependents.get(base, set()):
                    dependent = key.split(DEPOSED)[0]
                    if dependent == base:
                        continue
                    deps[f"-{address}"] |= {f"-{k}" for k in (key, dependent) if f"-{k}" in steps}
                    if change.action in (Action.DELETE, Action.CREATE_THEN_DELETE) and f"+{dependent}" in steps:
                        deps[f"-{address}"].add(f"+{dependent}")
            if change.action is Action.DELETE_THEN_CREATE:
                deps[f"+{address}"].add(f"-{address}")
            elif change.action is Action.CREATE_THEN_DELETE:
                deps[f"-{address}"].add(f"+{address}")
        return deps

    # -- actions -----------------------------------------------------------------------------------
    def _execute(self, step: tuple[str, str], changes: dict[str, ResourceChange]) -> None:
        phase, address = step
        change = changes[address]
        verb = change.action.value if not change.action.is_replace else ("delete" if phase == "-" else "create")
        reporter = _SafeReporter(self.run.reporter)
        reporter.action_started(address, verb)
        try:
            if phase == "-":
                self._delete(address + DEPOSED if change.action is Action.CREATE_THEN_DELETE else address)
            elif change.action is Action.UPDATE:
                self._update(change)
            else:
                if change.action is Action.CREATE_THEN_DELETE:
                    self._depose(address)
                self._create(address)
        except BaseException as exc:
            reporter.action_done(address, verb, _message(exc))
            raise
        reporter.action_done(address, verb)

    def _create(self, address: str) -> None:
        resource = self.run.spec.resources[address]
        handler = self.run.handler(resource.type)
        ctx = self.run.resource_context(address, resource.type)
        model = handler.spec_model.model_validate(self._properties(address))
        self._check_planned(address, handler, handler.desired(ctx, model))
        cloud_id = handler.identify(ctx, model)
        dependencies = sorted(resource.dependencies)
        with self._lock:  # the write-only values the create is called with: adoption records them
            self.state.resources[address] = ResourceState(resource.type, cloud_id, self._public(address, handler, {}, model),
                                                          dependencies, "create_pending")
            self._persist(address)
        attributes = self.run.call(address, lambda: handler.create(ctx, model))
        self._record(address, ResourceState(resource.type, cloud_id, self._public(address, handler, attributes, model),
                                            dependencies, "ready"))

    def _update(self, change: ResourceChange) -> None:
        resource = self.run.spec.resources[change.address]
        handler = self.run.handler(resource.type)
        ctx = self.run.resource_context(change.address, resource.type)
        before = change.before or {}
        model = self._update_model(handler, self._properties(change.address), before, resource.lifecycle.ignore_changes)
        desired = handler.desired(ctx, model)
        self._check_planned(change.address, handler, desired)
        changes = diff_attributes(desired, before,
                                  ignore=resource.lifecycle.ignore_changes, force_new=handler.force_new)
        retag = retag_change(handler, change.previous_address, change.address)
        changes += [retag] if retag is not None else []
        previous = change.previous_address if retag is not None else None
        if previous is not None and change.address in self.state.resources:
            previous = None  # renamed already (a plan made before the address tag was rewritten at update)
        entry = self.state.resources[previous or change.address]
        attributes = self.run.call(change.address, lambda: handler.update(ctx, model, before, changes)) \
            if changes else before
        cloud_id = entry.id
        if retag is not None and change.previous_address:  # an id derived from the address follows the move
            old = self.run.resource_context(change.previous_address, resource.type)
            cloud_id = handler.identify(ctx, model) if handler.identify(old, model) == entry.id else entry.id
        new = ResourceState(resource.type, cloud_id, self._public(change.address, handler, attributes, model),
                            sorted(resource.dependencies), "ready")
        if previous is None:
            self._record(change.address, new)
            return
        with self._lock:  # the move and its retag, in one atomic record: never neither, never both
            del self.state.resources[previous]
            self.state.resources[change.address] = new
            self._persist(previous, change.address)

    def _delete(self, address: str) -> None:
        entry = self.state.resources.get(address)
        if entry is None:
            return
        handler = self.run.handler(entry.type)
        ctx = self.run.resource_context(address.split(DEPOSED)[0], entry.type)
        self.run.call(address, lambda: handler.delete(ctx, entry.id, entry.attributes))
        with self._lock:
            self.state.resources.pop(address, None)
            self._persist(address)

    def _depose(self, address: str) -> str:
        """Move the old resource aside as ``<address>#deposed`` (persisted) and return that key."""
        key = address + DEPOSED
        with self._lock:
            entry = self.state.resources.pop(address)
            self.state.resources[key] = ResourceState(entry.type, entry.id, entry.attributes, entry.dependencies,
                                                      "tainted")
            self._persist(address, key)  # one atomic record: never neither of them
        return key

    # -- helpers -----------------------------------------------------------------------------------
    def _record_no_ops(self) -> None:
        """No-op resources take the attributes the plan observed: a pending create found in the
        cloud becomes ``ready`` (adopted), and a change made outside modelinfra that the spec now
        agrees with stops being drift. Write-only values state recorded are kept."""
        with self._lock:
            changed = self._record_observed("ready")
            if changed:
                self._persist(*changed)

    def _record_observed(self, status: str | None) -> list[str]:
        """Each no-op's entry takes the attributes the plan observed (write-only values state
        recorded are kept) and ``status`` (None: its own); the addresses it set. Call with the
        lock held."""
        changed = []
        for change in self.plan.resource_changes:
            entry = self.state.resources.get(change.address)
            if change.action is not Action.NOOP or entry is None or change.before is None:
                continue
            handler = self.run.handler(entry.type)
            kept = {k: entry.attributes[k] for k in handler.write_only if k in entry.attributes}
            attributes = {**self._public(change.address, handler, change.before), **kept}
            self.state.resources[change.address] = ResourceState(
                entry.type, entry.id, attributes, entry.dependencies, status or entry.status)
            changed.append(change.address)
        return changed

    def _accept_refresh(self) -> State:
        """Apply a refresh-only plan: write state only (observed attributes in, resources deleted
        outside modelinfra out, outputs re-evaluated); nothing in the cloud is called."""
        with self._lock:
            self._record_observed(None)
            for drift in self.plan.resource_drift:
                if drift.status == "deleted":
                    self.state.resources.pop(drift.address, None)
            self._record_outputs()
            self.state = self.manager.persist(self.state, force=self.plan.has_changes)
        return self.state

    @staticmethod
    def _update_model(handler: Any, props: dict[str, Any], before: dict[str, Any], ignore: list[str]) -> Any:
        """The spec an update is called with: ``ignore_changes`` paths hold the resource's current
        values (``keep_ignored``), so the update rewrites nothing the plan did not show. Should a
        current value not validate as a property, the spec's own value is used."""
        from pydantic import ValidationError

        if ignore:
            try:
                return handler.spec_model.model_validate(keep_ignored(props, before, ignore, handler.spec_model.model_fields))
            except ValidationError:
                pass
        return handler.spec_model.model_validate(props)

    def _check_planned(self, address: str, handler: Any, desired: dict[str, Any]) -> None:
        """Apply does what the plan showed: derived attributes (the ``sha256`` of a model file)
        must still be what was planned, else the plan is stale (the file changed since)."""
        planned = self.plan.change_for(address)
        after = (planned.after if planned else None) or {}
        for name in handler.derived:
            if name in after and after[name] is not UNKNOWN and after[name] != desired.get(name):
                raise StalePlanError(f"stale plan: {address}.{name} was planned as {after[name]!r} but is now "
                                     f"{desired.get(name)!r} (a source file changed?); run plan again")

    def _properties(self, address: str) -> dict[str, Any]:
        """The resource's properties against what is applied so far. One evaluator for the run,
        over a live view of state, memoised per address: O(size of the resource), not O(stack).
        Sound because a step runs only after every step of what it references."""
        props = self._evaluator.properties(address)
        if contains_unknown(props):
            raise TerminalError(f"{address}: some properties are still unknown after their dependencies were applied")
        return props

    def _record(self, address: str, entry: ResourceState) -> None:
        with self._lock:
            self.state.resources[address] = entry
            self._persist(address)

    def _persist(self, *addresses: str) -> None:
        """Make the entries of ``addresses`` durable (only they changed since the last call);
        without addresses, the whole state (O(state): for callers that cannot say what changed)."""
        if addresses:
            self.state = self.manager.record(self.state, addresses)
        else:
            self.state = self.manager.persist(self.state)

    def _public(self, address: str, handler: Any, attributes: dict[str, Any], model: Any = None) -> dict[str, Any]:
        """What state records: attributes minus secrets, plus the spec's write-only values (they
        cannot be read back, and delete or the next plan may need them, e.g. ``force_destroy``)."""
        public = {k: v for k, v in (attributes or {}).items() if k not in handler.sensitive}
        if model is not None:
            spec_values = model.model_dump(mode="json")
            public.update({k: spec_values.get(k) for k in handler.write_only})
        resource = self.run.spec.resources.get(address)
        return redact_keys(public, resource.sensitive_properties if resource else set()) or {}

    def _record_outputs(self) -> None:
        spec = self.run.spec
        if self.plan.destroy:
            self.state.outputs = {}
            return
        evaluator = Evaluator(spec, _Ready(self), handlers=self.run.handler, data=self.plan.data_attributes())
        outputs: dict[str, Any] = {}
        for name, decl in spec.outputs.items():
            if decl.sensitive:
                outputs[name] = {"sensitive": True}
                continue
            value = evaluator.evaluate(decl.value)
            if not contains_unknown(value):
                outputs[name] = {"value": value, "sensitive": False}
        self.state.outputs = outputs


class _Ready(Mapping[str, Mapping[str, Any]]):
    """Live read-only view: address -> attributes of the executor's ``ready`` resources."""

    def __init__(self, executor: Executor):
        self._executor = executor

    def __getitem__(self, address: str) -> Mapping[str, Any]:
        entry = self._executor.state.resources.get(address)
        if entry is None or entry.status != "ready":
            raise KeyError(address)
        return entry.attributes

    def __iter__(self) -> Iterator[str]:
        return (a for a, e in list(self._executor.state.resources.items()) if e.status == "ready")

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _SafeReporter:
    """Progress must never fail an action: a reporter error (e.g. a closed stdout) is dropped."""

    def __init__(self, reporter: Any):
        self._reporter = reporter

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._reporter, name)

        def call(*args: Any, **kwargs: Any) -> None:
            try:
                method(*args, **kwargs)
            except Exception:  # noqa: BLE001 - progress is best effort by contract
                pass

        return call


def _steps(changes: dict[str, ResourceChange]) -> dict[str, tuple[str, str]]:
    """Graph node name -> (phase, address): ``+`` creates or updates, ``-`` deletes."""
    steps: dict[str, tuple[str, str]] = {}
    for address, change in changes.items():
        if change.action is not Action.DELETE:
            steps[f"+{address}"] = ("+", address)
        if change.action.deletes:
            steps[f"-{address}"] = ("-", address)
    return steps


def _message(error: BaseException) -> str:
    if isinstance(error, ModelinfraError):
        return str(error)
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    return f"{type(error).__name__}: {error}"

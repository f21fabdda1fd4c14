"""The command-level flows (plan, apply, destroy, drift, import) over spec, state and engine.

The CLI parses arguments, asks questions and renders; everything between is here. Locking rule:
``apply``/``destroy``/``import``/``state rm`` hold the state lock for their whole run; ``plan``,
``drift``, ``show`` and ``output`` read a lock-free snapshot and never write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from modelinfra.engine.context import RunContext
from modelinfra.engine.drift import DriftReport, detect_drift
from modelinfra.engine.executor import Executor
from modelinfra.engine.planner import make_plan
from modelinfra.errors import AbortedError, PlanError, StalePlanError
from modelinfra.plans.plan import Plan
from modelinfra.reporting import NULL_REPORTER, Reporter
from modelinfra.settings import Settings
from modelinfra.spec.compile import compile_spec
from modelinfra.spec.spec import Spec
from modelinfra.state import LocalBackend, State, StateManager

Confirm = Callable[[Plan], bool]


@dataclass
class Stack:
    """A compiled spec with its state manager and run context."""

    spec: Spec
    manager: StateManager
    run: RunContext

    def snapshot(self) -> State:
        return self.manager.snapshot() or State.new(self.spec.name)


def open_stack(
    spec_path: Path | str,
    variables: Mapping[str, str] | None = None,
    settings: Settings | None = None,
    reporter: Reporter = NULL_REPORTER,
) -> Stack:
    spec = compile_spec(Path(spec_path), variables)
    settings = settings or Settings.from_env()
    manager = StateManager(LocalBackend(spec.state_path(), reporter=reporter))
    return Stack(spec, manager, RunContext(spec, settings, reporter))


def plan(stack: Stack, *, refresh: bool = True, destroy: bool = False, targets: Iterable[str] = (),
         replace: Iterable[str] = (), refresh_only: bool = False) -> Plan:
    from modelinfra.providers.requests_count import requests_sent

    state = stack.snapshot()
    sent = requests_sent()
    result, _ = make_plan(stack.run, state, refresh_state=refresh, destroy=destroy, targets=targets, replace=replace,
                          refresh_only=refresh_only)
    result = with_delete_notes(stack.run, result)
    result.statistics = {"requests": requests_sent() - sent, "resources": len(result.resource_changes)}
    return result


def with_delete_notes(run: RunContext, the_plan: Plan) -> Plan:
    """``the_plan`` with each delete or replace whose handler keeps something on purpose
    (``ResourceHandler.delete_note``, e.g. retained versions) saying so in its ``reason``."""
    changes = []
    for change in the_plan.resource_changes:
        note = None
        if change.action.deletes and change.before:
            note = run.handler(change.type).delete_note(run.resource_context(change.address, change.type),
                                                        change.before)
        if note:
            change = replace(change, reason=f"{change.reason}; {note}" if change.reason else note)
        changes.append(change)
    return replace(the_plan, resource_changes=changes)


def apply(
    stack: Stack,
    *,
    confirm: Confirm,
    saved_plan: Plan | None = None,
    destroy: bool = False,
    targets: Iterable[str] = (),
    lock_timeout: float = 0.0,
    replace: Iterable[str] = (),
    refresh_only: bool = False,
) -> tuple[Plan, State]:
    """Plan (or check the saved plan is fresh), confirm, execute. Holds the state lock throughout.
    ``refresh_only``: accept the drift into state; the cloud is only read."""
    with stack.manager.lock("destroy" if destroy else "apply", lock_timeout):
        state = stack.manager.read() or State.new(stack.spec.name)
        if saved_plan is not None:
            check_fresh(saved_plan, stack.spec, state)
            the_plan = saved_plan
        else:
            the_plan, _ = make_plan(stack.run, state, destroy=destroy, targets=targets, replace=replace,
                                    refresh_only=refresh_only)
            the_plan = with_delete_notes(stack.run, the_plan)
        if the_plan.has_changes and not confirm(the_plan):
            raise AbortedError("apply cancelled; nothing was changed")
        final = Executor(stack.run, the_plan, stack.manager, state).apply()
        return the_plan, final


def check_fresh(saved: Plan, spec: Spec, state: State) -> None:
    """Raise ``StalePlanError`` unless ``saved`` was made from this spec and this exact state."""
    problems = []
    if saved.stack != spec.name:
        problems.append(f"it is for stack {saved.stack!r}, not {spec.name!r}")
    if saved.spec_digest != spec.digest:
        problems.append("the spec, its variables or the environment values it reads have changed since")
    current_lineage = state.lineage if state.serial > 0 or state.resources else None
    if saved.lineage is not None and current_lineage is not None and saved.lineage != current_lineage:
        problems.append(f"it was made for state lineage {saved.lineage}, the state is now {current_lineage}")
    if saved.serial != state.serial:
        problems.append(f"the state has changed since (serial {saved.serial} -> {state.serial})")
    if problems:
        raise StalePlanError("stale plan: " + "; ".join(problems) + ". Run plan again; nothing was changed.")


def drift(stack: Stack, *, unmanaged: bool = False) -> DriftReport:
    return detect_drift(stack.run, stack.snapshot(), unmanaged=unmanaged)


def import_resource(stack: Stack, address: str, cloud_id: str, lock_timeout: float = 0.0) -> dict[str, Any]:
    """Adopt an existing cloud resource under ``address`` (must be declared in the spec)."""
    from modelinfra.state import ResourceState

    resource = stack.spec.resources.get(address)
    if resource is None:
        raise PlanError(f"{address}: declare the resource in the spec before importing it")
    with stack.manager.lock("import", lock_timeout):
        state = stack.manager.read() or State.new(stack.spec.name)
        if address in state.resources:
            raise PlanError(f"{address} is already managed (id {state.resources[address].id}); "
                            f"`modelinfra state rm {stack.spec.path} {address}` first to re-import")
        handler = stack.run.handler(resource.type)
        ctx = stack.run.resource_context(address, resource.type)
        attributes = stack.run.call(address, lambda: handler.import_(ctx, cloud_id))
        if attributes is None:
            raise PlanError(f"{address}: no {resource.type} found with id {cloud_id}")
        public = {k: v for k, v in attributes.items() if k not in handler.sensitive}
        state.resources[address] = ResourceState(resource.type, cloud_id, public, sorted(resource.dependencies),
                                                 "ready")
        stack.manager.persist(state)
        return public


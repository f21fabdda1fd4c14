"""The command-level flows (plan, apply, destroy, drift, import) over spec, state and engine.

The CLI parses arguments, asks questions and renders; everything between is here. Locking rule:
``apply``/``destroy``/``import``/``state rm`` hold the state lock for their whole run; ``plan``,
``drift``, ``show`` and ``output`` read a lock-free snapshot and never write.

The state lives where the spec's ``state:`` block says (``modelinfra.state.backends.select``);
``open_stack`` refuses a spec whose backend differs from where the state was last kept (run
``state migrate``). ``drift`` with no state is an error naming where it looked, never "no drift";
``plan`` with no state warns about cloud resources already tagged as this stack's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from modelinfra.engine.context import RunContext
from modelinfra.engine.drift import DriftReport, detect_drift, find_unmanaged
from modelinfra.engine.executor import Executor
from modelinfra.engine.planner import make_plan
from modelinfra.errors import (
    AbortedError,
    ModelinfraError,
    PlanError,
    ProviderError,
    StalePlanError,
    StateError,
)
from modelinfra.plans.plan import Plan
from modelinfra.reporting import NULL_REPORTER, Reporter
from modelinfra.settings import Settings
from modelinfra.spec.compile import compile_spec
from modelinfra.spec.spec import Spec
from modelinfra.state import State, StateManager
from modelinfra.state.backends.select import check_recorded, describe, open_backend

Confirm = Callable[[Plan], bool]


@dataclass
class Stack:
    """A compiled spec with its state manager and run context."""

    spec: Spec
    manager: StateManager
    run: RunContext

    def snapshot(self) -> State:
        return self.manager.snapshot() or State.new(self.spec.name)

    @property
    def where(self) -> str:
        """Where this stack's state is kept (a path, ``s3://bucket/key``...), for messages."""
        return describe(self.spec.state, self.spec)


def open_stack(
    spec_path: Path | str,
    variables: Mapping[str, str] | None = None,
    settings: Settings | None = None,
    reporter: Reporter = NULL_REPORTER,
    *,
    check_backend: bool = True,
) -> Stack:
    """Compile the spec and open its state backend. With ``check_backend`` (every command but
    ``state migrate``/``unlock``), ``StateError`` when the state was last kept elsewhere."""
    spec = compile_spec(Path(spec_path), variables)
    settings = settings or Settings.from_env()
    if check_backend:
        check_recorded(spec)
    manager = StateManager(open_backend(spec, reporter))
    return Stack(spec, manager, RunContext(spec, settings, reporter))


def plan(stack: Stack, *, refresh: bool = True, destroy: bool = False, targets: Iterable[str] = (),
         replace: Iterable[str] = (), refresh_only: bool = False) -> Plan:
    from modelinfra.providers.requests_count import requests_sent

    stored = stack.manager.snapshot()
    state = stored or State.new(stack.spec.name)
    if stored is None and refresh and not destroy:
        warn_adoptable(stack)
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


def warn_adoptable(stack: Stack) -> None:
    """With no state, warn (through the reporter) about resources the stack's clouds already tag as
    this stack's: planning creates for them would collide. A failed look is a warning too."""
    from modelinfra.providers.registry import DISCOVERY

    run = stack.run
    clouds = {run.handler(r.type).cloud for r in stack.spec.resources.values()}
    if not clouds or not clouds <= set(DISCOVERY):
        return
    try:
        found = [u for u in find_unmanaged(run, State.new(stack.spec.name)) if u.address]
    except ModelinfraError as exc:
        run.reporter.warning(f"no state in {stack.where}, and looking for resources already tagged "
                             f"modelinfra-stack={stack.spec.name} failed: {exc}")
        return
    if found:
        names = ", ".join(f"{u.address} ({u.cloud_id})" for u in found[:5]) + (", ..." if len(found) > 5 else "")
        run.reporter.warning(
            f"no state in {stack.where}, but {len(found)} cloud resource(s) already carry this stack's "
            f"modelinfra-address tags: {names}. If the state is kept elsewhere, point `state:` at it (or run "
            f"`modelinfra state migrate {stack.spec.path}`); to adopt them, use `modelinfra import` (or `import` "
            f"blocks) instead of creating them again")


def drift(stack: Stack, *, unmanaged: bool = False) -> DriftReport:
    """``StateError`` when there is no state: nothing to compare is never "no drift"."""
    state = stack.manager.snapshot()
    if state is None:
        raise StateError(f"no state to check for drift: nothing at {stack.where} (from the `state:` block of "
                         f"{stack.spec.path}); apply first, or point `state:` at where this stack's state is kept")
    return detect_drift(stack.run, state, unmanaged=unmanaged)


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
        try:
            attributes = stack.run.call(address, lambda: handler.import_(ctx, cloud_id))
        except ModelinfraError:
            raise
        except Exception as exc:  # an SDK error the handler did not map (no credentials...): an error with context
            raise ProviderError(f"{address}: reading {cloud_id} to import it failed: {exc}") from exc
        if attributes is None:
            raise PlanError(f"{address}: no {resource.type} found with id {cloud_id}")
        public = {k: v for k, v in attributes.items() if k not in handler.sensitive}
        state.resources[address] = ResourceState(resource.type, cloud_id, public, sorted(resource.dependencies),
                                                 "ready")
        stack.manager.persist(state)
        return public


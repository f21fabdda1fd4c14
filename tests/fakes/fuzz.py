"""The lifecycle fuzzer's machinery: seeded random specs over ``fake.node``, random edits, random
faults and crashes, and the invariants checked after every step.

A scenario (one seed) starts from a random acyclic spec of 5-40 resources whose properties
reference earlier resources' computed (``uid``, ``arn``, ``rev`` which updates change) and plain (``name``) attributes, as
``parent`` (force-new containment; a contained resource's name starts with its parent's, like
an object key under a bucket, so replacing a parent replaces its children), ``label`` or a tag, plus random ``depends_on`` and lifecycle
flags. Each step applies an edit (add, remove, re-reference, force-new rename, literal change,
toggle create_before_destroy / prevent_destroy / ignore_changes, rename the address with a
``moved`` block, which stays in the spec), then plans and applies, maybe
with one injected fault: a terminal error, retryable errors (within the engine's budget), or a
crash (``Crash``) before or after a cloud call, after which only what the state manager persisted
survives (``DeadAfterCrash``) and the in-memory state is thrown away.

Invariants (``check_*``): the state file always loads; no write call the plan did not show; no
orphan (in the fake cloud, not in state) and no duplicate id; a fault-free apply converges (the
next plan is empty, state matches the cloud exactly); after a fault, the next fault-free apply
succeeds and converges. ``Scenario.log`` records the edits and faults: a failure prints it.
"""

from __future__ import annotations

import copy
import random
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from modelinfra.engine import workflow
from modelinfra.engine.executor import DEPOSED, Executor
from modelinfra.engine.planner import make_plan
from modelinfra.errors import ApplyError, PlanError, RetryableError, TerminalError
from modelinfra.plans.action import Action
from modelinfra.plans.plan import Plan
from modelinfra.state import LocalBackend, State, StateManager
from tests.fakes.provider import Crash, FakeCloud
from tests.fakes.stack import SETTINGS as BASE_SETTINGS
from tests.fakes.stack import fake_stack

SETTINGS = replace(BASE_SETTINGS, parallelism=1)  # one action at a time: a seed replays exactly

Decls = dict[str, dict[str, Any]]


class InvariantError(AssertionError):
    pass


class DeadAfterCrash:
    """A state manager that stops writing once the fake process died (a kill -9 loses nothing
    persisted before, and nothing after is written)."""

    def __init__(self, manager: StateManager, cloud: FakeCloud):
        self.manager, self.cloud = manager, cloud

    def persist(self, state: State, *, force: bool = False) -> State:
        return state if self.cloud.dead else self.manager.persist(state, force=force)

    def record(self, state: State, addresses: Iterable[str]) -> State:
        return state if self.cloud.dead else self.manager.record(state, addresses)


@dataclass
class Scenario:
    seed: int
    directory: Path
    rng: random.Random = field(init=False)
    cloud: FakeCloud = field(default_factory=FakeCloud)
    decls: Decls = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # creation order: references only point backwards
    log: list[str] = field(default_factory=list)
    moved: list[tuple[str, str]] = field(default_factory=list)  # moved blocks, kept (they are idempotent)
    _next: int = 0
    _stack: tuple[str, workflow.Stack] | None = None

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    # -- spec generation -----------------------------------------------------------------------
    def initial(self) -> None:
        count = 5 + int(self.rng.random() ** 3 * 35)  # 5-40, mostly small (fast), sometimes large
        for _ in range(count):
            self._add()
        self.log.append(f"initial spec: {count} resources")

    def _add(self) -> str:
        address = f"r{self._next}"
        self._next += 1
        props: dict[str, Any] = {"name": f"{address}-v0"}
        earlier = self.order
        if earlier and self.rng.random() < 0.3:  # contained: its name starts with its parent's
            parent = self.rng.choice(earlier)
            props["parent"] = f"${{{parent}.name}}"
            props["name"] = f"${{{parent}.name}}.{address}-v0"
        if earlier and self.rng.random() < 0.5:
            props["label"] = self._label(self.rng.choice(earlier), ["uid", "arn", "label", "name", "rev"])
        if earlier and self.rng.random() < 0.3:
            props["tags"] = {"ref": f"${{{self.rng.choice(earlier)}.uid}}"}
        decl: dict[str, Any] = {"properties": props}
        if earlier and self.rng.random() < 0.15:
            decl["depends_on"] = [self.rng.choice(earlier)]
        if self.rng.random() < 0.2:
            decl["lifecycle"] = {"create_before_destroy": True}
        self.decls[address] = decl
        self.order.append(address)
        return address

    def _label(self, other: str, attrs: list[str]) -> str:
        """A whole-string reference (keeps the type) or, for the integer ``rev``, an embedded one."""
        attr = self.rng.choice(attrs)
        return f"rev-${{{other}.rev}}" if attr == "rev" else f"${{{other}.{attr}}}"

    def _referrers(self, address: str) -> list[str]:
        needle = f"${{{address}."
        return [a for a, d in self.decls.items() if a != address
                and (needle in repr(d["properties"]) or address in d.get("depends_on", []))]

    def _rename(self, address: str) -> None:
        props = self.decls[address]["properties"]
        base, _, version = props["name"].rpartition("-v")
        props["name"] = f"{base}-v{int(version) + 1}"

    def edit(self) -> None:
        kind = self.rng.choice(["add", "remove", "reref", "force_new", "literal", "cbd", "prevent", "ignore", "move"])
        target = self.rng.choice(self.order)
        decl = self.decls[target]
        if kind == "add":
            target = self._add()
        elif kind == "remove":
            if self._referrers(target) or len(self.order) <= 1:
                kind, target = "literal", target
            else:
                del self.decls[target]
                self.order.remove(target)
        if kind == "reref":
            earlier = self.order[: self.order.index(target)]
            if earlier:
                field_name = self.rng.choice(["label", "parent", "tags"])
                other = self.rng.choice(earlier)
                if field_name == "parent":  # a new parent replaces it, under a new name (as in S3)
                    version = int(decl["properties"]["name"].rpartition("-v")[2]) + 1
                    decl["properties"]["parent"] = f"${{{other}.name}}"
                    decl["properties"]["name"] = f"${{{other}.name}}.{target}-v{version}"
                elif field_name == "tags":
                    decl["properties"]["tags"] = {"ref": f"${{{other}.uid}}"}
                else:
                    decl["properties"]["label"] = self._label(other, ["uid", "arn", "name", "rev"])
        elif kind == "force_new":
            self._rename(target)
        elif kind == "literal":
            decl["properties"]["label"] = f"lit-{self.rng.randrange(1000)}"
        elif kind == "move":
            target = self._move(target)
        elif kind in ("cbd", "prevent", "ignore"):
            lifecycle = decl.setdefault("lifecycle", {})
            key = {"cbd": "create_before_destroy", "prevent": "prevent_destroy", "ignore": "ignore_changes"}[kind]
            if key in lifecycle:
                del lifecycle[key]
            else:
                lifecycle[key] = [self.rng.choice(["label", "tags"])] if kind == "ignore" else True
        self.log.append(f"edit {kind} {target}")

    def _move(self, address: str) -> str:
        """Rename ``address`` (not its cloud name) to a new address, with a ``moved`` block, and
        point every reference at the new one."""
        new = f"{address}m"
        old_ref, new_ref = f"${{{address}.", f"${{{new}."

        def rewrite(value: Any) -> Any:
            if isinstance(value, str):
                return value.replace(old_ref, new_ref)
            if isinstance(value, dict):
                return {k: rewrite(v) for k, v in value.items()}
            return value

        self.decls = {(new if a == address else a): d for a, d in self.decls.items()}
        for decl in self.decls.values():
            decl["properties"] = rewrite(decl["properties"])
            if "depends_on" in decl:
                decl["depends_on"] = [new if d == address else d for d in decl["depends_on"]]
        self.order[self.order.index(address)] = new
        self.moved.append((address, new))
        return new

    def relax(self) -> None:
        """After a refused plan: drop the lifecycle flags that made it impossible."""
        for decl in self.decls.values():
            decl.pop("lifecycle", None)
        self.log.append("relax: drop every lifecycle flag")

    # -- running -------------------------------------------------------------------------------
    def stack(self) -> workflow.Stack:
        """The stack of the current spec (rebuilt only after an edit)."""
        key = repr((self.decls, self.moved))
        if self._stack is None or self._stack[0] != key:
            stack = fake_stack(self.directory, self.cloud, copy.deepcopy(self.decls), settings=SETTINGS,
                               moved=tuple(self.moved))
            seed = self.seed  # steps ready together run in a seeded shuffled order, not by name
            stack.run.tiebreak = lambda step: zlib.crc32(f"{seed}:{step}".encode())
            self._stack = (key, stack)
        return self._stack[1]

    def state_on_disk(self) -> State:
        """The persisted state, read afresh (the invariant 'state file valid and loadable')."""
        state = StateManager(LocalBackend(self.directory / "fake.state.json")).read()
        state = state or State.new("fake")
        for address, entry in state.resources.items():
            if entry.status not in ("ready", "create_pending", "tainted"):
                raise InvariantError(f"{address}: bad status {entry.status}")
        return state

    def plan(self) -> Plan | None:
        """A plan, or None when the planner refused it (then nothing was called but reads)."""
        before = len(self.cloud.calls)
        stack = self.stack()
        try:
            plan, _ = make_plan(stack.run, self.state_on_disk())
        except PlanError as exc:
            writes = [c for c in self.cloud.calls[before:] if c[0] != "read"]
            if writes:
                raise InvariantError(f"a refused plan called {writes}") from exc
            self.log.append(f"plan refused: {exc}")
            return None
        return plan

    def apply(self, plan: Plan, fault: str) -> bool:
        """Apply ``plan`` with ``fault`` injected; True when it succeeded."""
        stack = self.stack()
        if fault != "none":
            self._inject(plan, fault)
        start = len(self.cloud.calls)
        state, before = self.state_on_disk(), self.state_on_disk()  # the executor edits ``state``
        ok = True
        try:
            Executor(stack.run, plan, DeadAfterCrash(stack.manager, self.cloud), state).apply()
        except (ApplyError, Crash):
            ok = False
        self._check_calls(plan, self.cloud.calls[start:])
        self._check_replaced_last(plan, before, self.cloud.calls[start:])
        self.cloud.dead = False
        self.cloud._faults.clear()
        self._check_no_orphans(self.state_on_disk())
        return ok

    def _inject(self, plan: Plan, fault: str) -> None:
        change = self.rng.choice(plan.actionable)
        ops = {Action.CREATE: ["create"], Action.UPDATE: ["update"], Action.DELETE: ["delete"]}.get(
            change.action, ["create", "delete"])
        op = self.rng.choice(ops)
        address = change.address.split(DEPOSED)[0]
        after = self.rng.random() < 0.5
        error: BaseException = {"terminal": TerminalError("injected failure"),
                                "retryable": RetryableError("injected throttling"),
                                "crash": Crash("kill -9")}[fault]
        times = self.rng.randint(1, SETTINGS.engine_retries) if fault == "retryable" else 1
        self.cloud.fail(op, address, error, after=after and fault != "retryable", times=times)
        self.log.append(f"fault {fault} on {op} {address}{' after the call' if after else ''}")

    # -- invariants ----------------------------------------------------------------------------
    def _check_calls(self, plan: Plan, calls: list[tuple[str, str, str]]) -> None:
        allowed: set[tuple[str, str]] = set()
        for change in plan.actionable:
            address = change.address.split(DEPOSED)[0]
            if change.action.creates:
                allowed.add(("create", address))
            if change.action.deletes:
                allowed.add(("delete", address))
            if change.action is Action.UPDATE:
                allowed.add(("update", address))
        unplanned = sorted({(op, a) for op, a, _ in calls if op != "read"} - allowed)
        if unplanned:
            raise InvariantError(f"calls the plan did not show: {unplanned}")

    def _check_replaced_last(self, plan: Plan, state: State, calls: list[tuple[str, str, str]]) -> None:
        """create_before_destroy: the old resource is deleted only after every resource that
        depended on it was updated or re-created."""
        order = {(op, address, cloud_id): i for i, (op, address, cloud_id) in enumerate(calls)}
        for change in plan.actionable:
            if change.action is not Action.CREATE_THEN_DELETE:
                continue
            old = state.resources[change.address].id
            deleted = order.get(("delete", change.address, old))
            if deleted is None:
                continue
            for key, entry in state.resources.items():
                dependent = key.split(DEPOSED)[0]
                if change.address not in entry.dependencies or dependent == change.address:
                    continue
                moved = [i for (op, address, _), i in order.items() if address == dependent and op != "read"
                         and op != "delete"]
                if moved and max(moved) > deleted:
                    raise InvariantError(f"{change.address}'s old {old} was deleted before {dependent} moved")

    def _check_no_orphans(self, state: State) -> None:
        ids = [e.id for e in state.resources.values()]
        if len(ids) != len(set(ids)):
            raise InvariantError(f"duplicate cloud ids in state: {sorted(ids)}")
        orphans = set(self.cloud.objects) - set(ids)
        if orphans:
            raise InvariantError(f"orphans (in the cloud, not in state): {sorted(orphans)}")

    def converge(self, expect_empty: bool = False) -> None:
        """A fault-free plan+apply succeeds, and then the next plan is empty (with
        ``expect_empty``, the first plan already is: the apply before converged)."""
        for _ in range(3):  # a refused plan is relaxed and planned again
            plan = self.plan()
            if plan is not None:
                break
            if expect_empty:
                raise InvariantError("after a successful apply, the next plan is refused")
            self.relax()
        else:
            raise InvariantError("the plan stays refused after relaxing every lifecycle flag")
        if plan.actionable or plan.adoptions:
            if expect_empty:
                raise InvariantError("one apply did not converge; the next plan shows "
                                     f"{[(c.address, c.action.value, [x.path for x in c.changes]) for c in plan.actionable]}")
            if not self.apply(plan, "none"):
                raise InvariantError("a fault-free apply failed")
            self.converge(expect_empty=True)
            return
        state = self.state_on_disk()
        if {e.id for e in state.resources.values()} != set(self.cloud.objects):
            raise InvariantError(f"state {sorted(e.id for e in state.resources.values())} != cloud "
                                 f"{sorted(self.cloud.objects)}")
        if any(e.status != "ready" for e in state.resources.values()):
            raise InvariantError("converged state holds a non-ready resource")

    def step(self) -> None:
        """One edit, then an apply with maybe a fault, then (after a fault) recovery."""
        self.edit()
        plan = self.plan()
        if plan is None:
            self.relax()
            plan = self.plan()
            if plan is None:
                raise InvariantError("the plan stays refused after relaxing every lifecycle flag")
        fault = self.rng.choice(["none", "none", "terminal", "retryable", "crash"]) if plan.actionable else "none"
        if fault == "none":
            self.log.append("apply")
            self.cloud.lag = self.rng.choice([0, 0, 1])
        ok = self.apply(plan, fault) if plan.actionable or plan.adoptions else True
        self.cloud.lag = 0
        if fault in ("none", "retryable") and not ok:
            raise InvariantError(f"an apply with fault {fault!r} failed")
        self.converge(expect_empty=fault in ("none", "retryable"))


def run_scenario(scenario: Scenario, steps: int) -> Scenario:
    """The initial spec, converged, then ``steps`` edits; raises ``InvariantError`` (see
    ``scenario.log`` for what led there)."""
    scenario.initial()
    scenario.converge()
    for _ in range(steps):
        scenario.step()
    return scenario

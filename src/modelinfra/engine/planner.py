"""Planning: refresh → drift → desired vs observed → actions. Reads the cloud, writes nothing.

Decisions, per spec resource in dependency order:
- not in state, or in state but gone from the cloud         → create
- in state as ``create_pending`` and found at its id         → adopted: diffed like any other
- ``tainted``, a changed type, or a change on a ``force_new`` path → replace
  (delete-then-create; create-then-delete with ``lifecycle.create_before_destroy``)
- any other difference                                       → update in place
- moved (a ``moved`` block) and taggable                     → update in place of its address tag
Resources in state but not in the spec are deleted; with ``destroy`` everything is. A delete or
replace of a ``prevent_destroy`` resource fails the plan. With ``refresh_only`` every change is a
no-op carrying what refresh observed: the plan is its drift, and applying it only rewrites state. A resource being created or replaced
makes its computed attributes UNKNOWN for everything downstream; one being updated, those of its
handler's ``recomputed_on_update``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from dataclasses import replace as replace_
from typing import Any

from modelinfra.engine.blocks import plan_state_blocks, retag_change
from modelinfra.engine.context import RunContext
from modelinfra.engine.data import data_used_by, read_data_sources
from modelinfra.engine.desired import desired_attributes, with_unknown_computed
from modelinfra.engine.drift_compare import drift_entries
from modelinfra.engine.refresh import refresh
from modelinfra.errors import PlanError, PreventDestroyError
from modelinfra.graph.dag import Graph
from modelinfra.plans.action import Action
from modelinfra.plans.address import select
from modelinfra.plans.diff import AttributeChange, diff_attributes, matches_any
from modelinfra.plans.plan import OutputChange, Plan, ResourceChange
from modelinfra.providers.base import MANAGED_TAG_ADDRESS
from modelinfra.spec.evaluator import Evaluator
from modelinfra.state.model import State
from modelinfra.values import SENSITIVE_MASK, UNKNOWN, contains_unknown, is_redacted, redact, redact_keys


def make_plan(
    run: RunContext,
    state: State,
    *,
    refresh_state: bool = True,
    destroy: bool = False,
    targets: Iterable[str] = (),
    replace: Iterable[str] = (),
    refresh_only: bool = False,
) -> tuple[Plan, dict[str, dict[str, Any] | None]]:
    """The plan, and the observed attributes it was made from (None = gone). ``replace``: addresses
    to replace even if nothing forces it (``--replace``). ``refresh_only`` (``--refresh-only``): no
    action at all, only the drift to accept into state."""
    spec = run.spec
    if refresh_only and (destroy or replace or not refresh_state):
        raise PlanError("--refresh-only cannot be combined with --destroy, --replace or --no-refresh")
    targets = list(targets)
    declared = set(spec.resources) | set(state.resources)
    unknown_targets = [t for t in targets if not select(t, declared)]
    if unknown_targets:
        raise PlanError(f"--target {', '.join(unknown_targets)}: no such resource in the spec or state")
    blocks = plan_state_blocks(run, state, imports=not destroy)
    working = blocks.state
    both = spec.resources.keys() & working.resources.keys()
    wrong = [r for r in replace if not select(r, both)]
    if wrong:
        raise PlanError(f"--replace {', '.join(sorted(wrong))}: only a resource in both the spec and the state can be "
                        "replaced")
    forced = frozenset(a for r in replace for a in select(r, both))
    needed = data_used_by(spec, _targeted(run, working, targets, destroy, previous=blocks.previous)) \
        if targets and not destroy else None
    data = [] if destroy else read_data_sources(run, needed)
    fresh = [a for a in working.resources if a not in blocks.imported]
    if refresh_state:
        observed = refresh(run, working, fresh)
    else:  # trust state, except for interrupted creates: whether they exist must be read
        pending = [a for a, r in working.resources.items() if r.status == "create_pending"]
        observed = {a: r.attributes for a, r in working.resources.items() if r.status != "create_pending"}
        observed.update(refresh(run, working, pending))
    observed.update(blocks.imported)
    drift = drift_entries(run, working, {a: v for a, v in observed.items() if a not in blocks.imported})
    values = {d.address: d.attributes for d in data}

    if refresh_only:
        changes = _refresh_only_changes(working, observed)
    elif destroy:
        changes = _destroy_changes(working, observed)
    else:
        changes = _changes(run, working, observed, forced, values, blocks.previous)
    changes = [replace_(c, previous_address=blocks.previous.get(c.address),
                        importing=working.resources[c.address].id if c.address in blocks.imported else None)
               for c in changes] + blocks.forgotten
    if targets:
        keep = _targeted(run, working, targets, destroy, (c.address for c in blocks.forgotten), blocks.previous)
        changes = [c for c in (_untargeted_move(c, keep, destroy) for c in changes) if c is not None]
        drift = [d for d in drift if d.address in keep] if refresh_only else drift
    changes = [_redacted(run, c) for c in changes]
    _check_prevent_destroy(run, changes)
    plan = Plan(
        stack=spec.name,
        spec_path=str(spec.path.resolve()),
        spec_digest=spec.digest,
        lineage=state.lineage if state.serial > 0 or state.resources else None,
        serial=state.serial,
        variables=spec.variables,
        resource_changes=sorted(changes, key=lambda c: c.address),
        resource_drift=drift,
        output_changes=[] if targets else _output_changes(run, working, observed, changes, destroy, values),
        destroy=destroy,
        targets=targets,
        sensitive_variables=sorted(spec.sensitive_variables),
        data_sources=data,
        refresh_only=refresh_only,
    )
    return plan, observed


def _changes(run: RunContext, state: State, observed: dict[str, dict[str, Any] | None],
             forced: frozenset[str] = frozenset(), data: dict[str, dict[str, Any]] | None = None,
             previous: dict[str, str] | None = None) -> list[ResourceChange]:
    spec = run.spec
    known = {a: attrs for a, attrs in observed.items() if attrs is not None}
    pending: set[str] = set()
    recomputed: dict[str, tuple[str, ...]] = {}  # updates under way: computed attributes they change
    evaluator = Evaluator(spec, known, pending, handlers=run.handler, recomputed=recomputed,
                          data=data)  # all seen live
    changes: list[ResourceChange] = []
    for address in spec.graph.topological_order():
        resource = spec.resources[address]
        handler = run.handler(resource.type)
        ctx = run.resource_context(address, resource.type)
        props = evaluator.properties(address)
        desired, model = desired_attributes(handler, ctx, props)
        entry = state.resources.get(address)
        before = observed.get(address) if entry else None
        if entry is None or before is None:
            reason = "deleted outside modelinfra" if entry is not None and entry.status == "ready" else None
            pending.add(address)
            changes.append(ResourceChange(address, resource.type, Action.CREATE, None,
                                          with_unknown_computed(handler, desired),
                                          cloud_id=handler.identify(ctx, model) if model else None, reason=reason))
            continue
        compared = {k: redact(v) if is_redacted(before.get(k)) else v for k, v in desired.items()}
        diff = diff_attributes(compared, before, ignore=resource.lifecycle.ignore_changes, force_new=handler.force_new)
        adopting = entry.status == "create_pending"
        diff += write_only_changes(handler, model, entry.attributes, resource.lifecycle.ignore_changes, adopting)
        reason = "adopting a resource whose create was interrupted" if adopting else None
        replace = entry.status == "tainted" or entry.type != resource.type or any(c.forces_replacement for c in diff)
        reason = "replacement requested with --replace" if address in forced and not replace else reason
        replace = replace or address in forced
        if entry.status == "tainted":
            reason = "tainted by a failed apply"
        if replace:
            action = Action.CREATE_THEN_DELETE if resource.lifecycle.create_before_destroy else Action.DELETE_THEN_CREATE
            new_id = handler.identify(ctx, model) if model else None
            blocked = handler.replacement_problem(ctx, entry.attributes, model) if model else None
            if blocked:
                raise PlanError(f"{address}: this replacement cannot be carried out: {blocked}")
            if action is Action.CREATE_THEN_DELETE and new_id == entry.id:
                raise PlanError(f"{address}: create_before_destroy needs the replacement to have a different name "
                                f"(both would be {entry.id})")
            pending.add(address)
            after = with_unknown_computed(handler, desired)
        else:
            retag = retag_change(handler, (previous or {}).get(address), address)
            if retag is not None:  # a move: the resource's address tag follows it, in place
                if not diff and reason is None:
                    reason = "moved: only its modelinfra-address tag changes"
                diff = [*diff, retag]
            action = Action.UPDATE if diff else Action.NOOP
            new_id, after = entry.id, {**before, **desired}
            if retag is not None and model is not None and previous:  # an id derived from the address moves
                old = run.resource_context(previous[address], resource.type)
                new_id = handler.identify(ctx, model) if handler.identify(old, model) == entry.id else entry.id
            if diff and handler.recomputed_on_update:
                recomputed[address] = handler.recomputed_on_update
                after.update(dict.fromkeys(handler.recomputed_on_update, UNKNOWN))
        changes.append(ResourceChange(address, resource.type, action, before, after, diff,
                                      cloud_id=new_id or entry.id, reason=reason))
    changes = _inherit_create_before_destroy(spec, state, changes)
    for address, entry in state.resources.items():
        if address not in spec.resources:
            before = observed.get(address)
            if before is None and entry.status != "ready":
                before = {}
            if before is not None:
                changes.append(ResourceChange(address, entry.type, Action.DELETE, before, None, cloud_id=entry.id,
                                              reason="no longer in the spec"))
            elif entry.status == "ready":
                changes.append(ResourceChange(address, entry.type, Action.DELETE, {}, None, cloud_id=entry.id,
                                              reason="already gone; forgetting it"))
    return changes


def _inherit_create_before_destroy(spec: Any, state: State, changes: list[ResourceChange]) -> list[ResourceChange]:
    """As in Terraform, ``create_before_destroy`` is inherited by what a create-before-destroy
    replacement depends on: a dependency replaced delete-first would have to be deleted before
    its dependent's old half (which still uses it) and created before its new half, which cannot
    both hold. Such a dependency is replaced create-first too; when it cannot be (its new cloud id
    equals the old one) the plan fails, naming both."""
    by_address = {c.address: c for c in changes}
    cbd = [c.address for c in changes if c.action is Action.CREATE_THEN_DELETE]
    seen: set[str] = set()
    while cbd:
        address = cbd.pop()
        for dep in sorted(spec.resources[address].dependencies):
            change = by_address.get(dep)
            if change is None or dep in seen:
                continue
            seen.add(dep)
            if change.action is Action.DELETE_THEN_CREATE:
                old = state.resources[dep].id
                if change.cloud_id is not None and change.cloud_id == old:
                    raise PlanError(f"{address} is replaced create_before_destroy, so {dep}, which it depends on, "
                                    f"must be too, but its replacement keeps the same name ({old}); "
                                    f"give {dep} a new name or drop create_before_destroy from {address}")
                by_address[dep] = change = replace(change, action=Action.CREATE_THEN_DELETE)
            if change.action is Action.CREATE_THEN_DELETE:
                cbd.append(dep)
    return [by_address[c.address] for c in changes]


def write_only_changes(handler: Any, model: Any, recorded: dict[str, Any], ignore: list[str],
                       adopting: bool = False) -> list:
    """Write-only properties (``force_destroy``, ``source``...) cannot be read back, so they are
    compared with the values state recorded at the last apply; a difference is an in-place update.
    ``adopting`` (a ``create_pending`` entry): state recorded the values the interrupted create was
    called with; one it lacks (a state written before that was recorded) differs too, so the
    adopted resource ends up recorded exactly as if its create had finished."""
    if model is None:
        return []
    values = model.model_dump(mode="json")
    return [
        AttributeChange(name, recorded.get(name), values.get(name), matches_any(name, handler.force_new))
        for name in handler.write_only
        if (name in recorded or (adopting and values.get(name) is not None))
        and recorded.get(name) != values.get(name) and not matches_any(name, ignore)
    ]


def _redacted(run: RunContext, change: ResourceChange) -> ResourceChange:
    """``change`` with every value of a sensitive property replaced by its redaction."""
    resource = run.spec.resources.get(change.address)
    keys = resource.sensitive_properties if resource else set()
    if not keys:
        return change
    hidden = [
        AttributeChange(c.path, redact(c.before), redact(c.after), c.forces_replacement)
        if matches_any(c.path, keys) else c
        for c in change.changes
    ]
    return replace(change, before=redact_keys(change.before, keys), after=redact_keys(change.after, keys),
                   changes=hidden, sensitive_keys=sorted(keys))


def _destroy_changes(state: State, observed: dict[str, dict[str, Any] | None]) -> list[ResourceChange]:
    return [
        ResourceChange(address, entry.type, Action.DELETE, observed.get(address) or {}, None, cloud_id=entry.id,
                       reason=None if observed.get(address) is not None else "already gone; forgetting it")
        for address, entry in state.resources.items()
    ]


def _refresh_only_changes(state: State, observed: dict[str, dict[str, Any] | None]) -> list[ResourceChange]:
    """A no-op per resource found in the cloud, ``before`` = ``after`` = what was read: what
    applying a refresh-only plan records. Resources not found get none (their drift says so)."""
    return [ResourceChange(address, entry.type, Action.NOOP, observed[address], observed[address], cloud_id=entry.id)
            for address, entry in state.resources.items() if observed.get(address) is not None]


def _untargeted_move(change: ResourceChange, keep: set[str], destroy: bool = False) -> ResourceChange | None:
    """``change`` if a targeted plan keeps it: a targeted address (an import to it), a forget of a
    targeted one, and every move (state-only, like Terraform's: a move in the spec is applied
    whatever the target, with the rewrite of its address tag), except in a destroy, which keeps
    only what it destroys. A move outside the target whose resource has changes of its own is
    refused: applying the rename alone would leave those changes planned nowhere."""
    if change.address in keep:
        return change
    if not change.previous_address or destroy:
        return None
    if change.action is not Action.NOOP and (change.action is not Action.UPDATE or any(
            c.path != f"tags.{MANAGED_TAG_ADDRESS}" for c in change.changes)):  # more than the move's retag
        raise PlanError(f"--target: {change.previous_address} has moved to {change.address}, which also has "
                        f"changes to {change.action.value} outside the target; add --target {change.address} "
                        "(or plan without --target)")
    return change


def _targeted(run: RunContext, state: State, targets: list[str], destroy: bool,
              forgotten: Iterable[str] = (), previous: dict[str, str] | None = None) -> set[str]:
    """Targets and what they need: their dependencies (create/update) or dependents (destroy);
    ``forgotten`` (addresses a removed block takes out of state) count as declared, and a target
    naming the address a resource moved from (``previous``: new -> old) selects it."""
    deps = {a: set(r.dependencies) for a, r in state.resources.items()}
    deps.update({a: set() for a in forgotten if a not in deps})
    for address, resource in run.spec.resources.items():
        deps[address] = deps.get(address, set()) | resource.dependencies
    for address in list(deps):
        deps[address] &= deps.keys()
    graph = Graph(deps)
    roots = [a for t in targets for a in select(t, deps)]
    roots += [new for new, old in (previous or {}).items() if new in deps and any(select(t, {old}) for t in targets)]
    return set(graph.reversed().closure(roots) if destroy else graph.closure(roots))


def _check_prevent_destroy(run: RunContext, changes: list[ResourceChange]) -> None:
    blocked = [c.address for c in changes if c.action.deletes and c.address in run.spec.resources
               and run.spec.resources[c.address].lifecycle.prevent_destroy]
    if blocked:
        raise PreventDestroyError(
            "the plan would destroy " + ", ".join(blocked) + ", which lifecycle.prevent_destroy protects; "
            "remove prevent_destroy first if this is intended"
        )


def _output_changes(run: RunContext, state: State, observed: dict[str, dict[str, Any] | None],
                    changes: list[ResourceChange], destroy: bool,
                    data: dict[str, dict[str, Any]] | None = None) -> list[OutputChange]:
    pending = {c.address for c in changes if c.action.creates}
    known = {a: attrs for a, attrs in observed.items() if attrs is not None}
    recomputed = {c.address: run.handler(c.type).recomputed_on_update for c in changes if c.action is Action.UPDATE}
    evaluator = Evaluator(run.spec, known, pending, handlers=run.handler, recomputed=recomputed, data=data)
    out: list[OutputChange] = []
    names = set(state.outputs) | (set() if destroy else set(run.spec.outputs))
    for name in sorted(names):
        old = state.outputs.get(name)
        decl = None if destroy else run.spec.outputs.get(name)
        if decl is None:
            out.append(OutputChange(name, Action.DELETE, (old or {}).get("value"), None,
                                    bool((old or {}).get("sensitive"))))
            continue
        value = evaluator.evaluate(decl.value)
        if decl.sensitive:
            out.append(OutputChange(name, Action.CREATE if old is None else Action.NOOP, SENSITIVE_MASK,
                                    SENSITIVE_MASK, True))
            continue
        if old is None:
            action = Action.CREATE
        elif contains_unknown(value) or old.get("value") != value:
            action = Action.UPDATE
        else:
            action = Action.NOOP
        out.append(OutputChange(name, action, None if old is None else old.get("value"), value, False))
    return out

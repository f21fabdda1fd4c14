"""``moved``, ``removed`` and ``import`` blocks at plan and apply time.

Plan (``plan_state_blocks``) works on a copy of state (the state itself when there is no block): moves rename entries (and the
dependencies that name them), removed entries leave it as ``forget`` changes, imports are read
through the handler (``import_``, retried like any call) and enter it as if managed. Each block is
idempotent: a move whose ``from`` is no longer in state, a removed address already gone, an import
whose ``to`` state already holds, do nothing. A move onto an address state already holds, a move
onto a resource of another type, and an
import of something that does not exist, fail the plan naming the block.

Apply (``apply_state_blocks``) replays on the real state what the plan's changes record
(``previous_address``, ``forget``, ``importing``) before any cloud call, and persists once.

A moved resource of a taggable type still carries its old ``modelinfra-address`` tag: the plan
makes it an in-place update whose one extra change is that tag (``retag_change``: path
``tags.modelinfra-address``, old tag -> new), which the executor passes to the handler's
``update`` like any other change, so the tag follows the move in the same apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelinfra.engine.context import RunContext
from modelinfra.errors import PlanError
from modelinfra.plans.action import Action
from modelinfra.plans.address import covers
from modelinfra.plans.diff import AttributeChange
from modelinfra.plans.plan import Plan, ResourceChange
from modelinfra.providers.base import MANAGED_TAG_ADDRESS, ResourceHandler, tag_safe_address
from modelinfra.state.model import ResourceState, State


@dataclass
class BlockEffects:
    state: State  # the working copy, blocks applied
    previous: dict[str, str] = field(default_factory=dict)  # new address -> address in state before
    forgotten: list[ResourceChange] = field(default_factory=list)
    imported: dict[str, dict[str, Any]] = field(default_factory=dict)  # address -> attributes read


def _where(run: RunContext, block: Any) -> str:
    document = block.document or run.spec.document
    line, col = document.position(block.where)
    return f"{document.display_name}:{line}:{col}"


def plan_state_blocks(run: RunContext, state: State, *, imports: bool = True) -> BlockEffects:
    spec = run.spec
    if not (spec.moved or spec.removed or (imports and spec.imports)):
        return BlockEffects(state)  # nothing to change: no copy (a plan stays O(changes) over state)
    working = state.copy()
    effects = BlockEffects(working)
    for block in spec.moved:
        renames = {old: block.target + old[len(block.source):] for old in working.resources
                   if covers(block.source, old)}
        for old, new in renames.items():
            declared = spec.resources.get(new)
            if declared is not None and declared.type != working.resources[old].type:
                raise PlanError(f"{_where(run, block)}: moved from {block.source} to {block.target}: {old} is "
                                f"{working.resources[old].type} in state but {new} is declared {declared.type}; a move "
                                "cannot change a resource's type (remove the old one with a removed block, or "
                                "import it)")
            if new in working.resources:
                raise PlanError(f"{_where(run, block)}: moved from {block.source} to {block.target}: state already "
                                f"holds both {old} and {new}; `modelinfra state rm` one of them")
        _rename(working, renames)
        for old, new in renames.items():
            effects.previous[new] = effects.previous.pop(old, old)
    for block in spec.removed:
        for address in [a for a in working.resources if covers(block.source, a)]:
            entry = working.resources.pop(address)
            effects.forgotten.append(ResourceChange(address, entry.type, Action.FORGET, entry.attributes, None,
                                                    cloud_id=entry.id, reason="removed block: the cloud resource "
                                                    "stays"))
    if imports:
        for block in spec.imports:
            assert block.target is not None
            if block.target in working.resources:
                continue
            resource = spec.resources[block.target]
            handler = run.handler(resource.type)
            ctx = run.resource_context(block.target, resource.type)
            found = run.call(block.target, lambda h=handler, c=ctx, i=block.source: h.import_(c, i))
            if found is None:
                raise PlanError(f"{_where(run, block)}: import to {block.target}: no {resource.type} found with id "
                                f"{block.source}")
            public = {k: v for k, v in found.items() if k not in handler.sensitive}
            working.resources[block.target] = ResourceState(resource.type, block.source, public,
                                                            sorted(resource.dependencies), "ready")
            effects.imported[block.target] = public
    return effects


def retag_change(handler: ResourceHandler, previous: str | None, address: str) -> AttributeChange | None:
    """The managed address tag a resource moved from ``previous`` to ``address`` must have rewritten:
    None when it did not move, its type takes no tags, or both addresses are written as one tag."""
    if not previous or not handler.taggable:
        return None
    old, new = tag_safe_address(previous), tag_safe_address(address)
    return None if old == new else AttributeChange(f"tags.{MANAGED_TAG_ADDRESS}", old, new)


def _rename(state: State, renames: dict[str, str], deferred: frozenset[str] = frozenset()) -> None:
    """Rename entries (and the dependencies naming them); one whose new address is ``deferred``
    stays under its old address (its dependents already name the new one)."""
    if not renames:
        return
    moved = {a if renames.get(a) in deferred else renames.get(a, a): e for a, e in state.resources.items()}
    for entry in moved.values():
        entry.dependencies = sorted(renames.get(d, d) for d in entry.dependencies)
    state.resources = moved


def apply_state_blocks(plan: Plan, state: State, spec: Any, deferred: frozenset[str] = frozenset()) -> bool:
    """Replay the plan's moves, forgets and imports on ``state``; True when it changed. A move to
    an address in ``deferred`` (one whose address tag is rewritten: the executor renames it
    when that update succeeds, so a failed one is planned again) leaves its entry in place."""
    renames = {c.previous_address: c.address for c in plan.resource_changes
               if c.previous_address and c.previous_address in state.resources and c.address not in state.resources}
    _rename(state, renames, deferred)
    changed = bool(renames)
    for change in plan.resource_changes:
        if change.action is Action.FORGET and change.address in state.resources:
            del state.resources[change.address]
            changed = True
        elif change.importing and change.address not in state.resources:
            declared = spec.resources.get(change.address)
            state.resources[change.address] = ResourceState(change.type, change.importing, dict(change.before or {}),
                                                            sorted(declared.dependencies) if declared else [], "ready")
            changed = True
    return changed

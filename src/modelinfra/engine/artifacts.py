"""Model artifact versions (``modelinfra artifacts versions``): asks the resource's handler
(``ResourceHandler.versions``); the engine knows no cloud."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelinfra.errors import PlanError
from modelinfra.spec.evaluator import Evaluator
from modelinfra.values import contains_unknown

if TYPE_CHECKING:
    from modelinfra.engine.workflow import Stack


def artifact_versions(stack: Stack, address: str) -> list[dict[str, Any]]:
    """Versions of the versioned artifact at ``address``, newest first. ``PlanError`` when the
    address is not in the spec, its type keeps no versions, or its properties depend on
    resources not applied yet."""
    resource = stack.spec.resources.get(address)
    if resource is None:
        raise PlanError(f"{address}: no such resource in this spec")
    handler = stack.run.handler(resource.type)
    state = stack.snapshot()
    known = {a: e.attributes for a, e in state.resources.items() if e.status == "ready"}
    props = Evaluator(stack.spec, known, handlers=stack.run.handler).properties(address)
    if contains_unknown(props):
        raise PlanError(f"{address}: its properties depend on resources not applied yet; run apply first")
    ctx = stack.run.resource_context(address, resource.type)
    model = handler.spec_model.model_validate(props)
    versions = handler.versions(ctx, handler.identify(ctx, model))
    if versions is None:
        raise PlanError(f"{address}: {resource.type} resources keep no versions")
    return versions

"""Model artifact versions (``modelinfra artifacts versions``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelinfra.errors import PlanError
from modelinfra.spec.evaluator import Evaluator

if TYPE_CHECKING:
    from modelinfra.engine.workflow import Stack


def artifact_versions(stack: Stack, address: str) -> list[dict[str, Any]]:
    """Versions of the ``aws.s3_object`` at ``address``, newest first."""
    resource = stack.spec.resources.get(address)
    if resource is None or resource.type != "aws.s3_object":
        raise PlanError(f"{address}: not an aws.s3_object in this spec")
    from modelinfra.providers.aws.s3_object import list_versions

    state = stack.snapshot()
    known = {a: e.attributes for a, e in state.resources.items() if e.status == "ready"}
    props = Evaluator(stack.spec, known, handlers=stack.run.handler).properties(address)
    ctx = stack.run.resource_context(address, resource.type)
    return list_versions(ctx, props["bucket"], props["key"])

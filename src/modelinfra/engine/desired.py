"""Desired attributes of a resource from its evaluated properties, also when some are UNKNOWN."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from modelinfra.providers.base import ResourceContext, ResourceHandler
from modelinfra.values import UNKNOWN, contains_unknown


def desired_attributes(
    handler: ResourceHandler, ctx: ResourceContext, props: dict[str, Any]
) -> tuple[dict[str, Any], BaseModel | None]:
    """``(desired, model)``. With every value known: the handler's ``desired`` of the validated
    model. Otherwise (plan time, upstream not yet created): known properties with model defaults
    filled in, UNKNOWN ones kept as UNKNOWN, and no model."""
    if not contains_unknown(props):
        model = handler.spec_model.model_validate(props)
        return handler.desired(ctx, model), model
    known = {k: v for k, v in props.items() if not contains_unknown(v)}
    partial = handler.spec_model.model_construct(**known)  # fills defaults, validates nothing
    data = partial.model_dump(mode="python", warnings=False)
    data = {k: (v.model_dump(mode="json") if isinstance(v, BaseModel) else v) for k, v in data.items()}
    for name, value in props.items():
        if contains_unknown(value):
            data[name] = UNKNOWN if value is UNKNOWN else value
    for name in handler.write_only:
        data.pop(name, None)
    return data, None


def with_unknown_computed(handler: ResourceHandler, desired: dict[str, Any]) -> dict[str, Any]:
    """``desired`` plus every non-sensitive computed attribute as UNKNOWN (for creates)."""
    extra = {c: UNKNOWN for c in handler.computed if c not in handler.sensitive and c not in desired}
    return {**desired, **extra}

"""Desired attributes of a resource from its evaluated properties, also when some are UNKNOWN."""

from __future__ import annotations

import copy
from collections.abc import Collection
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


def keep_ignored(props: dict[str, Any], observed: dict[str, Any], ignore: list[str],
                 fields: Collection[str]) -> dict[str, Any]:
    """``props`` with every ``lifecycle.ignore_changes`` path set to what ``observed`` holds there,
    as Terraform plans an ignored argument: an update sends the resource's current value, so a
    write that covers the whole attribute (a tag set, a whole-resource PUT) leaves what changed
    outside modelinfra alone. Paths are dotted map keys (``tags``, ``tags.team``); a path into a
    list, one naming no property (``fields``), or one whose top level the cloud does not report is
    left as the spec has it. A nested key the cloud lacks is dropped. ``props`` is not mutated."""
    out = dict(props)
    for pattern in ignore:
        top, *rest = pattern.split(".")
        if "[" in pattern or top not in fields or top not in observed:
            continue
        if not rest:
            out[top] = copy.deepcopy(observed[top])
            continue
        tree = copy.deepcopy(out[top]) if isinstance(out.get(top), dict) else {}
        parent, have = tree, observed[top]
        for key in rest[:-1]:  # down to the map holding the ignored key, made where the spec has none
            parent = parent.setdefault(key, {})
            have = have.get(key) if isinstance(have, dict) else None
            if not isinstance(parent, dict):
                break
        else:
            if isinstance(have, dict) and rest[-1] in have:
                parent[rest[-1]] = copy.deepcopy(have[rest[-1]])
            else:
                parent.pop(rest[-1], None)
            out[top] = tree
    return out

"""The one conformance check every resource handler runs (see ``modelinfra.providers.base``).

``check_lifecycle`` drives a handler through its whole contract against an emulator and asserts
observable behaviour at each step: deterministic identity, absent-read is None, delete of a missing
resource succeeds, create returns the computed attributes, read after create matches the spec with
an empty diff, a second create adopts, an in-place update converges, delete removes, sensitive
attributes never appear in read output, and attributes are JSON-serialisable.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.base import ResourceContext, ResourceHandler, tag_safe_address


def check_lifecycle(
    handler: ResourceHandler,
    ctx: ResourceContext,
    spec: BaseModel,
    updated: BaseModel | None = None,
) -> dict[str, Any]:
    """Run the contract; returns the attributes read after the (last) successful write."""
    cloud_id = handler.identify(ctx, spec)
    assert cloud_id and cloud_id == handler.identify(ctx, spec), "identify must be deterministic"

    handler.delete(ctx, cloud_id, {})  # deleting a missing resource is success
    assert handler.read(ctx, cloud_id) is None, "read of a missing resource must be None"

    created = handler.create(ctx, spec)
    json.dumps(created)
    missing = [c for c in handler.computed if c not in handler.sensitive and c not in created]
    assert not missing, f"create must return computed attributes {missing}"

    observed = handler.read(ctx, cloud_id)
    assert observed is not None, "read after create must find the resource"
    json.dumps(observed)
    for secret in handler.sensitive:
        assert secret not in observed, f"read must never return sensitive attribute {secret}"
    drift = diff_attributes(handler.desired(ctx, spec), observed)
    assert not drift, f"read after create must match the spec, got {drift}"

    adopted = handler.create(ctx, spec)  # idempotent: adopts what is already there
    assert handler.read(ctx, cloud_id) is not None and adopted is not None

    if updated is not None:
        assert handler.identify(ctx, updated) == cloud_id
        changes = diff_attributes(handler.desired(ctx, updated), observed, force_new=handler.force_new)
        assert changes, "the updated spec must differ from what was created"
        assert not any(c.forces_replacement for c in changes), f"update must be in place: {changes}"
        handler.update(ctx, updated, observed, changes)
        observed = handler.read(ctx, cloud_id)
        assert observed is not None
        left = diff_attributes(handler.desired(ctx, updated), observed)
        assert not left, f"read after update must match the updated spec, got {left}"

    handler.delete(ctx, cloud_id, observed)
    assert handler.read(ctx, cloud_id) is None, "read after delete must be None"
    handler.delete(ctx, cloud_id, observed)  # and again: still success
    return observed


def check_retag(
    handler: ResourceHandler,
    ctx: ResourceContext,
    spec: BaseModel,
    cloud_tags: Any,
    moved_to: str = "renamed",
) -> dict[str, Any]:
    """A ``moved`` block on a taggable type: the resource is created under ``ctx.address``, then
    the update the engine makes for a move (the spec unchanged, the one change the address tag,
    ``ctx`` at the new address) must leave the cloud's ``modelinfra-address`` tag (``cloud_tags(
    cloud_id)``: the tags as the cloud's own API answers them) at the new address, the other tags
    as they were, and nothing to plan; the resource is then found at ``identify`` of the new
    address (the same id, unless the type derives it from the address, as ``aws.kms_key``
    does). Returns the attributes read after; the resource is kept."""
    from dataclasses import replace

    from modelinfra.engine.blocks import retag_change

    cloud_id = handler.identify(ctx, spec)
    handler.create(ctx, spec)
    before = dict(cloud_tags(cloud_id))
    assert before.get("modelinfra-address") == ctx.address, before
    observed = handler.read(ctx, cloud_id)
    assert observed is not None and not diff_attributes(handler.desired(ctx, spec), observed)
    retag = retag_change(handler, ctx.address, moved_to)
    assert retag is not None, f"{handler.type_name} is taggable: a move must rewrite its address tag"
    moved = replace(ctx, address=moved_to)
    handler.update(moved, spec, observed, [retag])
    after = dict(cloud_tags(cloud_id))
    assert after == {**before, "modelinfra-address": tag_safe_address(moved_to)}, after
    observed = handler.read(moved, handler.identify(moved, spec))  # an id derived from the address moved too
    assert observed is not None
    left = diff_attributes(handler.desired(moved, spec), observed)
    assert not left, f"read after the retag must match the spec, got {left}"
    return observed

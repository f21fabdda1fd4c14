"""``--format terraform-json`` drops nothing: every property (spec field and computed attribute) of
every registered type either reaches a Terraform attribute (setting it changes the mapped blocks)
or is kept under the primary block's ``modelinfra.attributes``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelinfra.plans.action import Action
from modelinfra.plans.plan import ResourceChange
from modelinfra.providers.registry import handler_for, known_types
from modelinfra.views.terraform_json import render
from tests.views.test_terraform_json import plan_of

MARK = "x-marker"
CANDIDATES: tuple[Any, ...] = (True, False, 7, 8, MARK, "Enabled", "Disabled", [MARK], [{}], [{"name": MARK}],
                               {MARK: MARK}, {"type": MARK, "default_action": MARK, "key_vault_key_id": MARK},
                               {"string_equals": [{"key": MARK, "value": MARK}]})


def _mutated(value: Any) -> Any:
    """``value`` with every leaf changed (bools flipped, numbers bumped, strings marked)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "-" + MARK
    if isinstance(value, dict):
        return {k: _mutated(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mutated(v) for v in value]
    return value


def _default(type_name: str, prop: str) -> Any:
    field = handler_for(type_name).spec_model.model_fields.get(prop)
    if field is None or field.is_required():
        return None
    default = field.get_default(call_default_factory=True)
    return default.model_dump(mode="json") if hasattr(default, "model_dump") else default


def _blocks(type_name: str, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The rendered Terraform blocks without their ``modelinfra`` keys, and the primary block's
    ``modelinfra.attributes``."""
    doc = render(plan_of(ResourceChange("r", type_name, Action.CREATE, None, data)))
    changes = doc["resource_changes"]
    mapped = {c["address"]: {k: v for k, v in c["change"]["after"].items() if k != "modelinfra"} for c in changes}
    return mapped, changes[0]["change"]["after"]["modelinfra"].get("attributes", {})


def _fate(type_name: str, prop: str) -> str:
    """"kept" (under modelinfra), "mapped" (changes a Terraform attribute) or "dropped"."""
    baseline, _ = _blocks(type_name, {})
    default = _default(type_name, prop)
    for value in (*CANDIDATES, _mutated(default), [_mutated(default)]):
        try:
            mapped, kept = _blocks(type_name, {prop: value})
        except (AttributeError, TypeError, ValueError, KeyError):
            continue  # a value of the wrong shape for this property
        if prop in kept:
            assert kept[prop] == value
            return "kept"
        if json.dumps(mapped, sort_keys=True, default=str) != json.dumps(baseline, sort_keys=True, default=str):
            return "mapped"
    return "dropped"


@pytest.mark.parametrize("type_name", known_types())
def test_every_property_is_mapped_or_kept_under_modelinfra(type_name: str) -> None:
    handler = handler_for(type_name)
    props = [*handler.spec_model.model_fields, *handler.computed]
    fates = {p: _fate(type_name, p) for p in props}
    assert [p for p, fate in fates.items() if fate == "dropped"] == [], fates


def test_the_walk_notices_a_property_a_mapper_reads_and_drops(monkeypatch: pytest.MonkeyPatch) -> None:
    from modelinfra.views import terraform_json
    from modelinfra.views.tfmap_base import TfBlock

    def lossy(a):  # reads "tags" and never writes it anywhere
        a.take("tags")
        return [TfBlock("azurerm_resource_group", {"name": a.take("name")})]

    monkeypatch.setitem(terraform_json.MAPPERS, "azure.resource_group", lossy)
    assert _fate("azure.resource_group", "tags") == "dropped"
    assert _fate("azure.resource_group", "name") == "mapped"
    assert _fate("azure.resource_group", "location") == "kept"

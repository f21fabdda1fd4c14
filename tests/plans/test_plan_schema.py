"""Contract: real ``plan --json`` documents (made by the engine over the fake provider) validate
against schemas/plan.schema.json, and the schema rejects what the format forbids."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from modelinfra.engine import workflow
from modelinfra.plans.action import Action
from tests.fakes.provider import FakeCloud
from tests.fakes.stack import fake_stack

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json"


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def as_cli_prints(plan) -> dict:
    return json.loads(json.dumps(plan.to_json(), sort_keys=True, default=str))


def errors(validator: Draft202012Validator, document: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


@pytest.fixture
def every_kind_of_change(tmp_path: Path):
    """A plan with create, update (known and unknown), both replacements, delete, no-op,
    a removed (forgotten) resource, a sensitive property, drift (modified and deleted) and output changes."""
    cloud = FakeCloud()
    first = {
        "keep": {"properties": {"name": "keep"}},
        "edit": {"properties": {"name": "edit", "label": "one"}},
        "swap": {"properties": {"name": "swap1"}},
        "cbd": {"properties": {"name": "cbd1"}, "lifecycle": {"create_before_destroy": True}},
        "gone": {"properties": {"name": "gone"}},
        "drifted": {"properties": {"name": "drifted", "label": "x"}},
        "vanished": {"properties": {"name": "vanished"}},
        "secret": {"properties": {"name": "secret", "label": "hunter2"}, "sensitive": ["label"]},
        "forgot": {"properties": {"name": "forgot"}},
    }
    outputs = {"swap_uid": {"value": "${swap.uid}"}, "token": {"value": "${secret.label}", "sensitive": True}}
    workflow.apply(fake_stack(tmp_path, cloud, first, outputs), confirm=lambda p: True)
    cloud.objects["drifted"]["label"] = "changed outside"
    del cloud.objects["vanished"]
    second = {k: v for k, v in first.items() if k not in ("gone", "forgot")}
    second.update({
        "new": {"properties": {"name": "new", "tags": {"swap": "${swap.uid}"}}},
        "edit": {"properties": {"name": "edit", "label": "two", "tags": {"of": "${cbd.arn}"}}},
        "swap": {"properties": {"name": "swap2"}},
        "cbd": {"properties": {"name": "cbd2"}, "lifecycle": {"create_before_destroy": True}},
        "secret": {"properties": {"name": "secret", "label": "hunter3"}, "sensitive": ["label"]},
    })
    return workflow.plan(fake_stack(tmp_path, cloud, second, outputs, removed=("forgot",)))


def test_a_plan_with_every_kind_of_change_validates(validator, every_kind_of_change):
    plan = every_kind_of_change
    assert {c.action for c in plan.resource_changes} == set(Action)
    document = as_cli_prints(plan)
    assert errors(validator, document) == []
    by_address = {c["address"]: c["change"] for c in document["resource_changes"]}
    assert by_address["new"]["after_unknown"]["tags"] == {"swap": True}
    assert by_address["edit"]["after_unknown"] == {"tags": {"of": True}, "rev": True}  # an update bumps rev
    assert by_address["secret"]["after_sensitive"] == {"label": True}
    assert {d["status"] for d in document["resource_drift"]} == {"modified", "deleted"}
    assert document["output_changes"]["swap_uid"]["after_unknown"] is True


@pytest.mark.parametrize("breakage", [
    lambda d: d.update(format_version="2.0"),
    lambda d: d["resource_changes"][0]["change"].update(actions=["replace"]),
    lambda d: d["resource_changes"][0]["change"].pop("after_unknown"),
    lambda d: d["resource_changes"][0].update(extra=1),
    lambda d: d["resource_changes"][0]["change"].update(after_sensitive={"label": "hunter2"}),
])
def test_the_schema_rejects_what_the_format_forbids(validator, every_kind_of_change, breakage):
    document = copy.deepcopy(as_cli_prints(every_kind_of_change))
    breakage(document)
    assert errors(validator, document)

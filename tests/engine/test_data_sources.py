"""Data sources over the fake provider: read at plan (never created, changed, deleted or counted
as drift), recorded in the plan only; a missing one fails the plan naming it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelinfra.engine import workflow
from modelinfra.engine.drift import detect_drift
from modelinfra.errors import PlanError, SpecError
from modelinfra.plans.planfile import read_planfile, write_planfile
from tests.fakes.provider import FakeCloud
from tests.fakes.stack import compiled_stack

SPEC = """\
version: 1
name: ds
variables:
  shared: {default: shared-artifacts}
data:
  shared: {type: fake.node, properties: {name: '${var.shared}'}}
resources:
  child:
    type: fake.node
    properties: {name: child, parent: '${data.shared.name}', tags: {of: '${data.shared.uid}'}}
outputs:
  shared_arn: {value: '${data.shared.arn}'}
"""


def existing(cloud: FakeCloud, name: str = "shared-artifacts") -> dict:
    return cloud.put(name, {"name": name, "parent": None, "label": None, "tags": {}, "arn": f"fake:node/{name}"},
                     new=True)


def test_a_data_source_is_read_at_plan_and_feeds_references_but_is_never_managed(tmp_path: Path):
    cloud = FakeCloud()
    shared = existing(cloud)
    s = compiled_stack(tmp_path, cloud, SPEC)
    plan = workflow.plan(s)
    assert [c.address for c in plan.resource_changes] == ["child"]
    assert plan.change_for("child").after["tags"] == {"of": shared["uid"]}
    (read,) = plan.to_json()["data_sources"]
    assert (read["address"], read["lookup"], read["cloud_id"]) == ("data.shared", {"name": "shared-artifacts"},
                                                                   "shared-artifacts")
    workflow.apply(s, confirm=lambda p: True)
    state = json.loads((tmp_path / "fake.state.json").read_text())
    assert set(state["resources"]) == {"child"} and state["outputs"]["shared_arn"]["value"] == "fake:node/shared-artifacts"
    assert cloud.objects["child"]["tags"] == {"of": shared["uid"], "modelinfra-stack": "ds",
                                              "modelinfra-address": "child"}
    assert cloud.objects["shared-artifacts"]["tags"] == {}  # a data source is never tagged
    assert cloud.ops("create", "update", "delete") == [("create", "child")]
    cloud.objects["shared-artifacts"]["label"] = "changed by another team"
    report = detect_drift(s.run, s.snapshot())
    assert [r.address for r in report.resources] == ["child"] and not any(r.drifted for r in report.resources)
    cloud.clear_log()
    workflow.apply(compiled_stack(tmp_path, cloud, SPEC), confirm=lambda p: True, destroy=True)
    assert cloud.ops("delete") == [("delete", "child")] and "shared-artifacts" in cloud.objects


def test_a_saved_plan_applies_with_the_values_it_read(tmp_path: Path):
    cloud = FakeCloud()
    existing(cloud)
    s = compiled_stack(tmp_path, cloud, SPEC)
    write_planfile(workflow.plan(s), tmp_path / "p.plan")
    saved = read_planfile(tmp_path / "p.plan")
    assert saved.data_sources[0].attributes["uid"] == cloud.objects["shared-artifacts"]["uid"]
    workflow.apply(s, confirm=lambda p: True, saved_plan=saved)
    assert cloud.objects["child"]["tags"]["of"] == cloud.objects["shared-artifacts"]["uid"]


def test_a_missing_data_source_fails_the_plan_naming_it_and_what_was_looked_up(tmp_path: Path):
    with pytest.raises(PlanError, match=r"data\.shared: no existing fake\.node with name = 'shared-artifacts'"):
        workflow.plan(compiled_stack(tmp_path, FakeCloud(), SPEC))


def test_data_sources_are_read_through_the_retrying_call(tmp_path: Path):
    from modelinfra.errors import RetryableError

    cloud = FakeCloud()
    existing(cloud)
    cloud.fail("lookup", "data.shared", RetryableError("throttled"), times=2)
    plan = workflow.plan(compiled_stack(tmp_path, cloud, SPEC))
    assert plan.data_sources[0].cloud_id == "shared-artifacts" and cloud.ops("lookup") == [("lookup", "data.shared")] * 3


@pytest.mark.parametrize(("data", "expected"), [
    ("{type: fake.node, properties: {nam: x}}",
     ["6:29: data.shared.properties: fake.node is looked up by name: missing name",
      "6:42: data.shared.properties.nam: unknown lookup key 'nam' for fake.node (did you mean name?)"]),
    ("{type: fake.nod, properties: {name: x}}",
     ["6:12: data.shared.type: unknown data source type 'fake.nod' (did you mean fake.node?)"]),
    ("{type: fake.node, properties: {name: '${child.name}'}}",
     ["6:42: data.shared.properties.name: ${child.name}: a data source's properties may use variables and env "
      "values only"]),
])
def test_validate_checks_data_sources_offline(tmp_path: Path, data, expected):
    text = SPEC.replace("{type: fake.node, properties: {name: '${var.shared}'}}", data)
    with pytest.raises(SpecError) as caught:
        compiled_stack(tmp_path, FakeCloud(), text)
    shown = [f"{p.line}:{p.col}: {p.path}: {p.message}" for p in caught.value.problems]
    assert shown == expected


def test_a_reference_to_an_unknown_data_attribute_is_reported(tmp_path: Path):
    with pytest.raises(SpecError) as caught:
        compiled_stack(tmp_path, FakeCloud(), SPEC.replace("${data.shared.uid}", "${data.shared.uuid}")
                       .replace("${data.shared.arn}", "${data.sharde.arn}"))
    messages = [p.message for p in caught.value.problems]
    assert messages == ["${data.shared.uuid}: fake.node has no attribute 'uuid' (did you mean uid?)",
                        "${data.sharde.arn}: no data source 'sharde' in this spec (did you mean shared?)"]


def test_a_targeted_plan_reads_only_the_data_sources_its_resources_need(tmp_path: Path):
    cloud = FakeCloud()
    existing(cloud)
    store = tmp_path / "modules" / "store"
    store.mkdir(parents=True)
    (store / "module.yaml").write_text("variables:\n  parent: {description: p}\nresources:\n"
                                       "  node: {type: fake.node, properties: {name: in-module, parent: '${var.parent}'}}\n")
    text = SPEC.replace("outputs:", "  other: {type: fake.node, properties: {name: other}}\n"
                        "modules:\n  m: {source: ./modules/store, inputs: {parent: '${data.via_module.name}'}}\n"
                        "outputs:").replace(
        "data:\n", "data:\n  via_module: {type: fake.node, properties: {name: gone-elsewhere}}\n")
    s = compiled_stack(tmp_path, cloud, text)  # data.via_module does not exist: reading it would fail the plan
    plan = workflow.plan(s, targets=["other"])
    assert [c.address for c in plan.resource_changes] == ["other"]
    assert cloud.ops("lookup") == [] and plan.data_sources == []
    plan = workflow.plan(s, targets=["child"])
    assert [c.address for c in plan.resource_changes] == ["child"] and cloud.ops("lookup") == [("lookup", "data.shared")]
    with pytest.raises(PlanError, match=r"data\.via_module: no existing fake\.node with name = 'gone-elsewhere'"):
        workflow.plan(s, targets=["module.m"])

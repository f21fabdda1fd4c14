"""Local modules over the fake provider: addresses ``module.NAME.RES``, inputs checked against the
module's variables, outputs the only way out, two calls = two copies, problems at their line in
the module's own file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelinfra.engine import workflow
from modelinfra.errors import SpecError
from modelinfra.providers.base import strip_managed_tags
from tests.fakes.provider import FakeCloud
from tests.fakes.stack import compiled_stack

MODULE = """\
variables:
  name: {}
  parent: {default: null}
  models: {default: [a]}
resources:
  store: {type: fake.node, properties: {name: '${var.name}', parent: '${var.parent}'}}
  model:
    type: fake.node
    for_each: ${var.models}
    properties: {name: '${var.name}-${each.key}', parent: '${store.name}'}
outputs:
  store_name: {value: '${store.name}'}
  store_uid: {value: '${store.uid}'}
"""

SPEC = """\
version: 1
name: mods
resources:
  root: {type: fake.node, properties: {name: root}}
  index:
    type: fake.node
    properties: {name: index, tags: {dev: '${module.dev.store_uid}', prod: '${module.prod.store_name}'}}
modules:
  dev: {source: ./modules/store, inputs: {name: dev-store, models: [x, y]}}
  prod: {source: ./modules/store, inputs: {name: prod-store, parent: '${root.name}'}}
outputs:
  dev_store: {value: '${module.dev.store_name}'}
"""


def stack(tmp_path: Path, cloud: FakeCloud, spec: str = SPEC, module: str = MODULE):
    return compiled_stack(tmp_path, cloud, spec, files={"modules/store/module.yaml": module})


def test_a_module_called_twice_is_two_copies_addressed_under_each_name(tmp_path: Path):
    cloud = FakeCloud()
    s = stack(tmp_path, cloud)
    assert sorted(s.spec.resources) == [
        "index", 'module.dev.model["x"]', 'module.dev.model["y"]', "module.dev.store",
        'module.prod.model["a"]', "module.prod.store", "root"]
    plan = workflow.plan(s)
    by_address = {c["address"]: c for c in plan.to_json()["resource_changes"]}
    assert by_address['module.dev.model["x"]']["module_address"] == "module.dev"
    assert by_address['module.dev.model["x"]']["index"] == "x"
    workflow.apply(s, confirm=lambda p: True)
    assert cloud.objects["prod-store"]["parent"] == "root" and cloud.objects["dev-store"]["parent"] is None
    assert cloud.objects["dev-store-y"]["parent"] == "dev-store" and "prod-store-a" in cloud.objects
    assert strip_managed_tags(cloud.objects["index"]["tags"]) == {"dev": cloud.objects["dev-store"]["uid"],
                                                                  "prod": "prod-store"}
    state = json.loads((tmp_path / "fake.state.json").read_text())
    assert state["resources"]["index"]["dependencies"] == ["module.dev.store", "module.prod.store"]
    assert state["resources"]["module.prod.store"]["dependencies"] == ["root"]
    assert state["outputs"]["dev_store"]["value"] == "dev-store"
    assert not workflow.plan(stack(tmp_path, cloud)).has_changes


def test_targeting_a_module_plans_its_resources_and_what_they_need(tmp_path: Path):
    plan = workflow.plan(stack(tmp_path, FakeCloud()), targets=["module.prod"])
    assert sorted(c.address for c in plan.resource_changes) == ['module.prod.model["a"]', "module.prod.store", "root"]


def problems(tmp_path: Path, spec: str = SPEC, module: str = MODULE) -> list[str]:
    with pytest.raises(SpecError) as caught:
        stack(tmp_path, FakeCloud(), spec, module)
    return [f"{Path(p.file).name}:{p.line}:{p.col}: {p.path}: {p.message}" for p in caught.value.problems]


def test_unknown_and_missing_inputs_are_reported_in_the_caller(tmp_path: Path):
    spec = SPEC.replace("inputs: {name: dev-store, models: [x, y]}", "inputs: {nam: dev-store}")
    assert problems(tmp_path, spec) == [
        "spec.yaml:9:34: modules.dev.inputs: module dev needs input 'name' (declared without a default at "
        f"{tmp_path}/modules/store/module.yaml:2)",
        "spec.yaml:9:43: modules.dev.inputs.nam: module dev (./modules/store) has no variable 'nam' "
        "(did you mean name?)",
    ]


def test_problems_inside_a_module_are_reported_at_their_line_in_the_module_file(tmp_path: Path):
    module = MODULE.replace("parent: '${store.name}'", "parent: '${stor.name}', colour: red")
    found = problems(tmp_path, module=module)
    assert "module.yaml:10:51: resources.model.properties.parent: ${stor.name}: no resource 'stor' in this spec " \
           "(did you mean store?)" in found
    assert any(p.startswith("module.yaml:10:") and "colour" in p for p in found), found


def test_only_outputs_leave_a_module(tmp_path: Path):
    spec = SPEC.replace("${module.dev.store_uid}", "${module.dev.store.uid}").replace(
        "${module.prod.store_name}", "${module.prod.nope}")
    found = problems(tmp_path, spec)
    assert found == [
        "spec.yaml:7:38: resources.index.properties.tags.dev: ${module.dev.store.uid}: module dev has no output "
        "'store' (did you mean store_uid?)",
        "spec.yaml:7:70: resources.index.properties.tags.prod: ${module.prod.nope}: module prod has no output "
        "'nope' (outputs: store_name, store_uid)",
    ]


def test_a_dependency_cycle_across_modules_is_named(tmp_path: Path):
    spec = SPEC.replace("root: {type: fake.node, properties: {name: root}}",
                        "root: {type: fake.node, properties: {name: root, label: '${module.prod.store_name}'}}")
    found = problems(tmp_path, spec)
    assert any("dependency cycle:" in p and "module.prod.store" in p and "root" in p for p in found), found


def test_a_module_that_contains_itself_is_an_error(tmp_path: Path):
    module = MODULE + "modules:\n  again: {source: ., inputs: {name: x}}\n"
    found = problems(tmp_path, module=module)
    assert any("module cycle" in p for p in found), found


def test_drift_of_a_module_resource_points_at_the_module_file(tmp_path: Path):
    from modelinfra.engine.drift import detect_drift
    from modelinfra.views import drift_github

    cloud = FakeCloud()
    s = stack(tmp_path, cloud)
    workflow.apply(s, confirm=lambda p: True)
    cloud.objects["dev-store"]["label"] = "edited by hand"
    report = detect_drift(s.run, s.snapshot())
    (drifted,) = [r for r in report.resources if r.drifted]
    assert (drifted.address, drifted.line, Path(drifted.file).name) == ("module.dev.store", 6, "module.yaml")
    assert drifted.to_json()["file"] == drifted.file
    annotation = drift_github.render_for(report, str(tmp_path))
    assert "::warning file=modules/store/module.yaml,line=6,title=Drift%3A module.dev.store::" in annotation

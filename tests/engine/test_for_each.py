"""for_each over the fake provider: one instance per key, addressed ``NAME["KEY"]``; adding or
removing a key plans exactly that instance, reordering a list plans nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelinfra.engine import workflow
from modelinfra.errors import SpecError
from modelinfra.plans.action import Action
from modelinfra.providers.base import strip_managed_tags
from tests.fakes.provider import FakeCloud
from tests.fakes.stack import compiled_stack

SPEC = """\
version: 1
name: fe
variables:
  models: {{default: {models}}}
resources:
  root: {{type: fake.node, properties: {{name: root}}}}
  model:
    type: fake.node
    for_each: ${{var.models}}
    properties:
      name: m-${{each.key}}
      parent: ${{root.name}}
      label: ${{upper(each.value)}}
  index:
    type: fake.node
    properties:
      name: index
      tags: {{ranker: '${{model["ranker"].uid}}'}}
outputs:
  ranker_arn: {{value: '${{model["ranker"].arn}}'}}
"""


def stack(tmp_path: Path, cloud: FakeCloud, models: str):
    return compiled_stack(tmp_path, cloud, SPEC.format(models=models))


def apply(s) -> None:
    workflow.apply(s, confirm=lambda p: True)


def actions(plan) -> dict[str, str]:
    return {c.address: c.action.value for c in plan.resource_changes if c.action is not Action.NOOP}


def test_each_key_is_one_instance_with_its_own_address_and_references_resolve(tmp_path: Path):
    cloud = FakeCloud()
    s = stack(tmp_path, cloud, "[ranker, scorer]")
    assert sorted(s.spec.resources) == ["index", "model[\"ranker\"]", "model[\"scorer\"]", "root"]
    apply(s)
    assert cloud.objects["m-ranker"]["label"] == "RANKER" and cloud.objects["m-scorer"]["parent"] == "root"
    assert strip_managed_tags(cloud.objects["index"]["tags"]) == {"ranker": cloud.objects["m-ranker"]["uid"]}
    state = json.loads((tmp_path / "fake.state.json").read_text())
    assert set(state["resources"]) == {"index", 'model["ranker"]', 'model["scorer"]', "root"}
    assert state["resources"]["index"]["dependencies"] == ['model["ranker"]']
    assert state["outputs"]["ranker_arn"]["value"] == "fake:node/m-ranker"
    assert not workflow.plan(stack(tmp_path, cloud, "[ranker, scorer]")).has_changes


def test_adding_or_removing_a_key_plans_exactly_that_instance(tmp_path: Path):
    cloud = FakeCloud()
    apply(stack(tmp_path, cloud, "[ranker, scorer]"))
    assert actions(workflow.plan(stack(tmp_path, cloud, "[ranker, scorer, tagger]"))) == {'model["tagger"]': "create"}
    assert actions(workflow.plan(stack(tmp_path, cloud, "[ranker]"))) == {'model["scorer"]': "delete"}


def test_reordering_a_list_plans_nothing(tmp_path: Path):
    cloud = FakeCloud()
    apply(stack(tmp_path, cloud, "[ranker, scorer, tagger]"))
    assert not workflow.plan(stack(tmp_path, cloud, "[tagger, ranker, scorer]")).has_changes


def test_a_map_gives_each_key_and_value(tmp_path: Path):
    cloud = FakeCloud()
    apply(stack(tmp_path, cloud, "{ranker: fast, scorer: slow}"))
    assert cloud.objects["m-ranker"]["label"] == "FAST" and cloud.objects["m-scorer"]["label"] == "SLOW"


def test_a_list_with_a_duplicate_is_an_error_at_the_for_each_line(tmp_path: Path):
    with pytest.raises(SpecError) as caught:
        stack(tmp_path, FakeCloud(), "[ranker, ranker]")
    (problem,) = caught.value.problems
    assert (problem.line, problem.path) == (9, "resources.model.for_each") and "'ranker' twice" in problem.message


def test_target_and_replace_take_instance_addresses_and_whole_resources(tmp_path: Path):
    cloud = FakeCloud()
    s = stack(tmp_path, cloud, "[ranker, scorer]")
    plan = workflow.plan(s, targets=['model["scorer"]'])
    assert sorted(c.address for c in plan.resource_changes) == ['model["scorer"]', "root"]
    plan = workflow.plan(s, targets=["model"])
    assert sorted(c.address for c in plan.resource_changes) == ['model["ranker"]', 'model["scorer"]', "root"]
    apply(s)
    plan = workflow.plan(stack(tmp_path, cloud, "[ranker, scorer]"), replace=['model["ranker"]'])
    assert actions(plan) == {'model["ranker"]': "delete-then-create", "index": "update"}


def test_plan_json_carries_the_index_of_an_instance(tmp_path: Path):
    plan = workflow.plan(stack(tmp_path, FakeCloud(), "[ranker]"))
    by_address = {c["address"]: c for c in plan.to_json()["resource_changes"]}
    assert by_address['model["ranker"]']["index"] == "ranker"
    assert "index" not in by_address["root"]


def test_files_stamps_one_instance_per_matching_file_sorted_relative_to_the_spec(tmp_path: Path):
    cloud = FakeCloud()
    (tmp_path / "models").mkdir()
    for name in ("b.onnx", "a.onnx", "notes.txt"):
        (tmp_path / "models" / name).write_text(name)
    text = """\
version: 1
name: fe
resources:
  model:
    type: fake.node
    for_each: ${files("models/*.onnx")}
    properties: {name: '${replace(basename(each.value, ".onnx"), "a", "alpha")}', label: '${each.key}'}
"""
    s = compiled_stack(tmp_path, cloud, text)
    assert list(s.spec.resources) == ['model["models/a.onnx"]', 'model["models/b.onnx"]']
    apply(s)
    assert cloud.objects["alpha"]["label"] == "models/a.onnx" and "b" in cloud.objects


def test_random_key_edits_plan_exactly_the_keys_that_changed(tmp_path: Path):
    """Seeded rounds of adding, removing and shuffling keys: the plan creates exactly the new
    keys, deletes exactly the gone ones, and each apply converges."""
    import random

    rng = random.Random(15)
    cloud = FakeCloud()
    keys = ["k0", "k1", "ranker"]
    apply(stack(tmp_path, cloud, "[" + ", ".join(keys) + "]"))
    pool = [f"k{i}" for i in range(12)]
    for _ in range(12):
        new = rng.sample(pool, rng.randint(1, 6))
        if "ranker" not in new:
            new.append("ranker")  # index references model["ranker"]
        s = stack(tmp_path, cloud, "[" + ", ".join(new) + "]")
        plan = workflow.plan(s)
        old = set(keys) | ({"ranker"} if "ranker" in keys else set())
        planned = actions(plan)
        expected = {f'model["{k}"]': "create" for k in set(new) - old}
        expected |= {f'model["{k}"]': "delete" for k in old - set(new)}
        if "ranker" in set(new) - old:
            expected["index"] = "update"
        assert planned == expected
        apply(s)
        assert not workflow.plan(stack(tmp_path, cloud, "[" + ", ".join(reversed(new)) + "]")).has_changes
        assert sorted(n for n in cloud.objects if n.startswith("m-")) == sorted(f"m-{k}" for k in new)
        keys = new

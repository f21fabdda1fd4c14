"""moved / removed / import blocks over the fake provider: state-only changes, shown in the
plan, idempotent once applied, and an error naming a block whose address is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelinfra.engine import workflow
from modelinfra.errors import ApplyError, PlanError, SpecError, TerminalError
from modelinfra.plans.action import Action
from modelinfra.plans.planfile import read_planfile, write_planfile
from modelinfra.views.human import render_plan
from tests.fakes.provider import FakeCloud, FakeNodeHandler
from tests.fakes.stack import compiled_stack

HEAD = "version: 1\nname: mv\n"


def apply(s):
    return workflow.apply(s, confirm=lambda p: True)


def state(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "fake.state.json").read_text())["resources"]


def test_moved_renames_in_state_without_destroy_or_create_and_is_idempotent(tmp_path: Path):
    cloud = FakeCloud()
    apply(compiled_stack(tmp_path, cloud, HEAD + "resources:\n  old_index: {type: fake.node, properties: {name: idx}}\n"))
    uid = cloud.objects["idx"]["uid"]
    text = HEAD + ("resources:\n  index: {type: fake.node, properties: {name: idx}}\n"
                   "moved:\n  - {from: old_index, to: index}\n")
    s = compiled_stack(tmp_path, cloud, text)
    assert cloud.objects["idx"]["tags"]["modelinfra-address"] == "old_index"
    plan = workflow.plan(s)
    (change,) = plan.resource_changes
    assert (change.address, change.action, change.previous_address) == ("index", Action.UPDATE, "old_index")
    assert [(c.path, c.before, c.after) for c in change.changes] == [
        ("tags.modelinfra-address", "old_index", "index")]  # the address tag follows; nothing else changes
    assert plan.counts() == (0, 1, 0)
    shown = render_plan(plan).plain
    assert "old_index has moved to index" in shown
    assert '~ tags.modelinfra-address = "old_index" -> "index"' in shown
    assert plan.to_json()["resource_changes"][0]["previous_address"] == "old_index"
    cloud.clear_log()
    apply(s)
    assert cloud.ops("create", "delete", "update") == [("update", "index")]
    assert set(state(tmp_path)) == {"index"} and cloud.objects["idx"]["uid"] == uid
    assert cloud.objects["idx"]["tags"] == {"modelinfra-stack": "mv", "modelinfra-address": "index"}
    again = workflow.plan(compiled_stack(tmp_path, cloud, text))
    assert not again.has_changes


def test_moved_into_a_for_each_instance_with_an_update_in_the_same_apply(tmp_path: Path):
    cloud = FakeCloud()
    apply(compiled_stack(tmp_path, cloud, HEAD + "resources:\n  ranker: {type: fake.node, properties: {name: r}}\n"))
    text = HEAD + ("resources:\n  model: {type: fake.node, for_each: [ranker], properties: {name: r, label: new}}\n"
                   "moved:\n  - {from: ranker, to: 'model[\"ranker\"]'}\n")
    plan = workflow.plan(compiled_stack(tmp_path, cloud, text))
    (change,) = plan.resource_changes
    assert (change.address, change.action, change.previous_address) == ('model["ranker"]', Action.UPDATE, "ranker")
    apply(compiled_stack(tmp_path, cloud, text))
    assert set(state(tmp_path)) == {'model["ranker"]'} and cloud.objects["r"]["label"] == "new"


def test_removed_forgets_and_leaves_the_cloud_resource_alone(tmp_path: Path):
    cloud = FakeCloud()
    apply(compiled_stack(tmp_path, cloud, HEAD + "resources:\n  keep: {type: fake.node, properties: {name: k}}\n"
                         "  legacy: {type: fake.node, properties: {name: l}}\n"))
    text = HEAD + "resources:\n  keep: {type: fake.node, properties: {name: k}}\nremoved:\n  - {from: legacy}\n"
    s = compiled_stack(tmp_path, cloud, text)
    plan = workflow.plan(s)
    change = plan.change_for("legacy")
    assert change.action is Action.FORGET and plan.counts() == (0, 0, 0)
    assert "legacy will be removed from state, not destroyed" in render_plan(plan).plain
    by_address = {c["address"]: c["change"] for c in plan.to_json()["resource_changes"]}
    assert by_address["legacy"]["actions"] == ["forget"]
    cloud.clear_log()
    apply(s)
    assert cloud.ops("delete") == [] and "l" in cloud.objects and set(state(tmp_path)) == {"keep"}
    assert not workflow.plan(compiled_stack(tmp_path, cloud, text)).has_changes
    apply(compiled_stack(tmp_path, cloud, text))
    workflow.apply(compiled_stack(tmp_path, cloud, text), confirm=lambda p: True, destroy=True)
    assert "l" in cloud.objects and "k" not in cloud.objects


def test_import_adopts_at_apply_and_is_idempotent(tmp_path: Path):
    cloud = FakeCloud()
    cloud.put("existing", {"name": "existing", "label": "old", "tags": {}, "parent": None,
                           "arn": "fake:node/existing"}, new=True)
    text = HEAD + ("resources:\n  model: {type: fake.node, for_each: [a], properties: {name: existing, label: new}}\n"
                   "import:\n  - {to: 'model[\"a\"]', id: existing}\n")
    s = compiled_stack(tmp_path, cloud, text)
    plan = workflow.plan(s)
    (change,) = plan.resource_changes
    assert (change.action, change.importing) == (Action.UPDATE, "existing")
    assert 'model["a"] will be imported (id existing)' in render_plan(plan).plain
    assert plan.to_json()["resource_changes"][0]["change"]["importing"] == {"id": "existing"}
    cloud.clear_log()
    apply(s)
    assert cloud.ops("create") == [] and cloud.objects["existing"]["label"] == "new"
    assert state(tmp_path)['model["a"]']["id"] == "existing"
    assert not workflow.plan(compiled_stack(tmp_path, cloud, text)).has_changes


def test_import_of_something_missing_fails_the_plan_naming_the_block(tmp_path: Path):
    text = HEAD + "resources:\n  x: {type: fake.node, properties: {name: nope}}\nimport:\n  - {to: x, id: nope}\n"
    with pytest.raises(PlanError, match=r"spec.yaml:6:5: import to x: no fake.node found with id nope"):
        workflow.plan(compiled_stack(tmp_path, FakeCloud(), text))


@pytest.mark.parametrize(("blocks", "where", "message"), [
    ("moved:\n  - {from: old, to: nothere}\n", "7:17: moved[0].to", "moved to 'nothere', which the spec does not declare"),
    ("moved:\n  - {from: x, to: x}\n", "7:15: moved[0].to", "moved from 'x' to itself"),
    ("moved:\n  - {from: x, to: y}\n", "7:6: moved[0].from", "moved from 'x', which the spec still declares"),
    ("removed:\n  - {from: x}\n", "7:6: removed[0].from", "removed 'x', which the spec still declares"),
    ("import:\n  - {to: z, id: i}\n", "7:6: import[0].to", "import to 'z', which is not a resource instance"),
])
def test_a_block_with_a_wrong_address_is_reported_at_its_line(tmp_path: Path, blocks, where, message):
    text = HEAD + ("resources:\n  x: {type: fake.node, properties: {name: a}}\n"
                   "  y: {type: fake.node, properties: {name: b}}\n" + blocks)
    with pytest.raises(SpecError) as caught:
        compiled_stack(tmp_path, FakeCloud(), text)
    shown = [f"{p.line}:{p.col}: {p.path}: {p.message}" for p in caught.value.problems]
    assert len(shown) == 1 and shown[0].startswith(f"{where}: {message}"), shown


def test_a_move_onto_an_address_state_already_holds_fails_the_plan(tmp_path: Path):
    cloud = FakeCloud()
    apply(compiled_stack(tmp_path, cloud, HEAD + "resources:\n  a: {type: fake.node, properties: {name: a}}\n"
                         "  b: {type: fake.node, properties: {name: b}}\n"))
    text = HEAD + "resources:\n  b: {type: fake.node, properties: {name: b}}\nmoved:\n  - {from: a, to: b}\n"
    with pytest.raises(PlanError, match="state already holds both a and b"):
        workflow.plan(compiled_stack(tmp_path, cloud, text))


def test_a_move_onto_a_resource_of_another_type_fails_the_plan_naming_the_block(tmp_path: Path):
    cloud = FakeCloud()
    apply(compiled_stack(tmp_path, cloud, HEAD + "resources:\n  a: {type: fake.node, properties: {name: a}}\n"))
    path = tmp_path / "fake.state.json"
    recorded = json.loads(path.read_text())
    recorded["resources"]["a"]["type"] = "fake.other"  # what another type's entry looks like in state
    path.write_text(json.dumps(recorded))
    text = HEAD + "resources:\n  b: {type: fake.node, properties: {name: a}}\nmoved:\n  - {from: a, to: b}\n"
    with pytest.raises(PlanError) as caught:
        workflow.plan(compiled_stack(tmp_path, cloud, text))
    assert str(caught.value).startswith(str(tmp_path / "spec.yaml"))
    assert ("spec.yaml:6:5: moved from a to b: a is fake.other in state but b is declared fake.node; a move cannot change "
            "a resource's type") in str(caught.value)


def test_moved_inside_a_module_renames_in_every_copy_and_a_wrong_one_is_reported_in_module_yaml(tmp_path: Path):
    cloud = FakeCloud()
    store = tmp_path / "modules" / "store"
    store.mkdir(parents=True)
    module = store / "module.yaml"
    module.write_text("variables:\n  name: {description: n}\nresources:\n"
                      "  old: {type: fake.node, properties: {name: '${var.name}'}}\n")
    text = HEAD + ("modules:\n  a: {source: ./modules/store, inputs: {name: na}}\n"
                   "  b: {source: ./modules/store, inputs: {name: nb}}\n")
    apply(compiled_stack(tmp_path, cloud, text))
    assert set(state(tmp_path)) == {"module.a.old", "module.b.old"}
    module.write_text("variables:\n  name: {description: n}\nresources:\n"
                      "  new: {type: fake.node, properties: {name: '${var.name}'}}\nmoved:\n  - {from: old, to: new}\n")
    s = compiled_stack(tmp_path, cloud, text)
    plan = workflow.plan(s)
    assert {(c.address, c.action, c.previous_address) for c in plan.resource_changes} == {
        ("module.a.new", Action.UPDATE, "module.a.old"), ("module.b.new", Action.UPDATE, "module.b.old")}
    assert "module.a.old has moved to module.a.new" in render_plan(plan).plain
    cloud.clear_log()
    apply(s)
    assert sorted(cloud.ops("create", "delete", "update")) == [("update", "module.a.new"), ("update", "module.b.new")]
    assert cloud.objects["nb"]["tags"]["modelinfra-address"] == "module.b.new"
    assert set(state(tmp_path)) == {"module.a.new", "module.b.new"}
    assert not workflow.plan(compiled_stack(tmp_path, cloud, text)).has_changes
    module.write_text(module.read_text().replace("to: new", "to: nwe"))
    with pytest.raises(SpecError) as caught:
        compiled_stack(tmp_path, cloud, text)
    found = {(p.file, p.line, p.message) for p in caught.value.problems}
    assert any(f.endswith("module.yaml") and line == 6 and "moved to 'module.a.nwe', which the spec does not declare"
               in m for f, line, m in found), found


def test_a_targeted_plan_keeps_every_move_and_the_removed_and_imported_addresses_it_targets(tmp_path: Path):
    cloud = FakeCloud()
    apply(compiled_stack(tmp_path, cloud, HEAD + "resources:\n  old_index: {type: fake.node, properties: {name: idx}}\n"
                         "  legacy: {type: fake.node, properties: {name: l}}\n"
                         "  other: {type: fake.node, properties: {name: o}}\n"))
    cloud.put("existing", {"name": "existing", "label": None, "tags": {}, "parent": None,
                           "arn": "fake:node/existing"}, new=True)
    text = HEAD + ("resources:\n  index: {type: fake.node, properties: {name: idx}}\n"
                   "  other: {type: fake.node, properties: {name: o, label: changed}}\n"
                   "  adopted: {type: fake.node, properties: {name: existing}}\n"
                   "moved:\n  - {from: old_index, to: index}\nremoved:\n  - {from: legacy}\n"
                   "import:\n  - {to: adopted, id: existing}\n")
    s = compiled_stack(tmp_path, cloud, text)
    only_other = workflow.plan(s, targets=["other"])
    assert {(c.address, c.action) for c in only_other.resource_changes} == {
        ("index", Action.UPDATE), ("other", Action.UPDATE)}  # index: its address tag only  # the move whatever the target; removed/import not
    assert "old_index has moved to index" in render_plan(only_other).plain
    both = workflow.plan(s, targets=["legacy", "adopted"])
    assert {(c.address, c.action, c.importing) for c in both.resource_changes} == {
        ("index", Action.UPDATE, None), ("legacy", Action.FORGET, None), ("adopted", Action.NOOP, "existing")}
    workflow.apply(compiled_stack(tmp_path, cloud, text), confirm=lambda p: True, targets=["other"])
    assert set(state(tmp_path)) == {"index", "legacy", "other"} and cloud.objects["o"]["label"] == "changed"
    assert cloud.objects["idx"]["tags"]["modelinfra-address"] == "index"
    workflow.apply(compiled_stack(tmp_path, cloud, text), confirm=lambda p: True, targets=["legacy", "adopted"])
    assert set(state(tmp_path)) == {"index", "other", "adopted"} and "l" in cloud.objects
    assert not workflow.plan(compiled_stack(tmp_path, cloud, text)).has_changes


def test_a_target_naming_the_old_address_selects_the_moved_resource(tmp_path: Path):
    cloud = FakeCloud()
    apply(compiled_stack(tmp_path, cloud, HEAD + "resources:\n  old: {type: fake.node, properties: {name: n}}\n"))
    text = HEAD + "resources:\n  new: {type: fake.node, properties: {name: n, label: x}}\nmoved:\n  - {from: old, to: new}\n"
    (change,) = workflow.plan(compiled_stack(tmp_path, cloud, text), targets=["old"]).resource_changes
    assert (change.address, change.action, change.previous_address) == ("new", Action.UPDATE, "old")


def test_a_targeted_plan_refuses_a_move_outside_the_target_that_has_changes_of_its_own(tmp_path: Path):
    cloud = FakeCloud()
    apply(compiled_stack(tmp_path, cloud, HEAD + "resources:\n  old: {type: fake.node, properties: {name: n}}\n"
                         "  other: {type: fake.node, properties: {name: o}}\n"))
    text = HEAD + ("resources:\n  new: {type: fake.node, properties: {name: n, label: x}}\n"
                   "  other: {type: fake.node, properties: {name: o}}\nmoved:\n  - {from: old, to: new}\n")
    with pytest.raises(PlanError, match=r"--target: old has moved to new, which also has changes to update outside "
                                        r"the target; add --target new"):
        workflow.plan(compiled_stack(tmp_path, cloud, text), targets=["other"])


def test_a_saved_plan_rewrites_the_address_tag_of_a_moved_resource(tmp_path: Path):
    cloud = FakeCloud()
    apply(compiled_stack(tmp_path, cloud, HEAD + "resources:\n  old: {type: fake.node, for_each: [a], "
                         "properties: {name: n}}\n"))
    text = HEAD + "resources:\n  new: {type: fake.node, properties: {name: n}}\nmoved:\n  - {from: 'old[\"a\"]', to: new}\n"
    write_planfile(workflow.plan(compiled_stack(tmp_path, cloud, text)), tmp_path / "p.plan")
    assert cloud.objects["n"]["tags"]["modelinfra-address"] == "old:a"
    workflow.apply(compiled_stack(tmp_path, cloud, text), confirm=lambda p: True,
                   saved_plan=read_planfile(tmp_path / "p.plan"))
    assert cloud.objects["n"]["tags"]["modelinfra-address"] == "new" and set(state(tmp_path)) == {"new"}
    assert not workflow.plan(compiled_stack(tmp_path, cloud, text)).has_changes


def test_a_moved_resource_of_a_type_without_tags_is_only_renamed(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(FakeNodeHandler, "taggable", False)
    cloud = FakeCloud()
    apply(compiled_stack(tmp_path, cloud, HEAD + "resources:\n  old: {type: fake.node, properties: {name: n}}\n"))
    text = HEAD + "resources:\n  new: {type: fake.node, properties: {name: n}}\nmoved:\n  - {from: old, to: new}\n"
    (change,) = workflow.plan(compiled_stack(tmp_path, cloud, text)).resource_changes
    assert (change.action, change.changes, change.previous_address) == (Action.NOOP, [], "old")
    cloud.clear_log()
    apply(compiled_stack(tmp_path, cloud, text))
    assert cloud.ops("create", "update", "delete") == [] and set(state(tmp_path)) == {"new"}


def test_a_failed_retag_leaves_the_move_to_the_next_apply(tmp_path: Path):
    cloud = FakeCloud()
    apply(compiled_stack(tmp_path, cloud, HEAD + "resources:\n  old: {type: fake.node, properties: {name: n}}\n"
                         "  child: {type: fake.node, properties: {name: c, label: '${old.arn}'}}\n"))
    text = HEAD + ("resources:\n  new: {type: fake.node, properties: {name: n}}\n"
                   "  child: {type: fake.node, properties: {name: c, label: '${new.arn}'}}\n"
                   "moved:\n  - {from: old, to: new}\n")
    cloud.fail("update", "new", TerminalError("throttled for good"))
    with pytest.raises(ApplyError, match="new: throttled for good"):
        apply(compiled_stack(tmp_path, cloud, text))
    assert "old" in state(tmp_path) and cloud.objects["n"]["tags"]["modelinfra-address"] == "old"
    (change,) = [c for c in workflow.plan(compiled_stack(tmp_path, cloud, text)).resource_changes
                 if c.action is not Action.NOOP]
    assert (change.address, change.previous_address, change.action) == ("new", "old", Action.UPDATE)
    apply(compiled_stack(tmp_path, cloud, text))
    assert set(state(tmp_path)) == {"new", "child"} and cloud.objects["n"]["tags"]["modelinfra-address"] == "new"
    assert state(tmp_path)["child"]["dependencies"] == ["new"]
    assert not workflow.plan(compiled_stack(tmp_path, cloud, text)).has_changes


def test_a_targeted_destroy_destroys_only_its_target_while_another_resource_has_moved(tmp_path: Path):
    cloud = FakeCloud()
    apply(compiled_stack(tmp_path, cloud, HEAD + "resources:\n  old: {type: fake.node, properties: {name: n}}\n"
                         "  other: {type: fake.node, properties: {name: o}}\n"))
    text = HEAD + ("resources:\n  new: {type: fake.node, properties: {name: n}}\n"
                   "  other: {type: fake.node, properties: {name: o}}\nmoved:\n  - {from: old, to: new}\n")
    plan = workflow.plan(compiled_stack(tmp_path, cloud, text), destroy=True, targets=["other"])
    assert [(c.address, c.action) for c in plan.resource_changes] == [("other", Action.DELETE)]
    workflow.apply(compiled_stack(tmp_path, cloud, text), confirm=lambda p: True, destroy=True, targets=["other"])
    assert set(cloud.objects) == {"n"} and set(state(tmp_path)) == {"old"}
    apply(compiled_stack(tmp_path, cloud, text))
    assert cloud.objects["n"]["tags"]["modelinfra-address"] == "new" and set(state(tmp_path)) == {"new", "other"}

"""Engine promises against the fake provider: unknowns propagate, one apply converges, replaced
resources are applied before their dependents, and create_before_destroy deletes the old
resource only after everything that referenced it moved to the new one."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelinfra.engine import workflow
from modelinfra.errors import ApplyError, TerminalError
from modelinfra.plans.action import Action
from modelinfra.providers.base import strip_managed_tags
from modelinfra.values import UNKNOWN
from tests.fakes.provider import FakeCloud
from tests.fakes.stack import fake_stack


def yes(plan) -> bool:
    return True


def actions(plan) -> dict[str, Action]:
    return {c.address: c.action for c in plan.resource_changes}


def stack_of(tmp_path: Path, cloud: FakeCloud, resources: dict) -> workflow.Stack:
    return fake_stack(tmp_path, cloud, resources)


def converges(tmp_path: Path, cloud: FakeCloud, resources: dict) -> workflow.Plan:
    """Apply ``resources`` once; return that apply's plan; assert the next plan is empty."""
    stack = stack_of(tmp_path, cloud, resources)
    plan, _ = workflow.apply(stack, confirm=yes)
    after = workflow.plan(stack)
    assert not after.actionable, [(c.address, c.action, c.changes) for c in after.actionable]
    return plan


def test_a_replaced_resource_makes_its_dependents_unknown_transitively_and_one_apply_converges(tmp_path: Path):
    cloud = FakeCloud()
    base = {
        "a": {"properties": {"name": "a1"}},
        "b": {"properties": {"name": "b", "label": "${a.uid}"}},
        "c": {"properties": {"name": "c", "tags": {"from_b": "${b.label}"}}},
        "d": {"properties": {"name": "d", "label": "${c.name}"}},
    }
    converges(tmp_path, cloud, base)
    old_uid = cloud.objects["a1"]["uid"]
    changed = {**base, "a": {"properties": {"name": "a2"}}}
    plan = workflow.plan(stack_of(tmp_path, cloud, changed))
    assert actions(plan) == {"a": Action.DELETE_THEN_CREATE, "b": Action.UPDATE, "c": Action.UPDATE,
                             "d": Action.NOOP}
    b = plan.change_for("b")
    assert b.after["label"] is UNKNOWN and [c.path for c in b.changes] == ["label"]
    assert plan.change_for("c").after["tags"] == {"from_b": UNKNOWN}
    assert plan.to_json()["resource_changes"][1]["change"]["after_unknown"]["label"] is True
    converges(tmp_path, cloud, changed)
    assert cloud.objects["b"]["label"] == cloud.objects["a2"]["uid"] != old_uid
    assert strip_managed_tags(cloud.objects["c"]["tags"]) == {"from_b": cloud.objects["a2"]["uid"]}


def test_an_unknown_value_on_a_force_new_path_replaces_the_dependent(tmp_path: Path):
    cloud = FakeCloud()
    base = {"a": {"properties": {"name": "a1"}}, "b": {"properties": {"name": "b", "parent": "${a.name}"}},
            "c": {"properties": {"name": "c", "parent": "${b.uid}"}}}
    # c's parent is b's uid: a server-assigned id; replacing b forces replacing c
    cloud_b_first = converges(tmp_path, cloud, {k: v for k, v in base.items() if k != "c"})
    assert cloud_b_first.change_for("b").action is Action.CREATE
    plan = workflow.plan(stack_of(tmp_path, cloud, {**base, "b": {"properties": {"name": "b2", "parent": "${a.name}"}}}))
    assert actions(plan)["b"] is Action.DELETE_THEN_CREATE and actions(plan)["c"] is Action.CREATE


def test_a_dependent_is_updated_after_its_dependency_was_replaced(tmp_path: Path):
    cloud = FakeCloud()
    base = {"a": {"properties": {"name": "a1"}}, "b": {"properties": {"name": "b", "label": "${a.arn}"}}}
    converges(tmp_path, cloud, base)
    cloud.clear_log()
    converges(tmp_path, cloud, {**base, "a": {"properties": {"name": "a2"}}})
    writes = cloud.ops("create", "update", "delete")
    assert writes == [("delete", "a"), ("create", "a"), ("update", "b")]
    assert cloud.objects["b"]["label"] == "fake:node/a2"


def test_create_before_destroy_deletes_the_old_resource_after_every_dependent_moved(tmp_path: Path):
    cloud = FakeCloud()
    cbd = {"create_before_destroy": True}
    base = {
        "a": {"properties": {"name": "a1"}, "lifecycle": cbd},
        "tagger": {"properties": {"name": "t", "tags": {"a": "${a.arn}"}}},
        "child": {"properties": {"name": "ch", "parent": "${a.name}"}, "lifecycle": cbd},
        "grandchild": {"properties": {"name": "g", "label": "${child.uid}"}},
    }
    converges(tmp_path, cloud, base)
    cloud.clear_log()
    renamed = {**base, "a": {"properties": {"name": "a2"}, "lifecycle": cbd},
               "child": {"properties": {"name": "ch2", "parent": "${a.name}"}, "lifecycle": cbd}}
    plan = converges(tmp_path, cloud, renamed)
    assert actions(plan) == {"a": Action.CREATE_THEN_DELETE, "tagger": Action.UPDATE,
                             "child": Action.CREATE_THEN_DELETE, "grandchild": Action.UPDATE}
    writes = cloud.ops("create", "update", "delete")
    position = {call: i for i, call in enumerate(writes)}
    assert position[("create", "a")] < position[("update", "tagger")] < position[("delete", "a")]
    assert position[("create", "a")] < position[("create", "child")] < position[("delete", "a")]
    assert position[("delete", "child")] < position[("delete", "a")]
    assert position[("create", "child")] < position[("update", "grandchild")] < position[("delete", "child")]
    assert set(cloud.objects) == {"a2", "t", "ch2", "g"}


def test_create_before_destroy_keeps_the_old_resource_while_a_dependent_still_points_at_it(tmp_path: Path):
    cloud = FakeCloud()
    cbd = {"create_before_destroy": True}
    base = {"a": {"properties": {"name": "a1"}, "lifecycle": cbd},
            "tagger": {"properties": {"name": "t", "tags": {"a": "${a.arn}"}}}}
    converges(tmp_path, cloud, base)
    renamed = {**base, "a": {"properties": {"name": "a2"}, "lifecycle": cbd}}
    cloud.fail("update", "tagger", TerminalError("boom"))
    with pytest.raises(ApplyError, match="tagger: boom"):
        workflow.apply(stack_of(tmp_path, cloud, renamed), confirm=yes)
    assert ("delete", "a") not in cloud.ops() and {"a1", "a2"} <= set(cloud.objects)
    assert strip_managed_tags(cloud.objects["t"]["tags"]) == {"a": "fake:node/a1"}
    converges(tmp_path, cloud, renamed)
    assert set(cloud.objects) == {"a2", "t"} and strip_managed_tags(cloud.objects["t"]["tags"]) == {"a": "fake:node/a2"}


def test_a_dependency_of_a_create_before_destroy_replacement_inherits_it(tmp_path: Path):
    cloud = FakeCloud()
    base = {"p": {"properties": {"name": "p1"}},
            "c": {"properties": {"name": "c1", "parent": "${p.name}"}, "lifecycle": {"create_before_destroy": True}}}
    converges(tmp_path, cloud, base)
    renamed = {"p": {"properties": {"name": "p2"}},
               "c": {"properties": {"name": "c2", "parent": "${p.name}"}, "lifecycle": {"create_before_destroy": True}}}
    plan = converges(tmp_path, cloud, renamed)
    assert actions(plan) == {"p": Action.CREATE_THEN_DELETE, "c": Action.CREATE_THEN_DELETE}
    assert set(cloud.objects) == {"p2", "c2"}


def test_an_update_that_changes_a_computed_attribute_updates_its_dependents_in_the_same_apply(tmp_path: Path):
    cloud = FakeCloud()
    base = {"a": {"properties": {"name": "a", "label": "one"}},
            "b": {"properties": {"name": "b", "label": "rev-${a.rev}"}}}
    converges(tmp_path, cloud, base)
    changed = {**base, "a": {"properties": {"name": "a", "label": "two"}}}
    plan = workflow.plan(stack_of(tmp_path, cloud, changed))
    assert actions(plan) == {"a": Action.UPDATE, "b": Action.UPDATE}
    assert plan.change_for("b").after["label"] is UNKNOWN
    converges(tmp_path, cloud, changed)
    assert cloud.objects["b"]["label"] == "rev-2"

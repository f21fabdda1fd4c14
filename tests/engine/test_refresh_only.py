"""``--refresh-only`` against the fake provider: the plan is only the drift, and applying it
rewrites state to what the cloud holds (resources deleted outside leave it) without a single
create, update or delete call."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelinfra.engine import workflow
from modelinfra.errors import PlanError, StalePlanError
from modelinfra.plans.action import Action
from modelinfra.plans.planfile import read_planfile, write_planfile
from modelinfra.views.human import render_plan
from tests.fakes.provider import FakeCloud
from tests.fakes.stack import fake_stack

BASE = {
    "a": {"properties": {"name": "a", "label": "one"}},
    "b": {"properties": {"name": "b", "label": "${a.uid}"}},
}


def yes(plan) -> bool:
    return True


def applied(tmp_path: Path, cloud: FakeCloud, resources: dict = BASE, outputs: dict | None = None) -> workflow.Stack:
    stack = fake_stack(tmp_path, cloud, resources, outputs)
    workflow.apply(stack, confirm=yes)
    cloud.clear_log()
    return stack


def test_refresh_only_plan_is_the_drift_and_plans_no_action(tmp_path: Path):
    cloud = FakeCloud()
    applied(tmp_path, cloud)
    cloud.objects["a"]["label"] = "edited outside"
    del cloud.objects["b"]
    # the spec also moved on: a new resource and a changed label, neither of which refresh-only touches
    changed = {**BASE, "a": {"properties": {"name": "a", "label": "two"}}, "c": {"properties": {"name": "c"}}}
    plan = workflow.plan(fake_stack(tmp_path, cloud, changed), refresh_only=True)
    assert plan.refresh_only and plan.has_changes
    assert plan.actionable == [] and plan.counts() == (0, 0, 0)
    assert {d.address: d.status for d in plan.resource_drift} == {"a": "modified", "b": "deleted"}
    assert plan.change_for("a").before["label"] == "edited outside"
    assert plan.to_json()["refresh_only"] is True
    text = render_plan(plan).plain
    assert "a has changed outside modelinfra" in text and "b has been deleted outside modelinfra" in text
    assert "refresh-only plan" in text and "state forgets b" in text and "to add" not in text


def test_applying_it_writes_state_only_and_the_next_plan_starts_from_the_accepted_values(tmp_path: Path):
    cloud = FakeCloud()
    stack = applied(tmp_path, cloud, outputs={"a_label": {"value": "${a.label}"}})
    cloud.objects["a"]["label"] = "edited outside"
    del cloud.objects["b"]
    changed = {**BASE, "c": {"properties": {"name": "c"}}}
    stack = fake_stack(tmp_path, cloud, changed, {"a_label": {"value": "${a.label}"}})
    serial = stack.manager.read().serial
    plan, state = workflow.apply(stack, confirm=yes, refresh_only=True)
    assert cloud.ops("create", "update", "delete") == [], "refresh-only never changes the cloud"
    assert sorted(state.resources) == ["a"], "b was deleted outside (dropped); c was never created"
    assert state.resources["a"].attributes["label"] == "edited outside"
    assert state.serial == serial + 1
    assert sorted(cloud.objects) == ["a"]
    after = workflow.plan(stack)
    assert after.resource_drift == [], "the accepted change is no longer drift"
    assert {c.address: c.action for c in after.actionable} == {"a": Action.UPDATE, "b": Action.CREATE,
                                                               "c": Action.CREATE}


def test_the_spec_value_is_what_refresh_only_records_for_write_only_properties_and_status_is_kept(tmp_path: Path):
    cloud = FakeCloud()
    resources = {"a": {"properties": {"name": "a", "label": "one", "force_destroy": True}}}
    stack = applied(tmp_path, cloud, resources)
    cloud.objects["a"]["tags"] = {"owner": "finance"}
    state = stack.manager.read()
    state.resources["a"].status = "tainted"
    stack.manager.persist(state)
    _, state = workflow.apply(stack, confirm=yes, refresh_only=True)
    entry = state.resources["a"]
    assert entry.attributes["tags"] == {"owner": "finance"} and entry.attributes["force_destroy"] is True
    assert entry.status == "tainted", "accepting drift does not untaint"
    assert cloud.ops("create", "update", "delete") == []


def test_no_drift_is_no_change_and_writes_nothing(tmp_path: Path):
    cloud = FakeCloud()
    stack = applied(tmp_path, cloud)
    serial = stack.manager.read().serial
    plan, state = workflow.apply(stack, confirm=lambda p: pytest.fail("nothing to confirm"), refresh_only=True)
    assert not plan.has_changes and state.serial == serial
    assert "No changes." in render_plan(plan).plain


def test_a_saved_refresh_only_plan_round_trips_and_is_refused_once_stale(tmp_path: Path):
    cloud = FakeCloud()
    stack = applied(tmp_path, cloud)
    cloud.objects["a"]["label"] = "edited outside"
    path = tmp_path / "refresh.plan.json"
    write_planfile(workflow.plan(stack, refresh_only=True), path)
    saved = read_planfile(path)
    assert saved.refresh_only and [d.address for d in saved.resource_drift] == ["a"]
    _, state = workflow.apply(stack, confirm=yes, saved_plan=saved)
    assert state.resources["a"].attributes["label"] == "edited outside"
    assert cloud.ops("create", "update", "delete") == []
    with pytest.raises(StalePlanError):
        workflow.apply(stack, confirm=yes, saved_plan=read_planfile(path))


def test_targets_limit_what_is_accepted(tmp_path: Path):
    cloud = FakeCloud()
    resources = {"a": {"properties": {"name": "a"}}, "z": {"properties": {"name": "z"}}}
    stack = applied(tmp_path, cloud, resources)
    cloud.objects["a"]["label"] = "x"
    cloud.objects["z"]["label"] = "y"
    plan, state = workflow.apply(stack, confirm=yes, refresh_only=True, targets=["a"])
    assert [d.address for d in plan.resource_drift] == ["a"]
    assert state.resources["a"].attributes["label"] == "x" and state.resources["z"].attributes.get("label") is None


@pytest.mark.parametrize("kwargs", [{"destroy": True}, {"replace": ["a"]}, {"refresh": False}])
def test_refresh_only_does_not_combine_with_actions_or_no_refresh(tmp_path: Path, kwargs):
    cloud = FakeCloud()
    stack = applied(tmp_path, cloud)
    with pytest.raises(PlanError, match="--refresh-only"):
        workflow.plan(stack, refresh_only=True, **kwargs)


def test_the_refresh_only_plan_json_validates_against_the_plan_schema(tmp_path: Path):
    import json

    import jsonschema

    cloud = FakeCloud()
    stack = applied(tmp_path, cloud)
    cloud.objects["a"]["label"] = "edited outside"
    schema = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json").read_text())
    document = json.loads(json.dumps(workflow.plan(stack, refresh_only=True).to_json(), default=str))
    jsonschema.Draft202012Validator(schema).validate(document)
    assert document["refresh_only"] is True


def test_every_plan_format_renders_a_refresh_only_plan(tmp_path: Path):
    from modelinfra.views import plan_formats

    cloud = FakeCloud()
    stack = applied(tmp_path, cloud)
    cloud.objects["a"]["label"] = "edited outside"
    plan = workflow.plan(stack, refresh_only=True)
    markdown = plan_formats.render(plan, "markdown")
    assert "Refresh-only plan: 1 change(s) made outside modelinfra" in markdown and "to add" not in markdown
    tf = plan_formats.render(plan, "terraform-json")
    assert '"create"' not in tf and '"update"' not in tf

"""Planner decisions, in-process with the real S3 handler against moto."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from modelinfra.engine import workflow
from modelinfra.engine.planner import make_plan
from modelinfra.errors import PlanError, PreventDestroyError
from modelinfra.plans.action import Action
from modelinfra.state import LocalBackend, ResourceState, State, StateManager

SPEC = """\
version: 1
name: planner
providers:
  aws: {{region: us-east-1}}
resources:
  bucket:
    type: aws.s3_bucket
    properties: {{name: {name}, versioning: true}}
    lifecycle: {lifecycle}
"""


@pytest.fixture
def stack(tmp_path: Path, aws_env, unique_name):
    def make(lifecycle: str = "{}"):
        (tmp_path / "s.yaml").write_text(SPEC.format(name=f"planner-{unique_name}", lifecycle=lifecycle))
        return workflow.open_stack(tmp_path / "s.yaml")
    return make


def state_with(entry: ResourceState) -> State:
    state = State.new("planner")
    state.serial = 1
    state.resources["bucket"] = entry
    return state


def actions(plan) -> dict[str, Action]:
    return {c.address: c.action for c in plan.resource_changes}


def test_pending_create_found_in_the_cloud_is_adopted_not_created_again(stack, unique_name):
    name = f"planner-{unique_name}"
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s = stack()
    plan, _ = make_plan(s.run, state_with(ResourceState("aws.s3_bucket", name, {}, [], "create_pending")))
    change = plan.change_for("bucket")
    assert change.action is not Action.CREATE and "interrupted" in (change.reason or "")


def test_pending_create_not_in_the_cloud_is_created(stack, unique_name):
    s = stack()
    plan, _ = make_plan(s.run, state_with(ResourceState("aws.s3_bucket", f"planner-{unique_name}", {}, [],
                                                        "create_pending")))
    assert actions(plan) == {"bucket": Action.CREATE}


def test_tainted_resource_is_replaced(stack, unique_name):
    name = f"planner-{unique_name}"
    boto3.client("s3").create_bucket(Bucket=name)
    s = stack()
    plan, _ = make_plan(s.run, state_with(ResourceState("aws.s3_bucket", name, {}, [], "tainted")))
    assert actions(plan) == {"bucket": Action.DELETE_THEN_CREATE}
    assert plan.change_for("bucket").reason == "tainted by a failed apply"


def test_resource_deleted_outside_is_recreated_and_reported_as_drift(stack, unique_name):
    s = stack()
    plan, _ = make_plan(s.run, state_with(ResourceState("aws.s3_bucket", f"planner-{unique_name}",
                                                        {"name": f"planner-{unique_name}"}, [], "ready")))
    assert actions(plan) == {"bucket": Action.CREATE}
    assert [(d.address, d.status) for d in plan.resource_drift] == [("bucket", "deleted")]


def test_resource_removed_from_the_spec_is_deleted(stack, unique_name, tmp_path: Path):
    name = f"planner-{unique_name}"
    boto3.client("s3").create_bucket(Bucket=name)
    s = stack()
    state = state_with(ResourceState("aws.s3_bucket", name, {}, [], "ready"))
    state.resources["old"] = ResourceState("aws.s3_bucket", name, {}, [], "ready")
    plan, _ = make_plan(s.run, state)
    assert plan.change_for("old").action is Action.DELETE
    assert plan.change_for("old").reason == "no longer in the spec"


def test_prevent_destroy_blocks_a_destroy_plan(stack, unique_name):
    name = f"planner-{unique_name}"
    boto3.client("s3").create_bucket(Bucket=name)
    s = stack("{prevent_destroy: true}")
    with pytest.raises(PreventDestroyError, match="bucket"):
        make_plan(s.run, state_with(ResourceState("aws.s3_bucket", name, {}, [], "ready")), destroy=True)


def test_create_before_destroy_needs_a_new_name(stack, unique_name):
    name = f"planner-{unique_name}"
    boto3.client("s3").create_bucket(Bucket=name)
    s = stack("{create_before_destroy: true}")
    with pytest.raises(PlanError, match="different name"):
        make_plan(s.run, state_with(ResourceState("aws.s3_bucket", name, {}, [], "tainted")))


def test_every_apply_action_is_persisted_before_the_next_starts(stack, tmp_path: Path):
    from modelinfra.reporting import Reporter

    seen: list[tuple[str, str]] = []

    class Watcher(Reporter):
        def action_done(self, address: str, action: str, error: str | None = None) -> None:
            state = StateManager(LocalBackend(tmp_path / ".modelinfra" / "planner.state.json")).snapshot()
            entry = state.resources.get(address) if state else None  # the file with its journal replayed
            seen.append((action, entry.status if entry else "gone"))

    stack()  # writes the spec
    s = workflow.open_stack(tmp_path / "s.yaml", reporter=Watcher())
    workflow.apply(s, confirm=lambda plan: True)
    workflow.apply(s, confirm=lambda plan: True, destroy=True)
    assert seen == [("create", "ready"), ("delete", "gone")]

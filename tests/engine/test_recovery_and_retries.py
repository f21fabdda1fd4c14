"""Against the fake provider: an interrupted create is adopted exactly as if it had finished,
the engine retries ``RetryableError`` for every handler call, and the fake types exist only in
the run that was given them."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelinfra.engine import workflow
from modelinfra.engine.executor import Executor
from modelinfra.engine.planner import make_plan
from modelinfra.errors import ApplyError, RetryableError
from modelinfra.plans.action import Action
from modelinfra.providers.registry import HANDLERS
from modelinfra.reporting import Reporter
from modelinfra.settings import Settings
from modelinfra.state import LocalBackend, State, StateManager
from tests.fakes.fuzz import DeadAfterCrash
from tests.fakes.provider import Crash, FakeCloud
from tests.fakes.stack import fake_stack


def yes(plan) -> bool:
    return True


class Warnings(Reporter):
    def __init__(self) -> None:
        self.lines: list[str] = []

    def warning(self, message: str) -> None:
        self.lines.append(message)


def crash_apply(stack: workflow.Stack) -> None:
    """Apply until the fake cloud 'kills' the process; what was persisted before stays on disk."""
    state = stack.manager.read() or State.new(stack.spec.name)
    plan, _ = make_plan(stack.run, state)
    with pytest.raises((ApplyError, Crash)):
        Executor(stack.run, plan, DeadAfterCrash(stack.manager, stack.run.session("fake")), state).apply()


PARENT = {"name": "bkt", "force_destroy": True}
SPEC = {"parent": {"properties": PARENT}, "child": {"properties": {"name": "obj", "parent": "${parent.name}"}}}


def test_a_create_interrupted_after_the_cloud_call_is_adopted_with_its_write_only_values(tmp_path: Path):
    cloud = FakeCloud()
    cloud.fail("create", "parent", Crash("kill -9"), after=True)
    crash_apply(fake_stack(tmp_path, cloud, SPEC))
    on_disk = StateManager(LocalBackend(tmp_path / "fake.state.json")).read()
    assert on_disk.resources["parent"].status == "create_pending" and "bkt" in cloud.objects
    cloud.dead = False
    stack = fake_stack(tmp_path, cloud, SPEC)
    plan, state = workflow.apply(stack, confirm=yes)
    assert plan.change_for("parent").action is Action.NOOP and plan.change_for("parent").reason
    assert state.resources["parent"].status == "ready"
    assert state.resources["parent"].attributes["force_destroy"] is True
    assert cloud.ops("create").count(("create", "parent")) == 1  # adopted, not created again
    assert not workflow.plan(stack).actionable
    workflow.apply(stack, confirm=yes, destroy=True)  # the parent is not empty: needs force_destroy
    assert cloud.objects == {}


def test_an_adopted_create_shows_a_write_only_value_the_spec_changed_since_the_crash(tmp_path: Path):
    cloud = FakeCloud()
    cloud.fail("create", "parent", Crash("kill -9"), after=True)
    crash_apply(fake_stack(tmp_path, cloud, SPEC))
    cloud.dead = False
    changed = {**SPEC, "parent": {"properties": {**PARENT, "force_destroy": False}}}
    plan = workflow.plan(fake_stack(tmp_path, cloud, changed))
    parent = plan.change_for("parent")
    assert parent.action is Action.UPDATE
    assert [(c.path, c.before, c.after) for c in parent.changes] == [("force_destroy", True, False)]


def test_a_pending_entry_without_recorded_write_only_values_plans_them(tmp_path: Path):
    cloud = FakeCloud()
    cloud.fail("create", "parent", Crash("kill -9"), after=True)
    crash_apply(fake_stack(tmp_path, cloud, SPEC))
    manager = StateManager(LocalBackend(tmp_path / "fake.state.json"))
    old = manager.read()
    old.resources["parent"].attributes.clear()  # as an older modelinfra wrote it
    manager.persist(old, force=True)
    cloud.dead = False
    stack = fake_stack(tmp_path, cloud, SPEC)
    plan, state = workflow.apply(stack, confirm=yes)
    assert [(c.path, c.after) for c in plan.change_for("parent").changes] == [("force_destroy", True)]
    assert state.resources["parent"].attributes["force_destroy"] is True


@pytest.mark.parametrize("op", ["read", "create", "update", "delete"])
def test_every_handler_call_is_retried_on_a_retryable_error_and_the_retry_is_reported(tmp_path: Path, op: str):
    cloud = FakeCloud()
    reporter = Warnings()
    stack = fake_stack(tmp_path, cloud, {"n": {"properties": {"name": "n", "label": "one"}}}, reporter=reporter)
    if op != "create":
        workflow.apply(stack, confirm=yes)
    cloud.fail(op, "n", RetryableError("SlowDown", retry_after=2.5), times=2)
    if op == "update":
        stack = fake_stack(tmp_path, cloud, {"n": {"properties": {"name": "n", "label": "two"}}}, reporter=reporter)
    workflow.apply(stack, confirm=yes, destroy=op == "delete")
    assert cloud.ops(op).count((op, "n")) >= 3
    assert reporter.lines[:2] == ["n: retrying after 2.5 s (attempt 2 of 6): SlowDown",
                                  "n: retrying after 2.5 s (attempt 3 of 6): SlowDown"]


def test_retries_are_bounded_by_the_setting(tmp_path: Path):
    cloud = FakeCloud()
    stack = fake_stack(tmp_path, cloud, {"n": {"properties": {"name": "n"}}},
                       settings=Settings(engine_retries=2, engine_retry_base=0.0))
    cloud.fail("create", "n", RetryableError("throttled"), times=3)
    with pytest.raises(ApplyError, match="n: throttled"):
        workflow.apply(stack, confirm=yes)
    assert cloud.ops("create") == [("create", "n")] * 3


def test_eventual_consistency_is_ridden_out_by_engine_retries(tmp_path: Path):
    cloud = FakeCloud(lag=2)
    spec = {"p": {"properties": {"name": "p"}}, "c": {"properties": {"name": "c", "parent": "${p.name}"}}}
    stack = fake_stack(tmp_path, cloud, spec)
    workflow.apply(stack, confirm=yes)
    assert set(cloud.objects) == {"p", "c"}
    assert not workflow.plan(stack).actionable


def test_the_fake_types_exist_only_in_the_run_given_them(tmp_path: Path):
    assert not any(t.startswith("fake.") for t in HANDLERS)
    stack = fake_stack(tmp_path, FakeCloud(), {"n": {"properties": {"name": "n"}}})
    assert stack.run.handler("fake.node").cloud == "fake"
    with pytest.raises(KeyError):
        stack.run.handler("aws.s3_bucket")

"""Apply cost does not grow with the stack: applying one change evaluates only that resource
(and what it references), however many resources the stack has."""

from __future__ import annotations

from pathlib import Path

from modelinfra.engine import workflow
from modelinfra.engine.executor import Executor
from modelinfra.engine.planner import make_plan
from tests.fakes.provider import FakeCloud
from tests.fakes.stack import fake_stack


def chain(size: int, label: str) -> dict:
    resources = {"r0": {"properties": {"name": "r0", "label": label}}}
    for i in range(1, size):
        resources[f"r{i}"] = {"properties": {"name": f"r{i}", "tags": {"prev": f"${{r{i - 1}.uid}}"}}}
    return resources


def test_one_update_in_a_large_stack_evaluates_one_resource(tmp_path: Path):
    cloud = FakeCloud()
    workflow.apply(fake_stack(tmp_path, cloud, chain(50, "one")), confirm=lambda p: True)
    stack = fake_stack(tmp_path, cloud, chain(50, "two"))
    state = stack.manager.read()
    plan, _ = make_plan(stack.run, state)
    assert [c.address for c in plan.actionable] == ["r0"]
    executor = Executor(stack.run, plan, stack.manager, state)
    executor.apply()
    assert set(executor._evaluator._cache) == {"r0"}  # not the 49 others
    assert cloud.objects["r0"]["label"] == "two"

"""Refresh through ``read_many`` (index, then read) on the fake provider: the observed attributes
are exactly those of one ``read`` per resource, whatever the listing settles itself, leaves to a
follow-up, leaves out, or fails on; lone resources are read alone; a plan stays a no-op."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from modelinfra.engine import workflow
from modelinfra.engine.context import RunContext
from modelinfra.engine.refresh import refresh
from modelinfra.errors import TerminalError
from modelinfra.plans.action import Action
from modelinfra.providers.base import FollowUp, ResourceContext
from modelinfra.settings import Settings
from tests.fakes.provider import FakeCloud, FakeNodeHandler
from tests.fakes.stack import fake_stack


class ListingNodeHandler(FakeNodeHandler):
    """``fake.node`` with a listing per parent: it settles nodes whose ``rev`` state recorded is
    current, hands a follow-up for moved ones, leaves out nodes named ``skip*``, and fails the
    whole listing of a parent named ``broken``."""

    def __init__(self) -> None:
        self.listings: list[list[str]] = []
        self._lock = threading.Lock()

    def batch_group(self, cloud_id: str) -> str | None:
        return "root" if cloud_id.startswith("n") else None

    def read_many(self, ctx: ResourceContext, recorded: Mapping[str, tuple[str, dict[str, Any]]]
                  ) -> dict[str, dict[str, Any] | None | FollowUp]:
        cloud: FakeCloud = ctx.session
        with self._lock:
            self.listings.append(sorted(recorded))
        cloud.enter("list", "", "root")
        if cloud.objects.get("nbroken") is not None:
            raise TerminalError("listing refused")
        out: dict[str, dict[str, Any] | None | FollowUp] = {}
        for address, (cloud_id, attributes) in recorded.items():
            found = cloud.objects.get(cloud_id)
            if cloud_id.startswith("nskip"):
                continue
            if found is None:
                out[address] = None
            elif found.get("rev") == attributes.get("rev"):
                out[address] = self._answer(found)  # managed tags stripped, as read answers
            else:
                out[address] = lambda own, cloud_id=cloud_id: self.read(own, cloud_id)
        return out


NODES = {f"r{i}": {"properties": {"name": f"n{i}", "label": "a"}} for i in range(6)}
NODES |= {"skipper": {"properties": {"name": "nskip1"}}, "alone": {"properties": {"name": "solo"}}}


def _applied(tmp_path: Path, cloud: FakeCloud, nodes: dict[str, Any] = NODES) -> workflow.Stack:
    stack = fake_stack(tmp_path, cloud, nodes)
    workflow.apply(stack, confirm=lambda plan: True)
    return stack


def _batching(stack: workflow.Stack, cloud: FakeCloud, parallelism: int = 4) -> tuple[RunContext, ListingNodeHandler]:
    handler = ListingNodeHandler()
    run = RunContext(stack.spec, Settings(parallelism=parallelism, engine_retries=0), handlers={"fake.node": handler},
                     sessions={"fake": cloud}, sleep=lambda s: None)
    return run, handler


@pytest.mark.parametrize("parallelism", [1, 4])
def test_batch_refresh_observes_what_one_read_each_observes(tmp_path: Path, parallelism: int) -> None:
    cloud = FakeCloud()
    stack = _applied(tmp_path, cloud)
    cloud.objects["n1"] = {**cloud.objects["n1"], "label": "changed outside", "rev": 99}
    del cloud.objects["n2"]
    state = stack.snapshot()
    expected = refresh(stack.run, state)
    cloud.clear_log()
    run, handler = _batching(stack, cloud, parallelism)
    assert refresh(run, state) == expected
    assert expected["r1"]["label"] == "changed outside" and expected["r2"] is None
    assert handler.listings == [["r0", "r1", "r2", "r3", "r4", "r5", "skipper"]]
    reads = sorted(address for op, address in cloud.ops("read"))
    assert reads == ["alone", "r1", "skipper"]  # lone resource, moved one (follow-up), one left out


def test_a_failed_listing_falls_back_to_one_read_each(tmp_path: Path) -> None:
    cloud = FakeCloud()
    stack = _applied(tmp_path, cloud, {**NODES, "broken": {"properties": {"name": "nbroken"}}})
    state = stack.snapshot()
    expected = refresh(stack.run, state)
    cloud.clear_log()
    run, _ = _batching(stack, cloud)
    assert refresh(run, state) == expected
    assert len(cloud.ops("read")) == len(state.resources)


def test_a_failed_read_after_a_listing_still_fails_the_refresh(tmp_path: Path) -> None:
    cloud = FakeCloud()
    stack = _applied(tmp_path, cloud)
    cloud.objects["n1"] = {**cloud.objects["n1"], "rev": 99}
    cloud.fail("read", "r1", TerminalError("read refused"))
    run, _ = _batching(stack, cloud)
    with pytest.raises(TerminalError, match="read refused"):
        refresh(run, stack.snapshot())


def test_a_batched_no_op_plan_stays_a_no_op(tmp_path: Path) -> None:
    cloud = FakeCloud()
    stack = _applied(tmp_path, cloud)
    run, handler = _batching(stack, cloud)
    plan = workflow.plan(workflow.Stack(stack.spec, stack.manager, run))
    assert {c.action for c in plan.resource_changes} == {Action.NOOP}
    assert len(handler.listings) == 1

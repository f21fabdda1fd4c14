"""Refresh: read every resource the state knows, concurrently, bounded by ``parallelism``.

Returns ``observed[address]`` = attributes, or None when the resource is gone. Any read error
(unreachable cloud, expired credential, throttling beyond the retry budget) fails the whole
refresh: a resource is never reported deleted because its read failed.

Index, then read: resources whose handler names a ``batch_group`` (an S3 bucket, an Azure
resource group...) and that share one with at least ``MIN_BATCH - 1`` others of their type are
read together with one ``read_many`` (a listing); what the listing cannot settle comes back as a
follow-up call (run like a read) or is read alone with ``read``. A listing that fails is not an
error by itself: its members are then read one by one, and their reads decide. Answers are the
same as one ``read`` per resource; only the number of requests differs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from queue import SimpleQueue
from typing import Any

from modelinfra.engine.context import RunContext
from modelinfra.errors import ModelinfraError, ProviderError
from modelinfra.providers.base import FollowUp
from modelinfra.state.model import State

MIN_BATCH = 2
"""The smallest group worth a listing: a lone resource costs one read either way."""

Observed = dict[str, Any] | None
Task = Callable[[], list[tuple[str, Any]]]


def refresh(run: RunContext, state: State, addresses: list[str] | None = None) -> dict[str, Observed]:
    wanted = sorted(a for a in (addresses if addresses is not None else state.resources) if a in state.resources)
    if not wanted:
        return {}
    singles, groups = _partition(run, state, wanted)
    # listings first: their follow-ups queue behind whatever is submitted before them
    tasks: list[Task] = [_batch(run, state, type_name, members) for (type_name, _), members in sorted(groups.items())]
    tasks += [_single(run, state, a) for a in singles]
    return _run_all(run, tasks, threads=run.settings.parallelism > 1 and (len(tasks) > 1 or bool(groups)))


def _partition(run: RunContext, state: State, wanted: list[str]) -> tuple[list[str], dict[tuple[str, str], list[str]]]:
    groups: dict[tuple[str, str], list[str]] = {}
    singles: list[str] = []
    for address in wanted:
        entry = state.resources[address]
        group = run.handler(entry.type).batch_group(entry.id)
        if group is None:
            singles.append(address)
        else:
            groups.setdefault((entry.type, group), []).append(address)
    for key in [k for k, members in groups.items() if len(members) < MIN_BATCH]:
        singles += groups.pop(key)
    return sorted(singles), groups


def _read_one(run: RunContext, address: str, type_name: str, cloud_id: str,
              follow_up: FollowUp | None = None) -> Observed:
    """One resource's read (or the follow-up a listing left), retried; SDK errors get context."""
    ctx = run.resource_context(address, type_name)
    handler = run.handler(type_name)
    try:
        return run.call(address, lambda: follow_up(ctx) if follow_up else handler.read(ctx, cloud_id))
    except ModelinfraError:
        raise
    except Exception as exc:  # an SDK error the handler did not map: still an error, with context
        raise ProviderError(f"{address}: reading {cloud_id} failed: {exc}") from exc


def _single(run: RunContext, state: State, address: str) -> Task:
    def task() -> list[tuple[str, Any]]:
        entry = state.resources[address]
        run.reporter.refresh_started(address)
        observed = _read_one(run, address, entry.type, entry.id)
        run.reporter.refresh_done(address)
        return [(address, observed)]
    return task


def _batch(run: RunContext, state: State, type_name: str, members: list[str]) -> Task:
    """The listing of one group; answers, follow-ups (returned as further tasks) and reads alone."""
    def task() -> list[tuple[str, Any]]:
        handler = run.handler(type_name)
        recorded = {a: (state.resources[a].id, state.resources[a].attributes) for a in members}
        for address in members:
            run.reporter.refresh_started(address)
        ctx = run.resource_context("", type_name)
        try:
            answers = run.call(f"{type_name} ({len(members)} resources)", lambda: handler.read_many(ctx, recorded))
        except Exception:  # noqa: BLE001 - a listing failed (e.g. no list permission): read each alone
            answers = {}
        out: list[tuple[str, Any]] = []
        for address in members:
            cloud_id = recorded[address][0]
            if address not in answers:
                out.append((address, _follow_up(run, address, type_name, cloud_id, None)))
            elif callable(answers[address]):
                out.append((address, _follow_up(run, address, type_name, cloud_id, answers[address])))
            else:
                run.reporter.refresh_done(address)
                out.append((address, answers[address]))
        return out
    return task


def _follow_up(run: RunContext, address: str, type_name: str, cloud_id: str,
               fn: FollowUp | None) -> Task:
    def task() -> list[tuple[str, Any]]:
        observed = _read_one(run, address, type_name, cloud_id, fn)
        run.reporter.refresh_done(address)
        return [(address, observed)]
    return task


def _run_all(run: RunContext, tasks: list[Task], *, threads: bool) -> dict[str, Observed]:
    """Run ``tasks`` (and the follow-up tasks they return) on at most ``parallelism`` threads, or
    in this thread (``threads=False``: one reader, or ``parallelism`` 1). A task returns (address,
    attributes | None | another task) pairs. Each finished task costs O(1) here, however many are
    outstanding: futures report to a completion queue (``concurrent.futures.wait`` over every
    outstanding future would cost O(outstanding) per wake-up, and a group's follow-ups are all
    outstanding at once)."""
    results: dict[str, Observed] = {}

    def settle(pairs: list[tuple[str, Any]], pending: Callable[[Task], Any]) -> None:
        for address, value in pairs:
            if callable(value):
                pending(value)
            else:
                results[address] = value

    if not threads:
        queue = deque(tasks)
        while queue:
            settle(queue.popleft()(), queue.append)
        return dict(sorted(results.items()))
    finished: SimpleQueue[Future[list[tuple[str, Any]]]] = SimpleQueue()
    with ThreadPoolExecutor(max_workers=run.settings.parallelism, thread_name_prefix="refresh") as pool:
        outstanding: set[Future[list[tuple[str, Any]]]] = set()

        def submit(task: Task) -> None:
            future = pool.submit(task)
            outstanding.add(future)
            future.add_done_callback(finished.put)

        try:
            for task in tasks:
                submit(task)
            while outstanding:
                future = finished.get()
                outstanding.discard(future)
                settle(future.result(), submit)
        except BaseException:
            for future in outstanding:
                future.cancel()
            raise
    return dict(sorted(results.items()))

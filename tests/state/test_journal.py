"""The state journal: a record is one durable append beside the state (whatever the state's size),
every reader replays it, a full write compacts it, a torn tail is ignored, a journal of another
base is refused, and a crash between an append and the compaction loses nothing acknowledged."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modelinfra.engine import workflow
from modelinfra.engine.executor import Executor
from modelinfra.engine.planner import make_plan
from modelinfra.errors import ApplyError, StateError
from modelinfra.state import LocalBackend, ResourceState, State, StateManager
from modelinfra.state.backends.base import StateJournal
from tests.engine.test_fuzz_lifecycle import _fast_dir
from tests.fakes.fuzz import DeadAfterCrash, InvariantError, Scenario, run_scenario
from tests.fakes.provider import Crash, FakeCloud
from tests.fakes.stack import fake_stack


def entry(name: str, status: str = "ready", **attributes: object) -> ResourceState:
    return ResourceState("fake.node", f"id-{name}", {"name": name, **attributes}, [], status)  # type: ignore[arg-type]


def stored(tmp_path: Path, size: int = 3) -> tuple[Path, State]:
    """A state of ``size`` resources written in full, as an apply starts from."""
    path = tmp_path / "s.state.json"
    state = State.new("s")
    for i in range(size):
        state.resources[f"r{i}"] = entry(f"r{i}")
    StateManager(LocalBackend(path)).persist(state)
    return path, state


def persisted(open_backend: Callable[[], Any], size: int = 3) -> State:
    """A state of ``size`` resources written in full through a new handle of ``open_backend``."""
    state = State.new("s")
    for i in range(size):
        state.resources[f"r{i}"] = entry(f"r{i}")
    return StateManager(open_backend()).persist(state)


def record_thirteen_and_check_every_reader(open_backend: Callable[[], Any]) -> tuple[StateManager, State]:
    """Over a stored state, a run records 12 creates, then a removal and a re-set in one record;
    two other handles (a snapshot, a read) see all of it in order. Returns the run's manager and state."""
    persisted(open_backend)
    writer = StateManager(open_backend())
    state = writer.read()
    assert state is not None
    for i in range(12):  # more than one S3 object per name length
        state.resources[f"n{i}"] = entry(f"n{i}", step=i)
        writer.record(state, [f"n{i}"])
    del state.resources["r0"]
    state.resources["n3"] = entry("n3", step="last")
    writer.record(state, ["r0", "n3"])
    for seen in (StateManager(open_backend()).snapshot(), StateManager(open_backend()).read()):
        assert seen is not None and seen.serial == 14
        assert "r0" not in seen.resources and seen.resources["n3"].attributes["step"] == "last"
        assert seen.resources["n11"].attributes["step"] == 11
    return writer, state


def compaction_refused_after_an_unseen_record(open_backend: Callable[[], Any],
                                               versions: Callable[[], int]) -> tuple[StateManager, State]:
    """Two runs read one state; one records an action (acknowledged), then the other's full write
    is refused and writes nothing (``versions()``: the state's stored versions, still 1); every
    reader sees the record. Returns the appender's manager and state."""
    persisted(open_backend)
    compactor, appender = StateManager(open_backend()), StateManager(open_backend())
    full, small = compactor.read(), appender.read()
    assert full is not None and small is not None
    small.resources["a"] = entry("a", "create_pending")
    appender.record(small, ["a"])  # acknowledged: the compactor has not seen it
    full.outputs["o"] = {"value": 1, "sensitive": False}
    with pytest.raises(StateError, match="state changed by another run"):
        compactor.persist(full)
    assert versions() == 1  # nothing written
    seen = StateManager(open_backend()).snapshot()
    assert seen is not None and seen.resources["a"].status == "create_pending" and "o" not in seen.outputs
    return appender, small


def journal_lines(path: Path) -> list[dict]:
    journal = path.with_name(path.name + ".journal")
    return [json.loads(line) for line in journal.read_text().splitlines()] if journal.exists() else []


def test_a_record_is_one_append_and_the_state_file_is_not_rewritten(tmp_path: Path):
    path, _ = stored(tmp_path, size=500)
    manager = StateManager(LocalBackend(path))
    state = manager.read()
    before = os.stat(path)
    state.resources["new"] = entry("new", "create_pending")
    manager.record(state, ["new"])
    journal = path.with_name(path.name + ".journal")
    first = journal.stat().st_size
    state.resources["new"] = entry("new", uid="u-1")
    assert manager.record(state, ["new"]).serial == 3
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # not rewritten
    assert journal.stat().st_size - first < 300  # the size of one entry, not of 500
    header, *records = journal_lines(path)
    assert header == {"journal": 1, "lineage": state.lineage, "stack": "s", "serial": 1}
    assert [(r["serial"], r["set"]["new"]["status"]) for r in records] == [(2, "create_pending"), (3, "ready")]
    assert oct(journal.stat().st_mode & 0o777) == "0o600"


def test_every_reader_sees_the_journalled_results(tmp_path: Path):
    path, _ = stored(tmp_path)
    writer = StateManager(LocalBackend(path))
    state = writer.read()
    state.resources["new"] = entry("new", uid="u-1")
    del state.resources["r0"]
    writer.record(state, ["new", "r0"])  # one atomic record: a set and a removal
    for seen in (StateManager(LocalBackend(path)).snapshot(), StateManager(LocalBackend(path)).read()):
        assert seen is not None and seen.serial == 2
        assert sorted(seen.resources) == ["new", "r1", "r2"]
        assert seen.resources["new"].attributes == {"name": "new", "uid": "u-1"}


def test_an_unchanged_entry_is_not_recorded(tmp_path: Path):
    path, _ = stored(tmp_path)
    manager = StateManager(LocalBackend(path))
    state = manager.read()
    assert manager.record(state, ["r1", "absent"]).serial == 1
    assert journal_lines(path) == []


def test_persist_compacts_the_journal_into_the_state(tmp_path: Path):
    path, _ = stored(tmp_path)
    manager = StateManager(LocalBackend(path))
    state = manager.read()
    for i in range(3):
        state.resources[f"n{i}"] = entry(f"n{i}")
        manager.record(state, [f"n{i}"])
    manager.persist(state, force=True)  # what the end of an apply does
    assert journal_lines(path) == []
    document = json.loads(path.read_text())
    assert document["serial"] == 5 and sorted(document["resources"]) == ["n0", "n1", "n2", "r0", "r1", "r2"]


def test_an_unchanged_persist_still_compacts_and_keeps_the_serial(tmp_path: Path):
    path, _ = stored(tmp_path)
    manager = StateManager(LocalBackend(path))
    state = manager.read()
    state.resources["n"] = entry("n")
    manager.record(state, ["n"])
    assert manager.persist(state).serial == 2
    assert journal_lines(path) == [] and json.loads(path.read_text())["serial"] == 2


def record_each(manager: StateManager, path: Path, count: int) -> list[int]:
    """Record ``count`` new resources ``n0``, ``n1``... one action each; the journal's line count
    after each."""
    state = manager.read()
    counts = []
    for i in range(count):
        state.resources[f"n{i}"] = entry(f"n{i}")
        manager.record(state, [f"n{i}"])
        counts.append(len(journal_lines(path)))
    return counts


def test_a_long_run_compacts_once_enough_records_and_time_passed(tmp_path: Path):
    path, _ = stored(tmp_path, size=0)
    manager = StateManager(LocalBackend(path), compact_interval=0.0, compact_records=3)
    counts = record_each(manager, path, 4)
    assert counts == [2, 3, 0, 2]  # header + records; the third compacted (3 records >= 3 resources); anew
    assert json.loads(path.read_text())["serial"] == 4
    assert StateManager(LocalBackend(path)).snapshot().serial == 5


def test_a_backend_journal_capacity_compacts_at_once_whatever_the_interval_and_size(tmp_path: Path):
    """An append blob holds at most 50,000 blocks: a backend declaring ``journal_capacity`` gets a
    compaction as soon as its journal is full, before the interval and the stack's size allow one."""

    class Small(LocalBackend):
        journal_capacity = 2

    path, _ = stored(tmp_path, size=10)
    manager = StateManager(Small(path), compact_interval=3600.0, compact_records=256)
    counts = record_each(manager, path, 5)
    assert counts == [2, 0, 2, 0, 2]  # never more than 2 records: compacted at the second
    assert StateManager(LocalBackend(path)).snapshot().resources.keys() >= {f"n{i}" for i in range(5)}


def test_compaction_waits_for_the_interval(tmp_path: Path):
    path, _ = stored(tmp_path, size=2)
    manager = StateManager(LocalBackend(path), compact_interval=3600.0, compact_records=1)
    state = manager.read()
    for i in range(5):
        state.resources[f"n{i}"] = entry(f"n{i}")
        manager.record(state, [f"n{i}"])
    assert len(journal_lines(path)) == 6 and json.loads(path.read_text())["serial"] == 1


@pytest.mark.parametrize("tail", [b'{"serial": 3, "set": {"torn', b"\x00\x00\x00\x00\n"],
                         ids=["no newline", "garbage line"])
def test_a_torn_last_line_is_ignored_and_the_next_writer_compacts_it_away(tmp_path: Path, tail: bytes):
    path, _ = stored(tmp_path)
    manager = StateManager(LocalBackend(path))
    state = manager.read()
    state.resources["kept"] = entry("kept")
    manager.record(state, ["kept"])
    with open(path.with_name(path.name + ".journal"), "ab") as journal:  # a crash mid-append
        journal.write(tail)
    reader = StateManager(LocalBackend(path))
    seen = reader.read()
    assert seen.serial == 2 and "kept" in seen.resources
    seen.resources["next"] = entry("next")
    reader.record(seen, ["next"])  # the first write after a read that found a journal is a full one
    assert journal_lines(path) == []
    assert sorted(json.loads(path.read_text())["resources"]) == ["kept", "next", "r0", "r1", "r2"]


def test_a_corrupt_line_before_the_last_is_refused(tmp_path: Path):
    path, _ = stored(tmp_path)
    manager = StateManager(LocalBackend(path))
    state = manager.read()
    for name in ("a", "b"):
        state.resources[name] = entry(name)
        manager.record(state, [name])
    journal = path.with_name(path.name + ".journal")
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(lines[0] + b"not json\n" + lines[2])
    with pytest.raises(StateError, match=r"s.state.json.journal is corrupt at line 2"):
        StateManager(LocalBackend(path)).snapshot()


def test_a_journal_already_compacted_is_ignored(tmp_path: Path):
    """A crash between the full write and the journal's removal leaves a journal of an older serial."""
    path, _ = stored(tmp_path)
    manager = StateManager(LocalBackend(path))
    state = manager.read()
    state.resources["a"] = entry("a")
    manager.record(state, ["a"])
    journal = path.with_name(path.name + ".journal")
    leftover = journal.read_bytes()
    state.resources["a"] = entry("a", uid="compacted")
    manager.persist(state)
    journal.write_bytes(leftover)
    seen = StateManager(LocalBackend(path)).read()
    assert seen.serial == 3 and seen.resources["a"].attributes["uid"] == "compacted"


def test_a_journal_of_another_state_is_refused_clearly(tmp_path: Path):
    path, _ = stored(tmp_path)
    manager = StateManager(LocalBackend(path))
    state = manager.read()
    state.resources["a"] = entry("a")
    manager.record(state, ["a"])
    StateManager(LocalBackend(tmp_path / "other.state.json")).persist(State.new("s"))
    os.replace(tmp_path / "other.state.json", path)  # the state file replaced under its journal
    for read in (lambda m: m.read(), lambda m: m.snapshot()):
        with pytest.raises(StateError, match=r"belongs to another state .*lineage .*was the state file replaced"):
            read(StateManager(LocalBackend(path)))


def test_a_journal_without_its_state_file_is_refused(tmp_path: Path):
    path, _ = stored(tmp_path)
    manager = StateManager(LocalBackend(path))
    state = manager.read()
    state.resources["a"] = entry("a")
    manager.record(state, ["a"])
    path.unlink()
    with pytest.raises(StateError, match=r"holds 1 action\(s\) of stack 's' but .*s.state.json does not exist"):
        StateManager(LocalBackend(path)).snapshot()


def test_an_append_is_compare_and_swap(tmp_path: Path):
    path, _ = stored(tmp_path)
    first, second = StateManager(LocalBackend(path)), StateManager(LocalBackend(path))
    mine, theirs = first.read(), second.read()
    mine.resources["a"] = entry("a")
    first.record(mine, ["a"])
    theirs.resources["b"] = entry("b")
    with pytest.raises(StateError, match="state changed by another run"):
        second.record(theirs, ["b"])
    with pytest.raises(StateError, match="state changed by another run"):
        second.persist(theirs)
    assert sorted(StateManager(LocalBackend(path)).snapshot().resources) == ["a", "r0", "r1", "r2"]


class FullWritesOnly:
    """A backend without the journal capability (as Azure blob today): read, write and lock only."""

    def __init__(self, path: Path):
        self._inner = LocalBackend(path)

    def read(self) -> State | None:
        return self._inner.read()

    def write(self, state: State) -> None:
        self._inner.write(state)

    def lock(self, operation: str, timeout: float = 0.0):
        return self._inner.lock(operation, timeout)

    def unlock(self) -> None:
        self._inner.unlock()

    def force_unlock(self, lock_id: str | None = None) -> bool:
        return self._inner.force_unlock(lock_id)


def test_a_backend_without_the_capability_gets_a_full_write_per_record(tmp_path: Path):
    path, _ = stored(tmp_path)
    backend = FullWritesOnly(path)
    assert isinstance(LocalBackend(path), StateJournal) and not isinstance(backend, StateJournal)
    manager = StateManager(backend)
    state = manager.read()
    state.resources["a"] = entry("a")
    assert manager.record(state, ["a"]).serial == 2
    assert journal_lines(path) == [] and "a" in json.loads(path.read_text())["resources"]


SPEC = {f"n{i}": {"properties": {"name": f"n{i}", "label": "${root.uid}"}} for i in range(6)}
SPEC["root"] = {"properties": {"name": "root"}}


def test_a_crash_between_appends_and_compaction_loses_nothing_acknowledged(tmp_path: Path):
    cloud = FakeCloud()
    stack = fake_stack(tmp_path, cloud, SPEC)
    workflow.apply(stack, confirm=lambda plan: True)
    path = tmp_path / "fake.state.json"
    base_serial = json.loads(path.read_text())["serial"]
    grown = {**SPEC, **{f"m{i}": {"properties": {"name": f"m{i}"}} for i in range(8)}}
    stack = fake_stack(tmp_path, cloud, grown)
    cloud.fail("create", "m5", Crash("kill -9"), after=True)  # created in the cloud, never recorded ready
    state = stack.manager.read()
    plan, _ = make_plan(stack.run, state)
    with pytest.raises((ApplyError, Crash)):
        Executor(stack.run, plan, DeadAfterCrash(stack.manager, cloud), state).apply()
    assert json.loads(path.read_text())["serial"] == base_serial  # nothing compacted: all in the journal
    assert len(journal_lines(path)) > 2
    on_disk = StateManager(LocalBackend(path)).snapshot()
    assert on_disk.resources["m5"].status == "create_pending"

    cloud.dead = False
    stack = fake_stack(tmp_path, cloud, grown)
    _, final = workflow.apply(stack, confirm=lambda plan: True)
    assert journal_lines(path) == [] and all(e.status == "ready" for e in final.resources.values())
    assert sorted(cloud.objects) == sorted(e.id for e in final.resources.values())  # no orphan
    assert all(cloud.ops("create").count(("create", a)) == 1 for a in grown)  # adopted, never created twice
    again, _ = make_plan(stack.run, stack.manager.read())
    assert not again.actionable


class CompactingScenario(Scenario):
    """A fuzzer scenario whose state manager compacts as often as it may (every max(1, resources)
    records), so crashes land before, between and after mid-run compactions."""

    def stack(self) -> workflow.Stack:
        stack = super().stack()
        stack.manager.compact_interval, stack.manager.compact_records = 0.0, 1
        return stack


@dataclass
class RemoteScenario(CompactingScenario):
    """The lifecycle fuzzer with its state in a remote store (``opener()``: a new handle on it),
    compacting as often as it may."""

    opener: Any = None

    def stack(self) -> workflow.Stack:
        stack = super().stack()
        if isinstance(stack.manager.backend, LocalBackend):
            stack.manager = StateManager(self.opener(), compact_interval=0.0, compact_records=1)
        return stack

    def state_on_disk(self) -> State:
        state = StateManager(self.opener()).read() or State.new("fake")
        for address, item in state.resources.items():
            if item.status not in ("ready", "create_pending", "tainted"):
                raise InvariantError(f"{address}: bad status {item.status}")
        return state


def race(*moves: Callable[[], object]) -> list[str]:
    """Run ``moves`` at once (a thread each, released together): each outcome is "ok", or
    "refused" for a "state changed by another run" ``StateError``."""
    barrier, outcomes = threading.Barrier(len(moves)), []

    def run(move: Callable[[], object]) -> None:
        barrier.wait()
        try:
            move()
            outcomes.append("ok")
        except StateError as exc:
            assert "state changed by another run" in str(exc)
            outcomes.append("refused")

    threads = [threading.Thread(target=run, args=(move,)) for move in moves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def fuzz_over(open_backend: Callable[[str], Any], seeds: int, root: Path) -> None:
    """Run the lifecycle fuzzer's first ``seeds`` seeds, each with its state at its own name in the
    store ``open_backend(name)`` opens."""
    for seed in range(seeds):
        name = f"fuzz/{seed}.state.json"
        scenario = RemoteScenario(seed, root / f"seed-{seed}", opener=lambda name=name: open_backend(name))
        scenario.directory.mkdir()
        try:
            run_scenario(scenario, 2)
        except InvariantError as exc:
            pytest.fail(f"seed {seed}: {exc}\n  " + "\n  ".join(scenario.log), pytrace=False)


def test_the_lifecycle_fuzzer_holds_with_compactions_mid_run(tmp_path: Path):
    root = _fast_dir(tmp_path)
    try:
        for seed in range(30):
            scenario = CompactingScenario(seed, root / f"seed-{seed}")
            scenario.directory.mkdir()
            try:
                run_scenario(scenario, 2)
            except InvariantError as exc:
                pytest.fail(f"seed {seed}: {exc}\n  " + "\n  ".join(scenario.log), pytrace=False)
    finally:
        if root != tmp_path:
            shutil.rmtree(root, ignore_errors=True)

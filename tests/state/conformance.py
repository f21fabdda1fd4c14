"""The conformance suite every state backend runs (as Terraform's ``statemgr.TestFull`` /
``TestBackendStateLocks``).

Use: subclass ``BackendConformance`` in a ``test_*.py`` file and provide the ``open_backend``
fixture: a callable returning a *new handle* on one and the same store each time it is called (two
handles stand for two processes). The suite pins, through ``StateManager`` and the raw protocols:

- read of an empty store is None; write/read round-trips every field; sensitive outputs lose
  their value on the way;
- serial grows by one per changed persist and not at all for an unchanged one; lineage never
  changes and a foreign lineage or stack is refused; concurrent persists get distinct serials;
- the lock is exclusive across handles, says who holds it and what to do, can wait (timeout),
  is released by unlock and by leaving ``manager.lock`` even on error, and ``force_unlock``
  removes anyone's lock;
- a snapshot needs no lock;
- every write is compare-and-swap: a stale writer is refused ("state changed by another run") and
  writes nothing; of two writers from the same serial exactly one succeeds;
- 50 racing lock attempts from separate processes leave exactly one holder; a holder killed with
  SIGKILL blocks the next locker only until its lock is taken over or expires (backends with
  expiring locks set a short ``MODELINFRA_LOCK_TTL`` in their fixture);
- 30 % of the state store's calls failing (503 / throttling; EIO for a file) → every run either
  succeeds or fails with one clean ``StateError`` line, and the stored state is always a complete,
  loadable document of the same lineage whose serial never goes back (backends provide the
  ``store_faults`` fixture: handles whose calls go through the fault injector);
- backends that claim the ``StateJournal`` capability: a recorded action is seen by any other
  handle's snapshot before compaction, and a journal append from a stale view is refused.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

import pytest

from modelinfra.errors import LockHeldError, StateError
from modelinfra.state import ResourceState, State, StateBackend, StateManager
from modelinfra.state.backends.base import StateJournal

OpenBackend = Callable[[], StateBackend]


class StoreFaults(Protocol):
    """Fault injection into one backend's store: ``open_backend()`` opens handles whose calls go
    through it; ``fail(ratio)`` makes that share of the calls fail (0: none); ``injected()`` counts them."""

    def open_backend(self) -> StateBackend: ...

    def fail(self, ratio: float) -> None: ...

    def injected(self) -> int: ...


def sample_state(stack: str = "conformance") -> State:
    state = State.new(stack)
    state.resources["bucket"] = ResourceState(
        "aws.s3_bucket", "arn:aws:s3:::b", {"name": "b", "tags": {"team": "ml"}, "versioning": True}, [], "ready"
    )
    state.resources["object"] = ResourceState(
        "aws.s3_object", "b/model.bin", {"size": 3, "sha256": "ab" * 32}, ["bucket"], "create_pending"
    )
    state.resources["disk"] = ResourceState("azure.managed_disk", "/subscriptions/x/disks/d", {}, [], "tainted")
    state.outputs = {
        "url": {"value": "https://b.s3.amazonaws.com/model.bin", "sensitive": False},
        "nested": {"value": {"a": [1, 2.5, None, True]}, "sensitive": False},
        "secret": {"value": "Endpoint=sb://x;SharedAccessKey=hunter2", "sensitive": True},
    }
    return state


class BackendConformance:
    @pytest.fixture
    def open_backend(self) -> OpenBackend:
        raise NotImplementedError("backends provide open_backend")

    @pytest.fixture
    def store_faults(self) -> StoreFaults:
        raise NotImplementedError("backends provide store_faults")

    # -- storage ----------------------------------------------------------------------------------------
    def test_read_of_an_empty_store_is_none(self, open_backend: OpenBackend):
        assert open_backend().read() is None
        assert StateManager(open_backend()).snapshot() is None

    def test_write_then_read_round_trips_every_field(self, open_backend: OpenBackend):
        state = sample_state()
        state.serial = 4
        open_backend().write(state)
        back = open_backend().read()
        assert back is not None
        expected = state.copy()
        expected.outputs["secret"] = {"sensitive": True}
        assert back == expected
        assert back.to_json() == state.to_json()

    def test_sensitive_output_is_stored_without_its_value(self, open_backend: OpenBackend):
        open_backend().write(sample_state())
        back = open_backend().read()
        assert back is not None
        assert back.outputs["secret"] == {"sensitive": True}
        assert "hunter2" not in repr(back.to_json())

    def test_a_second_write_replaces_the_first(self, open_backend: OpenBackend):
        backend = open_backend()
        first = sample_state()
        backend.write(first)
        second = first.copy()
        second.serial = 1
        del second.resources["disk"]
        backend.write(second)
        back = open_backend().read()
        assert back is not None and back.serial == 1 and "disk" not in back.resources

    # -- serial and lineage -------------------------------------------------------------------------------
    def test_first_persist_writes_serial_1_and_keeps_the_lineage(self, open_backend: OpenBackend):
        manager = StateManager(open_backend())
        state = manager.refresh("conformance")
        assert state.serial == 0 and manager.state is None
        state.resources.update(sample_state().resources)
        returned = manager.persist(state)
        assert returned.serial == 1 and state.serial == 1
        stored = open_backend().read()
        assert stored is not None and stored.serial == 1 and stored.lineage == state.lineage
        assert manager.state == stored

    def test_serial_bumps_only_when_content_changed(self, open_backend: OpenBackend):
        manager = StateManager(open_backend())
        state = manager.refresh("conformance")
        state.outputs["url"] = {"value": "u1", "sensitive": False}
        manager.persist(state)
        manager.persist(state)
        manager.persist(state.copy())
        assert open_backend().read().serial == 1  # type: ignore[union-attr]
        state.outputs["url"] = {"value": "u2", "sensitive": False}
        assert manager.persist(state).serial == 2
        state.resources["x"] = ResourceState("aws.s3_bucket", "arn:x", {}, [], "create_pending")
        manager.persist(state)
        state.resources["x"].status = "ready"
        manager.persist(state)
        stored = open_backend().read()
        assert stored is not None and stored.serial == 4 and stored.resources["x"].status == "ready"

    def test_a_new_manager_continues_the_serial_and_lineage(self, open_backend: OpenBackend):
        first = StateManager(open_backend())
        state = first.refresh("conformance")
        state.outputs["a"] = {"value": 1, "sensitive": False}
        first.persist(state)
        second = StateManager(open_backend())
        again = second.refresh("conformance")
        assert (again.lineage, again.serial) == (state.lineage, 1)
        again.outputs["a"] = {"value": 2, "sensitive": False}
        assert second.persist(again).serial == 2
        assert open_backend().read().lineage == state.lineage  # type: ignore[union-attr]

    def test_persist_without_a_prior_read_still_continues_the_serial(self, open_backend: OpenBackend):
        writer = StateManager(open_backend())
        state = writer.refresh("conformance")
        state.outputs["a"] = {"value": 1, "sensitive": False}
        writer.persist(state)
        writer.persist(_changed(state))
        blind = StateManager(open_backend())
        newer = _changed(state)
        newer.outputs["b"] = {"value": "blind", "sensitive": False}
        assert blind.persist(newer).serial == 3

    def test_persisting_another_lineage_over_a_state_is_refused(self, open_backend: OpenBackend):
        manager = StateManager(open_backend())
        manager.persist(sample_state())
        stranger = sample_state()  # same stack, fresh lineage
        with pytest.raises(StateError, match="lineage"):
            StateManager(open_backend()).persist(stranger)
        with pytest.raises(StateError, match="lineage"):
            manager.persist(stranger)
        assert open_backend().read().lineage != stranger.lineage  # type: ignore[union-attr]

    def test_refresh_refuses_the_state_of_another_stack(self, open_backend: OpenBackend):
        StateManager(open_backend()).persist(sample_state("alpha"))
        with pytest.raises(StateError, match="alpha"):
            StateManager(open_backend()).refresh("beta")

    def test_the_manager_keeps_its_own_copy_of_what_it_wrote(self, open_backend: OpenBackend):
        manager = StateManager(open_backend())
        state = manager.refresh("conformance")
        state.outputs["a"] = {"value": [1], "sensitive": False}
        manager.persist(state)
        state.outputs["a"]["value"].append(2)  # caller keeps mutating, as the executor does
        assert manager.state.outputs["a"]["value"] == [1]  # type: ignore[union-attr]
        assert manager.persist(state).serial == 2

    def test_concurrent_persists_get_distinct_consecutive_serials(self, open_backend: OpenBackend):
        manager = StateManager(open_backend())
        base = manager.refresh("conformance")
        manager.persist(base)
        versions = []
        for i in range(12):
            version = base.copy()
            version.outputs["n"] = {"value": i, "sensitive": False}
            versions.append(version)
        serials: list[int] = []
        barrier = threading.Barrier(len(versions))

        def save(version: State) -> None:
            barrier.wait()
            serials.append(manager.persist(version).serial)

        threads = [threading.Thread(target=save, args=(v,)) for v in versions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(serials) == list(range(2, 2 + len(versions)))
        stored = open_backend().read()
        assert stored is not None and stored.serial == 1 + len(versions)

    # -- locking --------------------------------------------------------------------------------------
    def test_lock_info_describes_this_process(self, open_backend: OpenBackend):
        backend = open_backend()
        info = backend.lock("apply", 0)
        try:
            assert info.pid == os.getpid() and info.operation == "apply"
            assert info.id and info.user and info.host and info.path
            datetime.fromisoformat(info.created)
        finally:
            backend.unlock()

    def test_a_second_locker_fails_fast_naming_the_holder(self, open_backend: OpenBackend):
        holder, other = open_backend(), open_backend()
        info = holder.lock("apply", 0)
        try:
            started = time.monotonic()
            with pytest.raises(LockHeldError) as caught:
                other.lock("destroy", 0)
            assert time.monotonic() - started < 2.0  # the contract: a second run fails in < 2 s
            message = str(caught.value)
            for part in (f"pid {info.pid}", f"{info.user}@{info.host}", "'apply'", info.created,
                         "--lock-timeout", "modelinfra state unlock"):
                assert part in message, f"{part!r} missing from {message!r}"
        finally:
            holder.unlock()

    def test_unlock_lets_the_next_locker_in(self, open_backend: OpenBackend):
        first, second = open_backend(), open_backend()
        first.lock("apply", 0)
        first.unlock()
        second.lock("import", 0)
        try:
            with pytest.raises(LockHeldError, match="'import'"):
                first.lock("apply", 0)
        finally:
            second.unlock()

    def test_unlock_without_holding_the_lock_is_an_error(self, open_backend: OpenBackend):
        with pytest.raises(StateError):
            open_backend().unlock()

    def test_lock_timeout_waits_for_the_holder_to_finish(self, open_backend: OpenBackend):
        holder, waiter = open_backend(), open_backend()
        holder.lock("apply", 0)
        releaser = threading.Timer(0.3, holder.unlock)
        releaser.start()
        started = time.monotonic()
        try:
            info = waiter.lock("apply", 10)
            assert info.pid == os.getpid()
            assert 0.2 <= time.monotonic() - started < 5
        finally:
            releaser.join()
            waiter.unlock()

    def test_lock_timeout_gives_up_after_the_timeout(self, open_backend: OpenBackend):
        holder, waiter = open_backend(), open_backend()
        holder.lock("apply", 0)
        try:
            started = time.monotonic()
            with pytest.raises(LockHeldError):
                waiter.lock("apply", 0.4)
            assert 0.35 <= time.monotonic() - started < 3
        finally:
            holder.unlock()

    def test_manager_lock_is_released_when_the_block_raises(self, open_backend: OpenBackend):
        manager = StateManager(open_backend())
        with pytest.raises(RuntimeError), manager.lock("apply", 0) as info:
            assert info.operation == "apply"
            with pytest.raises(LockHeldError):
                open_backend().lock("apply", 0)
            raise RuntimeError("boom")
        other = open_backend()
        other.lock("apply", 0)
        other.unlock()

    def test_force_unlock_removes_anyones_lock(self, open_backend: OpenBackend):
        holder, rescuer = open_backend(), open_backend()
        assert rescuer.force_unlock() is False
        holder.lock("apply", 0)
        assert StateManager(rescuer).force_unlock() is True
        rescuer.lock("apply", 0)
        try:
            holder.unlock()  # the old holder finishing must not release the rescuer's lock
            with pytest.raises(LockHeldError):
                open_backend().lock("apply", 0)
        finally:
            rescuer.unlock()

    def test_snapshot_needs_no_lock(self, open_backend: OpenBackend):
        writer = StateManager(open_backend())
        with writer.lock("apply", 0):
            writer.persist(sample_state())
            snapshot = StateManager(open_backend()).snapshot()
        assert snapshot is not None and snapshot.serial == 1


    # -- compare-and-swap ---------------------------------------------------------------------------------
    def test_a_stale_writer_is_refused_and_writes_nothing(self, open_backend: OpenBackend):
        StateManager(open_backend()).persist(sample_state())
        first, second = StateManager(open_backend()), StateManager(open_backend())
        mine, theirs = first.refresh("conformance"), second.refresh("conformance")
        mine.outputs["who"] = {"value": "first", "sensitive": False}
        theirs.outputs["who"] = {"value": "second", "sensitive": False}
        first.persist(mine)
        with pytest.raises(StateError, match=r"state changed by another run \(serial 1 → 2\)"):
            second.persist(theirs)
        stored = open_backend().read()
        assert stored is not None and stored.serial == 2 and stored.outputs["who"]["value"] == "first"

    def test_two_writers_from_the_same_serial_exactly_one_succeeds(self, open_backend: OpenBackend):
        StateManager(open_backend()).persist(sample_state())
        writers = [StateManager(open_backend()) for _ in range(2)]
        states = [w.refresh("conformance") for w in writers]
        barrier = threading.Barrier(len(writers))
        outcomes: list[str] = []

        def save(index: int) -> None:
            states[index].outputs["who"] = {"value": index, "sensitive": False}
            barrier.wait()
            try:
                writers[index].persist(states[index])
                outcomes.append(f"ok {index}")
            except StateError as exc:
                assert "state changed by another run" in str(exc)
                outcomes.append("refused")

        threads = [threading.Thread(target=save, args=(i,)) for i in range(len(writers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes)[0] == "ok 0" or sorted(outcomes)[0] == "ok 1"
        assert outcomes.count("refused") == 1, outcomes
        winner = int(next(o for o in outcomes if o.startswith("ok")).split()[1])
        stored = open_backend().read()
        assert stored is not None and stored.serial == 2 and stored.outputs["who"]["value"] == winner

    # -- locks across processes -------------------------------------------------------------------------
    def test_fifty_racing_processes_leave_exactly_one_holder(self, open_backend: OpenBackend,
                                                             monkeypatch: pytest.MonkeyPatch):
        monkeypatch.setenv("MODELINFRA_LOCK_TTL", "120")  # a slow machine must not see the lock expire
        open_backend().read()  # load the client libraries once, before forking
        context = multiprocessing.get_context("fork")
        start, done = context.Event(), context.Event()
        results = context.Queue()
        racers = [context.Process(target=_race_for_lock, args=(open_backend, start, done, results))
                  for _ in range(50)]
        for racer in racers:
            racer.start()
        start.set()
        outcomes = [results.get(timeout=120) for _ in racers]
        done.set()
        for racer in racers:
            racer.join(timeout=60)
        assert [o for o in outcomes if o.startswith("error")] == []
        assert outcomes.count("held") == 1, outcomes
        assert outcomes.count("refused") == len(racers) - 1

    def test_a_killed_holder_does_not_block_the_next_locker_for_long(self, open_backend: OpenBackend,
                                                                     monkeypatch: pytest.MonkeyPatch):
        monkeypatch.setenv("MODELINFRA_LOCK_TTL", "2")  # locks that expire: 2 s after the last heartbeat
        context = multiprocessing.get_context("fork")
        locked, never = context.Event(), context.Event()
        holder = context.Process(target=_hold_lock, args=(open_backend, locked, never))
        holder.start()
        assert locked.wait(60)
        with pytest.raises(LockHeldError):
            open_backend().lock("apply", 0)
        assert holder.pid is not None
        os.kill(holder.pid, signal.SIGKILL)
        holder.join(timeout=30)
        successor = open_backend()
        info = successor.lock("apply", 60)
        try:
            assert info.pid == os.getpid()
        finally:
            successor.unlock()


    # -- faults ---------------------------------------------------------------------------------------
    def test_thirty_percent_of_store_calls_failing_every_run_succeeds_or_fails_cleanly(
            self, store_faults: StoreFaults, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.setenv("MODELINFRA_MAX_ATTEMPTS", "3")  # few retries, so some runs do fail
        monkeypatch.setenv("MODELINFRA_RETRY_BACKOFF_MAX", "0.05")
        monkeypatch.setenv("MODELINFRA_LOCK_TTL", "1")  # a lock a failed run could not release expires soon
        first = sample_state()
        StateManager(store_faults.open_backend()).persist(first)
        serial, outcomes = 1, []
        for n in range(5):
            store_faults.fail(0.3)
            backend = store_faults.open_backend()
            manager = StateManager(backend)
            try:
                with manager.lock("apply", 5):
                    state = manager.refresh("conformance")
                    for step in range(3):  # per-action records (journal appends or full writes), then a persist
                        state.resources[f"r{step}"] = ResourceState("aws.s3_object", f"b/{n}/{step}",
                                                                    {"run": n}, ["bucket"], "ready")
                        manager.record(state, [f"r{step}"])
                    state.outputs["n"] = {"value": n, "sensitive": False}
                    manager.persist(state)
                outcomes.append("ok")
            except StateError as exc:
                assert "\n" not in str(exc) and "Traceback" not in str(exc), exc
                outcomes.append("failed")
            store_faults.fail(0)
            stored = StateManager(store_faults.open_backend()).snapshot()  # journal replayed, if any
            raw = store_faults.open_backend().read()
            for document in (stored, raw):
                assert document is not None and document.lineage == first.lineage
                State.from_json(document.to_json())  # complete and loadable
            assert stored.serial >= serial, (stored.serial, serial)  # type: ignore[union-attr]
            serial = stored.serial  # type: ignore[union-attr]
            if outcomes[-1] == "ok":
                assert stored.outputs["n"]["value"] == n and stored.resources["r2"].attributes == {"run": n}  # type: ignore[union-attr]
            try:
                store_faults.open_backend().force_unlock()  # a run that could not release its lock
            except StateError:
                pass
        assert store_faults.injected() > 0, outcomes
        # whatever the failed runs left behind (a torn journal, a lock, a temp file), the next run converges
        after = StateManager(store_faults.open_backend())
        with after.lock("apply", 5):
            state = after.refresh("conformance")
            state.outputs["n"] = {"value": "clean", "sensitive": False}
            after.persist(state)
        stored = StateManager(store_faults.open_backend()).snapshot()
        assert stored is not None and stored.serial > serial and stored.outputs["n"]["value"] == "clean"

    # -- journal (backends with the StateJournal capability) --------------------------------------------
    def test_a_recorded_action_is_seen_by_every_reader_and_a_stale_append_is_refused(
            self, open_backend: OpenBackend):
        if not isinstance(open_backend(), StateJournal):
            pytest.skip("this backend does not claim the StateJournal capability (a full write per action)")
        StateManager(open_backend()).persist(sample_state())
        writer, stale = StateManager(open_backend()), StateManager(open_backend())
        mine, theirs = writer.refresh("conformance"), stale.refresh("conformance")
        mine.resources["new"] = ResourceState("aws.s3_bucket", "arn:new", {}, [], "create_pending")
        assert writer.record(mine, ["new"]).serial == 2
        seen = StateManager(open_backend()).snapshot()
        assert seen is not None and seen.serial == 2 and seen.resources["new"].status == "create_pending"
        theirs.resources["other"] = ResourceState("aws.s3_bucket", "arn:other", {}, [], "ready")
        with pytest.raises(StateError, match="state changed by another run"):
            stale.record(theirs, ["other"])
        after = StateManager(open_backend()).snapshot()
        assert after is not None and "other" not in after.resources and after.serial == 2


def _race_for_lock(open_backend: OpenBackend, start, done, results) -> None:  # noqa: ANN001 - mp handles
    try:
        backend = open_backend()
        start.wait(60)
        try:
            backend.lock("apply", 0)
        except LockHeldError:
            results.put("refused")
            return
        results.put("held")
        done.wait(120)
        backend.unlock()
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        results.put(f"error {type(exc).__name__}: {exc}")


def _hold_lock(open_backend: OpenBackend, locked, never) -> None:  # noqa: ANN001 - mp handles
    open_backend().lock("apply", 0)
    locked.set()
    never.wait(600)


def _changed(state: State) -> State:
    changed = state.copy()
    changed.outputs["n"] = {"value": changed.outputs.get("n", {}).get("value", 0) + 1, "sensitive": False}
    return changed

"""The Azure blob journal (docs/remote-journal.md) against Azurite over HTTP: a record is one Append
Block to ``<blob>.journal`` (the state blob is not rewritten), every reader replays the records in
order, a full write closes the journal before it writes and removes it after, a stale appender never
lands an acknowledged record (whether the journal was closed, compacted and removed, or taken by a
racing appender), a request retried after its answer was lost is told apart from another run's, a
damaged journal or one without its state is refused, a compaction that died after its close
converges, a run killed after any of its store requests leaves a state the next run converges from,
``state migrate`` carries a crashed run's records, and the lifecycle fuzzer holds over it.

First of all: Azurite (package-lock.json) does what the journal relies on, as Azure does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from azure.core.exceptions import HttpResponseError

from modelinfra.errors import StateError
from modelinfra.sandbox.base import RunningService
from modelinfra.spec.compile import compile_spec
from modelinfra.state import LocalBackend, ResourceState, State, StateManager, journal
from modelinfra.state.backends.azure_blob import AzureBlobBackend
from modelinfra.state.backends.select import migrate, open_backend
from tests.conftest import SUBSCRIPTION_ID
from tests.state.test_azure_blob_backend import (  # noqa: F401 - fixtures
    FaultyProxy,
    container,
    opener,
    proxy,
    service,
    storage_account,
)
from tests.state.test_journal import (
    compaction_refused_after_an_unseen_record,
    entry,
    fuzz_over,
    race,
    record_thirteen_and_check_every_reader,
)
from tests.state.test_journal import persisted as stored

BLOB = "stacks/j.state.json"
JOURNAL = BLOB + ".journal"


@pytest.fixture
def open_azure(azurite: RunningService, container):  # noqa: ANN001, ANN201, F811
    def open_backend(blob: str = BLOB) -> AzureBlobBackend:
        return opener(azurite.extra["blob_endpoint"], container.container_name, blob)()  # type: ignore[return-value]
    return open_backend


@pytest.fixture
def via_proxy(azurite: RunningService, container, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, ANN201, F811
    """Handles whose requests go through the proxy (logged; answers lost on demand)."""
    monkeypatch.setenv("MODELINFRA_RETRY_BACKOFF_MAX", "0.05")
    endpoint = proxy.endpoint(urlsplit(azurite.extra["blob_endpoint"]).path)
    return opener(endpoint, container.container_name, BLOB)


def recorded(open_backend: Any, *names: str) -> tuple[StateManager, State]:
    """A stored state of 3 resources, then a run that recorded ``names`` (one record each)."""
    stored(open_backend)
    manager = StateManager(open_backend())
    state = manager.read()
    for name in names:
        state.resources[name] = entry(name)
        manager.record(state, [name])
    return manager, state


def journal_bytes(container) -> bytes | None:  # noqa: ANN001, F811
    try:
        return container.get_blob_client(JOURNAL).download_blob().readall()  # type: ignore[no-any-return]
    except HttpResponseError as exc:
        if exc.status_code == 404:
            return None
        raise


def state_versions(container) -> int:  # noqa: ANN001, F811
    """The state blob and its snapshots: one more per full write."""
    return len([b for b in container.list_blobs(name_starts_with=BLOB, include=["snapshots"]) if b.name == BLOB])


def test_azurite_supports_what_the_journal_relies_on(container):  # noqa: ANN001, F811
    blob = container.get_blob_client("probe.journal")
    created = blob.create_append_blob(metadata={"base": "v1"}, if_none_match="*")
    with pytest.raises(HttpResponseError) as caught:  # of two creators one is refused
        blob.create_append_blob(if_none_match="*")
    assert caught.value.status_code == 409
    first = blob.append_block(b"one\n", if_match=created["etag"], appendpos_condition=0)
    for stale in ({"if_match": created["etag"], "appendpos_condition": 4},  # an old ETag
                  {"if_match": first["etag"], "appendpos_condition": 0},  # an old size (a duplicate)
                  {"maxsize_condition": 6}):
        with pytest.raises(HttpResponseError) as caught:
            blob.append_block(b"two\n", **stale)
        assert caught.value.status_code == 412, stale
    got = blob.download_blob()
    assert got.readall() == b"one\n" and got.properties.metadata == {"base": "v1"}
    assert str(got.properties.blob_type.value) == "AppendBlob"
    assert blob.download_blob(1, 2).readall() == b"ne"
    sealed = blob.set_blob_metadata({"base": "v1", "closed": "v1"}, if_match=first["etag"])
    for stale_etag in (first["etag"],):  # a close, an append and a delete from an old view are refused
        with pytest.raises(HttpResponseError) as caught:
            blob.set_blob_metadata({}, if_match=stale_etag)
        assert caught.value.status_code == 412
        with pytest.raises(HttpResponseError) as caught:
            blob.append_block(b"two\n", if_match=stale_etag, appendpos_condition=4)
        assert caught.value.status_code == 412
        with pytest.raises(HttpResponseError) as caught:
            blob.delete_blob(if_match=stale_etag)
        assert caught.value.status_code == 412
    blob.delete_blob(if_match=sealed["etag"])
    with pytest.raises(HttpResponseError) as caught:
        blob.append_block(b"two\n", if_match=sealed["etag"])
    assert caught.value.status_code == 404
    state = container.get_blob_client("probe.json")
    state.upload_blob(b"{}", metadata={"version": "x"})
    etag = state.get_blob_properties().etag
    state.create_snapshot()
    assert state.get_blob_properties().etag == etag  # a snapshot does not move the state's ETag


def test_a_record_is_one_append_and_the_state_blob_is_not_rewritten(open_azure, container):  # noqa: ANN001, F811
    base = stored(open_azure, size=200)
    etag = container.get_blob_client(BLOB).get_blob_properties().etag
    manager = StateManager(open_azure())
    state = manager.read()
    state.resources["new"] = entry("new", "create_pending")
    manager.record(state, ["new"])
    first = len(journal_bytes(container) or b"")
    state.resources["new"] = entry("new", uid="u-1")
    assert manager.record(state, ["new"]).serial == 3
    blob = container.get_blob_client(BLOB).get_blob_properties()
    assert blob.etag == etag and state_versions(container) == 1  # the 200-resource state was not rewritten
    data = journal_bytes(container)
    assert data is not None and len(data) - first < 300  # one entry, not 200
    header, one, two = (json.loads(line) for line in data.splitlines())
    assert header == {"journal": 1, "lineage": base.lineage, "stack": "s", "serial": 1}
    assert (one["serial"], one["set"]["new"]["status"]) == (2, "create_pending")
    assert (two["serial"], two["set"]["new"]["status"]) == (3, "ready")
    props = container.get_blob_client(JOURNAL).get_blob_properties()
    assert str(props.blob_type.value) == "AppendBlob" and props.metadata["base"] == blob.metadata["version"]


def test_readers_replay_every_record_in_order_and_persist_compacts_them_away(open_azure, container):  # noqa: ANN001, F811
    writer, state = record_thirteen_and_check_every_reader(open_azure)
    assert len((journal_bytes(container) or b"").splitlines()) == 14
    writer.persist(state, force=True)
    assert journal_bytes(container) is None  # closed, compacted, removed
    document = json.loads(container.get_blob_client(BLOB).download_blob().readall())
    assert document["serial"] == 15 and "n11" in document["resources"] and "r0" not in document["resources"]
    state.resources["after"] = entry("after")  # the handle journals again, over the new version
    writer.record(state, ["after"])
    assert StateManager(open_azure()).snapshot().resources["after"].status == "ready"  # type: ignore[union-attr]
    assert len((journal_bytes(container) or b"").splitlines()) == 2


def test_a_stale_appender_is_refused_after_the_journal_was_compacted_and_removed(open_azure, container):  # noqa: ANN001, F811
    stored(open_azure)
    writer, stale = StateManager(open_azure()), StateManager(open_azure())
    mine, theirs = writer.read(), stale.read()  # neither saw a journal
    mine.resources["a"] = entry("a")
    writer.record(mine, ["a"])
    writer.persist(mine, force=True)  # closed, new state, the journal deleted: the name is free again
    assert journal_bytes(container) is None
    theirs.resources["b"] = entry("b", "create_pending")
    with pytest.raises(StateError, match=r"state changed by another run \(serial 1 → 3\)"):
        stale.record(theirs, ["b"])  # its create lands a journal over the old version; the check refuses it
    seen = StateManager(open_azure()).snapshot()
    assert seen is not None and "b" not in seen.resources and seen.serial == 3
    with pytest.raises(StateError, match="state changed by another run"):  # and it stays refused
        stale.record(theirs, ["b"])
    nxt = StateManager(open_azure())
    again = nxt.read()
    again.resources["c"] = entry("c")
    nxt.record(again, ["c"])  # the first write after a read that found a journal compacts
    assert journal_bytes(container) is None
    again.resources["d"] = entry("d")
    nxt.record(again, ["d"])
    after = StateManager(open_azure()).snapshot()
    assert after is not None and {"c", "d"} <= set(after.resources) and "b" not in after.resources


def test_a_compaction_is_refused_when_a_record_landed_since_it_read(open_azure, container):  # noqa: ANN001, F811
    appender, small = compaction_refused_after_an_unseen_record(open_azure, lambda: state_versions(container))
    small.resources["b"] = entry("b")
    appender.record(small, ["b"])  # the appender's view still holds
    seen = StateManager(open_azure()).snapshot()
    assert seen is not None and seen.resources["a"].status == "create_pending" and "o" not in seen.outputs
    assert seen.serial == 3


def test_an_appender_is_refused_once_a_compaction_closed_the_journal(open_azure, container):  # noqa: ANN001, F811
    appender, small = recorded(open_azure, "a")
    compactor = StateManager(open_azure())
    full = compactor.read()
    full.outputs["o"] = {"value": 1, "sensitive": False}
    compactor.persist(full)  # closes the journal (which it saw), writes, removes it
    small.resources["b"] = entry("b", "create_pending")
    with pytest.raises(StateError, match=r"state changed by another run \(serial 1 → 3\)"):
        appender.record(small, ["b"])
    seen = StateManager(open_azure()).snapshot()
    assert seen is not None and "a" in seen.resources and "b" not in seen.resources


@pytest.mark.parametrize("where", ["a new journal", "an existing journal"])
def test_of_two_appenders_of_the_same_record_exactly_one_is_acknowledged(open_azure, container, where: str):  # noqa: ANN001, F811
    """Two runs with the same view append byte-identical records: one create (If-None-Match) or one
    Append Block (If-Match, appendpos) wins; the other is refused, never taken for its own."""
    base = recorded(open_azure, *(["first"] if where == "an existing journal" else []))[0].backend.read()
    assert base is not None
    backends = [open_azure() for _ in range(2)]
    views = [StateManager(b).snapshot() for b in backends]  # the same view: state and journal
    serial = base.serial + (where == "an existing journal")
    assert all(v is not None and v.serial == serial for v in views)
    record = journal.record_line(serial + 1, {"same": entry("same", "create_pending")})
    outcomes = race(*(lambda b=b: b.append_journal(journal.header_line(base) + record) for b in backends))
    assert sorted(outcomes) == ["ok", "refused"]
    seen = StateManager(open_azure()).snapshot()
    assert seen is not None and seen.serial == serial + 1 and seen.resources["same"].status == "create_pending"
    assert len((journal_bytes(container) or b"").splitlines()) == 1 + serial + 1 - base.serial


@pytest.mark.parametrize("lost", ["create the journal", "append", "close", "state put", "delete the journal"])
def test_a_request_retried_after_its_answer_was_lost_is_told_apart_as_ours(via_proxy, proxy: FaultyProxy,  # noqa: ANN001, F811
                                                                           container, lost: str):  # noqa: ANN001, F811
    """The SDK retries a request whose answer was lost (here: it reached Azurite, and the proxy
    answered 503); the retry is refused (409 / 412) and the handle tells it is its own."""
    stored(via_proxy)
    manager = StateManager(via_proxy())
    state = manager.read()
    wanted = {"create the journal": (JOURNAL, ""), "append": (JOURNAL, "comp=appendblock"),
              "close": (JOURNAL, "comp=metadata"), "state put": (BLOB, ""), "delete the journal": (JOURNAL, "")}[lost]
    method_lost = "DELETE" if lost == "delete the journal" else "PUT"
    lost_once: list[str] = []

    def lose(method: str, path: str) -> bool:
        where = urlsplit(path)
        if lost_once or method != method_lost or not unquote(where.path).endswith("/" + wanted[0]):
            return False
        if wanted[1] not in where.query or (not wanted[1] and "comp=" in where.query):
            return False
        lost_once.append(path)
        return True

    proxy.lose_answer = lose
    state.resources["a"] = entry("a", "create_pending")
    manager.record(state, ["a"])
    state.resources["a"] = entry("a")
    manager.record(state, ["a"])
    manager.persist(state, force=True)
    assert lost_once, "no answer was lost"
    proxy.lose_answer = lambda method, path: False
    assert journal_bytes(container) is None
    state.resources["b"] = entry("b")  # and the handle journals on
    manager.record(state, ["b"])
    seen = StateManager(via_proxy()).snapshot()
    assert seen is not None and seen.serial == 5 and seen.resources["a"].status == "ready" and "b" in seen.resources


def test_an_identical_record_of_another_run_is_not_taken_for_ours(open_azure, container):  # noqa: ANN001, F811
    """The same position, the same record bytes but another writer's signature: refused."""
    manager, state = recorded(open_azure, "a")  # the journal exists; this handle's view: after its record
    backend = manager.backend
    assert isinstance(backend, AzureBlobBackend)
    size = len(journal_bytes(container) or b"")
    state.resources["b"] = entry("b", "create_pending")
    record = journal.record_line(3, {"b": state.resources["b"]})
    container.get_blob_client(JOURNAL).append_block(journal.signed(record, "someone-else"), appendpos_condition=size)
    with pytest.raises(StateError, match="state changed by another run"):
        manager.record(state, ["b"])
    mine = journal.signed(record, backend._writer)  # what the handle would have sent: told apart by the id
    assert mine != journal.signed(record, "someone-else") and mine.startswith(record[:-2])


@pytest.mark.parametrize("records", [0, 2])
def test_a_compaction_that_died_after_its_close_converges(open_azure, container, records: int):  # noqa: ANN001, F811
    """The journal is closed, then the process dies before the state write: the state is still the
    base, the records before the close are the logical state, and the next writer compacts."""
    dead, state = recorded(open_azure, *(f"a{i}" for i in range(records)))
    backend = dead.backend
    assert isinstance(backend, AzureBlobBackend)
    backend._close_journal(9)  # ... kill -9 before the state write
    nxt = StateManager(open_azure())
    seen = nxt.read()
    assert seen is not None and seen.serial == 1 + records
    assert sorted(seen.resources)[:records] == [f"a{i}" for i in range(records)]
    other = StateManager(open_azure())  # a third run that read after the close may not append either
    late = other.read()
    late.resources["late"] = entry("late")
    with pytest.raises(StateError, match="state changed by another run"):
        other.backend.append_journal(journal.header_line(late) + journal.record_line(late.serial + 1,
                                                                                     {"late": late.resources["late"]}))
    assert nxt.persist(seen).serial == 1 + records  # unchanged, but compacts (a new version)
    assert journal_bytes(container) is None
    seen.resources["b"] = entry("b")
    nxt.record(seen, ["b"])  # journals again over the new version
    after = StateManager(open_azure()).snapshot()
    assert after is not None and after.serial == 2 + records and "b" in after.resources and "late" not in after.resources


def test_a_damaged_or_replaced_journal_is_refused_clearly(open_azure, container):  # noqa: ANN001, F811
    recorded(open_azure, "a", "b", "c")
    blob = container.get_blob_client(JOURNAL)
    good, metadata = blob.download_blob().readall(), blob.get_blob_properties().metadata
    lines = good.splitlines(keepends=True)

    def replace(data: bytes, kind: str = "AppendBlob") -> None:
        blob.delete_blob()
        if kind == "AppendBlob":
            blob.create_append_blob(metadata=metadata)
            blob.append_block(data)
        else:
            blob.upload_blob(data, metadata=metadata)

    replace(lines[0] + lines[1] + b"not json\n" + lines[3])
    with pytest.raises(StateError, match="is corrupt at line 3"):
        StateManager(open_azure()).snapshot()
    replace(good)
    blob.append_block(b'{"serial": 5, "set": {"x"')  # a foreign, torn append: a block lands whole, so damage
    with pytest.raises(StateError, match="is corrupt at its last record") as caught:
        StateManager(open_azure()).snapshot()
    assert "\n" not in str(caught.value)
    replace(good, kind="BlockBlob")
    with pytest.raises(StateError, match="not the append blob"):
        StateManager(open_azure()).read()  # a writer refuses it too: nothing written
    replace(good)
    assert StateManager(open_azure()).snapshot().serial == 4  # type: ignore[union-attr]
    assert state_versions(container) == 1


def test_a_journal_without_its_state_blob_is_refused(open_azure, container):  # noqa: ANN001, F811
    recorded(open_azure, "a")
    container.get_blob_client(BLOB).delete_blob(delete_snapshots="include")
    with pytest.raises(StateError, match="holds a state journal but .* does not exist"):
        StateManager(open_azure()).snapshot()


def test_state_migrate_carries_the_journalled_actions_of_a_crashed_run(storage_account, azure_env, tmp_path: Path):  # noqa: ANN001, F811
    group, account, name = storage_account
    azure = f"providers:\n  azure: {{subscription_id: {SUBSCRIPTION_ID}}}\n"
    path = tmp_path / "spec.yaml"
    path.write_text(f"version: 1\nname: sel\n{azure}state: {{backend: azure_blob, account: {account}, "
                    f"container: {name}, blob: sel.json, resource_group: {group}}}\noutputs:\n  o: {{value: 1}}\n")
    manager = StateManager(open_backend(compile_spec(path)))
    state = manager.refresh("sel")
    state.outputs["kept"] = {"value": 1, "sensitive": False}
    manager.persist(state)
    state.resources["pending"] = ResourceState("fake.node", "id-p", {}, [], "create_pending")
    manager.record(state, ["pending"])  # journalled, never compacted: the run died here
    path.write_text(f"version: 1\nname: sel\n{azure}state: {{path: moved.json}}\noutputs:\n  o: {{value: 1}}\n")
    target = compile_spec(path)
    assert "Migrated" in migrate(target, open_backend(target))
    moved = LocalBackend(tmp_path / "moved.json").read()
    assert moved is not None and moved.resources["pending"].status == "create_pending"
    assert moved.serial == state.serial


@pytest.mark.parametrize("size", [10, 1000])
def test_a_record_costs_one_small_request_whatever_the_state_size(via_proxy, proxy: FaultyProxy, size: int):  # noqa: ANN001, F811
    stored(via_proxy, size=size)
    manager = StateManager(via_proxy())
    state = manager.read()
    proxy.sent.clear()
    for i in range(6):
        state.resources[f"n{i}"] = entry(f"n{i}")
        manager.record(state, [f"n{i}"])
    requests = [(method, path.split("?")[1] if "?" in path else "", length) for method, path, length in proxy.sent]
    # the first record creates the journal and checks the state is still the one read; then one append each
    assert [(m, q) for m, q, _ in requests[:3]] == [("PUT", ""), ("PUT", "comp=appendblock"), ("HEAD", "")]
    assert [(m, q) for m, q, _ in requests[3:]] == [("PUT", "comp=appendblock")] * 5
    assert max(length for _, _, length in requests) < 600  # the record, not the state


def test_the_lifecycle_fuzzer_holds_over_the_azure_journal(open_azure, tmp_path: Path):  # noqa: ANN001
    fuzz_over(open_azure, 4, tmp_path)


def test_a_run_killed_after_any_store_request_leaves_a_state_the_next_run_converges_from(
        azurite: RunningService, container, proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, F811
    """A run (read, three creates recorded create_pending then ready, a compaction mid-run, a final
    persist) dies right after its n-th store request, for every n: that request landed but its
    answer never came back, and nothing after it reaches the store. The next run reads, compacts and
    journals again; every record the dead run had acknowledged is in its state."""
    monkeypatch.setenv("MODELINFRA_MAX_ATTEMPTS", "1")  # a dead process retries nothing
    endpoint = proxy.endpoint(urlsplit(azurite.extra["blob_endpoint"]).path)
    direct = azurite.extra["blob_endpoint"]

    def run(blob: str) -> list[tuple[str, str]]:
        """The run; returns what it had acknowledged (address, status) when it died (or finished)."""
        acknowledged: list[tuple[str, str]] = []
        try:
            manager = StateManager(opener(endpoint, container.container_name, blob)(), compact_interval=0.0,
                                   compact_records=4)
            state = manager.read()
            for i in range(3):
                for status in ("create_pending", "ready"):
                    state.resources[f"a{i}"] = entry(f"a{i}", status)
                    manager.record(state, [f"a{i}"])
                    acknowledged.append((f"a{i}", status))
            state.outputs["done"] = {"value": True, "sensitive": False}
            manager.persist(state)
            acknowledged.append(("done", ""))
        except StateError:
            pass
        return acknowledged

    stored(opener(direct, container.container_name, "healthy.json"))
    proxy.sent.clear()
    assert len(run("healthy.json")) == 7
    requests = len(proxy.sent)
    kinds = {(method, urlsplit(path).query.partition("&")[0]) for method, path, _ in proxy.sent}
    assert {("PUT", "comp=appendblock"), ("PUT", "comp=metadata"), ("HEAD", ""), ("DELETE", "")} <= kinds, kinds
    for n in range(1, requests + 1):
        blob = f"killed-{n}.json"
        stored(opener(direct, container.container_name, blob))
        proxy.sent.clear()
        proxy.dead_after, proxy.lose_answer = n, lambda method, path, n=n: len(proxy.sent) == n
        acknowledged = run(blob)
        proxy.dead_after, proxy.lose_answer = None, lambda method, path: False
        nxt = StateManager(opener(direct, container.container_name, blob)())
        seen = nxt.read()
        assert seen is not None, n
        for address, status in acknowledged:
            if address == "done":
                assert seen.outputs.get("done") == {"value": True, "sensitive": False}, n
            else:
                assert address in seen.resources, (n, address)
                if status == "ready":
                    assert seen.resources[address].status == "ready", (n, address)
        seen.resources["next"] = entry("next")
        nxt.record(seen, ["next"])  # compacts whatever the dead run left, then journals again
        seen.resources["after"] = entry("after")
        nxt.record(seen, ["after"])
        after = StateManager(opener(direct, container.container_name, blob)()).snapshot()
        assert after is not None and {"next", "after"} <= set(after.resources), n
        assert after.serial == seen.serial, n



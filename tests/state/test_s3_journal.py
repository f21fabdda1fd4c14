"""The S3 journal (docs/remote-journal.md) against moto server over HTTP: a record is one object
beside the state (the state object is not rewritten), every reader replays the records in order, a
full write seals the journal before it writes and removes it after, a stale appender never lands an
acknowledged record (whether the journal was sealed, compacted and removed, or taken by a racing
appender), a missing or damaged object is refused, a compaction that died after its seal converges,
and the lifecycle fuzzer holds over it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from modelinfra.errors import StateError
from modelinfra.sandbox.base import RunningService
from modelinfra.state import StateManager, journal
from modelinfra.state.backends.s3 import S3Backend
from tests.state.test_journal import (
    compaction_refused_after_an_unseen_record,
    entry,
    fuzz_over,
    race,
    record_thirteen_and_check_every_reader,
)
from tests.state.test_journal import persisted as stored

KEY = "stacks/j.state.json"


@pytest.fixture
def s3(aws_env: dict[str, str]):  # noqa: ANN201
    return boto3.client("s3", endpoint_url=aws_env["AWS_ENDPOINT_URL"], region_name="us-east-1")


@pytest.fixture
def bucket(s3, unique_name: str) -> str:  # noqa: ANN001
    name = f"journal-{unique_name}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture
def open_backend(aws_emulator: RunningService, bucket: str):  # noqa: ANN201
    def open_backend(key: str = KEY) -> S3Backend:
        return S3Backend(bucket, key, region="us-east-1", endpoint_url=aws_emulator.url)
    return open_backend


def journal_objects(s3: Any, bucket: str) -> dict[str, bytes]:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=KEY + ".journal/").get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def state_versions(s3: Any, bucket: str) -> int:
    return len([v for v in s3.list_object_versions(Bucket=bucket, Prefix=KEY).get("Versions", [])
                if v["Key"] == KEY])


def test_a_record_is_one_object_and_the_state_object_is_not_rewritten(open_backend, s3, bucket: str):  # noqa: ANN001
    base = stored(open_backend, size=200)
    manager = StateManager(open_backend())
    state = manager.read()
    state.resources["new"] = entry("new", "create_pending")
    manager.record(state, ["new"])
    state.resources["new"] = entry("new", uid="u-1")
    assert manager.record(state, ["new"]).serial == 3
    assert state_versions(s3, bucket) == 1  # the 200-resource state was not rewritten
    objects = journal_objects(s3, bucket)
    assert [k.rsplit("/", 1)[1] for k in sorted(objects)] == ["0000000000", "0000000001"]
    assert all(k.startswith(f"{KEY}.journal/0000000001-") for k in objects)
    first, second = (objects[k] for k in sorted(objects))
    header, record = (json.loads(line) for line in first.splitlines())
    assert header == {"journal": 1, "lineage": base.lineage, "stack": "s", "serial": 1}
    assert record["serial"] == 2 and record["set"]["new"]["status"] == "create_pending"
    assert json.loads(second)["serial"] == 3 and len(second) < 300  # one entry, not 200
    head = s3.head_object(Bucket=bucket, Key=sorted(objects)[0])
    assert head["ServerSideEncryption"] == "AES256"


def test_readers_replay_every_record_in_order_and_persist_compacts_them_away(open_backend, s3, bucket: str):  # noqa: ANN001
    writer, state = record_thirteen_and_check_every_reader(open_backend)
    assert len(journal_objects(s3, bucket)) == 13
    writer.persist(state, force=True)
    assert journal_objects(s3, bucket) == {}  # sealed, compacted, removed
    document = json.loads(s3.get_object(Bucket=bucket, Key=KEY)["Body"].read())
    assert document["serial"] == 15 and "n11" in document["resources"] and "r0" not in document["resources"]
    state.resources["after"] = entry("after")  # the handle journals again, over the new version
    writer.record(state, ["after"])
    assert StateManager(open_backend()).snapshot().resources["after"].status == "ready"  # type: ignore[union-attr]
    assert len(journal_objects(s3, bucket)) == 1


def test_a_stale_appender_is_refused_after_the_journal_was_compacted_and_removed(open_backend, s3, bucket: str):  # noqa: ANN001
    stored(open_backend)
    writer, stale = StateManager(open_backend()), StateManager(open_backend())
    mine, theirs = writer.read(), stale.read()
    mine.resources["a"] = entry("a")
    writer.record(mine, ["a"])
    writer.persist(mine, force=True)  # seal, new state, the old journal deleted: its numbers are free again
    assert journal_objects(s3, bucket) == {}
    theirs.resources["b"] = entry("b", "create_pending")
    with pytest.raises(StateError, match=r"state changed by another run \(serial 1 → 3\)"):
        stale.record(theirs, ["b"])
    seen = StateManager(open_backend()).snapshot()
    assert seen is not None and "b" not in seen.resources and seen.serial == 3
    with pytest.raises(StateError, match="state changed by another run"):  # and it stays refused
        stale.record(theirs, ["b"])
    StateManager(open_backend()).persist(seen, force=True)  # the next compaction removes what it left
    assert journal_objects(s3, bucket) == {}


def test_a_compaction_is_refused_when_an_appender_took_its_seal_number(open_backend, s3, bucket: str):  # noqa: ANN001
    compaction_refused_after_an_unseen_record(open_backend, lambda: state_versions(s3, bucket))


def test_of_two_appenders_of_the_same_record_exactly_one_is_acknowledged(open_backend, s3, bucket: str):  # noqa: ANN001
    stored(open_backend)
    managers = [StateManager(open_backend()) for _ in range(2)]
    states = [m.read() for m in managers]
    for state in states:
        state.resources["same"] = entry("same", "create_pending")  # byte-identical records
    outcomes = race(*(lambda i=i: managers[i].record(states[i], ["same"]) for i in range(2)))
    assert sorted(outcomes) == ["ok", "refused"]
    assert len(journal_objects(s3, bucket)) == 1


@pytest.mark.parametrize("writer", ["this run", "another run"])
def test_a_put_retried_after_its_answer_was_lost_is_told_apart_from_another_writers(open_backend, s3,  # noqa: ANN001
                                                                                    bucket: str, writer: str):
    """botocore retries a PUT whose answer was lost; the retry's 412 is ours when the object holds
    our body and our writer id (acknowledged), and another run's otherwise (refused)."""
    stored(open_backend)
    backend = open_backend()
    manager = StateManager(backend)
    state = manager.read()
    state.resources["a"] = entry("a")
    body = journal.header_line(state) + journal.record_line(2, {"a": state.resources["a"]})
    s3.put_object(Bucket=bucket, Key=f"{backend._prefix()}0000000000", Body=body,  # what the first attempt left
                  Metadata={"writer": backend._writer if writer == "this run" else "someone-else"})
    if writer == "another run":
        with pytest.raises(StateError, match="state changed by another run"):
            manager.record(state, ["a"])
    else:
        assert manager.record(state, ["a"]).serial == 2
    seen = StateManager(open_backend()).snapshot()
    assert seen is not None and seen.serial == 2 and len(journal_objects(s3, bucket)) == 1


@pytest.mark.parametrize("records", [0, 2])
def test_a_compaction_that_died_after_its_seal_converges(open_backend, s3, bucket: str, records: int):  # noqa: ANN001
    """The seal is put, then the process dies before the state PUT: the state is still the base,
    the records before the seal are the logical state, and the next writer compacts anew."""
    stored(open_backend)
    dead = StateManager(open_backend())
    state = dead.read()
    for i in range(records):
        state.resources[f"a{i}"] = entry(f"a{i}")
        dead.record(state, [f"a{i}"])
    backend = dead.backend
    assert isinstance(backend, S3Backend)
    seal = f"{backend._prefix()}{records:010d}"
    s3.put_object(Bucket=bucket, Key=seal, Body=json.dumps({"sealed": 9}).encode() + b"\n")  # ... kill -9
    nxt = StateManager(open_backend())
    seen = nxt.read()
    assert seen.serial == 1 + records and sorted(seen.resources)[:records] == [f"a{i}" for i in range(records)]
    with pytest.raises(StateError, match="state changed by another run"):  # the dead run's handle: sealed
        state.resources["late"] = entry("late")
        dead.record(state, ["late"])
    assert nxt.persist(seen).serial == 1 + records  # unchanged, but compacts (a new object version)
    seen.resources["b"] = entry("b")
    nxt.record(seen, ["b"])  # journals again over the new version
    after = StateManager(open_backend()).snapshot()
    assert after is not None and after.serial == 2 + records and "b" in after.resources and "late" not in after.resources
    assert all(not k.startswith(seal.rsplit("/", 1)[0]) for k in journal_objects(s3, bucket))


def test_a_missing_or_damaged_journal_object_is_refused_clearly(open_backend, s3, bucket: str):  # noqa: ANN001
    stored(open_backend)
    manager = StateManager(open_backend())
    state = manager.read()
    for name in ("a", "b", "c"):
        state.resources[name] = entry(name)
        manager.record(state, [name])
    keys = sorted(journal_objects(s3, bucket))
    middle = s3.get_object(Bucket=bucket, Key=keys[1])["Body"].read()
    s3.put_object(Bucket=bucket, Key=keys[1], Body=b"not json\n")
    with pytest.raises(StateError, match=r"journal object .*0000000001 is damaged"):
        StateManager(open_backend()).snapshot()
    s3.put_object(Bucket=bucket, Key=keys[1], Body=middle)
    last = s3.get_object(Bucket=bucket, Key=keys[-1])["Body"].read()
    for damaged in (b"not json\n", last[:-5], last.rstrip(b"\n")):  # the last one too: S3 has no torn write
        s3.put_object(Bucket=bucket, Key=keys[-1], Body=damaged)
        with pytest.raises(StateError, match=r"journal object .*0000000002 is damaged"):
            StateManager(open_backend()).snapshot()
    s3.put_object(Bucket=bucket, Key=keys[-1], Body=last)
    assert StateManager(open_backend()).snapshot().serial == 4  # type: ignore[union-attr]
    s3.delete_object(Bucket=bucket, Key=keys[1])
    with pytest.raises(StateError, match=r"missing object .*0000000001") as caught:
        StateManager(open_backend()).snapshot()
    assert "\n" not in str(caught.value)
    with pytest.raises(StateError, match="missing object"):  # a writer refuses it too: nothing written
        StateManager(open_backend()).read()
    assert state_versions(s3, bucket) == 1


def test_a_journal_without_its_state_object_is_refused(open_backend, s3, bucket: str):  # noqa: ANN001
    stored(open_backend)
    manager = StateManager(open_backend())
    state = manager.read()
    state.resources["a"] = entry("a")
    manager.record(state, ["a"])
    s3.delete_object(Bucket=bucket, Key=KEY)
    with pytest.raises(StateError, match="holds journal objects but .* does not exist"):
        StateManager(open_backend()).snapshot()


def test_the_lifecycle_fuzzer_holds_over_the_s3_journal(open_backend, tmp_path: Path):  # noqa: ANN001
    fuzz_over(open_backend, 8, tmp_path)


@pytest.mark.parametrize("size", [10, 1000])
def test_a_record_costs_two_small_requests_whatever_the_state_size(open_backend, size: int):  # noqa: ANN001
    stored(open_backend, size=size)
    backend = open_backend()
    manager = StateManager(backend)
    state = manager.read()
    sent: list[tuple[str, int]] = []
    backend.client.meta.events.register(
        "before-send.s3", lambda request, **_: sent.append((request.method, int(request.headers.get("Content-Length", 0)))))
    for i in range(5):
        state.resources[f"n{i}"] = entry(f"n{i}")
        manager.record(state, [f"n{i}"])
    assert [method for method, _ in sent] == ["PUT", "HEAD"] * 5  # one object put, one state check
    assert max(length for _, length in sent) < 600  # the record, not the state

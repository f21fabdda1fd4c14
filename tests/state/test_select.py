"""Backend selection from the spec's ``state:`` block, the ``.modelinfra/backend.json`` record and the
guard it drives, and ``migrate`` between two local places (S3 is covered end to end in
tests/e2e/test_remote_state_s3.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from modelinfra.errors import StateError
from modelinfra.spec.compile import compile_spec
from modelinfra.spec.spec import Spec
from modelinfra.state import LocalBackend, ResourceState, State, StateManager
from modelinfra.state.backends.s3 import S3Backend
from modelinfra.state.backends.select import check_recorded, migrate, open_backend, record_path

AWS = "providers:\n  aws: {region: eu-west-1, profile: ml, endpoint_url: 'http://127.0.0.1:9'}\n"


def spec_with(tmp_path: Path, state: str, providers: str = "") -> Spec:
    path = tmp_path / "spec.yaml"
    path.write_text(f"version: 1\nname: sel\n{providers}{state}outputs:\n  o: {{value: 1}}\n")
    return compile_spec(path)


def test_s3_takes_region_profile_and_endpoint_from_providers_aws_unless_the_block_sets_them(tmp_path: Path):
    backend = open_backend(spec_with(tmp_path, "state: {backend: s3, bucket: st-b, key: k.json}\n", AWS))
    assert isinstance(backend._backend, S3Backend)  # wrapped so its first write records it
    assert (backend.path, backend.region, backend.profile, backend.endpoint_url) == (
        "s3://st-b/k.json", "eu-west-1", "ml", "http://127.0.0.1:9")
    own = open_backend(spec_with(tmp_path, "state: {backend: s3, bucket: st-b, key: k.json, region: us-east-2, "
                                           "profile: ci, endpoint_url: 'http://127.0.0.1:8'}\n", AWS))
    assert (own.region, own.profile, own.endpoint_url) == ("us-east-2", "ci", "http://127.0.0.1:8")
    bare = open_backend(spec_with(tmp_path, "state: {backend: s3, bucket: st-b, key: k.json}\n"))
    assert (bare.region, bare.profile, bare.endpoint_url) == (None, None, None)


def test_local_is_the_file_the_block_names_and_records_nothing(tmp_path: Path):
    backend = open_backend(spec_with(tmp_path, "state: {path: states/x.json}\n"))
    assert isinstance(backend, LocalBackend) and backend.path == (tmp_path / "states/x.json").resolve()
    StateManager(backend).persist(State.new("sel"))
    assert not record_path(spec_with(tmp_path, "")).exists()


def test_a_missing_azure_blob_backend_is_one_clean_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "modelinfra.state.backends.azure_blob", None)  # import fails
    spec = spec_with(tmp_path, "state: {backend: azure_blob, account: mlstate, container: mlstate, blob: x.json}\n")
    with pytest.raises(StateError, match="azure_blob is not available") as caught:
        open_backend(spec)
    assert "\n" not in str(caught.value)


def test_the_guard_refuses_a_spec_whose_backend_differs_from_where_the_state_was_kept(tmp_path: Path):
    StateManager(open_backend(spec_with(tmp_path, ""))).persist(State.new("sel"))  # the local default
    check_recorded(spec_with(tmp_path, ""))
    moved = spec_with(tmp_path, "state: {backend: s3, bucket: st-b, key: k.json}\n")
    with pytest.raises(StateError, match=r"last kept in .*sel\.state\.json; run `modelinfra state migrate"):
        check_recorded(moved)
    record_path(moved).write_text(json.dumps({"backend": "s3", "bucket": "st-b", "key": "k.json",
                                              "region": "us-east-1"}))
    check_recorded(moved)  # same bucket and key: region or endpoint may differ per machine
    with pytest.raises(StateError, match="last kept in s3://st-b/k.json"):
        check_recorded(spec_with(tmp_path, "state: {backend: s3, bucket: st-b, key: other.json}\n"))
    record_path(moved).write_text("{not json")
    with pytest.raises(StateError, match="not a readable backend record"):
        check_recorded(moved)


def test_a_fresh_checkout_with_remote_state_has_nothing_recorded_and_passes(tmp_path: Path):
    check_recorded(spec_with(tmp_path, "state: {backend: s3, bucket: st-b, key: k.json}\n"))


def test_migrate_keeps_lineage_and_serial_holds_both_locks_and_records_the_new_place(tmp_path: Path):
    manager = StateManager(open_backend(spec_with(tmp_path, "")))
    state = manager.refresh("sel")
    for n in range(3):
        state.outputs["o"] = {"value": n, "sensitive": False}
        manager.persist(state)
    target_spec = spec_with(tmp_path, "state: {path: moved.json}\n")
    target = open_backend(target_spec)
    said = migrate(target_spec, target)
    assert "Migrated" in said and "left as it was" in said
    moved = LocalBackend(tmp_path / "moved.json").read()
    assert moved is not None and (moved.lineage, moved.serial) == (state.lineage, state.serial)
    check_recorded(target_spec)
    assert not (tmp_path / "moved.json.lock").exists() and not (tmp_path / ".modelinfra/sel.state.json.lock").exists()
    assert "Nothing to migrate" in migrate(target_spec, open_backend(target_spec))


def test_migrate_moves_the_journalled_actions_of_a_crashed_run_too(tmp_path: Path):
    manager = StateManager(open_backend(spec_with(tmp_path, "")))
    state = manager.refresh("sel")
    manager.persist(state)
    state.outputs["kept"] = {"value": 1, "sensitive": False}
    manager.persist(state)
    state.resources["pending"] = ResourceState("fake.node", "id-p", {}, [], "create_pending")
    manager.record(state, ["pending"])  # journalled, never compacted: the run died here
    target_spec = spec_with(tmp_path, "state: {path: moved.json}\n")
    migrate(target_spec, open_backend(target_spec))
    moved = LocalBackend(tmp_path / "moved.json").read()
    assert moved is not None and moved.resources["pending"].status == "create_pending"
    assert moved.serial == state.serial


def test_migrate_refuses_a_target_holding_another_state_and_writes_nothing(tmp_path: Path):
    StateManager(open_backend(spec_with(tmp_path, ""))).persist(State.new("sel"))
    target_spec = spec_with(tmp_path, "state: {path: moved.json}\n")
    StateManager(open_backend(target_spec)).persist(State.new("sel"))  # another lineage already there
    before = (tmp_path / "moved.json").read_bytes()
    with pytest.raises(StateError, match="already holds a state .*nothing was changed"):
        migrate(target_spec, open_backend(target_spec))
    assert (tmp_path / "moved.json").read_bytes() == before
    assert not record_path(target_spec).exists()


def test_migrate_with_no_state_anywhere_else_says_so(tmp_path: Path):
    spec = spec_with(tmp_path, "state: {path: moved.json}\n")
    assert "Nothing to migrate" in migrate(spec, open_backend(spec))

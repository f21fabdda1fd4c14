"""``state pull|push|mv|unlock|migrate`` and the backend guard through the installed CLI, on local
state (no emulator needed; S3 runs the same commands in tests/e2e/test_remote_state_s3.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from modelinfra.cli.main import cli
from modelinfra.state import LockInfo
from tests.e2e.cli import run_cli

SPEC = "version: 1\nname: cmds\n{state}outputs:\n  greeting: {{value: hello}}\n"


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC.format(state=""))
    applied = run_cli("apply", path, "--auto-approve", cwd=tmp_path)
    assert applied.code == 0, applied.output
    return path


def state_file(spec: Path) -> Path:
    return spec.parent / ".modelinfra" / "cmds.state.json"


def with_resources(document: dict) -> dict:
    resources = {"a": {"type": "aws.s3_bucket", "id": "a", "attributes": {}, "dependencies": [], "status": "ready"},
                 "b": {"type": "aws.s3_object", "id": "a/k", "attributes": {}, "dependencies": ["a"],
                       "status": "ready"}}
    return {**document, "serial": document["serial"] + 1, "resources": resources}


def test_pull_prints_the_stored_document_and_push_replaces_it_only_when_newer_and_same_lineage(spec: Path):
    pulled = run_cli("state", "pull", spec)
    assert pulled.code == 0 and json.loads(pulled.stdout) == json.loads(state_file(spec).read_text())
    stored = json.loads(pulled.stdout)
    upload = spec.parent / "upload.json"
    upload.write_text(pulled.stdout)
    same = run_cli("state", "push", spec, upload)
    assert same.code == 1 and "is not newer" in same.stderr and "--force" in same.stderr, same.output
    upload.write_text(json.dumps({**with_resources(stored), "lineage": "11111111-1111-4111-8111-111111111111"}))
    other = run_cli("state", "push", spec, upload)
    assert other.code == 1 and "lineage" in other.stderr, other.output
    assert json.loads(state_file(spec).read_text()) == stored  # nothing was pushed
    forced = run_cli("state", "push", spec, upload, "--force")
    assert forced.code == 0, forced.output
    assert json.loads(state_file(spec).read_text())["lineage"].startswith("1111")
    upload.write_text("{broken")
    broken = run_cli("state", "push", spec, upload)
    assert broken.code == 1 and "not a state JSON document" in broken.stderr
    assert len(broken.stderr.strip().splitlines()) == 1 and "Traceback" not in broken.output


def test_mv_renames_an_address_and_its_dependents_references_and_refuses_unknown_or_taken_names(spec: Path):
    upload = spec.parent / "upload.json"
    upload.write_text(json.dumps(with_resources(json.loads(state_file(spec).read_text()))))
    assert run_cli("state", "push", spec, upload).code == 0
    moved = run_cli("state", "mv", spec, "a", "models")
    assert moved.code == 0, moved.output
    document = json.loads(state_file(spec).read_text())
    assert set(document["resources"]) == {"models", "b"} and document["resources"]["b"]["dependencies"] == ["models"]
    before = state_file(spec).read_bytes()
    unknown = run_cli("state", "mv", spec, "nope", "x")
    assert unknown.code == 1 and "nope: not in state" in unknown.stderr, unknown.output
    taken = run_cli("state", "mv", spec, "models", "b")
    assert taken.code == 1 and "b: already in state" in taken.stderr, taken.output
    assert state_file(spec).read_bytes() == before


def test_unlock_releases_only_a_gone_holders_lock_unless_forced_with_its_id(spec: Path):
    lock = state_file(spec).with_name("cmds.state.json.lock")
    live = LockInfo.for_this_process("apply", str(lock))
    lock.write_text(LockInfo(**{**live.to_json(), "host": "elsewhere", "pid": os.getpid()}).dumps())
    refused = run_cli("state", "unlock", spec)
    assert refused.code == 1 and "elsewhere" in refused.stderr and f"--force {live.id}" in refused.stderr
    wrong = run_cli("state", "unlock", spec, "--force", "not-the-id")
    assert wrong.code == 1 and lock.exists(), wrong.output
    released = run_cli("state", "unlock", spec, "--force", live.id)
    assert released.code == 0 and "released" in released.stdout and not lock.exists()
    lock.write_text(LockInfo(**{**live.to_json(), "pid": 2 ** 22 + 1}).dumps())  # this host, no such process
    gone = run_cli("state", "unlock", spec)
    assert gone.code == 0 and not lock.exists(), gone.output
    assert run_cli("state", "unlock", spec).stdout.strip() == "state was not locked"


def test_plan_and_drift_refuse_a_backend_change_until_state_migrate(spec: Path):
    spec.write_text(SPEC.format(state="state: {path: team/cmds.json}\n"))
    for command in (["plan"], ["drift"], ["apply", "--auto-approve"], ["destroy", "--auto-approve"]):
        refused = run_cli(*command, spec)
        assert refused.code == 1 and f"run `modelinfra state migrate {spec}`" in refused.stderr, refused.output
    assert not (spec.parent / "team").exists() and not (spec.parent / ".modelinfra/backend.json").exists()
    migrated = run_cli("state", "migrate", spec)
    assert migrated.code == 0 and "Migrated" in migrated.stdout, migrated.output
    old, new = (json.loads(p.read_text()) for p in (state_file(spec), spec.parent / "team/cmds.json"))
    assert (new["lineage"], new["serial"]) == (old["lineage"], old["serial"])
    assert run_cli("plan", spec, "--detailed-exitcode").code == 0


def test_drift_with_no_state_is_an_error_naming_where_it_looked(tmp_path: Path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(state=""))
    drifted = run_cli("drift", spec, "--format", "markdown")
    assert drifted.code == 1 and str(tmp_path / ".modelinfra/cmds.state.json") in drifted.stderr, drifted.output
    assert "No drift" not in drifted.output


@pytest.mark.parametrize("command", ["list", "show", "pull", "push", "mv", "rm", "migrate", "unlock"])
def test_state_subcommand_help_shows_an_example(command: str):
    result = CliRunner().invoke(cli, ["state", command, "--help"])
    assert result.exit_code == 0, result.output
    assert f"modelinfra state {command} " in result.output.partition("Examples:\n")[2], result.output

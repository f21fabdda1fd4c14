"""Nothing lost: kill -9 or Ctrl-C mid-apply leaves a state the next plan converges from, with no
orphaned or duplicated resources; a second writer fails fast naming the lock holder."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from modelinfra.state import LocalBackend, StateManager
from tests.e2e.cli import modelinfra_executable, run_cli

pytestmark = pytest.mark.e2e

SPEC = """\
version: 1
name: crash
providers:
  azure:
    subscription_id: ${{env.AZURE_SUBSCRIPTION_ID}}
resources:
  rg:
    type: azure.resource_group
    properties: {{name: rg-{suffix}, location: westus}}
  account:
    type: azure.storage_account
    properties:
      name: sa{suffix}
      resource_group: ${{rg.name}}
      location: westus
  container:
    type: azure.blob_container
    properties:
      name: c{suffix}
      account: ${{account.name}}
      resource_group: ${{rg.name}}
"""


def state_of(directory: Path) -> dict:
    """The state as every command reads it: the file with its journal of a run in progress replayed."""
    state = StateManager(LocalBackend(directory / ".modelinfra" / "crash.state.json")).snapshot()
    return state.to_json() if state else {"resources": {}}


def start_apply(spec: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    import os

    return subprocess.Popen([modelinfra_executable(), "apply", str(spec), "--auto-approve"],
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_status(directory: Path, address: str, status: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entry = state_of(directory)["resources"].get(address)
        if entry and entry["status"] == status:
            return
        time.sleep(0.01)
    pytest.fail(f"{address} never became {status}: {state_of(directory)}")


@pytest.fixture
def slow_arm(arm_emulator):
    arm_emulator.handle.faults.configure(latency=0.4)
    yield arm_emulator
    arm_emulator.handle.faults.reset()


@contextmanager
def frozen_after(emulator: Any, method: str, path_part: str) -> Iterator[threading.Event]:
    """Hold every ARM request that follows the first ``method`` request whose path contains
    ``path_part`` until the block exits: the yielded event is set once that request was answered,
    so whoever waits on it knows the client is mid-operation and cannot get any further."""
    reached, release = threading.Event(), threading.Event()
    engine = emulator.engine
    original = engine.handle

    def handle(request: Any) -> Any:
        if reached.is_set():
            release.wait(120)
        response = original(request)
        if request.method == method and path_part.lower() in request.path.lower():
            reached.set()
        return response

    engine.handle = handle
    try:
        yield reached
    finally:
        release.set()
        engine.handle = original


def test_kill_9_mid_create_is_recovered_by_the_next_apply(tmp_path: Path, azure_env, arm_emulator, unique_name):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(suffix=unique_name))
    with frozen_after(arm_emulator.handle, "PUT", f"/storageAccounts/sa{unique_name}") as put_answered:
        proc = start_apply(spec, azure_env)
        try:
            assert put_answered.wait(60), "the apply never sent the storage account's PUT"
            proc.send_signal(signal.SIGKILL)  # the create is under way: its LRO cannot finish
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
    crashed = state_of(tmp_path)
    assert crashed["resources"]["account"]["status"] == "create_pending"
    assert "container" not in crashed["resources"]
    assert (tmp_path / ".modelinfra" / "crash.state.json.lock").exists(), "kill -9 leaves the lock behind"

    plan = run_cli("plan", spec, env=azure_env)
    assert plan.code == 0, plan.output
    assert "container will be created" in plan.stdout

    applied = run_cli("apply", spec, "--auto-approve", env=azure_env)
    assert applied.code == 0, applied.output
    assert "Warning" in applied.stderr and "lock" in applied.stderr  # dead holder's lock taken over
    final = state_of(tmp_path)
    assert {a: r["status"] for a, r in final["resources"].items()} == {
        "rg": "ready", "account": "ready", "container": "ready"}

    from modelinfra.providers.azure.session import AzureSession
    from modelinfra.settings import Settings
    from modelinfra.spec.providers import AzureProviderConfig

    storage = AzureSession(AzureProviderConfig(subscription_id=azure_env["AZURE_SUBSCRIPTION_ID"]), Settings())
    accounts = [a.name for a in storage.mgmt("storage").storage_accounts.list_by_resource_group(f"rg-{unique_name}")]
    assert accounts == [f"sa{unique_name}"], "exactly one account: adopted, not duplicated"
    assert run_cli("plan", spec, "--detailed-exitcode", env=azure_env).code == 0
    assert run_cli("destroy", spec, "--auto-approve", env=azure_env).code == 0


def test_ctrl_c_finishes_running_actions_saves_state_and_skips_the_rest(tmp_path: Path, azure_env, slow_arm,
                                                                        unique_name):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(suffix=unique_name))
    proc = start_apply(spec, azure_env)
    wait_for_status(tmp_path, "account", "create_pending")
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert "Interrupt received: finishing 1 action(s) under way (account), then saving state." in stderr, stderr
    interrupted = state_of(tmp_path)
    assert interrupted["resources"]["account"]["status"] == "ready", "the running create finished and was saved"
    assert "container" not in interrupted["resources"]
    assert not (tmp_path / ".modelinfra" / "crash.state.json.lock").exists(), "a clean exit releases the lock"
    slow_arm.handle.faults.reset()

    plan = run_cli("plan", spec, "--detailed-exitcode", env=azure_env)
    assert plan.code == 2 and "Plan: 1 to add, 0 to change, 0 to destroy." in plan.stdout, plan.output
    assert run_cli("apply", spec, "--auto-approve", env=azure_env).code == 0
    assert run_cli("destroy", spec, "--auto-approve", env=azure_env).code == 0


def test_a_second_writer_fails_fast_naming_the_holder(tmp_path: Path, azure_env, unique_name):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(suffix=unique_name))
    manager = StateManager(LocalBackend(tmp_path / ".modelinfra" / "crash.state.json"))
    with manager.lock("apply"):
        started = time.monotonic()
        blocked = run_cli("apply", spec, "--auto-approve", env=azure_env)
        assert time.monotonic() - started < 15
    assert blocked.code == 1
    import os

    assert f"pid {os.getpid()}" in blocked.stderr or str(os.getpid()) in blocked.stderr
    assert "--lock-timeout" in blocked.stderr
    assert state_of(tmp_path)["resources"] == {}

"""Issue 12's "done when" for ``backend: azure_blob``, through the installed CLI against the sandbox
(the ARM emulator, whose storage accounts live in Azurite; the backend finds the state account's
endpoint and key through ARM ``listKeys``, ``state.resource_group``): two checkouts ("machines" A and
B: separate directories and host names) share one stack; concurrent applies exclude each other; a
holder killed with -9 blocks the other machine only until its lease expires (Azure's shortest lease,
15 s); pull/push refuse what would lose history; migrate from local keeps the lineage; drift with no
state is an error. The same story as test_remote_state_s3.py, through the same helpers."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from modelinfra.sandbox.base import RunningService
from modelinfra.state import State, StateManager
from modelinfra.state.backends.azure_blob import AzureBlobBackend
from tests.e2e.examples import azure_mgmt, azurite_blob, azurite_container, create_storage_account
from tests.e2e.remote_state import Machines, check_pull_push_refusals, checkout, some_ready, wait_until

pytestmark = pytest.mark.e2e

BLOB = "stacks/shared.state.json"

SPEC = """\
version: 1
name: shared-{suffix}
providers:
  azure:
    subscription_id: ${{env.AZURE_SUBSCRIPTION_ID}}
{state}
resources:
  rg:
    type: azure.resource_group
    properties: {{name: models-{suffix}, location: westeurope}}
  account:
    type: azure.storage_account
    properties: {{name: models{suffix}, resource_group: '${{rg.name}}', location: westeurope,
                 sku: Standard_LRS, kind: StorageV2}}
  container:
    type: azure.blob_container
    properties: {{name: models-{suffix}, account: '${{account.name}}', resource_group: '${{rg.name}}'}}
{blobs}"""


def spec_text(suffix: str, state: bool, blobs: int = 1, blob: str = BLOB) -> str:
    block = (f"state: {{backend: azure_blob, account: st{suffix}, container: state-{suffix}, blob: {blob}, "
             f"resource_group: state-{suffix}}}" if state else "")
    lines = [f"  blob{i}:\n    type: azure.blob\n"
             f"    properties: {{name: 'm/{i}.bin', account: '${{account.name}}', container: '${{container.name}}',"
             f" resource_group: '${{rg.name}}', source: ./model.bin}}\n" for i in range(blobs)]
    return SPEC.format(suffix=suffix, state=block, blobs="".join(lines))


@dataclass
class AzureStore:
    azurite: dict[str, Any]
    container: str
    blob: str = BLOB

    def _client(self, name: str) -> Any:
        return azurite_blob(self.azurite, self.container, name)

    def document(self) -> dict[str, Any] | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            body = self._client(self.blob).download_blob().readall()
        except ResourceNotFoundError:
            return None
        return json.loads(body) if body else None  # a 0-byte placeholder (a lease needs a blob): no state

    @cached_property
    def backend(self) -> AzureBlobBackend:
        from modelinfra.providers.azure.blob_data import AZURITE_API_VERSION

        key = {"account_name": "devstoreaccount1", "account_key": self.azurite["account_key"]}
        return AzureBlobBackend(self.azurite["blob_endpoint"], self.container, self.blob, credential=key,
                                api_version=AZURITE_API_VERSION)

    def logical(self) -> State | None:
        return StateManager(self.backend).snapshot()

    def lock_host(self) -> str | None:
        if self._client(self.blob).get_blob_properties().lease.state != "leased":
            return None
        return json.loads(self._client(self.blob + ".lock").download_blob().readall())["host"]

    def addresses(self) -> set[str]:
        return set((self.document() or {"resources": {}})["resources"])


@pytest.fixture
def store(azure_env: dict[str, str], azurite: RunningService, unique_name: str) -> AzureStore:
    """The team's state account (through ARM: it lives in Azurite) and its container."""
    group, account, container = f"state-{unique_name}", f"st{unique_name}", f"state-{unique_name}"
    create_storage_account(group, account, container)
    return AzureStore(azurite.extra, container)


@pytest.fixture
def machines(azure_env: dict[str, str]) -> Machines:
    return Machines(azure_env)


@pytest.fixture
def arm_faults(arm_emulator: RunningService) -> Iterator[Any]:
    yield arm_emulator.handle.faults
    arm_emulator.handle.faults.reset()


def model_blobs(store: AzureStore, unique_name: str) -> dict[str, str]:
    """name -> ETag of every blob in the stack's model container."""
    return {b.name: b.etag for b in azurite_container(store.azurite, f"models-{unique_name}").list_blobs()}


def test_two_machines_share_one_stack_and_exclude_each_other(tmp_path: Path, machines: Machines, store: AzureStore,
                                                             unique_name: str, arm_faults: Any) -> None:
    text = spec_text(unique_name, state=True)
    spec_a, spec_b = checkout(tmp_path, "a", text), checkout(tmp_path, "b", text)

    applied = machines.cli(spec_a, "a", "apply", "stack.yaml", "--auto-approve")
    assert applied.code == 0, applied.output
    assert not list((tmp_path / "a").rglob("*.state.json"))  # no local state on A
    recorded = json.loads((tmp_path / "a/.modelinfra/backend.json").read_text())
    assert (recorded["backend"], recorded["container"]) == ("azure_blob", store.container), recorded
    assert store.addresses() == {"rg", "account", "container", "blob0"}

    planned = machines.cli(spec_b, "b", "plan", "stack.yaml", "--detailed-exitcode")
    assert planned.code == 0, planned.output
    assert "No changes" in planned.stdout
    drifted = machines.cli(spec_b, "b", "drift", "stack.yaml")
    assert drifted.code == 0, drifted.output

    # both machines apply a change at once: one proceeds, the other fails naming the holder
    for spec in (spec_a, spec_b):
        spec.write_text(spec_text(unique_name, state=True, blobs=3))
    arm_faults.configure(latency=0.05)  # every ARM request slower, so the winner holds the lock a while
    try:
        winner, _ = machines.race({"a": spec_a, "b": spec_b}, "apply", "stack.yaml", "--auto-approve")
    finally:
        arm_faults.reset()
    assert store.addresses() == {"rg", "account", "container", "blob0", "blob1", "blob2"}
    assert store.lock_host() is None  # the winner released its lease

    loser = spec_b if winner == "a" else spec_a
    again = machines.cli(loser, loser.parent.name, "plan", "stack.yaml", "--detailed-exitcode")
    assert again.code == 0, again.output


def test_a_holder_killed_mid_apply_blocks_the_other_machine_only_until_its_lease_expires(
        tmp_path: Path, machines: Machines, store: AzureStore, unique_name: str, arm_faults: Any) -> None:
    text = spec_text(unique_name, state=True, blobs=8)
    spec_a, spec_b = checkout(tmp_path, "a", text), checkout(tmp_path, "b", text)
    arm_faults.configure(latency=0.1)
    victim = machines.start(spec_a, "a", "apply", "stack.yaml", "--auto-approve", "--parallelism", "1")
    try:
        wait_until(lambda: some_ready(store, "blob"), victim)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
    finally:
        arm_faults.reset()
    created_by_a = model_blobs(store, unique_name)
    killed = store.logical()
    assert killed is not None
    ready = {a for a, e in killed.resources.items() if a.startswith("blob") and e.status == "ready"}
    assert ready and len(ready) < 8, ready  # killed in the middle
    assert store.lock_host() == "a"  # the dead holder's lease is still there: B must wait for it to expire

    # B without waiting: refused at once, naming the (dead) holder
    baseline, read_time = machines.timed(spec_b, "b", "state", "pull", "stack.yaml")
    assert baseline.code == 0, baseline.output
    refused, refused_time = machines.timed(spec_b, "b", "apply", "stack.yaml", "--auto-approve")
    assert refused.code == 1 and "state is locked by pid" in refused.stderr and "@a)" in refused.stderr, refused.output
    assert refused_time - read_time < 2.0, (refused_time, read_time)  # beyond start-up and one read: < 2 s

    resumed = machines.cli(spec_b, "b", "apply", "stack.yaml", "--auto-approve", "--lock-timeout", "180")
    assert resumed.code == 0, resumed.output
    assert "took over the expired state lock" in resumed.stderr
    after = model_blobs(store, unique_name)
    assert sorted(after) == [f"m/{i}.bin" for i in range(8)]  # every blob, each once
    for address in ready:  # what A finished was adopted, not uploaded again
        name = f"m/{address.removeprefix('blob')}.bin"
        assert after[name] == created_by_a[name], name
    groups = [g.name for g in azure_mgmt("resource").resource_groups.list() if unique_name in g.name]
    assert sorted(groups) == [f"models-{unique_name}", f"state-{unique_name}"]
    accounts = [a.name for a in azure_mgmt("storage").storage_accounts.list_by_resource_group(f"models-{unique_name}")]
    assert accounts == [f"models{unique_name}"]
    clean = machines.cli(spec_a, "a", "plan", "stack.yaml", "--detailed-exitcode")
    assert clean.code == 0, clean.output
    assert store.lock_host() is None


def test_pull_push_refusals_and_migrate_from_local_keep_the_lineage(tmp_path: Path, machines: Machines,
                                                                      store: AzureStore, unique_name: str) -> None:
    spec = checkout(tmp_path, "a", spec_text(unique_name, state=False))
    assert machines.cli(spec, "a", "apply", "stack.yaml", "--auto-approve").code == 0
    local = json.loads((spec.parent / f".modelinfra/shared-{unique_name}.state.json").read_text())

    spec.write_text(spec_text(unique_name, state=True))  # the team moves the state to Azure
    refused = machines.cli(spec, "a", "plan", "stack.yaml")
    assert refused.code == 1 and "state migrate" in refused.stderr, refused.output
    assert "Traceback" not in refused.output and store.document() is None
    migrated = machines.cli(spec, "a", "state", "migrate", "stack.yaml")
    assert migrated.code == 0, migrated.output
    remote = store.document()
    assert remote is not None and (remote["lineage"], remote["serial"]) == (local["lineage"], local["serial"])
    assert store.lock_host() is None  # migrate released both locks

    check_pull_push_refusals(machines, spec, store)

    # a checkout pointing at a blob that holds nothing: drift is an error, plan says what already exists
    lost = checkout(tmp_path, "c", spec_text(unique_name, state=True, blob="stacks/wrong.state.json"))
    drifted = machines.cli(lost, "c", "drift", "stack.yaml", "--format", "markdown")
    assert drifted.code == 1, drifted.output
    assert f"/state-{unique_name}/stacks/wrong.state.json" in drifted.stderr and "No drift" not in drifted.output
    warned = machines.cli(lost, "c", "plan", "stack.yaml")
    assert warned.code == 0, warned.output
    assert "already carry this stack's modelinfra-address tags" in warned.stderr and "rg (" in warned.stderr

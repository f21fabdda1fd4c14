"""A 429 storm on the ARM emulator -- one call in three answered ``429 Too Many Requests`` with
Retry-After -- does not fail an apply: the azure provider's retry budget rides it out. Seed 000
(``examples/azure-model-snapshots.yaml``) through the installed CLI.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelinfra.sandbox.base import RunningService
from tests.e2e.cli import run_cli
from tests.e2e.examples import azure_mgmt, azurite_blob, copy_example, write_model

pytestmark = pytest.mark.e2e


@pytest.fixture
def faults(arm_emulator: RunningService) -> Iterator[Any]:
    """The shared ARM emulator's fault switch, always reset afterwards (other tests share it)."""
    yield arm_emulator.handle.faults
    arm_emulator.handle.faults.reset()


def test_apply_succeeds_while_a_third_of_arm_calls_are_throttled(tmp_path: Path, azure_env: dict[str, str],
                                                                 azurite: RunningService, faults: Any,
                                                                 unique_name: str) -> None:
    run = copy_example("azure-model-snapshots.yaml", tmp_path, azure_env, suffix=unique_name)
    sha = write_model(tmp_path / "model_snapshot.bin", 64 * 1024)
    rg, account = f"ai-snapshots-{unique_name}", f"aisnapshots{unique_name}"
    try:
        faults.configure(throttle_ratio=1 / 3, retry_after=0.05)
        before = faults.injected["throttle"]
        applied = run.cli("apply", run.spec, "--auto-approve")
        throttled = faults.injected["throttle"] - before
        assert applied.code == 0, applied.output
        assert "Apply complete! Resources: 4 added, 0 changed, 0 destroyed." in applied.stdout
        assert throttled >= 5, f"only {throttled} calls were throttled; the storm did not happen"

        # still storming: the stack reads back in sync...
        again = run.cli("plan", run.spec, "--detailed-exitcode")
        assert again.code == 0, again.output
        # ...but only thanks to the retry budget: without one the storm is fatal
        run.env.update(MODELINFRA_MAX_ATTEMPTS="1", MODELINFRA_ENGINE_RETRIES="0")
        unretried = run.cli("plan", run.spec, "--detailed-exitcode")
        del run.env["MODELINFRA_MAX_ATTEMPTS"], run.env["MODELINFRA_ENGINE_RETRIES"]
        assert unretried.code == 1, unretried.output
        assert "TooManyRequests" in unretried.stderr and "Traceback" not in unretried.output
        faults.reset()

        storage = azure_mgmt("storage")
        assert storage.storage_accounts.get_properties(rg, account).as_dict()["properties"][
            "minimumTlsVersion"] == "TLS1_2"
        blob = azurite_blob(azurite.extra, f"snapshots-{unique_name}", "model_snapshot.bin")
        assert blob.get_blob_properties().metadata["modelinfra_sha256"] == sha
    finally:
        faults.reset()
        destroyed = run.cli("destroy", run.spec, "--auto-approve")
        assert destroyed.code == 0, destroyed.output


def _stack(name: str, disks: int, objects: int) -> str:
    lines = ["version: 1", f"name: {name}", "providers:", "  azure:",
             "    subscription_id: ${env.AZURE_SUBSCRIPTION_ID}", "  aws:", "    region: us-east-1", "resources:",
             "  rg:", "    type: azure.resource_group", f"    properties: {{name: {name}, location: westus}}",
             "  bucket:", "    type: aws.s3_bucket", f"    properties: {{name: {name}, force_destroy: true}}"]
    for i in range(disks):
        lines += [f"  disk{i}:", "    type: azure.managed_disk",
                  f"    properties: {{name: d{i}, resource_group: '${{rg.name}}', location: westus, "
                  "sku: Standard_LRS, create_option: Empty, size_gb: 4}"]
    for i in range(objects):
        lines += [f"  obj{i}:", "    type: aws.s3_object",
                  f"    properties: {{bucket: '${{bucket.name}}', key: 'm/{i}.bin', source: ./model.bin}}"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def aws_faults(aws_emulator: RunningService) -> Iterator[Any]:
    yield aws_emulator.handle.faults
    aws_emulator.handle.faults.reset()


def test_half_of_all_arm_and_aws_calls_throttled_slows_a_50_resource_stack_but_never_fails_it(
        tmp_path: Path, azure_env: dict[str, str], aws_env: dict[str, str], faults: Any, aws_faults: Any,
        unique_name: str) -> None:
    spec = tmp_path / "stack.yaml"
    spec.write_text(_stack(f"thr-{unique_name}", disks=24, objects=24))
    write_model(tmp_path / "model.bin", 1024)
    env = {**azure_env, **aws_env, "MODELINFRA_RETRY_BACKOFF_MAX": "0.5"}  # slower is fine, but not in CI
    faults.configure(throttle_ratio=0.5, retry_after=0.05)
    aws_faults.configure(throttle_ratio=0.5)
    try:
        planned = run_cli("plan", spec, "--detailed-exitcode", env=env, cwd=tmp_path, timeout=300)
        assert planned.code == 2, planned.output
        applied = run_cli("apply", spec, "--auto-approve", env=env, cwd=tmp_path, timeout=300)
        assert applied.code == 0, applied.output
        assert "Resources: 50 added, 0 changed, 0 destroyed." in applied.stdout
        again = run_cli("plan", spec, "--detailed-exitcode", env=env, cwd=tmp_path, timeout=300)
        assert again.code == 0, again.output
        assert faults.injected["throttle"] >= 25 and aws_faults.injected["throttle"] >= 25
    finally:
        destroyed = run_cli("destroy", spec, "--auto-approve", env=env, cwd=tmp_path, timeout=300)
        faults.reset()
        aws_faults.reset()
    assert destroyed.code == 0, destroyed.output
    assert "50 destroyed" in destroyed.stdout

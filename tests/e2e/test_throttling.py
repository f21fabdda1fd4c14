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
        run.env["MODELINFRA_MAX_ATTEMPTS"] = "1"
        unretried = run.cli("plan", run.spec, "--detailed-exitcode")
        del run.env["MODELINFRA_MAX_ATTEMPTS"]
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

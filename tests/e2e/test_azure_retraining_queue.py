"""``examples/azure-retraining-queue.yaml`` end to end through the installed CLI against the ARM
emulator: validate, plan (saved + JSON), apply, no-op plan, edit (max_delivery_count), update, drift
made with the SDK, destroy -- and the namespace's key material never leaves ``output --show-sensitive``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError

from tests.conftest import SUBSCRIPTION_ID
from tests.e2e.cli import Result, run_cli

pytestmark = pytest.mark.e2e

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "azure-retraining-queue.yaml"
DELIVERY_LINE = "      max_delivery_count: 5 "


def _servicebus() -> Any:
    from modelinfra.providers.azure.session import AzureSession
    from modelinfra.settings import Settings
    from modelinfra.spec.providers import AzureProviderConfig

    return AzureSession(AzureProviderConfig(subscription_id=SUBSCRIPTION_ID), Settings()).mgmt("servicebus")


def test_retraining_queue_lifecycle_keeps_the_connection_string_secret(tmp_path: Path, azure_env: dict[str, str],
                                                                       unique_name: str) -> None:
    spec = tmp_path / "azure-retraining-queue.yaml"
    shutil.copy(EXAMPLE, spec)
    env = {**azure_env, "MODELINFRA_VAR_suffix": unique_name}
    rg, namespace = f"retraining-{unique_name}", f"retraining-{unique_name}"
    results: list[tuple[str, Result]] = []

    def cli(*args: Any) -> Result:
        """Run the CLI and keep what it printed, to search for leaked key material at the end."""
        result = run_cli(*args, env=env)
        results.append((" ".join(map(str, args)), result))
        return result

    assert cli("validate", spec).code == 0

    plan = cli("plan", spec, "--detailed-exitcode")
    assert plan.code == 2, plan.output
    assert '+ resource "azure.servicebus_queue" "jobs"' in plan.stdout
    assert "Plan: 3 to add, 0 to change, 0 to destroy." in plan.stdout
    plan_json = cli("plan", spec, "--json")
    assert plan_json.code == 0, plan_json.output
    outputs = json.loads(plan_json.stdout)["output_changes"]
    assert outputs["primary_connection_string"]["after_sensitive"] is True

    planfile = tmp_path / "retraining.plan"
    assert cli("plan", spec, "--out", planfile).code == 0
    applied = cli("apply", planfile)
    assert applied.code == 0, applied.output
    assert "Apply complete! Resources: 3 added, 0 changed, 0 destroyed." in applied.stdout

    sb = _servicebus()
    queue = sb.queues.get(rg, namespace, "retrain-jobs").as_dict()["properties"]
    assert (queue["maxDeliveryCount"], queue["lockDuration"], queue["requiresDuplicateDetection"]) == (5, "PT2M", True)
    keys = sb.namespaces.list_keys(rg, namespace, "RootManageSharedAccessKey").as_dict()
    secrets = (keys["primaryKey"], keys["secondaryKey"])

    masked = cli("output", spec)
    assert masked.code == 0 and "primary_connection_string = (sensitive)" in masked.stdout
    shown = run_cli("output", spec, "primary_connection_string", "--show-sensitive", "--raw", env=env)
    assert shown.code == 0, shown.output
    assert shown.stdout.strip() == keys["primaryConnectionString"]
    assert keys["primaryKey"] in shown.stdout

    again = cli("plan", spec, "--detailed-exitcode")
    assert again.code == 0, again.output
    assert "No changes." in again.stdout

    # edit: an in-place update of the queue only
    spec.write_text(spec.read_text().replace(DELIVERY_LINE, "      max_delivery_count: 8 "))
    edited = cli("plan", spec, "--detailed-exitcode")
    assert edited.code == 2, edited.output
    assert '~ resource "azure.servicebus_queue" "jobs"' in edited.stdout
    assert "~ max_delivery_count = 5 -> 8" in edited.stdout
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in edited.stdout
    updated = cli("apply", spec, "--auto-approve")
    assert updated.code == 0, updated.output
    assert sb.queues.get(rg, namespace, "retrain-jobs").as_dict()["properties"]["maxDeliveryCount"] == 8
    assert cli("drift", spec).code == 0

    # out of band: someone lowers the namespace's minimum TLS version with the SDK
    sb.namespaces.update(rg, namespace, {"properties": {"minimumTlsVersion": "1.0"}})
    drift = cli("drift", spec)
    assert drift.code == 2, drift.output
    assert "min_tls_version" in drift.stdout
    drift_json = cli("drift", spec, "--format", "json")
    assert drift_json.code == 2, drift_json.output
    assert "min_tls_version" in drift_json.stdout and json.loads(drift_json.stdout)

    destroyed = cli("destroy", spec, "--auto-approve")
    assert destroyed.code == 0, destroyed.output
    with pytest.raises(ResourceNotFoundError):
        sb.namespaces.get(rg, namespace)

    # the key material is nowhere but in `output --show-sensitive`
    state = tmp_path / ".modelinfra" / "azure-retraining-queue.state.json"
    places = {f"modelinfra {args}": r.stdout + r.stderr for args, r in results}
    places.update({str(p): p.read_text(errors="replace") for p in (planfile, state, state.with_name(state.name + ".backup"))
                   if p.exists()})
    assert state.exists() and planfile.exists()
    for where, text in places.items():
        for secret in secrets:
            assert secret not in text, f"key material leaked into {where}"

"""Seed 000, ``examples/azure-model-snapshots.yaml``, end to end through the installed CLI against the
ARM emulator and Azurite: validate -> plan -> apply -> no-op plan -> edit -> update -> out-of-band
change shows as drift -> destroy; and the model blob (~20 MB, several blocks) is compared by SHA-256.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from modelinfra.sandbox.base import RunningService
from tests.e2e.examples import azure_mgmt, azurite_blob, copy_example, write_model

pytestmark = pytest.mark.e2e

EXAMPLE = "azure-model-snapshots.yaml"
MODEL_SIZE = 20 * 1024 * 1024 + 12345  # five 4 MiB blocks and a bit: a parallel block upload


def test_model_snapshots_lifecycle(tmp_path: Path, azure_env: dict[str, str], azurite: RunningService,
                                   unique_name: str) -> None:
    run = copy_example(EXAMPLE, tmp_path, azure_env, suffix=unique_name)
    model = tmp_path / "model_snapshot.bin"
    first_sha = write_model(model, MODEL_SIZE, seed="v1")
    rg, account, container = f"ai-snapshots-{unique_name}", f"aisnapshots{unique_name}", f"snapshots-{unique_name}"

    assert run.cli("validate", run.spec).code == 0

    plan = run.cli("plan", run.spec, "--detailed-exitcode")
    assert plan.code == 2, plan.output
    assert '+ resource "azure.blob" "snapshot"' in plan.stdout
    assert "Plan: 4 to add, 0 to change, 0 to destroy." in plan.stdout

    applied = run.cli("apply", run.spec, "--auto-approve")
    assert applied.code == 0, applied.output
    assert "Apply complete! Resources: 4 added, 0 changed, 0 destroyed." in applied.stdout
    # upload progress shows the true percentage of the bytes sent (4 MiB of 20 MiB is 20 %, not 0 %)
    shown = [tuple(map(int, m)) for m in re.findall(r"snapshot: uploaded (\d+)/(\d+) bytes \((\d+)%\)",
                                                      applied.stderr)]
    assert shown and shown[-1] == (MODEL_SIZE, MODEL_SIZE, 100), applied.stderr
    assert all(total == MODEL_SIZE and percent == done * 100 // total for done, total, percent in shown), shown
    assert any(0 < percent < 100 for _, _, percent in shown), shown

    blob = azurite_blob(azurite.extra, container, "model_snapshot.bin")
    props = blob.get_blob_properties()
    assert props.size == MODEL_SIZE and props.metadata["modelinfra_sha256"] == first_sha
    assert props.metadata["stage"] == "dev"
    assert run.state()["outputs"]["snapshot_sha256"]["value"] == first_sha
    storage = azure_mgmt("storage")
    assert storage.blob_services.get_service_properties(rg, account).as_dict()["properties"][
        "isVersioningEnabled"] is True

    # an unchanged (multi-block) model file and an unchanged spec: nothing to do
    again = run.cli("plan", run.spec, "--detailed-exitcode")
    assert again.code == 0, again.output
    assert "No changes." in again.stdout

    # edit the spec: an in-place update of exactly that attribute
    run.edit("      blob_versioning: true ", "      blob_versioning: false ")
    edited = run.cli("plan", run.spec, "--detailed-exitcode")
    assert edited.code == 2, edited.output
    assert '~ resource "azure.storage_account" "account"' in edited.stdout
    assert "~ blob_versioning = true -> false" in edited.stdout
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in edited.stdout
    updated = run.cli("apply", run.spec, "--auto-approve")
    assert updated.code == 0, updated.output
    assert "Apply complete! Resources: 0 added, 1 changed, 0 destroyed." in updated.stdout
    assert storage.blob_services.get_service_properties(rg, account).as_dict()["properties"][
        "isVersioningEnabled"] is False

    # an untouched stack never reports drift
    for _ in range(5):
        quiet = run.cli("drift", run.spec)
        assert quiet.code == 0, quiet.output
        assert "No drift in stack model-snapshots: 0 modified, 0 deleted outside modelinfra, 4 in sync" in quiet.stdout

    # out of band: someone lowers the account's minimum TLS version (management plane) and
    # relabels the model blob (data plane)
    storage.storage_accounts.update(rg, account, {"properties": {"minimumTlsVersion": "TLS1_0"}})
    blob.set_blob_metadata({"stage": "prod", "modelinfra_sha256": first_sha})
    drift = run.drift()
    assert drift.code == 2
    assert drift.changed == {"account": ["min_tls_version"], "snapshot": ["metadata.stage"]}, drift.report
    assert drift.change("account", "min_tls_version") == ("TLS1_2", "TLS1_0")
    assert drift.change("snapshot", "metadata.stage") == ("dev", "prod")
    fixed = run.cli("apply", run.spec, "--auto-approve")
    assert fixed.code == 0, fixed.output
    assert "Apply complete! Resources: 0 added, 2 changed, 0 destroyed." in fixed.stdout
    assert storage.storage_accounts.get_properties(rg, account).as_dict()["properties"][
        "minimumTlsVersion"] == "TLS1_2"
    assert blob.get_blob_properties().metadata["stage"] == "dev"

    # a changed model file (one byte in the middle) is an update of the blob, not a replacement
    data = bytearray(model.read_bytes())
    data[MODEL_SIZE // 2] ^= 0xFF
    model.write_bytes(bytes(data))
    changed = run.cli("plan", run.spec, "--detailed-exitcode")
    assert changed.code == 2, changed.output
    assert '~ resource "azure.blob" "snapshot"' in changed.stdout
    assert f'~ sha256 = "{first_sha}"' in changed.stdout
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in changed.stdout
    uploaded = run.cli("apply", run.spec, "--auto-approve")
    assert uploaded.code == 0, uploaded.output
    assert blob.download_blob().readall() == bytes(data)
    assert run.cli("plan", run.spec, "--detailed-exitcode").code == 0

    destroyed = run.cli("destroy", run.spec, "--auto-approve")
    assert destroyed.code == 0, destroyed.output
    assert "Destroy complete! Resources: 4 destroyed." in destroyed.stdout
    assert run.state()["resources"] == {}
    assert account not in [a.name for a in storage.storage_accounts.list()]
    assert not azure_mgmt("resource").resource_groups.check_existence(rg)

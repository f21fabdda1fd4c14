"""Seed 001, ``examples/azure-disk-snapshots.yaml`` (data versioning with disk snapshots), end to end
through the installed CLI against the ARM emulator: validate -> plan -> apply -> no-op plan -> edit
(dataset version tag: in place) -> update -> out-of-band change shows as drift -> a new source disk
replaces the snapshot (``-/+``, ``# forces replacement``) -> destroy.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.examples import azure_mgmt, copy_example

pytestmark = pytest.mark.e2e

EXAMPLE = "azure-disk-snapshots.yaml"
SECOND_DISK = """\
  disk_v2:
    type: azure.managed_disk
    properties:
      name: dataset-${var.suffix}-v2
      resource_group: ${rg.name}
      location: ${rg.location}
      create_option: Empty
      size_gb: 8

  snapshot:
"""


def test_disk_snapshots_lifecycle(tmp_path: Path, azure_env: dict[str, str], unique_name: str) -> None:
    run = copy_example(EXAMPLE, tmp_path, azure_env, suffix=unique_name)
    rg, disk, snap = f"datasets-{unique_name}", f"dataset-{unique_name}", f"dataset-{unique_name}-snap"
    compute = azure_mgmt("compute")

    assert run.cli("validate", run.spec).code == 0

    plan = run.cli("plan", run.spec, "--detailed-exitcode")
    assert plan.code == 2, plan.output
    assert '+ resource "azure.managed_disk" "disk"' in plan.stdout
    assert '+ resource "azure.disk_snapshot" "snapshot"' in plan.stdout
    assert "Plan: 3 to add, 0 to change, 0 to destroy." in plan.stdout

    applied = run.cli("apply", run.spec, "--auto-approve")
    assert applied.code == 0, applied.output
    assert "Apply complete! Resources: 3 added, 0 changed, 0 destroyed." in applied.stdout
    body = compute.snapshots.get(rg, snap).as_dict()
    assert body["tags"]["version"] == "v1" and body["tags"]["modelinfra-address"] == "snapshot"
    assert body["properties"]["creationData"]["sourceResourceId"].lower().endswith(f"/disks/{disk}")
    first_created = run.state()["outputs"]["snapshot_time_created"]["value"]
    assert first_created

    again = run.cli("plan", run.spec, "--detailed-exitcode")
    assert again.code == 0, again.output
    assert "No changes." in again.stdout

    # a new dataset version: the snapshot is retagged in place, not retaken
    bumped = run.cli("plan", run.spec, "--detailed-exitcode", variables={"dataset_version": "v2"})
    assert bumped.code == 2, bumped.output
    assert '~ resource "azure.disk_snapshot" "snapshot"' in bumped.stdout
    assert '~ tags.version = "v1" -> "v2"' in bumped.stdout
    assert "forces replacement" not in bumped.stdout
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in bumped.stdout
    run.variables["dataset_version"] = "v2"
    updated = run.cli("apply", run.spec, "--auto-approve")
    assert updated.code == 0, updated.output
    assert "Apply complete! Resources: 0 added, 1 changed, 0 destroyed." in updated.stdout
    body = compute.snapshots.get(rg, snap).as_dict()
    assert body["tags"]["version"] == "v2" and body["properties"]["timeCreated"] == first_created

    # an untouched stack never reports drift
    for _ in range(5):
        quiet = run.cli("drift", run.spec)
        assert quiet.code == 0, quiet.output
        assert "No drift in stack disk-snapshots: 0 modified, 0 deleted outside modelinfra, 3 in sync" in quiet.stdout

    # out of band: someone resizes the dataset disk with the SDK
    compute.disks.begin_update(rg, disk, {"properties": {"diskSizeGB": 16}}).result()
    drift = run.drift()
    assert drift.code == 2 and drift.changed == {"disk": ["size_gb"]}, drift.report
    assert drift.change("disk", "size_gb") == (4, 16)

    # the spec follows the cloud (a disk cannot shrink), and the drift is gone
    run.edit("      size_gb: 4\n", "      size_gb: 16\n")
    assert run.cli("plan", run.spec, "--detailed-exitcode").code == 0

    # a snapshot of another disk is a new point in time: replace, never update
    run.edit("  snapshot:\n", SECOND_DISK)
    run.edit("      source_disk: ${disk.id} ", "      source_disk: ${disk_v2.id} ")
    moved = run.cli("plan", run.spec, "--detailed-exitcode")
    assert moved.code == 2, moved.output
    assert '+ resource "azure.managed_disk" "disk_v2"' in moved.stdout
    assert '-/+ resource "azure.disk_snapshot" "snapshot"' in moved.stdout
    forced = [line for line in moved.stdout.splitlines() if "# forces replacement" in line]
    assert len(forced) == 1 and "source_disk" in forced[0], moved.stdout
    assert "Plan: 2 to add, 0 to change, 1 to destroy." in moved.stdout
    replaced = run.cli("apply", run.spec, "--auto-approve")
    assert replaced.code == 0, replaced.output
    assert "Apply complete! Resources: 2 added, 0 changed, 1 destroyed." in replaced.stdout
    body = compute.snapshots.get(rg, snap).as_dict()
    assert body["properties"]["creationData"]["sourceResourceId"].lower().endswith(f"/disks/{disk}-v2")
    assert body["tags"]["version"] == "v2"
    assert run.cli("plan", run.spec, "--detailed-exitcode").code == 0

    destroyed = run.cli("destroy", run.spec, "--auto-approve")
    assert destroyed.code == 0, destroyed.output
    assert "Destroy complete! Resources: 4 destroyed." in destroyed.stdout
    assert run.state()["resources"] == {}
    assert not azure_mgmt("resource").resource_groups.check_existence(rg)

"""View tests. The drift-report builders below are shared by the drift format tests: they build
``DriftReport`` objects directly (pure rendering, no cloud)."""

from __future__ import annotations

from modelinfra.plans.diff import AttributeChange
from modelinfra.plans.drift import DriftReport, ResourceDrift, UnmanagedResource

SPEC = "examples/model-snapshots.yaml"
GENERATED_AT = "2026-11-24T19:00:00+00:00"


def report(*resources: ResourceDrift, stack: str = "model-snapshots", spec: str = SPEC) -> DriftReport:
    return DriftReport(stack, spec, GENERATED_AT, list(resources))


def in_sync(address: str = "rg", line: int = 5) -> ResourceDrift:
    return ResourceDrift(address, "azure.resource_group", "in_sync", line, f"/subscriptions/s/resourceGroups/{address}")


def modified(address: str = "account", line: int = 12, changes: list[AttributeChange] | None = None) -> ResourceDrift:
    changes = changes if changes is not None else [
        AttributeChange("allow_blob_public_access", False, True),
        AttributeChange("min_tls_version", "TLS1_2", "TLS1_0"),
        AttributeChange("tags.team", "ml", "data"),
    ]
    return ResourceDrift(address, "azure.storage_account", "modified", line,
                         f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/{address}",
                         changes)


def deleted(address: str = "bucket", line: int = 30) -> ResourceDrift:
    return ResourceDrift(address, "aws.s3_bucket", "deleted", line, f"arn:aws:s3:::{address}")


def not_created(address: str = "snapshot", line: int = 40) -> ResourceDrift:
    return ResourceDrift(address, "azure.blob", "not_created", line, None, [],
                         [AttributeChange("name", None, "model_snapshot.bin")], "create")


def pending(address: str = "container", line: int = 20) -> ResourceDrift:
    """In sync with the cloud, but the spec changed since the last apply (not drift)."""
    return ResourceDrift(address, "azure.blob_container", "in_sync", line,
                         f"/subscriptions/s/resourceGroups/rg/blobServices/default/containers/{address}", [],
                         [AttributeChange("public_access", "none", "blob")], "update")


def mixed_report() -> DriftReport:
    """One resource of every kind: modified (several paths), deleted, in sync, not created, pending."""
    return report(modified(), deleted(), pending(), in_sync(), not_created())


def unmanaged(name: str = "stray", address: str | None = "old-disk") -> UnmanagedResource:
    """A disk in the stack's resource group that the spec does not declare."""
    return UnmanagedResource("azure", f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/{name}",
                             "azure.managed_disk", "Microsoft.Compute/disks", name, address)


def with_unmanaged(rpt: DriftReport, *found: UnmanagedResource) -> DriftReport:
    """``rpt`` as ``drift --unmanaged`` makes it: checked, with ``found``."""
    rpt.unmanaged = list(found)
    rpt.unmanaged_checked = True
    return rpt

"""No false positives: every normalisation drift relies on, one test each, with real response shapes.

Drift compares the last applied attributes (state) with the cloud now through
``drift_compare.compare``, which runs the handler's ``normalise`` on both sides, skips computed and
write-only attributes and honours ``lifecycle.ignore_changes``. Each test below feeds a response
shaped like the service's own (Azure: the REST specs' x-ms-examples, cited per test; AWS: botocore's
output shapes) through the handler's read-side mapping and ``compare``, shows it yields no change,
and shows that a real difference next to it still does (so the test can fail).

Azure shapes are served by the ARM emulator (the example body stored under our ids) and read by the
handler through the real SDK; AWS shapes go through the handlers' pure mapping functions.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from modelinfra.engine import workflow
from modelinfra.engine.drift_compare import compare
from modelinfra.providers.aws.backup_plan import rule_attributes
from modelinfra.providers.aws.s3_bucket_config import _rule_from_s3
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from tests.conftest import SUBSCRIPTION_ID

SPEC = f"""\
version: 1
name: normalisation
providers:
  aws: {{region: us-east-1}}
  azure: {{subscription_id: "{SUBSCRIPTION_ID}"}}
resources:
  bucket:
    type: aws.s3_bucket
    properties: {{name: normalisation-bucket, tags: {{team: ml}}}}
    lifecycle: {{ignore_changes: [tags.owner, lifecycle_rules]}}
  plain:
    type: aws.s3_bucket
    properties: {{name: normalisation-plain}}
"""


@pytest.fixture
def run(tmp_path: Path) -> Any:
    spec = tmp_path / "normalisation.yaml"
    spec.write_text(SPEC)
    return workflow.open_stack(spec).run


def paths(changes: list) -> list[tuple[str, Any, Any]]:
    return [(c.path, c.before, c.after) for c in changes]


# -- Azure location: display name vs ARM's short name -----------------------------------------

@pytest.mark.parametrize("type_name", ["azure.resource_group", "azure.storage_account", "azure.managed_disk",
                                       "azure.disk_snapshot", "azure.servicebus_namespace", "azure.ml_workspace"])
def test_location_display_name_is_arms_short_name(run: Any, type_name: str) -> None:
    """The user may write ``West US``; ARM answers ``"location": "westus"`` (e.g. compute
    Disk_Get.json / Snapshot_Get.json, 2024-03-02)."""
    applied = {"name": "x", "location": "West US"}
    assert compare(run, "x", type_name, applied, {"name": "x", "location": "westus"}) == []
    assert paths(compare(run, "x", type_name, applied, {"name": "x", "location": "eastus"})) == [
        ("location", "westus", "eastus")]


# -- ARM id casing ------------------------------------------------------------------------------

SOURCE_DISK = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/myResourceGroup/providers/Microsoft.Compute/disks/myDisk"
INSIGHTS = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/workspace-1234/providers/Microsoft.Insights/"
            "components/testinsights")
ACCOUNT = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/testStorage"


@pytest.mark.parametrize(("type_name", "key", "written", "answered"), [
    # Compute answers resource-group names upper-cased in ids it returns
    ("azure.disk_snapshot", "source_disk", SOURCE_DISK, SOURCE_DISK.replace("myResourceGroup", "MYRESOURCEGROUP")),
    ("azure.managed_disk", "source_id", SOURCE_DISK, SOURCE_DISK.replace("resourceGroups", "resourcegroups")),
    # ML Workspace get.json (2024-04-01): "providers/microsoft.insights/components/testinsights"
    ("azure.ml_workspace", "application_insights", INSIGHTS, INSIGHTS.replace("Microsoft.Insights", "microsoft.insights")),
    ("azure.ml_workspace", "storage_account", ACCOUNT, ACCOUNT.lower()),
    ("azure.cdn_endpoint", "origin_storage_account", ACCOUNT, ACCOUNT.upper().replace("/SUBSCRIPTIONS", "/subscriptions")),
])
def test_arm_ids_compare_case_insensitively(run: Any, type_name: str, key: str, written: str, answered: str) -> None:
    assert compare(run, "x", type_name, {key: written}, {key: answered}) == []
    other = written.replace("myDisk", "otherDisk").replace("testinsights", "other").replace("testStorage", "other")
    assert [c.path for c in compare(run, "x", type_name, {key: written}, {key: other})] == [key]


# -- list order the API does not preserve -------------------------------------------------------

def _plan_rule(name: str, schedule: str) -> dict[str, Any]:
    """A rule as botocore's GetBackupPlan output shape has it (BackupPlan.Rules[])."""
    return {"RuleName": name, "TargetBackupVaultName": "models", "ScheduleExpression": schedule,
            "StartWindowMinutes": 60, "CompletionWindowMinutes": 180, "Lifecycle": {"DeleteAfterDays": 35},
            "RuleId": f"{name}-0b1c2d3e", "EnableContinuousBackup": False}


def test_backup_plan_rules_in_any_order(run: Any) -> None:
    handler = handler_for("aws.backup_plan")
    daily, weekly = _plan_rule("daily", "cron(0 5 ? * * *)"), _plan_rule("weekly", "cron(0 5 ? * 1 *)")
    applied = {"name": "p", "rules": [rule_attributes(daily), rule_attributes(weekly)]}
    now = handler.normalise({"name": "p", "rules": [rule_attributes(weekly), rule_attributes(daily)]})
    assert compare(run, "x", "aws.backup_plan", applied, now) == []
    weekly["ScheduleExpression"] = "cron(0 6 ? * 1 *)"
    now = {"name": "p", "rules": [rule_attributes(weekly), rule_attributes(daily)]}
    assert paths(compare(run, "x", "aws.backup_plan", applied, now)) == [
        ("rules[1].schedule", "cron(0 5 ? * 1 *)", "cron(0 6 ? * 1 *)")]


def test_bucket_lifecycle_rules_in_any_order(run: Any) -> None:
    """GetBucketLifecycleConfiguration's Rules[] shape; S3 does not promise the order written."""
    def s3_rule(rule_id: str, days: int) -> dict[str, Any]:
        return {"ID": rule_id, "Filter": {"Prefix": ""}, "Status": "Enabled",
                "NoncurrentVersionExpiration": {"NoncurrentDays": days}}

    applied = {"lifecycle_rules": [_rule_from_s3(s3_rule("a", 30)), _rule_from_s3(s3_rule("b", 90))]}
    now = {"lifecycle_rules": [_rule_from_s3(s3_rule("b", 90)), _rule_from_s3(s3_rule("a", 30))]}
    assert compare(run, "plain", "aws.s3_bucket", applied, now) == []
    now = {"lifecycle_rules": [_rule_from_s3(s3_rule("b", 60)), _rule_from_s3(s3_rule("a", 30))]}
    assert paths(compare(run, "plain", "aws.s3_bucket", applied, now)) == [
        ("lifecycle_rules[1].noncurrent_version_expiration_days", 90, 60)]


def test_backup_selection_resources_in_any_order(run: Any) -> None:
    """GetBackupSelection's BackupSelection.Resources[] comes back in the service's order."""
    handler = handler_for("aws.backup_selection")
    answer = {"BackupSelection": {"SelectionName": "s", "IamRoleArn": "arn:aws:iam::123456789012:role/r",
                                  "Resources": ["arn:aws:s3:::b", "arn:aws:s3:::a"]}}
    applied = {"resources": ["arn:aws:s3:::a", "arn:aws:s3:::b"]}
    now = handler.normalise({"resources": list(answer["BackupSelection"]["Resources"])})
    assert compare(run, "x", "aws.backup_selection", applied, now) == []
    assert paths(compare(run, "x", "aws.backup_selection", applied, {"resources": ["arn:aws:s3:::a"]})) == [
        ("resources[1]", "arn:aws:s3:::b", None)]


# -- server-side canonical forms and defaults ---------------------------------------------------

def test_service_bus_durations_in_any_iso_spelling(run: Any) -> None:
    """Service Bus answers its canonical spelling (SBTopicGet.json, 2021-11-01:
    ``"defaultMessageTimeToLive": "P10675199DT2H48M5.4775807S"``, the TimeSpan.MaxValue default;
    queues answer ``"lockDuration": "PT1M"`` for a lock written as ``PT60S``)."""
    applied = {"lock_duration": "PT60S", "default_message_ttl": "P10675199DT2H48M5.4775807S"}
    now = {"lock_duration": "PT1M", "default_message_ttl": "P10675199DT2H48M5.4775807S"}
    assert compare(run, "x", "azure.servicebus_queue", applied, now) == []
    assert paths(compare(run, "x", "azure.servicebus_queue", applied, {**now, "lock_duration": "PT2M"})) == [
        ("lock_duration", "PT1M", "PT2M")]


# -- computed attributes ------------------------------------------------------------------------

@pytest.mark.parametrize(("type_name", "applied", "now"), [
    ("aws.s3_object", {"content_type": "application/octet-stream", "etag": '"9b2cf535f27731c974343645a3985328"',
                       "version_id": "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", "size": 12},
     {"content_type": "application/octet-stream", "etag": '"d41d8cd98f00b204e9800998ecf8427e-2"',
      "version_id": "null", "size": 13}),
    ("azure.storage_account", {"sku": "Standard_LRS", "primary_blob_endpoint": "https://a.blob.core.windows.net/"},
     {"sku": "Standard_LRS", "primary_blob_endpoint": "https://a-secondary.blob.core.windows.net/"}),
    ("azure.disk_snapshot", {"sku": "Standard_LRS", "time_created": "2016-12-28T04:41:35.079872+00:00"},
     {"sku": "Standard_LRS", "time_created": "2016-12-28T04:41:35.0798720+00:00"}),
])
def test_computed_attributes_never_count(run: Any, type_name: str, applied: dict, now: dict) -> None:
    assert compare(run, "x", type_name, applied, now) == []
    key = next(k for k in applied if k not in handler_for(type_name).computed)
    assert [c.path for c in compare(run, "x", type_name, applied, {**now, key: "changed"})] == [key]


def test_write_only_attributes_never_count(run: Any) -> None:
    applied = {"force_destroy": True, "versioning": False}
    assert compare(run, "plain", "aws.s3_bucket", applied, {"versioning": False}) == []


# -- lifecycle.ignore_changes -------------------------------------------------------------------

def test_ignore_changes_paths_never_count(run: Any) -> None:
    applied = {"tags": {"team": "ml"}, "versioning": False, "lifecycle_rules": []}
    now = {"tags": {"team": "ml", "owner": "someone"}, "versioning": False,
           "lifecycle_rules": [_rule_from_s3({"ID": "x", "Status": "Enabled",
                                              "NoncurrentVersionExpiration": {"NoncurrentDays": 3}})]}
    assert compare(run, "bucket", "aws.s3_bucket", applied, now) == []
    assert paths(compare(run, "bucket", "aws.s3_bucket", applied, {**now, "tags": {"team": "data"}})) == [
        ("tags.team", "ml", "data")]
    # the same change on a resource without ignore_changes is drift
    assert paths(compare(run, "plain", "aws.s3_bucket", applied, now))[0] == ("lifecycle_rules[0]", None, {
        "id": "x", "prefix": "", "enabled": True, "transitions": [], "expiration_days": None,
        "noncurrent_transitions": [], "noncurrent_version_expiration_days": 3, "noncurrent_versions_to_retain": None,
        "abort_incomplete_multipart_upload_days": None})


# -- real Azure response bodies, served by the emulator, read by the handler through the SDK -------

def _store(arm: Any, body: dict[str, Any]) -> str:
    """Put ``body`` (an x-ms-examples response) in the emulator under its id, as ARM would hold it."""
    from modelinfra.sandbox.arm.store import Record

    rtype, _ = arm.router.resource_type_of(body["id"])
    arm.store.put(Record(body["id"], rtype, copy.deepcopy(body)))
    return body["id"]


@pytest.fixture
def arm_group(azure_env: dict[str, str], arm_emulator: Any, tmp_path: Path, unique_name: str) -> tuple[Any, Any, str]:
    from tests.providers.azure.conftest import make_session

    ctx = ResourceContext(stack="normalisation", address="res", spec_dir=tmp_path, session=make_session())
    groups = handler_for("azure.resource_group")
    group = f"myResourceGroup{unique_name}"
    groups.create(ctx, groups.spec_model(name=group, location="westus"))
    return ctx, arm_emulator.handle, group


def test_disk_get_response_matches_what_was_applied(run: Any, arm_group: tuple[Any, Any, str]) -> None:
    """Disk_Get.json (compute 2024-03-02): short location, sku object, extra read-only properties,
    our managed tags on top of the user's."""
    ctx, arm, group = arm_group
    disk_id = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/providers/Microsoft.Compute/disks/myManagedDisk"
    body = {
        "managedBy": f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/ResourceGroupName/providers/"
                     "Microsoft.Compute/virtualMachines/TestVM414689371c88843d65ec",
        "sku": {"name": "Standard_LRS"},
        "properties": {"osType": "Windows", "hyperVGeneration": "V1", "creationData": {"createOption": "Empty"},
                       "diskSizeGB": 10, "encryption": {"type": "EncryptionAtRestWithPlatformKey"},
                       "timeCreated": "2016-12-28T04:41:35.079872+00:00", "provisioningState": "Succeeded"},
        "type": "Microsoft.Compute/disks", "location": "westus",
        "tags": {"department": "Development", "modelinfra-stack": "normalisation", "modelinfra-address": "res"},
        "id": disk_id, "name": "myManagedDisk",
    }
    handler = handler_for("azure.managed_disk")
    spec = handler.spec_model(name="myManagedDisk", resource_group=group, location="West US", size_gb=10,
                              tags={"department": "Development"})
    applied = {**spec.model_dump(mode="json"), "id": disk_id.upper()}
    _store(arm, body)
    assert compare(run, "x", "azure.managed_disk", applied, handler.read(ctx, disk_id)) == []
    _store(arm, {**body, "properties": {**body["properties"], "diskSizeGB": 20}})
    assert paths(compare(run, "x", "azure.managed_disk", applied, handler.read(ctx, disk_id))) == [("size_gb", 10, 20)]


def test_snapshot_get_response_with_upper_cased_source_id(run: Any, arm_group: tuple[Any, Any, str]) -> None:
    """Snapshot_Get.json (compute 2024-03-02): ``creationData.sourceResourceId`` as the service
    spells it, here with the resource group upper-cased, and a ``sourceUniqueId`` we never manage."""
    ctx, arm, group = arm_group
    snap_id = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/providers/Microsoft.Compute/snapshots/mySnapshot"
    source = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/providers/Microsoft.Compute/disks/myDisk"
    body = {
        "properties": {"osType": "Windows", "hyperVGeneration": "V1",
                       "creationData": {"createOption": "Copy", "sourceResourceId": source.replace(group, group.upper()),
                                        "sourceUniqueId": "d633885d-d102-4481-901e-5b2413d1a7be"},
                       "diskSizeGB": 100, "encryption": {"type": "EncryptionAtRestWithPlatformKey"},
                       "timeCreated": "2016-12-28T04:41:35.079872+00:00", "provisioningState": "Succeeded"},
        "type": "Microsoft.Compute/snapshots", "location": "westus",
        "tags": {"department": "Development", "project": "Snapshots"}, "id": snap_id, "name": "mySnapshot",
    }
    handler = handler_for("azure.disk_snapshot")
    spec = handler.spec_model(name="mySnapshot", resource_group=group, location="westus", source_disk=source,
                              tags={"department": "Development", "project": "Snapshots"})
    applied = spec.model_dump(mode="json")
    _store(arm, body)
    assert compare(run, "x", "azure.disk_snapshot", applied, handler.read(ctx, snap_id)) == []
    _store(arm, {**body, "tags": {"department": "Research", "project": "Snapshots"}})
    assert paths(compare(run, "x", "azure.disk_snapshot", applied, handler.read(ctx, snap_id))) == [
        ("tags.department", "Development", "Research")]


def test_ml_workspace_get_response_without_sku_and_with_lower_cased_provider(
        run: Any, arm_group: tuple[Any, Any, str]) -> None:
    """Workspace get.json (machinelearningservices 2024-04-01) has no ``sku`` at all (Basic, the
    only SKU, is implied) and spells ``providers/microsoft.insights``: neither is drift."""
    ctx, arm, group = arm_group
    prefix = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/providers"
    ws_id = f"{prefix}/Microsoft.MachineLearningServices/workspaces/testworkspace"
    body = {
        "id": ws_id, "name": "testworkspace", "type": "Microsoft.MachineLearningServices/workspaces",
        "location": "eastus2euap",
        "identity": {"principalId": "00000000-1111-2222-3333-444444444444",
                     "tenantId": "00000000-1111-2222-3333-444444444444", "type": "SystemAssigned"},
        "properties": {
            "keyVault": f"{prefix}/Microsoft.KeyVault/vaults/testkv",
            "applicationInsights": f"{prefix}/microsoft.insights/components/testinsights",
            "storageAccount": f"{prefix}/Microsoft.Storage/storageAccounts/testStorageAccount",
            "discoveryUrl": "http://example.com", "friendlyName": "HelloName", "hbiWorkspace": False,
            "serviceProvisionedResourceGroup": "testworkspace_0000111122223333", "privateLinkCount": 0,
            "allowPublicAccessWhenBehindVnet": False, "publicNetworkAccess": "Disabled",
        },
    }
    handler = handler_for("azure.ml_workspace")
    spec = handler.spec_model(name="testworkspace", resource_group=group, location="East US 2 EUAP",
                              storage_account=f"{prefix}/Microsoft.Storage/storageAccounts/testStorageAccount",
                              key_vault=f"{prefix}/Microsoft.KeyVault/vaults/testkv",
                              application_insights=f"{prefix}/Microsoft.Insights/components/testinsights",
                              public_network_access="Disabled", friendly_name="HelloName")
    applied = spec.model_dump(mode="json")
    _store(arm, body)
    assert compare(run, "x", "azure.ml_workspace", applied, handler.read(ctx, ws_id)) == []
    _store(arm, {**body, "properties": {**body["properties"], "publicNetworkAccess": "Enabled"}})
    assert paths(compare(run, "x", "azure.ml_workspace", applied, handler.read(ctx, ws_id))) == [
        ("public_network_access", "Disabled", "Enabled")]


def test_service_bus_namespace_get_response_with_display_location(run: Any, arm_group: tuple[Any, Any, str]) -> None:
    """SBNameSpaceGet.json (servicebus 2022-10-01-preview) answers ``"location": "South Central US"``
    (display form) and ARM type ``Microsoft.ServiceBus/Namespaces``; what was applied said
    ``southcentralus``."""
    ctx, arm, group = arm_group
    ns_id = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/providers/Microsoft.ServiceBus/namespaces/sdk-ns-2924"
    body = {
        "sku": {"name": "Standard", "tier": "Standard"}, "id": ns_id, "name": "sdk-ns-2924",
        "type": "Microsoft.ServiceBus/Namespaces", "location": "South Central US",
        "tags": {"tag1": "value1", "tag2": "value2"},
        "properties": {"provisioningState": "Succeeded", "metricId": f"{SUBSCRIPTION_ID}:sdk-ns-2924",
                       "createdAt": "2017-05-25T22:26:36.76Z", "updatedAt": "2017-05-25T22:26:59.35Z",
                       "serviceBusEndpoint": "https://sdk-ns-2924.servicebus.windows-int.net:443/",
                       "minimumTlsVersion": "1.2", "disableLocalAuth": False, "privateEndpointConnections": [],
                       "partitions": 1},
    }
    handler = handler_for("azure.servicebus_namespace")
    spec = handler.spec_model(name="sdk-ns-2924", resource_group=group, location="southcentralus",
                              tags={"tag1": "value1", "tag2": "value2"})
    applied = spec.model_dump(mode="json")
    _store(arm, body)
    assert compare(run, "x", "azure.servicebus_namespace", applied, handler.read(ctx, ns_id)) == []
    _store(arm, {**body, "properties": {**body["properties"], "disableLocalAuth": True}})
    assert paths(compare(run, "x", "azure.servicebus_namespace", applied, handler.read(ctx, ns_id))) == [
        ("local_auth_enabled", True, False)]

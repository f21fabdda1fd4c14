"""The drift matrix: for every registered resource type, a tiny stack applied through the engine
against the emulators, then out-of-band changes made with the real cloud SDKs over HTTP, and
``detect_drift`` must name exactly that change:

(e) 5 consecutive drift runs on the untouched stack are clean (the first with ``unmanaged=True``,
    which must not report the stack's own resources);
(a) an attribute change -> ``modified`` with that one path, before (last applied) and after (now);
(b) an added tag on taggable types -> ``modified`` with ``tags.<key>``;
(d) (one type per cloud) an extra resource of the stack the spec does not declare -> unmanaged;
(c) deletion -> ``deleted``.
After (a), (b) and (d) the stack is repaired (re-apply / removing the extra) and must be clean again.

Out-of-band attribute changes that are impossible (the cloud has no way to change the property
in place): ``aws.backup_vault`` (only tags are mutable), ``aws.backup_selection`` (AWS has no
update for selections), ``azure.resource_group`` (only tags), ``azure.cdn_profile`` (the SKU is
immutable; only tags), ``azure.role_assignment`` (immutable: ARM refuses any change, 400
``RoleAssignmentUpdateNotPermitted``; not taggable). Those types still run (b) where taggable, (c) and (e).

Azure changes go through azure-mgmt-resource's generic resource API (GET by id, edit, PUT by id:
what ``az resource update`` does), or a service SDK where the property lives on a sub-resource;
blob data through azure-storage-blob against Azurite; AWS through boto3 against moto.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modelinfra.engine import workflow
from modelinfra.engine.drift import DriftReport, detect_drift
from modelinfra.providers.registry import handler_for, known_types
from modelinfra.settings import Settings
from tests.providers.azure.conftest import make_session

PROBE_TAG = ("drift-probe", "oob")
ROLE_ARN = "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"


@dataclass
class World:
    """What a case's out-of-band functions get: the stack, its last applied state and the clouds."""

    stack: workflow.Stack
    unique: str
    tmp: Path
    arm: Any  # the ArmEmulator, or None
    azurite: Any  # the Azurite RunningService, or None

    def attrs(self, address: str) -> dict[str, Any]:
        return self.stack.snapshot().resources[address].attributes

    def cloud_id(self, address: str) -> str:
        return self.stack.snapshot().resources[address].id

    # -- AWS -------------------------------------------------------------------------------------
    def aws(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name="us-east-1")

    # -- Azure: the generic resource API ---------------------------------------------------------
    def mgmt(self, kind: str) -> Any:
        """A management SDK client (``resource``, ``compute``, ``cdn``...) pointed at the emulator."""
        return make_session().mgmt(kind)

    def resources(self) -> Any:
        return self.mgmt("resource")

    def api_version(self, arm_id: str) -> str:
        return self.arm.router.resource_type_of(arm_id)[0].api_versions[0]

    def arm_edit(self, arm_id: str, edit: Callable[[Any], None]) -> None:
        client = self.resources()
        api = self.api_version(arm_id)
        resource = client.resources.get_by_id(arm_id, api_version=api)
        edit(resource)
        client.resources.begin_create_or_update_by_id(arm_id, resource, api_version=api).result()

    def arm_delete(self, arm_id: str) -> None:
        self.resources().resources.begin_delete_by_id(arm_id, api_version=self.api_version(arm_id)).result()

    def arm_tag(self, arm_id: str) -> None:
        def add(resource: Any) -> None:
            resource.tags = {**(resource.tags or {}), PROBE_TAG[0]: PROBE_TAG[1]}

        self.arm_edit(arm_id, add)

    def blob_client(self, container: str, name: str) -> Any:
        from azure.storage.blob import BlobServiceClient

        service = BlobServiceClient(self.azurite.extra["blob_endpoint"], credential={
            "account_name": "devstoreaccount1", "account_key": self.azurite.extra["account_key"]},
            api_version="2025-11-05")
        return service.get_blob_client(container, name)


def _set(path: str, value: Any) -> Callable[[Any], None]:
    """An ``arm_edit`` function setting ``properties.<path>`` (dotted) to ``value``."""
    def edit(resource: Any) -> None:
        node = resource.properties
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return edit


@dataclass
class Case:
    cloud: str
    resources: Callable[[str], dict[str, Any]]
    """unique suffix -> the spec's ``resources``; the resource under test is ``target``."""
    change: Callable[[World], None] | None = None
    expected: tuple[str, Any, Any] | None = None
    """(path, before, after) that ``change`` must produce."""
    tag: Callable[[World], None] | None = None
    delete: Callable[[World], None] | None = None
    extra: Callable[[World], tuple[str, str, Callable[[], None]]] | None = None
    """Creates an unmanaged resource: returns (expected type, cloud id, cleanup)."""


# -- AWS cases ---------------------------------------------------------------------------------

def _bucket_tag(w: World) -> None:
    s3 = w.aws("s3")
    name = w.cloud_id("target")
    tags = s3.get_bucket_tagging(Bucket=name)["TagSet"]
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [*tags, {"Key": PROBE_TAG[0], "Value": PROBE_TAG[1]}]})


def _extra_bucket(w: World) -> tuple[str, str, Callable[[], None]]:
    s3 = w.aws("s3")
    name = f"mx-extra-{w.unique}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "modelinfra-stack", "Value": w.stack.spec.name}]})
    return "aws.s3_bucket", name, lambda: s3.delete_bucket(Bucket=name)


def _object_content_type(w: World) -> None:
    s3 = w.aws("s3")
    bucket, key = w.cloud_id("target").split("/", 1)
    head = s3.head_object(Bucket=bucket, Key=key)
    s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": key}, ContentType="text/plain",
                   Metadata=head["Metadata"], MetadataDirective="REPLACE")


def _object_delete(w: World) -> None:
    bucket, key = w.cloud_id("target").split("/", 1)
    w.aws("s3").delete_object(Bucket=bucket, Key=key)


def _backup_tag(w: World) -> None:
    w.aws("backup").tag_resource(ResourceArn=w.attrs("target")["arn"], Tags={PROBE_TAG[0]: PROBE_TAG[1]})


def _plan_schedule(w: World) -> None:
    backup = w.aws("backup")
    plan_id = w.attrs("target")["id"]
    plan = backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]
    rules = [{k: v for k, v in rule.items() if k in ("RuleName", "TargetBackupVaultName", "ScheduleExpression",
                                                     "StartWindowMinutes", "CompletionWindowMinutes", "Lifecycle")}
             for rule in plan["Rules"]]
    rules[0]["ScheduleExpression"] = "cron(0 6 ? * * *)"
    backup.update_backup_plan(BackupPlanId=plan_id, BackupPlan={"BackupPlanName": plan["BackupPlanName"],
                                                                "Rules": rules})


def _selection_delete(w: World) -> None:
    attrs = w.attrs("target")
    selection_id = attrs.get("selection_id") or w.cloud_id("target").rsplit("/", 1)[-1]
    plan_id = w.attrs("plan")["id"]
    backup = w.aws("backup")
    for item in backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]:
        if item["SelectionName"] == attrs["name"]:
            selection_id = item["SelectionId"]
    backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)


def _bucket(u: str, **props: Any) -> dict[str, Any]:
    return {"type": "aws.s3_bucket", "properties": {"name": f"mx-{u}", **props}}


def _vault(u: str) -> dict[str, Any]:
    return {"type": "aws.backup_vault", "properties": {"name": f"mv-{u}", "tags": {"team": "ml"}}}


def _plan(u: str) -> dict[str, Any]:
    return {"type": "aws.backup_plan", "properties": {
        "name": f"mp-{u}", "tags": {"team": "ml"},
        "rules": [{"name": "daily", "target_vault": "${vault.name}", "schedule": "cron(0 5 ? * * *)"}]}}


TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"Service": "backup.amazonaws.com"}}]}


def _role_tag(w: World) -> None:
    w.aws("iam").tag_role(RoleName=w.cloud_id("target"), Tags=[{"Key": PROBE_TAG[0], "Value": PROBE_TAG[1]}])


def _key_tag(w: World) -> None:
    w.aws("kms").tag_resource(KeyId=w.attrs("target")["key_id"], Tags=[{"TagKey": PROBE_TAG[0],
                                                                         "TagValue": PROBE_TAG[1]}])


AWS_CASES = {
    "aws.s3_bucket": Case(
        "aws", lambda u: {"target": _bucket(u, versioning=False, tags={"team": "ml"})},
        change=lambda w: w.aws("s3").put_bucket_versioning(Bucket=w.cloud_id("target"),
                                                           VersioningConfiguration={"Status": "Enabled"}),
        expected=("versioning", False, True),
        tag=_bucket_tag,
        delete=lambda w: w.aws("s3").delete_bucket(Bucket=w.cloud_id("target")),
        extra=_extra_bucket,
    ),
    "aws.s3_object": Case(
        "aws", lambda u: {"bucket": _bucket(u), "target": {"type": "aws.s3_object", "properties": {
            "bucket": "${bucket.name}", "key": "models/model.bin", "source": "./model.bin",
            "content_type": "application/octet-stream"}}},
        change=_object_content_type, expected=("content_type", "application/octet-stream", "text/plain"),
        delete=_object_delete,
    ),
    "aws.backup_vault": Case(
        "aws", lambda u: {"target": _vault(u)},
        tag=_backup_tag,
        delete=lambda w: w.aws("backup").delete_backup_vault(BackupVaultName=w.cloud_id("target")),
    ),
    "aws.backup_plan": Case(
        "aws", lambda u: {"vault": _vault(u), "target": _plan(u)},
        change=_plan_schedule, expected=("rules[0].schedule", "cron(0 5 ? * * *)", "cron(0 6 ? * * *)"),
        tag=_backup_tag,
        delete=lambda w: w.aws("backup").delete_backup_plan(BackupPlanId=w.attrs("target")["id"]),
    ),
    "aws.backup_selection": Case(
        "aws", lambda u: {"bucket": _bucket(u, versioning=True), "vault": _vault(u), "plan": _plan(u),
                          "target": {"type": "aws.backup_selection", "properties": {
                              "name": "models", "plan": "${plan.id}", "iam_role_arn": ROLE_ARN,
                              "resources": ["${bucket.arn}"]}}},
        delete=_selection_delete,
    ),
    "aws.iam_role": Case(
        "aws", lambda u: {"target": {"type": "aws.iam_role", "properties": {
            "name": f"mr-{u}", "assume_role_policy": TRUST, "description": "backup", "tags": {"team": "ml"}}}},
        change=lambda w: w.aws("iam").update_role(RoleName=w.cloud_id("target"), Description="edited"),
        expected=("description", "backup", "edited"),
        tag=_role_tag,
        delete=lambda w: w.aws("iam").delete_role(RoleName=w.cloud_id("target")),
    ),
    "aws.kms_key": Case(
        "aws", lambda u: {"target": {"type": "aws.kms_key", "properties": {
            "description": "backups", "alias": f"alias/mk-{u}", "tags": {"team": "ml"}}}},
        change=lambda w: w.aws("kms").enable_key_rotation(KeyId=w.attrs("target")["key_id"]),
        expected=("enable_key_rotation", False, True),
        tag=_key_tag,
        delete=lambda w: w.aws("kms").schedule_key_deletion(KeyId=w.attrs("target")["key_id"], PendingWindowInDays=7),
    ),
}


# -- Azure cases -------------------------------------------------------------------------------

def _rg(u: str) -> dict[str, Any]:
    return {"type": "azure.resource_group", "properties": {"name": f"mrg-{u}", "location": "westus",
                                                           "tags": {"team": "ml"}}}


def _account(u: str) -> dict[str, Any]:
    return {"type": "azure.storage_account", "properties": {
        "name": f"ma{u}", "resource_group": "${rg.name}", "location": "${rg.location}"}}


def _in_rg(type_name: str, **props: Any) -> dict[str, Any]:
    return {"type": type_name, "properties": {"resource_group": "${rg.name}", **props}}


def _arm_change(address: str, path: str, value: Any, *, id_attr: bool = False) -> Callable[[World], None]:
    def change(w: World) -> None:
        w.arm_edit(w.attrs(address)["id"] if id_attr else w.cloud_id(address), _set(path, value))
    return change


def _set_sku(name: str) -> Callable[[World], None]:
    return lambda w: w.arm_edit(w.cloud_id("target"), lambda r: setattr(r.sku, "name", name))


def _arm_tag(w: World) -> None:
    w.arm_tag(w.attrs("target").get("id") or w.cloud_id("target"))


def _arm_delete(w: World) -> None:
    w.arm_delete(w.attrs("target").get("id") or w.cloud_id("target"))


def _extra_disk(w: World) -> tuple[str, str, Callable[[], None]]:
    """An untagged disk in the stack's resource group: found by listing the group."""
    from azure.mgmt.compute.models import CreationData, Disk

    compute = w.mgmt("compute")
    group = w.attrs("rg")["name"]
    disk = compute.disks.begin_create_or_update(group, f"extra{w.unique}", Disk(
        location="westus", disk_size_gb=1, creation_data=CreationData(create_option="Empty"))).result()
    return "azure.managed_disk", disk.id, lambda: compute.disks.begin_delete(group, f"extra{w.unique}").result()


def _blob_content_type(w: World) -> None:
    from azure.storage.blob import ContentSettings

    attrs = w.attrs("target")
    client = w.blob_client(attrs["container"], attrs["name"])
    props = client.get_blob_properties()
    settings = props.content_settings
    client.set_http_headers(ContentSettings(content_type="text/plain", content_md5=settings.content_md5))


def _blob_delete(w: World) -> None:
    attrs = w.attrs("target")
    w.blob_client(attrs["container"], attrs["name"]).delete_blob(delete_snapshots="include")


def _cdn_route_https(w: World) -> None:
    from azure.mgmt.cdn.models import RouteUpdateParameters

    cdn = w.mgmt("cdn")
    group, profile, endpoint = w.attrs("rg")["name"], w.attrs("profile")["name"], w.attrs("target")["name"]
    route = next(iter(cdn.routes.list_by_endpoint(group, profile, endpoint)))
    cdn.routes.begin_update(group, profile, endpoint, route.name,
                            RouteUpdateParameters(https_redirect="Disabled")).result()


ML_KEY_VAULT = "/subscriptions/${env.AZURE_SUBSCRIPTION_ID}/resourceGroups/${rg.name}/providers/Microsoft.KeyVault/vaults/kv"


def _workspace(u: str) -> dict[str, Any]:
    return _in_rg("azure.ml_workspace", name=f"mw-{u}", location="${rg.location}", storage_account="${account.id}",
                  key_vault=ML_KEY_VAULT)


AZURE_CASES = {
    "azure.resource_group": Case(
        "azure", lambda u: {"rg": _rg(u), "target": {"type": "azure.resource_group", "properties": {
            "name": f"mrt-{u}", "location": "westus", "tags": {"team": "ml"}}}},
        tag=_arm_tag, delete=_arm_delete,
    ),
    "azure.storage_account": Case(
        "azure", lambda u: {"rg": _rg(u), "target": _account(u)},
        change=_arm_change("target", "minimumTlsVersion", "TLS1_0"), expected=("min_tls_version", "TLS1_2", "TLS1_0"),
        tag=_arm_tag, delete=_arm_delete,
    ),
    "azure.blob_container": Case(
        "azure", lambda u: {"rg": _rg(u), "account": _account(u), "target": _in_rg(
            "azure.blob_container", name=f"c{u}", account="${account.name}")},
        change=_arm_change("target", "metadata.owner", "someone"), expected=("metadata.owner", None, "someone"),
        delete=_arm_delete,
    ),
    "azure.blob": Case(
        "azure", lambda u: {"rg": _rg(u), "account": _account(u),
                            "container": _in_rg("azure.blob_container", name=f"b{u}", account="${account.name}"),
                            "target": _in_rg("azure.blob", name="model.bin", account="${account.name}",
                                             container="${container.name}", source="./model.bin",
                                             content_type="application/octet-stream")},
        change=_blob_content_type, expected=("content_type", "application/octet-stream", "text/plain"),
        delete=_blob_delete,
    ),
    "azure.managed_disk": Case(
        "azure", lambda u: {"rg": _rg(u), "target": _in_rg("azure.managed_disk", name=f"md{u}", location="westus",
                                                           size_gb=4, tags={"team": "ml"})},
        change=_set_sku("Premium_LRS"), expected=("sku", "Standard_LRS", "Premium_LRS"),
        tag=_arm_tag, delete=_arm_delete, extra=_extra_disk,
    ),
    "azure.disk_snapshot": Case(
        "azure", lambda u: {"rg": _rg(u), "disk": _in_rg("azure.managed_disk", name=f"sd{u}", location="westus",
                                                         size_gb=4),
                            "target": _in_rg("azure.disk_snapshot", name=f"ss{u}", location="westus",
                                             source_disk="${disk.id}", sku="Standard_LRS", tags={"team": "ml"})},
        change=_set_sku("Premium_LRS"),
        expected=("sku", "Standard_LRS", "Premium_LRS"),
        tag=_arm_tag, delete=_arm_delete,
    ),
    "azure.servicebus_namespace": Case(
        "azure", lambda u: {"rg": _rg(u), "target": _in_rg("azure.servicebus_namespace", name=f"msb-{u}",
                                                           location="westus")},
        change=_arm_change("target", "minimumTlsVersion", "1.0"), expected=("min_tls_version", "1.2", "1.0"),
        tag=_arm_tag, delete=_arm_delete,
    ),
    "azure.servicebus_queue": Case(
        "azure", lambda u: {"rg": _rg(u), "ns": _in_rg("azure.servicebus_namespace", name=f"mq-{u}", location="westus"),
                            "target": _in_rg("azure.servicebus_queue", name="jobs", namespace="${ns.name}")},
        change=_arm_change("target", "maxDeliveryCount", 5), expected=("max_delivery_count", 10, 5),
        delete=_arm_delete,
    ),
    "azure.cdn_profile": Case(
        "azure", lambda u: {"rg": _rg(u), "target": _in_rg("azure.cdn_profile", name=f"mcp-{u}",
                                                           tags={"team": "ml"})},
        tag=_arm_tag, delete=_arm_delete,
    ),
    "azure.cdn_endpoint": Case(
        "azure", lambda u: {"rg": _rg(u), "account": _account(u),
                            "profile": _in_rg("azure.cdn_profile", name=f"mcp-{u}"),
                            "target": _in_rg("azure.cdn_endpoint", name=f"mce-{u}", profile="${profile.name}",
                                             origin_storage_account="${account.id}", tags={"team": "ml"})},
        change=_cdn_route_https, expected=("https_only", True, False),
        tag=_arm_tag, delete=_arm_delete,
    ),
    "azure.ml_workspace": Case(
        "azure", lambda u: {"rg": _rg(u), "account": _account(u), "target": _workspace(u)},
        change=_arm_change("target", "publicNetworkAccess", "Disabled"),
        expected=("public_network_access", "Enabled", "Disabled"),
        tag=_arm_tag, delete=_arm_delete,
    ),
    "azure.ml_model_version": Case(
        "azure", lambda u: {"rg": _rg(u), "account": _account(u), "ws": _workspace(u),
                            "target": _in_rg("azure.ml_model_version", workspace="${ws.name}", model_name="clf",
                                             version=1, path="https://example.com/models/model.bin",
                                             description="v1")},
        change=_arm_change("target", "description", "edited"), expected=("description", "v1", "edited"),
        tag=lambda w: w.arm_edit(w.cloud_id("target"), _set(f"tags.{PROBE_TAG[0]}", PROBE_TAG[1])),
        delete=_arm_delete,
    ),
}

TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
PRINCIPAL_ID = "11111111-2222-3333-4444-555555555555"


def _law(u: str) -> dict[str, Any]:
    return _in_rg("azure.log_analytics_workspace", name=f"mlaw-{u}", location="westus")


AZURE_COMPANION_CASES = {
    "azure.key_vault": Case(
        "azure", lambda u: {"rg": _rg(u), "target": _in_rg("azure.key_vault", name=f"mkv{u}", location="westus",
                                                           tenant_id=TENANT_ID)},
        change=_arm_change("target", "enableRbacAuthorization", True),
        expected=("enable_rbac_authorization", False, True),
        tag=_arm_tag, delete=_arm_delete,
    ),
    "azure.log_analytics_workspace": Case(
        "azure", lambda u: {"rg": _rg(u), "target": _law(u)},
        change=_arm_change("target", "retentionInDays", 60), expected=("retention_in_days", 30, 60),
        tag=_arm_tag, delete=_arm_delete,
    ),
    "azure.application_insights": Case(
        "azure", lambda u: {"rg": _rg(u), "law": _law(u), "target": _in_rg(
            "azure.application_insights", name=f"mai-{u}", location="westus", workspace_id="${law.id}")},
        change=_arm_change("target", "Application_Type", "other"), expected=("application_type", "web", "other"),
        tag=_arm_tag, delete=_arm_delete,
    ),
    "azure.container_registry": Case(
        "azure", lambda u: {"rg": _rg(u), "target": _in_rg("azure.container_registry", name=f"mcr{u}",
                                                           location="westus")},
        change=_arm_change("target", "adminUserEnabled", True), expected=("admin_enabled", False, True),
        tag=_arm_tag, delete=_arm_delete,
    ),
    # immutable (every property forces replacement, the service refuses updates) and untaggable
    "azure.role_assignment": Case(
        "azure", lambda u: {"rg": _rg(u), "target": {"type": "azure.role_assignment", "properties": {
            "scope": "${rg.id}", "role_definition_name": "Reader", "principal_id": PRINCIPAL_ID}}},
        delete=_arm_delete,
    ),
}

CASES: dict[str, Case] = {**AWS_CASES, **AZURE_CASES, **AZURE_COMPANION_CASES}


def test_every_registered_type_has_a_case() -> None:
    assert sorted(CASES) == known_types()


# -- the matrix --------------------------------------------------------------------------------

def _spec_text(name: str, case: Case, unique: str) -> str:
    providers = ({"aws": {"region": "us-east-1"}} if case.cloud == "aws"
                 else {"azure": {"subscription_id": "${env.AZURE_SUBSCRIPTION_ID}"}})
    # JSON is YAML: the loader reads it as it is
    return json.dumps({"version": 1, "name": name, "providers": providers, "resources": case.resources(unique)},
                      indent=2)


def _outcome(report: DriftReport) -> dict[str, tuple[str, list[tuple[str, Any, Any]]]]:
    return {r.address: (r.status, [(c.path, c.before, c.after) for c in r.changes]) for r in report.resources}


def _expect(report: DriftReport, **target: Any) -> dict[str, tuple[str, list[tuple[str, Any, Any]]]]:
    want = {address: ("in_sync", []) for address in _outcome(report)}
    want["target"] = (target.get("status", "in_sync"), target.get("changes", []))
    return want


def _assert_clean(stack: workflow.Stack, *, unmanaged: bool = False) -> None:
    report = detect_drift(stack.run, stack.snapshot(), unmanaged=unmanaged)
    assert _outcome(report) == _expect(report)
    assert [r.address for r in report.resources if r.pending_action] == []
    assert report.unmanaged == []
    assert not report.has_drift


def _repair(stack: workflow.Stack) -> None:
    workflow.apply(stack, confirm=lambda plan: True)
    _assert_clean(stack)


@pytest.mark.parametrize("type_name", known_types())
def test_out_of_band_changes_are_reported_exactly(type_name: str, request: pytest.FixtureRequest, tmp_path: Path,
                                                  unique_name: str) -> None:
    case = CASES[type_name]
    request.getfixturevalue(f"{case.cloud}_env")
    world = World(None, unique_name, tmp_path,  # type: ignore[arg-type]
                  request.getfixturevalue("arm_emulator").handle if case.cloud == "azure" else None,
                  request.getfixturevalue("azurite") if case.cloud == "azure" else None)
    (tmp_path / "model.bin").write_bytes(b"weights " * 512)
    spec_path = tmp_path / "stack.yaml"
    stack_name = f"m-{type_name.replace('.', '-').replace('_', '-')}-{unique_name}"
    spec_path.write_text(_spec_text(stack_name, case, unique_name), encoding="utf-8")
    stack = workflow.open_stack(spec_path, settings=Settings(parallelism=4, max_attempts=3))
    world.stack = stack
    workflow.apply(stack, confirm=lambda plan: True)

    # (e) no flapping: 5 runs on the untouched stack, the first also looking for unmanaged resources
    for run in range(5):
        _assert_clean(stack, unmanaged=run == 0)

    if case.change is not None:  # (a)
        case.change(world)
        report = workflow.drift(stack)
        assert _outcome(report) == _expect(report, status="modified", changes=[case.expected])
        assert report.has_drift
        _repair(stack)

    if case.tag is not None:  # (b)
        assert handler_for(type_name).taggable
        case.tag(world)
        report = workflow.drift(stack)
        assert _outcome(report) == _expect(report, status="modified",
                                           changes=[(f"tags.{PROBE_TAG[0]}", None, PROBE_TAG[1])])
        _repair(stack)
    else:
        assert not handler_for(type_name).taggable, f"{type_name} is taggable: give it a tag case"

    if case.extra is not None:  # (d)
        expected_type, cloud_id, cleanup = case.extra(world)
        report = detect_drift(stack.run, stack.snapshot(), unmanaged=True)
        assert [(u.type, u.cloud_id.lower()) for u in report.unmanaged] == [(expected_type, cloud_id.lower())]
        assert report.has_drift
        assert _outcome(report) == _expect(report)
        assert not workflow.drift(stack).has_drift  # only --unmanaged looks for them
        cleanup()
        _assert_clean(stack, unmanaged=True)

    case.delete(world)  # (c)
    report = workflow.drift(stack)
    assert _outcome(report) == _expect(report, status="deleted")
    assert report.has_drift

"""``--format terraform-json``: Terraform's JSON plan representation built from a plan (pure)."""

from __future__ import annotations

from modelinfra.plans.action import Action
from modelinfra.plans.plan import OutputChange, Plan, ResourceChange
from modelinfra.values import UNKNOWN, redact
from modelinfra.views.terraform_json import parse_address, render

BUCKET = {"name": "ml-open", "versioning": False, "encryption": {"algorithm": "AES256", "kms_key_id": None},
          "public_access_block": {"block_public_acls": False, "ignore_public_acls": True,
                                  "block_public_policy": True, "restrict_public_buckets": True},
          "lifecycle_rules": [], "object_lock": False, "tags": {"team": "ml"}, "force_destroy": False}
ACCOUNT = {"name": "mlweak", "resource_group": "rg", "location": "westus", "sku": "Standard_GRS",
           "kind": "StorageV2", "access_tier": "Hot", "min_tls_version": "TLS1_0",
           "allow_blob_public_access": True, "https_only": False, "blob_versioning": True,
           "blob_soft_delete_days": 7, "point_in_time_restore_days": None, "tags": {}}


def plan_of(*changes: ResourceChange, **kw) -> Plan:
    return Plan("eco", "spec.yaml", "d" * 64, None, 0, {"env": "dev", "secret": "s3cr3t"}, list(changes),
                sensitive_variables=["secret"], **kw)


def by_address(doc: dict) -> dict[str, dict]:
    return {r["address"]: r for r in doc["resource_changes"]}


def test_header_fields_tools_require():
    doc = render(plan_of(ResourceChange("b", "aws.s3_bucket", Action.CREATE, None, dict(BUCKET))))
    assert doc["format_version"] == "1.2" and doc["terraform_version"] == "1.9.0"
    assert doc["variables"] == {"env": {"value": "dev"}}  # sensitive variables never appear
    assert set(doc) >= {"planned_values", "resource_changes", "prior_state", "configuration"}


def test_s3_bucket_becomes_the_split_resources_with_terraform_names():
    after = {**BUCKET, "lifecycle_rules": [{"id": "old", "prefix": "m/", "enabled": True,
                                            "noncurrent_version_expiration_days": 30,
                                            "noncurrent_versions_to_retain": 2}],
             "arn": UNKNOWN}
    doc = render(plan_of(ResourceChange("bucket", "aws.s3_bucket", Action.CREATE, None, after)))
    changes = by_address(doc)
    assert list(changes) == ["aws_s3_bucket.bucket", "aws_s3_bucket_versioning.bucket",
                             "aws_s3_bucket_public_access_block.bucket",
                             "aws_s3_bucket_server_side_encryption_configuration.bucket",
                             "aws_s3_bucket_lifecycle_configuration.bucket"]
    main = changes["aws_s3_bucket.bucket"]
    assert main["change"]["actions"] == ["create"] and main["change"]["before"] is None
    assert main["change"]["after"]["bucket"] == "ml-open" and "arn" not in main["change"]["after"]
    assert main["change"]["after_unknown"] == {"arn": True}
    assert main["provider_name"] == "registry.terraform.io/hashicorp/aws" and main["name"] == "bucket"
    pab = changes["aws_s3_bucket_public_access_block.bucket"]["change"]["after"]
    assert (pab["block_public_acls"], pab["ignore_public_acls"]) == (False, True)
    assert changes["aws_s3_bucket_versioning.bucket"]["change"]["after"]["versioning_configuration"] == [
        {"status": "Disabled"}]
    sse = changes["aws_s3_bucket_server_side_encryption_configuration.bucket"]["change"]["after"]["rule"]
    assert sse == [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}]
    rule = changes["aws_s3_bucket_lifecycle_configuration.bucket"]["change"]["after"]["rule"][0]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 30, "newer_noncurrent_versions": 2}]
    assert rule["filter"] == [{"prefix": "m/"}] and rule["status"] == "Enabled"
    planned = {r["address"] for r in doc["planned_values"]["root_module"]["resources"]}
    assert planned == set(changes)
    config = {r["address"]: r for r in doc["configuration"]["root_module"]["resources"]}
    assert config["aws_s3_bucket_versioning.bucket"]["expressions"]["bucket"]["references"][1] == "aws_s3_bucket.bucket"


def test_storage_account_attribute_names_and_values():
    doc = render(plan_of(ResourceChange("weak", "azure.storage_account", Action.CREATE, None, dict(ACCOUNT))))
    after = by_address(doc)["azurerm_storage_account.weak"]["change"]["after"]
    assert after["min_tls_version"] == "TLS1_0"
    assert after["allow_nested_items_to_be_public"] is True and after["https_traffic_only_enabled"] is False
    assert (after["account_tier"], after["account_replication_type"]) == ("Standard", "GRS")
    assert after["resource_group_name"] == "rg" and after["account_kind"] == "StorageV2"
    assert after["blob_properties"] == [{"versioning_enabled": True, "delete_retention_policy": [{"days": 7}]}]
    assert after["modelinfra"] == {"type": "azure.storage_account", "address": "weak"}


def test_update_marks_unchanged_sub_resources_no_op_and_fills_prior_state():
    before = dict(BUCKET)
    after = {**BUCKET, "versioning": True}
    doc = render(plan_of(ResourceChange("bucket", "aws.s3_bucket", Action.UPDATE, before, after)))
    actions = {a: r["change"]["actions"] for a, r in by_address(doc).items()}
    assert actions == {"aws_s3_bucket.bucket": ["no-op"], "aws_s3_bucket_versioning.bucket": ["update"],
                       "aws_s3_bucket_public_access_block.bucket": ["no-op"],
                       "aws_s3_bucket_server_side_encryption_configuration.bucket": ["no-op"]}
    prior = {r["address"] for r in doc["prior_state"]["values"]["root_module"]["resources"]}
    assert prior == set(actions)


def test_replace_and_delete():
    acct = dict(ACCOUNT)
    doc = render(plan_of(ResourceChange("a", "azure.storage_account", Action.DELETE_THEN_CREATE, acct, acct),
                         ResourceChange("b", "azure.resource_group", Action.DELETE,
                                        {"name": "rg", "location": "westus", "tags": {}}, None)))
    changes = by_address(doc)
    assert changes["azurerm_storage_account.a"]["change"]["actions"] == ["delete", "create"]
    assert changes["azurerm_storage_account.a"]["action_reason"] == "replace_because_cannot_update"
    gone = changes["azurerm_resource_group.b"]["change"]
    assert gone["actions"] == ["delete"] and gone["after"] is None
    assert "azurerm_resource_group.b" not in {r["address"] for r in doc["planned_values"]["root_module"]["resources"]}


def test_instances_and_modules_keep_modelinfra_names():
    assert parse_address('model["ranker"]').of("aws_s3_object") == 'aws_s3_object.model["ranker"]'
    assert parse_address("module.features.bucket").of("aws_s3_bucket") == "module.features.aws_s3_bucket.bucket"
    obj = {"bucket": "b", "key": "k", "source": "./m.bin", "content_type": None, "metadata": {},
           "storage_class": "STANDARD", "restore_at": None, "restore_version_id": None}
    doc = render(plan_of(ResourceChange('model["ranker"]', "aws.s3_object", Action.CREATE, None, obj),
                         ResourceChange("module.features.bucket", "aws.s3_bucket", Action.CREATE, None, dict(BUCKET))))
    changes = by_address(doc)
    assert changes['aws_s3_object.model["ranker"]']["index"] == "ranker"
    assert changes["module.features.aws_s3_bucket.bucket"]["module_address"] == "module.features"
    child = doc["planned_values"]["root_module"]["child_modules"][0]
    assert child["address"] == "module.features" and len(child["resources"]) == 4


def test_module_configuration_sits_under_module_calls_with_relative_addresses():
    doc = render(plan_of(ResourceChange("bucket", "aws.s3_bucket", Action.CREATE, None, dict(BUCKET)),
                         ResourceChange("module.features.bucket", "aws.s3_bucket", Action.CREATE, None, dict(BUCKET)),
                         ResourceChange("module.features.module.inner.bucket", "aws.s3_bucket", Action.CREATE, None,
                                        dict(BUCKET))))
    root = doc["configuration"]["root_module"]
    assert [r["address"] for r in root["resources"]].count("aws_s3_bucket.bucket") == 1
    features = root["module_calls"]["features"]["module"]
    assert [r["address"] for r in features["resources"]][:2] == ["aws_s3_bucket.bucket",
                                                                 "aws_s3_bucket_versioning.bucket"]
    assert features["resources"][1]["expressions"]["bucket"]["references"][1] == "aws_s3_bucket.bucket"
    inner = features["module_calls"]["inner"]["module"]
    assert len(inner["resources"]) == 4 and "module_calls" not in inner
    inner_planned = doc["planned_values"]["root_module"]["child_modules"][0]["child_modules"][0]
    assert inner_planned["address"] == "module.features.module.inner"
    assert inner_planned["resources"][0]["address"] == "module.features.module.inner.aws_s3_bucket.bucket"


def test_unmapped_types_and_attributes_are_kept_under_modelinfra():
    after = {"workspace": "ws", "resource_group": "rg", "model_name": "ranker", "version": 3,
             "path": "azureml://x", "description": None, "tags": {}, "id": UNKNOWN}
    doc = render(plan_of(ResourceChange("mv", "azure.ml_model_version", Action.CREATE, None, after),
                         ResourceChange("snap", "azure.disk_snapshot", Action.CREATE, None, {
                             "name": "s", "resource_group": "rg", "location": "westus", "source_disk": "/d",
                             "incremental": True, "sku": "Standard_ZRS", "tags": {}})))
    changes = by_address(doc)
    generic = changes["modelinfra_azure_ml_model_version.mv"]["change"]
    assert generic["after"]["modelinfra"]["attributes"]["model_name"] == "ranker"
    assert generic["after_unknown"] == {"modelinfra": {"attributes": {"id": True}}}
    snap = changes["azurerm_snapshot.snap"]["change"]["after"]
    assert snap["incremental_enabled"] is True and snap["modelinfra"]["attributes"] == {"sku": "Standard_ZRS"}


def test_secrets_stay_masked_and_flagged():
    before = {"name": "ns", "resource_group": "rg", "location": "westus", "sku": "Standard", "min_tls_version": "1.2",
              "local_auth_enabled": False, "tags": {}, "primary_connection_string": redact("Endpoint=sb://x")}
    doc = render(plan_of(ResourceChange("ns", "azure.servicebus_namespace", Action.UPDATE, before,
                                        {**before, "tags": {"a": "b"}}, sensitive_keys=["primary_connection_string"]),
                         output_changes=[OutputChange("conn", Action.CREATE, None, "x", sensitive=True)]))
    change = by_address(doc)["azurerm_servicebus_namespace.ns"]["change"]
    assert change["after"]["default_primary_connection_string"].startswith("(sensitive value")
    assert change["after_sensitive"] == {"default_primary_connection_string": True}
    assert doc["output_changes"]["conn"]["after"] is None and doc["output_changes"]["conn"]["after_sensitive"] is True

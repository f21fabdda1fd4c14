"""``--format terraform-json`` for the AWS properties and types of issue 16: bucket logging,
policy, CORS, lifecycle transitions; tag-based backup selections and copy actions; IAM roles and
KMS keys with their alias, each under the hashicorp/aws resource a Terraform user would write."""

from __future__ import annotations

import json

from modelinfra.plans.action import Action
from modelinfra.plans.plan import ResourceChange
from modelinfra.views.terraform_json import render
from tests.views.test_terraform_json import BUCKET, by_address, plan_of

POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": ["s3:*"],
                                                  "Resource": ["arn:aws:s3:::ml-open/*"]}]}


def after(doc: dict, address: str) -> dict:
    return by_address(doc)[address]["change"]["after"]


def test_bucket_logging_policy_cors_and_transitions_become_their_terraform_resources():
    bucket = {**BUCKET, "encryption": {"algorithm": "aws:kms", "kms_key_id": "k", "bucket_key_enabled": True},
              "logging": {"target_bucket": "logs", "target_prefix": "ml/"}, "policy": POLICY,
              "cors_rules": [{"id": "web", "allowed_methods": ["GET"], "allowed_origins": ["*"],
                              "allowed_headers": [], "expose_headers": [], "max_age_seconds": None}],
              "lifecycle_rules": [{"id": "t", "prefix": "", "enabled": True,
                                   "transitions": [{"days": 30, "storage_class": "STANDARD_IA"}],
                                   "expiration_days": 365, "noncurrent_transitions": [],
                                   "noncurrent_version_expiration_days": None, "noncurrent_versions_to_retain": None,
                                   "abort_incomplete_multipart_upload_days": 7}],
              "intelligent_tiering": []}
    doc = render(plan_of(ResourceChange("bucket", "aws.s3_bucket", Action.CREATE, None, bucket)))
    assert after(doc, "aws_s3_bucket_logging.bucket")["target_prefix"] == "ml/"
    assert json.loads(after(doc, "aws_s3_bucket_policy.bucket")["policy"]) == POLICY
    assert after(doc, "aws_s3_bucket_cors_configuration.bucket")["cors_rule"][0]["allowed_methods"] == ["GET"]
    [sse] = after(doc, "aws_s3_bucket_server_side_encryption_configuration.bucket")["rule"]
    assert sse["bucket_key_enabled"] is True
    [rule] = after(doc, "aws_s3_bucket_lifecycle_configuration.bucket")["rule"]
    assert rule["transition"] == [{"days": 30, "storage_class": "STANDARD_IA"}]
    assert rule["expiration"] == [{"days": 365}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]


def test_iam_role_kms_key_alias_and_tag_selection():
    role = {"name": "backup", "path": "/service-role/", "description": "", "max_session_duration": 3600,
            "assume_role_policy": POLICY, "managed_policy_arns": ["arn:aws:iam::aws:policy/P"],
            "inline_policies": {"read": POLICY}, "tags": {}}
    key = {"description": "k", "key_usage": "ENCRYPT_DECRYPT", "customer_master_key_spec": "SYMMETRIC_DEFAULT",
           "enable_key_rotation": True, "policy": None, "alias": "alias/models", "tags": {}, "key_id": "kid"}
    selection = {"name": "s", "plan": "p", "iam_role_arn": "arn:aws:iam::123456789012:role/backup", "resources": [],
                 "selection_tags": [{"type": "STRINGEQUALS", "key": "backup", "value": "daily"}],
                 "conditions": {"string_equals": [{"key": "aws:ResourceTag/team", "value": "ml"}], "string_like": [],
                                "string_not_equals": [], "string_not_like": []}, "not_resources": []}
    doc = render(plan_of(ResourceChange("role", "aws.iam_role", Action.CREATE, None, role),
                         ResourceChange("key", "aws.kms_key", Action.CREATE, None, key),
                         ResourceChange("sel", "aws.backup_selection", Action.CREATE, None, selection)))
    tf_role = after(doc, "aws_iam_role.role")
    assert json.loads(tf_role["assume_role_policy"]) == POLICY and tf_role["inline_policy"][0]["name"] == "read"
    assert after(doc, "aws_kms_key.key")["enable_key_rotation"] is True
    assert after(doc, "aws_kms_alias.key") == {"name": "alias/models", "target_key_id": "kid",
                                               "modelinfra": {"type": "aws.kms_key", "address": "key"}}
    tf_selection = after(doc, "aws_backup_selection.sel")
    assert tf_selection["selection_tag"] == [{"type": "STRINGEQUALS", "key": "backup", "value": "daily"}]
    assert tf_selection["condition"][0]["string_equals"] == [{"key": "aws:ResourceTag/team", "value": "ml"}]
    assert "attributes" not in tf_selection["modelinfra"], "every selection attribute has a Terraform name"


def test_a_vault_access_policy_becomes_an_aws_backup_vault_policy_and_none_adds_nothing():
    vault = {"name": "models", "kms_key_arn": None, "tags": {}, "policy": POLICY, "force_destroy": False}
    bare = {**vault, "name": "plain", "policy": {}}
    doc = render(plan_of(ResourceChange("vault", "aws.backup_vault", Action.CREATE, None, vault),
                         ResourceChange("plain", "aws.backup_vault", Action.CREATE, None, bare)))
    tf_policy = after(doc, "aws_backup_vault_policy.vault")
    assert tf_policy["backup_vault_name"] == "models" and json.loads(tf_policy["policy"]) == POLICY
    assert "policy" not in after(doc, "aws_backup_vault.vault")
    assert "aws_backup_vault_policy.plain" not in by_address(doc)
    [config] = [r for r in doc["configuration"]["root_module"]["resources"]
                if r["address"] == "aws_backup_vault_policy.vault"]
    # the id of an aws_backup_vault is its name
    assert config["expressions"]["backup_vault_name"] == {"references": ["aws_backup_vault.vault.id",
                                                                         "aws_backup_vault.vault"]}

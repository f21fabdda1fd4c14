"""A conftest-style Rego policy (``deny`` over ``input.resource_changes``) run by a real Rego
engine (regopy, rego-cpp's Python binding) on ``--format terraform-json``, as on a Terraform plan."""

from __future__ import annotations

import json

from regopy import Input, Interpreter

from modelinfra.plans.action import Action
from modelinfra.plans.plan import Plan, ResourceChange
from modelinfra.views.terraform_json import render

POLICY = """
package main
import rego.v1

deny contains msg if {
  rc := input.resource_changes[_]
  rc.type == "aws_s3_bucket_public_access_block"
  some action in rc.change.actions
  action in {"create", "update"}
  not rc.change.after.block_public_acls
  msg := sprintf("%s: block_public_acls must be true", [rc.address])
}

deny contains msg if {
  rc := input.resource_changes[_]
  rc.type == "azurerm_storage_account"
  some action in rc.change.actions
  action in {"create", "update"}
  rc.change.after.min_tls_version != "TLS1_2"
  msg := sprintf("%s: min_tls_version is %s", [rc.address, rc.change.after.min_tls_version])
}
"""


def account(name: str, tls: str) -> dict:
    return {"name": name, "resource_group": "rg", "location": "westus", "sku": "Standard_LRS", "kind": "StorageV2",
            "access_tier": "Hot", "min_tls_version": tls, "allow_blob_public_access": False, "https_only": True,
            "blob_versioning": False, "blob_soft_delete_days": None, "point_in_time_restore_days": None, "tags": {}}


def bucket(name: str, open_acls: bool) -> dict:
    return {"name": name, "versioning": True, "encryption": {"algorithm": "AES256", "kms_key_id": None},
            "public_access_block": {"block_public_acls": not open_acls, "ignore_public_acls": True,
                                    "block_public_policy": True, "restrict_public_buckets": True},
            "lifecycle_rules": [], "object_lock": False, "tags": {}, "force_destroy": False}


def deny(doc: dict) -> set[str]:
    rego = Interpreter()
    rego.add_module("policy", POLICY)
    rego.set_input(Input(json.loads(json.dumps(doc))))
    output = str(rego.query("data.main.deny"))
    assert output.startswith("{"), output  # the engine's error text otherwise
    result = json.loads(output)
    return set(result["expressions"][0])


def test_rego_deny_rules_fire_on_the_weak_resources_only():
    plan = Plan("eco", "spec.yaml", "d" * 64, None, 0, {}, [
        ResourceChange("weak", "azure.storage_account", Action.CREATE, None, account("weak1", "TLS1_0")),
        ResourceChange("strong", "azure.storage_account", Action.CREATE, None, account("strong1", "TLS1_2")),
        ResourceChange("open", "aws.s3_bucket", Action.CREATE, None, bucket("open-b", True)),
        ResourceChange("closed", "aws.s3_bucket", Action.CREATE, None, bucket("closed-b", False)),
        ResourceChange("gone", "aws.s3_bucket", Action.DELETE, bucket("gone-b", True), None),
    ])
    assert deny(render(plan)) == {"azurerm_storage_account.weak: min_tls_version is TLS1_0",
                                  "aws_s3_bucket_public_access_block.open: block_public_acls must be true"}

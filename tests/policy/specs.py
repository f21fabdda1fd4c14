"""Spec texts for the policy tests: WEAK trips every baseline rule once, STRONG none."""

from __future__ import annotations

from pathlib import Path

from modelinfra.spec.compile import compile_spec
from modelinfra.spec.spec import Spec

HEAD = """\
version: 1
name: policy-{kind}
providers:
  azure: {{subscription_id: "00000000-0000-0000-0000-000000000000"}}
  aws: {{region: us-east-1}}
resources:
  rg:
    type: azure.resource_group
    properties: {{name: policy-rg, location: westus}}
"""

WEAK = HEAD.format(kind="weak") + """\
  account:
    type: azure.storage_account
    properties:
      name: policyweak
      resource_group: ${rg.name}
      location: ${rg.location}
      min_tls_version: TLS1_1
      allow_blob_public_access: true
      https_only: false
  container:
    type: azure.blob_container
    properties: {name: models, account: '${account.name}', resource_group: '${rg.name}', public_access: blob}
  blob:
    type: azure.blob
    properties: {name: m.bin, account: '${account.name}', container: '${container.name}', source: ./m.bin}
  bucket:
    type: aws.s3_bucket
    properties:
      name: policy-weak-bucket
      public_access_block:
        restrict_public_buckets: false
  object:
    type: aws.s3_object
    properties: {bucket: '${bucket.name}', key: m.bin, source: ./m.bin}
  vault:
    type: aws.backup_vault
    properties: {name: policy-vault}
  plan:
    type: aws.backup_plan
    properties:
      name: policy-plan
      rules:
        - {name: daily, target_vault: '${vault.name}', lifecycle: {delete_after_days: 3}}
  bus:
    type: azure.servicebus_namespace
    properties: {name: policy-bus, resource_group: '${rg.name}', location: westus, min_tls_version: "1.0"}
  profile:
    type: azure.cdn_profile
    properties: {name: policy-fd, resource_group: '${rg.name}'}
  endpoint:
    type: azure.cdn_endpoint
    properties:
      name: policy-ep
      profile: ${profile.name}
      resource_group: ${rg.name}
      origin_storage_account: ${account.id}
      https_only: false
  workspace:
    type: azure.ml_workspace
    properties:
      name: policy-ws
      resource_group: ${rg.name}
      location: westus
      storage_account: ${account.id}
      key_vault: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/policy-rg/providers/Microsoft.KeyVault/vaults/kv
"""

STRONG = HEAD.format(kind="strong") + """\
  account:
    type: azure.storage_account
    properties:
      name: policystrong
      resource_group: ${rg.name}
      location: ${rg.location}
      blob_versioning: true
      blob_soft_delete_days: 14
      network_rules: {default_action: Deny}
  container:
    type: azure.blob_container
    properties: {name: models, account: '${account.name}', resource_group: '${rg.name}'}
  blob:
    type: azure.blob
    properties: {name: m.bin, account: '${account.name}', container: '${container.name}', source: ./m.bin}
  bucket:
    type: aws.s3_bucket
    properties:
      name: policy-strong-bucket
      versioning: true
      encryption: {algorithm: "aws:kms", kms_key_id: alias/models}
  object:
    type: aws.s3_object
    properties: {bucket: '${bucket.name}', key: m.bin, source: ./m.bin}
  vault:
    type: aws.backup_vault
    properties: {name: policy-vault, kms_key_arn: "arn:aws:kms:us-east-1:123456789012:key/k"}
  plan:
    type: aws.backup_plan
    properties:
      name: policy-plan
      rules:
        - {name: daily, target_vault: '${vault.name}', lifecycle: {delete_after_days: 35}}
  bus:
    type: azure.servicebus_namespace
    properties: {name: policy-bus, resource_group: '${rg.name}', location: westus, local_auth_enabled: false}
  workspace:
    type: azure.ml_workspace
    properties:
      name: policy-ws
      resource_group: ${rg.name}
      location: westus
      storage_account: ${account.id}
      key_vault: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/policy-rg/providers/Microsoft.KeyVault/vaults/kv
      public_network_access: Disabled
"""

WEAK_FINDINGS = {
    ("MI-AZ-STORAGE-TLS", "account"), ("MI-AZ-STORAGE-PUBLIC-BLOB", "account"), ("MI-AZ-STORAGE-HTTPS", "account"),
    ("MI-AZ-STORAGE-VERSIONING", "account"), ("MI-AZ-STORAGE-SOFT-DELETE", "account"),
    ("MI-AZ-STORAGE-PUBLIC-NETWORK", "account"),
    ("MI-AZ-CONTAINER-PUBLIC", "container"), ("MI-AWS-S3-PUBLIC-ACCESS", "bucket"), ("MI-AWS-S3-KMS", "bucket"),
    ("MI-AWS-S3-VERSIONING", "bucket"), ("MI-AWS-BACKUP-VAULT-KMS", "vault"), ("MI-AWS-BACKUP-RETENTION", "plan"),
    ("MI-AZ-SERVICEBUS-TLS", "bus"), ("MI-AZ-SERVICEBUS-LOCAL-AUTH", "bus"), ("MI-AZ-CDN-HTTPS", "endpoint"),
    ("MI-AZ-ML-PUBLIC-NETWORK", "workspace"),
}


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    (tmp_path / "m.bin").write_bytes(b"model")
    path = tmp_path / name
    path.write_text(text)
    return path


def compiled(tmp_path: Path, text: str) -> Spec:
    return compile_spec(write(tmp_path, text), environ={})


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line of ``text`` containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)

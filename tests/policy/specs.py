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
  kv:
    type: azure.key_vault
    properties: {name: policy-kv, resource_group: '${rg.name}', location: westus,
                 tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47, enable_rbac_authorization: true,
                 access_policies: [{object_id: 11111111-2222-3333-4444-555555555555, secret_permissions: [Get]}]}
  acr:
    type: azure.container_registry
    properties: {name: policyacr, resource_group: '${rg.name}', location: westus, admin_enabled: true}
  key:
    type: aws.kms_key
    properties: {description: models}
  role:
    type: aws.iam_role
    properties:
      name: policy-admin
      assume_role_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: backup.amazonaws.com}, Action: "sts:AssumeRole"}]}
      inline_policies:
        everything: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}
  owner:
    type: azure.role_assignment
    properties: {scope: /subscriptions/00000000-0000-0000-0000-000000000000, role_definition_name: Owner,
                 principal_id: 11111111-2222-3333-4444-555555555555}
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
  kv:
    type: azure.key_vault
    properties: {name: policy-kv, resource_group: '${rg.name}', location: westus,
                 tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47, purge_protection_enabled: true,
                 network_acls: {default_action: Deny}}
  acr:
    type: azure.container_registry
    properties: {name: policyacr, resource_group: '${rg.name}', location: westus, sku: Premium,
                 public_network_access: Disabled}
  key:
    type: aws.kms_key
    properties: {description: models, enable_key_rotation: true}
  signing:
    type: aws.kms_key
    properties: {description: signing, key_usage: SIGN_VERIFY, customer_master_key_spec: RSA_2048}
  role:
    type: aws.iam_role
    properties:
      name: policy-reader
      assume_role_policy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: backup.amazonaws.com}, Action: "sts:AssumeRole"}]}
      managed_policy_arns: [arn:aws:iam::aws:policy/ReadOnlyAccess]
      inline_policies:
        models: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:*", Resource: "arn:aws:s3:::m/*"}]}
  owner:
    type: azure.role_assignment
    properties: {scope: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/policy-rg',
                 role_definition_name: Owner, principal_id: 11111111-2222-3333-4444-555555555555}
"""

WEAK_FINDINGS = {
    ("MI-AZ-STORAGE-TLS", "account"), ("MI-AZ-STORAGE-PUBLIC-BLOB", "account"), ("MI-AZ-STORAGE-HTTPS", "account"),
    ("MI-AZ-STORAGE-VERSIONING", "account"), ("MI-AZ-STORAGE-SOFT-DELETE", "account"),
    ("MI-AZ-STORAGE-PUBLIC-NETWORK", "account"),
    ("MI-AZ-CONTAINER-PUBLIC", "container"), ("MI-AWS-S3-PUBLIC-ACCESS", "bucket"), ("MI-AWS-S3-KMS", "bucket"),
    ("MI-AWS-S3-VERSIONING", "bucket"), ("MI-AWS-BACKUP-VAULT-KMS", "vault"), ("MI-AWS-BACKUP-RETENTION", "plan"),
    ("MI-AZ-SERVICEBUS-TLS", "bus"), ("MI-AZ-SERVICEBUS-LOCAL-AUTH", "bus"), ("MI-AZ-CDN-HTTPS", "endpoint"),
    ("MI-AZ-ML-PUBLIC-NETWORK", "workspace"),
    ("MI-AZ-KEYVAULT-PURGE-PROTECTION", "kv"), ("MI-AZ-KEYVAULT-PUBLIC-NETWORK", "kv"),
    ("MI-AZ-KEYVAULT-IGNORED-POLICIES", "kv"), ("MI-AZ-ACR-ADMIN", "acr"),
    ("MI-AZ-ACR-PUBLIC-NETWORK", "acr"), ("MI-AWS-KMS-ROTATION", "key"), ("MI-AWS-IAM-ADMIN", "role"),
    ("MI-AZ-ROLE-OWNER", "owner"),
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

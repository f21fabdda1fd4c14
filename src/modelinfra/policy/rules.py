"""The built-in baseline of ``modelinfra check``: one ``Rule`` per weakness, keyed by ``MI-...`` id.

A rule looks at one resource's evaluated properties (defaults filled in) and, for the rules about
where model artifacts live, at the ``Context`` of the whole spec. ``check(props, ctx)`` returns
``(property, message)`` for a finding or None. A value only known after apply (UNKNOWN) is never
judged: the rule stays silent rather than guess.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from modelinfra.values import UNKNOWN

SEVERITIES = ("low", "medium", "high")
Hit = tuple[str, str] | None


@dataclass(frozen=True)
class Context:
    """What rules may know beyond one resource: the storage accounts, containers and buckets that
    hold model artifacts (``azure.blob`` / ``aws.s3_object`` resources point at them)."""

    artifact_accounts: frozenset[str] = frozenset()
    artifact_buckets: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    type: str
    title: str
    fix: str
    check: Callable[[dict[str, Any], Context], Hit] = field(repr=False)


def _list(value: Any) -> list[Any]:
    """``value`` if it is a list, else [] (None, or UNKNOWN: not judged)."""
    return value if isinstance(value, list) else []


def _is(value: Any, *bad: Any) -> bool:
    return value is not UNKNOWN and value in bad


def _when(prop: str, bad: tuple[Any, ...], message: str) -> Callable[[dict[str, Any], Context], Hit]:
    """A rule that fires when ``prop`` holds one of ``bad``; ``{value}`` in ``message`` is the value."""

    def check(p: dict[str, Any], _: Context) -> Hit:
        value = p.get(prop)
        return (prop, message.format(value=value)) if _is(value, *bad) else None

    return check


def _storage_public_network(p: dict[str, Any], _: Context) -> Hit:
    if "public_network_access" not in p:  # the property is not in this type's model (yet)
        return None
    rules = p.get("network_rules")
    denied = isinstance(rules, dict) and rules.get("default_action") == "Deny"
    return ("public_network_access", "reachable from every public network and no network rule denies by default") \
        if _is(p.get("public_network_access"), "Enabled") and not denied else None


def _storage_versioning(p: dict[str, Any], ctx: Context) -> Hit:
    if p.get("name") not in ctx.artifact_accounts:
        return None
    return ("blob_versioning", "model artifacts live here, but blob versioning is off: an overwrite loses the "
            "previous model") if _is(p.get("blob_versioning"), False) else None


def _storage_soft_delete(p: dict[str, Any], ctx: Context) -> Hit:
    if p.get("name") not in ctx.artifact_accounts or p.get("blob_soft_delete_days") is UNKNOWN:
        return None
    return ("blob_soft_delete_days", "model artifacts live here, but blob soft delete is off") \
        if not p.get("blob_soft_delete_days") else None


def _s3_public_access(p: dict[str, Any], _: Context) -> Hit:
    block = p.get("public_access_block")
    if not isinstance(block, dict):
        return None
    off = sorted(k for k, v in block.items() if v is False)
    return ("public_access_block", f"Block Public Access is open: {', '.join(off)} off") if off else None


def _s3_kms(p: dict[str, Any], _: Context) -> Hit:
    enc = p.get("encryption")
    algorithm = enc.get("algorithm") if isinstance(enc, dict) else None
    return ("encryption", "default encryption is SSE-S3 (AES256), not a KMS key you control") \
        if _is(algorithm, "AES256") else None


def _s3_versioning(p: dict[str, Any], ctx: Context) -> Hit:
    if p.get("name") not in ctx.artifact_buckets:
        return None
    return ("versioning", "model artifacts live here, but versioning is off: an overwrite or delete loses the "
            "previous model") if _is(p.get("versioning"), False) else None


def _vault_kms(p: dict[str, Any], _: Context) -> Hit:
    return ("kms_key_arn", "recovery points are encrypted with the AWS managed key, not a customer managed KMS key") \
        if "kms_key_arn" in p and p.get("kms_key_arn") is None else None


def _backup_retention(p: dict[str, Any], _: Context) -> Hit:
    short = []
    for rule in _list(p.get("rules")):
        days = ((rule or {}).get("lifecycle") or {}).get("delete_after_days") if isinstance(rule, dict) else None
        if isinstance(days, int) and days < 7:
            short.append(f"{rule.get('name')} ({days} days)")
    return ("rules", f"recovery points are kept under 7 days: {', '.join(short)}") if short else None


def _vault_network(p: dict[str, Any], _: Context) -> Hit:
    acls = p.get("network_acls")
    if acls is UNKNOWN or (isinstance(acls, dict) and acls.get("default_action") != "Allow"):
        return None
    return ("network_acls", "reachable from every network: no network_acls, or default_action Allow") \
        if acls is None or isinstance(acls, dict) else None


def _vault_ignored_policies(p: dict[str, Any], _: Context) -> Hit:
    if p.get("enable_rbac_authorization") is True and isinstance(p.get("access_policies"), list) \
            and p["access_policies"]:
        return ("access_policies", "the access policies grant nothing: enable_rbac_authorization is true, so the "
                                   "vault authorizes data actions with Azure RBAC role assignments only")
    return None


def _kms_rotation(p: dict[str, Any], _: Context) -> Hit:
    if p.get("customer_master_key_spec") != "SYMMETRIC_DEFAULT":
        return None  # KMS rotates only symmetric keys
    return ("enable_key_rotation", "automatic yearly key rotation is off") \
        if _is(p.get("enable_key_rotation"), False) else None


ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


def _statements(document: Any) -> list[dict[str, Any]]:
    """A policy document's statements (the document a mapping or a JSON string)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    statements = document.get("Statement") if isinstance(document, dict) else None
    statements = [statements] if isinstance(statements, dict) else statements or []
    return [s for s in statements if isinstance(s, dict)]


def _is_star(value: Any) -> bool:
    return value == "*" or (isinstance(value, list) and "*" in value)


def _iam_admin(p: dict[str, Any], _: Context) -> Hit:
    if ADMIN_POLICY in _list(p.get("managed_policy_arns")):
        return ("managed_policy_arns", "the role has AdministratorAccess")
    inline = p.get("inline_policies")
    for name, document in sorted(inline.items()) if isinstance(inline, dict) else []:
        if any(s.get("Effect") == "Allow" and _is_star(s.get("Action")) and _is_star(s.get("Resource"))
               for s in _statements(document)):
            return ("inline_policies", f"inline policy {name!r} allows every action on every resource")
    return None


PRIVILEGED_ROLES = ("Owner", "User Access Administrator")


def _role_owner(p: dict[str, Any], _: Context) -> Hit:
    scope = p.get("scope")
    if not isinstance(scope, str) or scope.strip("/").count("/") != 1:  # /subscriptions/<id> only
        return None
    role = p.get("role_definition_name")
    return ("role_definition_name", f"{role} on the whole subscription") if _is(role, *PRIVILEGED_ROLES) else None


RULES: tuple[Rule, ...] = (
    Rule("MI-AZ-STORAGE-TLS", "high", "azure.storage_account", "Storage account accepts TLS below 1.2",
         "set min_tls_version: TLS1_2",
         _when("min_tls_version", ("TLS1_0", "TLS1_1"), "minimum TLS version is {value}")),
    Rule("MI-AZ-STORAGE-PUBLIC-BLOB", "high", "azure.storage_account", "Storage account allows public blob access",
         "set allow_blob_public_access: false",
         _when("allow_blob_public_access", (True,), "anonymous public read access to blobs is allowed")),
    Rule("MI-AZ-STORAGE-HTTPS", "high", "azure.storage_account", "Storage account accepts plain HTTP",
         "set https_only: true",
         _when("https_only", (False,), "plain HTTP requests are accepted")),
    Rule("MI-AZ-STORAGE-PUBLIC-NETWORK", "medium", "azure.storage_account",
         "Storage account open to public networks without network rules",
         "set public_network_access: Disabled, or network_rules with default_action: Deny", _storage_public_network),
    Rule("MI-AZ-STORAGE-VERSIONING", "medium", "azure.storage_account",
         "Blob versioning off on an account holding model artifacts", "set blob_versioning: true", _storage_versioning),
    Rule("MI-AZ-STORAGE-SOFT-DELETE", "low", "azure.storage_account",
         "Blob soft delete off on an account holding model artifacts", "set blob_soft_delete_days: 7 (or more)",
         _storage_soft_delete),
    Rule("MI-AZ-CONTAINER-PUBLIC", "high", "azure.blob_container", "Blob container allows anonymous access",
         "set public_access: none",
         _when("public_access", ("blob", "container"), "anonymous public access level is {value!r}")),
    Rule("MI-AWS-S3-PUBLIC-ACCESS", "high", "aws.s3_bucket", "S3 Block Public Access is open",
         "set every public_access_block flag to true (the default)", _s3_public_access),
    Rule("MI-AWS-S3-KMS", "low", "aws.s3_bucket", "S3 bucket not encrypted with a KMS key",
         "set encryption: {algorithm: aws:kms, kms_key_id: <key>}", _s3_kms),
    Rule("MI-AWS-S3-VERSIONING", "medium", "aws.s3_bucket", "Versioning off on a bucket holding model artifacts",
         "set versioning: true", _s3_versioning),
    Rule("MI-AWS-BACKUP-VAULT-KMS", "low", "aws.backup_vault", "Backup vault without a customer managed KMS key",
         "set kms_key_arn", _vault_kms),
    Rule("MI-AWS-BACKUP-RETENTION", "medium", "aws.backup_plan", "Backup retention under 7 days",
         "set lifecycle.delete_after_days: 7 (or more) on every rule", _backup_retention),
    Rule("MI-AZ-SERVICEBUS-TLS", "high", "azure.servicebus_namespace", "Service Bus accepts TLS below 1.2",
         'set min_tls_version: "1.2"',
         _when("min_tls_version", ("1.0", "1.1"), "minimum TLS version is {value}")),
    Rule("MI-AZ-SERVICEBUS-LOCAL-AUTH", "medium", "azure.servicebus_namespace",
         "Service Bus accepts shared access keys", "set local_auth_enabled: false and use Entra ID roles",
         _when("local_auth_enabled", (True,), "shared access keys (SAS) are accepted besides Microsoft Entra ID")),
    Rule("MI-AZ-CDN-HTTPS", "medium", "azure.cdn_endpoint", "Front Door endpoint does not redirect HTTP to HTTPS",
         "set https_only: true",
         _when("https_only", (False,), "HTTP requests are served instead of redirected to HTTPS")),
    Rule("MI-AZ-ML-PUBLIC-NETWORK", "medium", "azure.ml_workspace", "ML workspace open to public networks",
         "set public_network_access: Disabled and reach it through a private endpoint",
         _when("public_network_access", ("Enabled",), "the workspace is reachable from public networks")),
    Rule("MI-AZ-KEYVAULT-PURGE-PROTECTION", "medium", "azure.key_vault", "Key Vault without purge protection",
         "set purge_protection_enabled: true (irreversible)",
         _when("purge_protection_enabled", (False,), "a deleted vault and its keys and secrets can be purged "
               "before the soft-delete retention ends")),
    Rule("MI-AZ-KEYVAULT-PUBLIC-NETWORK", "medium", "azure.key_vault", "Key Vault open to every network",
         "set network_acls: {default_action: Deny} with the ip_rules / subnets that need access", _vault_network),
    Rule("MI-AZ-KEYVAULT-IGNORED-POLICIES", "low", "azure.key_vault", "Key Vault access policies ignored under RBAC",
         "grant the identities Key Vault roles (azure.role_assignment) and drop access_policies, or set "
         "enable_rbac_authorization: false", _vault_ignored_policies),
    Rule("MI-AZ-ACR-ADMIN", "medium", "azure.container_registry", "Container registry admin user enabled",
         "set admin_enabled: false and pull with a managed identity (AcrPull role assignment)",
         _when("admin_enabled", (True,), "the shared admin username and password can push and pull every image")),
    Rule("MI-AZ-ACR-PUBLIC-NETWORK", "low", "azure.container_registry", "Container registry open to public networks",
         "set sku: Premium and public_network_access: Disabled",
         _when("public_network_access", ("Enabled",), "the registry is reachable from public networks")),
    Rule("MI-AWS-KMS-ROTATION", "medium", "aws.kms_key", "KMS key without automatic rotation",
         "set enable_key_rotation: true", _kms_rotation),
    Rule("MI-AWS-IAM-ADMIN", "high", "aws.iam_role", "IAM role with administrator access",
         "grant only the actions and resources the role needs", _iam_admin),
    Rule("MI-AZ-ROLE-OWNER", "high", "azure.role_assignment", "Owner-level role on a whole subscription",
         "assign a narrower role, or scope it to a resource group or resource", _role_owner),
)
BY_ID = {r.id: r for r in RULES}


def at_least(severity: str, threshold: str) -> bool:
    return SEVERITIES.index(severity) >= SEVERITIES.index(threshold)

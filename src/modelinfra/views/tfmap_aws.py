"""modelinfra AWS types as the hashicorp/aws (5.x) resources a Terraform user would write.

| modelinfra | Terraform |
|---|---|
| aws.s3_bucket | aws_s3_bucket + aws_s3_bucket_versioning + aws_s3_bucket_public_access_block + aws_s3_bucket_server_side_encryption_configuration (+ aws_s3_bucket_lifecycle_configuration when it has rules) |
| aws.s3_object | aws_s3_object |
| aws.backup_vault | aws_backup_vault (+ aws_backup_vault_policy when it has an access policy) |
| aws.backup_plan | aws_backup_plan |
| aws.backup_selection | aws_backup_selection |
| aws.iam_role | aws_iam_role |
| aws.kms_key | aws_kms_key (+ aws_kms_alias when it has an alias) |

An ``aws.backup_vault`` with an access policy also yields aws_backup_vault_policy. An
``aws.s3_bucket`` also yields aws_s3_bucket_logging, aws_s3_bucket_policy and
aws_s3_bucket_cors_configuration when it sets them; intelligent-tiering configurations stay under
``modelinfra`` (Terraform makes one resource per configuration).
"""

from __future__ import annotations

import json
from typing import Any

from modelinfra.views.tfmap_base import Attrs, Mapper, TfBlock, conv, drop_none


def s3_bucket(a: Attrs) -> list[TfBlock]:
    name = a.take("name")
    bucket = TfBlock("aws_s3_bucket", drop_none({
        "bucket": name, "force_destroy": a.take("force_destroy", False),
        "object_lock_enabled": a.take("object_lock", False), "tags": a.take("tags", {}),
        "arn": a.take("arn"), "region": a.take("region"),
    }))
    ref = {"bucket": "aws_s3_bucket"}
    versioning = TfBlock("aws_s3_bucket_versioning", {
        "bucket": name,
        "versioning_configuration": [{"status": conv(a.take("versioning", False),
                                                     lambda on: "Enabled" if on else "Disabled")}],
    }, ref)
    pab = _mapping(a.take("public_access_block", {}))
    access = TfBlock("aws_s3_bucket_public_access_block", {
        "bucket": name, **{k: pab.get(k, True) for k in (
            "block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets")},
    }, ref)
    enc = _mapping(a.take("encryption", {}))
    default = drop_none({"sse_algorithm": enc.get("algorithm", "AES256"), "kms_master_key_id": enc.get("kms_key_id")})
    encryption = TfBlock("aws_s3_bucket_server_side_encryption_configuration", {
        "bucket": name, "rule": [drop_none({"apply_server_side_encryption_by_default": [default],
                                            "bucket_key_enabled": enc.get("bucket_key_enabled")})],
    }, ref)
    blocks = [bucket, versioning, access, encryption]
    logging = _mapping(a.take("logging"))
    if logging:
        blocks.append(TfBlock("aws_s3_bucket_logging", {"bucket": name, **logging}, ref))
    policy = a.take("policy")
    if policy is not None:
        blocks.append(TfBlock("aws_s3_bucket_policy", {"bucket": name, "policy": _json(policy)}, ref))
    cors = a.take("cors_rules", [])
    if cors:
        blocks.append(TfBlock("aws_s3_bucket_cors_configuration", {
            "bucket": name, "cors_rule": [drop_none(dict(r)) for r in cors if isinstance(r, dict)]}, ref))
    rules = a.take("lifecycle_rules", [])
    if rules:
        blocks.append(TfBlock("aws_s3_bucket_lifecycle_configuration", {
            "bucket": name, "rule": [_lifecycle_rule(r) for r in rules]}, ref))
    return blocks


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    expiration = drop_none({"noncurrent_days": rule.get("noncurrent_version_expiration_days"),
                            "newer_noncurrent_versions": rule.get("noncurrent_versions_to_retain")})
    out: dict[str, Any] = {
        "id": rule.get("id"), "status": conv(rule.get("enabled", True), lambda on: "Enabled" if on else "Disabled"),
        "filter": [{"prefix": rule.get("prefix", "")}],
        "noncurrent_version_expiration": [expiration] if expiration else [],
        "transition": [drop_none(dict(t)) for t in rule.get("transitions") or []],
        "noncurrent_version_transition": [drop_none(dict(t)) for t in rule.get("noncurrent_transitions") or []],
    }
    if rule.get("expiration_days") is not None:
        out["expiration"] = [{"days": rule["expiration_days"]}]
    if rule.get("abort_incomplete_multipart_upload_days") is not None:
        out["abort_incomplete_multipart_upload"] = [{"days_after_initiation":
                                                     rule["abort_incomplete_multipart_upload_days"]}]
    return out


def _json(policy: Any) -> Any:
    """A policy document as Terraform holds it: a JSON string."""
    return json.dumps(policy, sort_keys=True) if isinstance(policy, dict) else policy


def s3_object(a: Attrs) -> list[TfBlock]:
    return [TfBlock("aws_s3_object", drop_none({
        "bucket": a.take("bucket"), "key": a.take("key"), "source": a.take("source"),
        "content_type": a.take("content_type"), "metadata": a.take("metadata", {}),
        "storage_class": a.take("storage_class"), "version_id": a.take("version_id"), "etag": a.take("etag"),
    }))]


def backup_vault(a: Attrs) -> list[TfBlock]:
    """The vault, and its access policy (a resource of its own in Terraform) when it has one."""
    name = a.take("name")
    blocks = [TfBlock("aws_backup_vault", drop_none({
        "name": name, "kms_key_arn": a.take("kms_key_arn"), "tags": a.take("tags", {}), "arn": a.take("arn"),
        "force_destroy": a.take("force_destroy"),
    }))]
    policy = a.take("policy")
    if policy:  # {} is "no access policy"
        blocks.append(TfBlock("aws_backup_vault_policy", {"backup_vault_name": name, "policy": _json(policy)},
                              {"backup_vault_name": "aws_backup_vault"}))
    return blocks


def backup_plan(a: Attrs) -> list[TfBlock]:
    return [TfBlock("aws_backup_plan", drop_none({
        "name": a.take("name"), "tags": a.take("tags", {}), "arn": a.take("arn"), "version": a.take("version_id"),
        "id": a.take("id"), "rule": conv(a.take("rules", []), lambda rules: [_backup_rule(r) for r in rules]),
    }))]


def _backup_rule(rule: dict[str, Any]) -> dict[str, Any]:
    life = rule.get("lifecycle") or {}
    lifecycle = drop_none({"cold_storage_after": life.get("cold_storage_after_days"),
                           "delete_after": life.get("delete_after_days")})
    return drop_none({
        "rule_name": rule.get("name"), "target_vault_name": rule.get("target_vault"), "schedule": rule.get("schedule"),
        "start_window": rule.get("start_window_minutes"), "completion_window": rule.get("completion_window_minutes"),
        "lifecycle": [lifecycle] if lifecycle else [], "enable_continuous_backup": rule.get("continuous_backup"),
        "recovery_point_tags": rule.get("recovery_point_tags") or {},
        "copy_action": [drop_none({"destination_vault_arn": c.get("destination_vault_arn"), "lifecycle": [drop_none({
            "cold_storage_after": (c.get("lifecycle") or {}).get("cold_storage_after_days"),
            "delete_after": (c.get("lifecycle") or {}).get("delete_after_days")})]})
            for c in rule.get("copy_actions") or []],
    })


def backup_selection(a: Attrs) -> list[TfBlock]:
    return [TfBlock("aws_backup_selection", drop_none({
        "name": a.take("name"), "plan_id": a.take("plan"), "iam_role_arn": a.take("iam_role_arn"),
        "resources": a.take("resources", []), "id": a.take("id"), "not_resources": a.take("not_resources", []),
        "selection_tag": conv(a.take("selection_tags", []), lambda tags: [dict(t) for t in tags]),
        "condition": conv(a.take("conditions", {}), lambda c: [{k: [dict(x) for x in v] for k, v in c.items()}]
                          if any(c.values()) else []),
    }))]


def iam_role(a: Attrs) -> list[TfBlock]:
    return [TfBlock("aws_iam_role", drop_none({
        "name": a.take("name"), "path": a.take("path"), "description": a.take("description"),
        "assume_role_policy": conv(a.take("assume_role_policy"), _json),
        "managed_policy_arns": a.take("managed_policy_arns", []),
        "inline_policy": conv(a.take("inline_policies", {}), lambda inline: [
            {"name": n, "policy": _json(p)} for n, p in sorted(inline.items())]),
        "max_session_duration": a.take("max_session_duration"), "tags": a.take("tags", {}),
        "arn": a.take("arn"), "unique_id": a.take("unique_id"),
    }))]


def kms_key(a: Attrs) -> list[TfBlock]:
    key = TfBlock("aws_kms_key", drop_none({
        "description": a.take("description"), "key_usage": a.take("key_usage"),
        "customer_master_key_spec": a.take("customer_master_key_spec"),
        "enable_key_rotation": a.take("enable_key_rotation"), "deletion_window_in_days": a.take("deletion_window_in_days"),
        "policy": conv(a.take("policy"), _json), "tags": a.take("tags", {}), "arn": a.take("arn"),
        "key_id": a.take("key_id"),
    }))
    alias = a.take("alias")
    if alias is None:
        return [key]
    return [key, TfBlock("aws_kms_alias", drop_none({"name": alias, "target_key_id": a.take("key_id")}),
                         {"target_key_id": "aws_kms_key"})]


MAPPERS: dict[str, Mapper] = {
    "aws.s3_bucket": s3_bucket,
    "aws.s3_object": s3_object,
    "aws.backup_vault": backup_vault,
    "aws.backup_plan": backup_plan,
    "aws.backup_selection": backup_selection,
    "aws.iam_role": iam_role,
    "aws.kms_key": kms_key,
}

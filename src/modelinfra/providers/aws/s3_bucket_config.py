"""Read and write each configurable part of an S3 bucket, in the spec's vocabulary.

One reader and one writer per top-level attribute of ``aws.s3_bucket`` (``READERS``/``WRITERS``),
so create applies all of them and update only those whose attribute changed. Readers map the
"no such configuration" answers to what S3 does without one: no tags, no lifecycle rules, no
policy, logging, CORS or intelligent tiering (those four live in ``s3_bucket_extra``), SSE-S3
(``AES256``, S3's default encryption for every bucket), no object lock, and — honestly — all four
public-access flags off when no Public Access Block exists.

Every function takes the shared boto3 client; botocore errors propagate (the handler maps them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from modelinfra.providers.aws.errors import unless_code
from modelinfra.providers.aws.s3_bucket_extra import (
    read_cors_rules,
    read_intelligent_tiering,
    read_logging,
    read_policy,
    write_cors_rules,
    write_intelligent_tiering,
    write_logging,
    write_policy,
)
from modelinfra.providers.aws.s3_bucket_spec import S3BucketSpec

NO_ENCRYPTION = ("ServerSideEncryptionConfigurationNotFoundError",)
NO_PUBLIC_ACCESS_BLOCK = ("NoSuchPublicAccessBlockConfiguration",)
NO_LIFECYCLE = ("NoSuchLifecycleConfiguration",)
NO_TAGS = ("NoSuchTagSet", "NoSuchTagSetError")
NO_OBJECT_LOCK = ("ObjectLockConfigurationNotFoundError",)

PAB_FIELDS = {
    "block_public_acls": "BlockPublicAcls",
    "ignore_public_acls": "IgnorePublicAcls",
    "block_public_policy": "BlockPublicPolicy",
    "restrict_public_buckets": "RestrictPublicBuckets",
}


# -- readers -----------------------------------------------------------------------------------------
def read_versioning(client: Any, name: str) -> bool:
    return client.get_bucket_versioning(Bucket=name).get("Status") == "Enabled"


def read_encryption(client: Any, name: str) -> dict[str, Any]:
    answer = unless_code(lambda: client.get_bucket_encryption(Bucket=name), NO_ENCRYPTION)
    rules = (answer or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    default = rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else {}
    return {"algorithm": default.get("SSEAlgorithm", "AES256"), "kms_key_id": default.get("KMSMasterKeyID"),
            "bucket_key_enabled": bool(rules[0].get("BucketKeyEnabled", False)) if rules else False}


def read_public_access_block(client: Any, name: str) -> dict[str, bool]:
    answer = unless_code(lambda: client.get_public_access_block(Bucket=name), NO_PUBLIC_ACCESS_BLOCK)
    config = (answer or {}).get("PublicAccessBlockConfiguration", {})
    return {ours: bool(config.get(theirs, False)) for ours, theirs in PAB_FIELDS.items()}


def read_lifecycle_rules(client: Any, name: str) -> list[dict[str, Any]]:
    answer = unless_code(lambda: client.get_bucket_lifecycle_configuration(Bucket=name), NO_LIFECYCLE)
    return [_rule_from_s3(rule) for rule in (answer or {}).get("Rules", [])]


def read_object_lock(client: Any, name: str) -> bool:
    answer = unless_code(lambda: client.get_object_lock_configuration(Bucket=name), NO_OBJECT_LOCK)
    return (answer or {}).get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"


def read_tags(client: Any, name: str) -> dict[str, str]:
    answer = unless_code(lambda: client.get_bucket_tagging(Bucket=name), NO_TAGS)
    return {t["Key"]: t["Value"] for t in (answer or {}).get("TagSet", [])}


def read_region(client: Any, name: str) -> str:
    """The bucket's region; S3 reports us-east-1 as no constraint and eu-west-1 as legacy ``EU``."""
    location = client.get_bucket_location(Bucket=name).get("LocationConstraint")
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)


def _rule_from_s3(rule: dict[str, Any]) -> dict[str, Any]:
    filt = rule.get("Filter") or {}
    prefix = filt.get("Prefix", (filt.get("And") or {}).get("Prefix", rule.get("Prefix", "")))
    expiration = rule.get("NoncurrentVersionExpiration") or {}
    abort = rule.get("AbortIncompleteMultipartUpload") or {}
    transitions = [{"days": t.get("Days"), "storage_class": t.get("StorageClass")}
                   for t in rule.get("Transitions") or []]
    noncurrent = [{"noncurrent_days": t.get("NoncurrentDays"), "storage_class": t.get("StorageClass"),
                   "newer_noncurrent_versions": t.get("NewerNoncurrentVersions")}
                  for t in rule.get("NoncurrentVersionTransitions") or []]
    return {
        "id": rule.get("ID", ""),
        "prefix": prefix or "",
        "enabled": rule.get("Status") == "Enabled",
        "transitions": transitions,
        "expiration_days": (rule.get("Expiration") or {}).get("Days"),
        "noncurrent_transitions": noncurrent,
        "noncurrent_version_expiration_days": expiration.get("NoncurrentDays"),
        "noncurrent_versions_to_retain": expiration.get("NewerNoncurrentVersions"),
        "abort_incomplete_multipart_upload_days": abort.get("DaysAfterInitiation"),
    }


def _rule_to_s3(rule: Any) -> dict[str, Any]:
    """One ``LifecycleRule`` of the spec as a PutBucketLifecycleConfiguration rule."""
    body: dict[str, Any] = {"ID": rule.id, "Filter": {"Prefix": rule.prefix},
                            "Status": "Enabled" if rule.enabled else "Disabled"}
    if rule.transitions:
        body["Transitions"] = [{"Days": t.days, "StorageClass": t.storage_class} for t in rule.transitions]
    if rule.expiration_days is not None:
        body["Expiration"] = {"Days": rule.expiration_days}
    if rule.noncurrent_transitions:
        body["NoncurrentVersionTransitions"] = [
            {"NoncurrentDays": t.noncurrent_days, "StorageClass": t.storage_class,
             **({"NewerNoncurrentVersions": t.newer_noncurrent_versions}
                if t.newer_noncurrent_versions is not None else {})}
            for t in rule.noncurrent_transitions]
    if rule.noncurrent_version_expiration_days is not None:
        expiration: dict[str, Any] = {"NoncurrentDays": rule.noncurrent_version_expiration_days}
        if rule.noncurrent_versions_to_retain is not None:
            expiration["NewerNoncurrentVersions"] = rule.noncurrent_versions_to_retain
        body["NoncurrentVersionExpiration"] = expiration
    if rule.abort_incomplete_multipart_upload_days is not None:
        body["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": rule.abort_incomplete_multipart_upload_days}
    return body


# -- writers -----------------------------------------------------------------------------------------
def write_versioning(client: Any, spec: S3BucketSpec, managed_tags: dict[str, str]) -> None:
    """Enable, or suspend a bucket that is versioned (a never-versioned bucket is left alone)."""
    if spec.versioning:
        client.put_bucket_versioning(Bucket=spec.name, VersioningConfiguration={"Status": "Enabled"})
    elif client.get_bucket_versioning(Bucket=spec.name).get("Status") == "Enabled":
        client.put_bucket_versioning(Bucket=spec.name, VersioningConfiguration={"Status": "Suspended"})


def write_encryption(client: Any, spec: S3BucketSpec, managed_tags: dict[str, str]) -> None:
    default: dict[str, Any] = {"SSEAlgorithm": spec.encryption.algorithm}
    if spec.encryption.kms_key_id:
        default["KMSMasterKeyID"] = spec.encryption.kms_key_id
    rule = {"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": bool(spec.encryption.bucket_key_enabled)}
    client.put_bucket_encryption(Bucket=spec.name, ServerSideEncryptionConfiguration={"Rules": [rule]})


def write_public_access_block(client: Any, spec: S3BucketSpec, managed_tags: dict[str, str]) -> None:
    flags = spec.public_access_block.model_dump()
    config = {theirs: flags[ours] for ours, theirs in PAB_FIELDS.items()}
    client.put_public_access_block(Bucket=spec.name, PublicAccessBlockConfiguration=config)


def write_lifecycle_rules(client: Any, spec: S3BucketSpec, managed_tags: dict[str, str]) -> None:
    if not spec.lifecycle_rules:
        client.delete_bucket_lifecycle(Bucket=spec.name)
        return
    rules = [_rule_to_s3(rule) for rule in spec.lifecycle_rules]
    client.put_bucket_lifecycle_configuration(Bucket=spec.name, LifecycleConfiguration={"Rules": rules})


def write_object_lock(client: Any, spec: S3BucketSpec, managed_tags: dict[str, str]) -> None:
    """Turn object lock on for an adopted bucket that lacks it (new buckets get it at create).
    Object lock cannot be turned off; ``object_lock`` forces replacement."""
    if spec.object_lock and not read_object_lock(client, spec.name):
        client.put_object_lock_configuration(
            Bucket=spec.name, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})


def write_tags(client: Any, spec: S3BucketSpec, managed_tags: dict[str, str]) -> None:
    tags = {**spec.tags, **managed_tags}
    client.put_bucket_tagging(Bucket=spec.name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})


Writer = Callable[[Any, S3BucketSpec, dict[str, str]], None]

WRITERS: dict[str, Writer] = {  # written in waves (s3_bucket.WRITE_AFTER); errors reported in this order
    "versioning": write_versioning,
    "object_lock": write_object_lock,
    "encryption": write_encryption,
    "public_access_block": write_public_access_block,
    "policy": write_policy,
    "lifecycle_rules": write_lifecycle_rules,
    "logging": write_logging,
    "cors_rules": write_cors_rules,
    "intelligent_tiering": write_intelligent_tiering,
    "tags": write_tags,
}

READERS: dict[str, Callable[[Any, str], Any]] = {
    "versioning": read_versioning,
    "encryption": read_encryption,
    "public_access_block": read_public_access_block,
    "lifecycle_rules": read_lifecycle_rules,
    "object_lock": read_object_lock,
    "logging": read_logging,
    "policy": read_policy,
    "cors_rules": read_cors_rules,
    "intelligent_tiering": read_intelligent_tiering,
    "tags": read_tags,
    "region": read_region,
}

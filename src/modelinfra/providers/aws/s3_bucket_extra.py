"""Bucket policy, server access logging, CORS and Intelligent-Tiering of ``aws.s3_bucket``: one
reader and one writer each, registered in ``s3_bucket_config``'s ``READERS``/``WRITERS``.

Readers answer in the spec's vocabulary and map S3's "none configured" answers to the empty value
(policy None, logging None, no CORS rules, no tiering configurations). The policy is read as AWS
stores it; the handler's ``normalise`` turns both sides into ``canonical_policy`` form. Lists are
returned in a stable order (CORS rules as S3 keeps them; tiering configurations by name, tiers by
access tier), so S3's ordering never shows as a diff. Writers replace the whole setting. An unset
``policy`` or ``logging`` (None) is not managed — left as the bucket has it, never diffed (the
project-wide rule for None); empty ``cors_rules``/``intelligent_tiering`` lists are managed and
clear the bucket's.
"""

from __future__ import annotations

import json
from typing import Any

from modelinfra.providers.aws.errors import unless_code
from modelinfra.providers.aws.policy_document import parse_policy
from modelinfra.providers.aws.s3_bucket_spec import S3BucketSpec

NO_POLICY = ("NoSuchBucketPolicy",)
NO_CORS = ("NoSuchCORSConfiguration",)


# -- policy ------------------------------------------------------------------------------------------
def read_policy(client: Any, name: str) -> dict[str, Any] | None:
    answer = unless_code(lambda: client.get_bucket_policy(Bucket=name), NO_POLICY)
    return json.loads(answer["Policy"]) if answer and answer.get("Policy") else None


def write_policy(client: Any, spec: S3BucketSpec, managed_tags: dict[str, str]) -> None:
    if spec.policy is None:  # not managed: whatever policy the bucket has stays
        return
    client.put_bucket_policy(Bucket=spec.name, Policy=json.dumps(parse_policy(spec.policy)))


# -- logging -----------------------------------------------------------------------------------------
def read_logging(client: Any, name: str) -> dict[str, str] | None:
    enabled = client.get_bucket_logging(Bucket=name).get("LoggingEnabled")
    if not enabled:
        return None
    return {"target_bucket": enabled["TargetBucket"], "target_prefix": enabled.get("TargetPrefix") or ""}


def write_logging(client: Any, spec: S3BucketSpec, managed_tags: dict[str, str]) -> None:
    if spec.logging is None:  # not managed
        return
    status = {"LoggingEnabled": {"TargetBucket": spec.logging.target_bucket, "TargetPrefix": spec.logging.target_prefix}}
    client.put_bucket_logging(Bucket=spec.name, BucketLoggingStatus=status)


# -- CORS --------------------------------------------------------------------------------------------
def read_cors_rules(client: Any, name: str) -> list[dict[str, Any]]:
    answer = unless_code(lambda: client.get_bucket_cors(Bucket=name), NO_CORS)
    return [{
        "id": rule.get("ID"),
        "allowed_methods": list(rule.get("AllowedMethods") or []),
        "allowed_origins": list(rule.get("AllowedOrigins") or []),
        "allowed_headers": list(rule.get("AllowedHeaders") or []),
        "expose_headers": list(rule.get("ExposeHeaders") or []),
        "max_age_seconds": rule.get("MaxAgeSeconds"),
    } for rule in (answer or {}).get("CORSRules") or []]


def write_cors_rules(client: Any, spec: S3BucketSpec, managed_tags: dict[str, str]) -> None:
    if not spec.cors_rules:
        client.delete_bucket_cors(Bucket=spec.name)
        return
    rules = []
    for rule in spec.cors_rules:
        body: dict[str, Any] = {"AllowedMethods": list(rule.allowed_methods), "AllowedOrigins": list(rule.allowed_origins)}
        for key, value in (("ID", rule.id), ("AllowedHeaders", rule.allowed_headers),
                           ("ExposeHeaders", rule.expose_headers), ("MaxAgeSeconds", rule.max_age_seconds)):
            if value not in (None, []):
                body[key] = value
        rules.append(body)
    client.put_bucket_cors(Bucket=spec.name, CORSConfiguration={"CORSRules": rules})


# -- Intelligent-Tiering -----------------------------------------------------------------------------
def read_intelligent_tiering(client: Any, name: str) -> list[dict[str, Any]]:
    configs: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"Bucket": name}
    while True:
        page = client.list_bucket_intelligent_tiering_configurations(**kwargs)
        configs.extend(_tiering_from_s3(c) for c in page.get("IntelligentTieringConfigurationList") or [])
        if not page.get("IsTruncated"):
            return sorted(configs, key=lambda c: c["name"])
        kwargs["ContinuationToken"] = page["NextContinuationToken"]


def _tiering_from_s3(config: dict[str, Any]) -> dict[str, Any]:
    filt = config.get("Filter") or {}
    both = filt.get("And") or {}
    tags = both.get("Tags") or ([filt["Tag"]] if filt.get("Tag") else [])
    return {
        "name": config["Id"],
        "status": config.get("Status", "Enabled"),
        "filter": {"prefix": filt.get("Prefix", both.get("Prefix")),
                   "tags": {t["Key"]: t["Value"] for t in tags}},
        "tierings": sorted(({"access_tier": t["AccessTier"], "days": t["Days"]} for t in config.get("Tierings") or []),
                           key=lambda t: t["access_tier"]),
    }


def _tiering_filter(prefix: str | None, tags: dict[str, str]) -> dict[str, Any]:
    tag_list = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    if (prefix is not None and tag_list) or len(tag_list) > 1:
        both: dict[str, Any] = {"Tags": tag_list}
        if prefix is not None:
            both["Prefix"] = prefix
        return {"And": both}
    if tag_list:
        return {"Tag": tag_list[0]}
    return {"Prefix": prefix} if prefix is not None else {}


def write_intelligent_tiering(client: Any, spec: S3BucketSpec, managed_tags: dict[str, str]) -> None:
    """Put every configuration of the spec and delete the ones the bucket has beyond them."""
    wanted = {config.name for config in spec.intelligent_tiering}
    for existing in read_intelligent_tiering(client, spec.name):
        if existing["name"] not in wanted:
            client.delete_bucket_intelligent_tiering_configuration(Bucket=spec.name, Id=existing["name"])
    for config in spec.intelligent_tiering:
        body: dict[str, Any] = {
            "Id": config.name,
            "Status": config.status,
            "Tierings": [{"AccessTier": t.access_tier, "Days": t.days} for t in config.tierings],
        }
        filt = _tiering_filter(config.filter.prefix, config.filter.tags)
        if filt:
            body["Filter"] = filt
        client.put_bucket_intelligent_tiering_configuration(Bucket=spec.name, Id=config.name,
                                                            IntelligentTieringConfiguration=body)

"""The ``aws.s3_bucket`` spec model. No SDK here: ``validate`` imports it without boto3."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from modelinfra.providers.aws.s3_names import check_bucket_name
from modelinfra.providers.aws.tags import check_tags
from modelinfra.spec.fields import SpecModel, Tags


class BucketEncryption(SpecModel):
    """Default server-side encryption. ``kms_key_id`` (key id, ARN or alias) only with ``aws:kms``;
    without it S3 uses the account's ``aws/s3`` managed key."""

    algorithm: Literal["AES256", "aws:kms"] = "AES256"
    kms_key_id: str | None = None

    @model_validator(mode="after")
    def _key_needs_kms(self) -> BucketEncryption:
        if self.kms_key_id is not None and self.algorithm != "aws:kms":
            raise ValueError("kms_key_id is only allowed with algorithm: aws:kms")
        return self


class PublicAccessBlock(SpecModel):
    """The bucket's Block Public Access flags; all on unless turned off explicitly."""

    block_public_acls: bool = True
    ignore_public_acls: bool = True
    block_public_policy: bool = True
    restrict_public_buckets: bool = True


class LifecycleRule(SpecModel):
    """Expire noncurrent object versions under ``prefix`` after N days, optionally keeping the
    newest ``noncurrent_versions_to_retain`` of them regardless of age."""

    id: str = Field(min_length=1, max_length=255)
    prefix: str = ""
    enabled: bool = True
    noncurrent_version_expiration_days: int = Field(ge=1)
    noncurrent_versions_to_retain: int | None = Field(default=None, ge=1, le=100)


class S3BucketSpec(SpecModel):
    name: str
    versioning: bool = False
    encryption: BucketEncryption = Field(default_factory=BucketEncryption)
    public_access_block: PublicAccessBlock = Field(default_factory=PublicAccessBlock)
    lifecycle_rules: list[LifecycleRule] = Field(default_factory=list)
    object_lock: bool = False
    tags: Tags
    force_destroy: bool = False

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        return check_bucket_name(name)

    @field_validator("tags")
    @classmethod
    def _valid_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        return check_tags(tags)

    @field_validator("lifecycle_rules")
    @classmethod
    def _unique_rule_ids(cls, rules: list[LifecycleRule]) -> list[LifecycleRule]:
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                raise ValueError(f"lifecycle rule id {rule.id!r} is used twice")
            seen.add(rule.id)
        return rules

    @model_validator(mode="after")
    def _object_lock_needs_versioning(self) -> S3BucketSpec:
        if self.object_lock and not self.versioning:
            raise ValueError("object_lock requires versioning: true (S3 enables versioning with object lock "
                             "and never lets it be suspended)")
        return self

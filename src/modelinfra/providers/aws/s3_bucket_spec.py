"""The ``aws.s3_bucket`` spec model. No SDK here: ``validate`` imports it without boto3.

Property names follow terraform-provider-aws (the ``aws_s3_bucket_*`` resources); values are S3's
own spelling (``STANDARD_IA``, ``aws:kms``). Static rules S3 enforces are checked here, so
``validate`` reports them with file:line: transition days per storage class, expiration after
every transition, intelligent-tiering day ranges, CORS methods, policy document shape.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from modelinfra.providers.aws.policy_document import check_policy
from modelinfra.providers.aws.s3_names import check_bucket_name
from modelinfra.providers.aws.tags import check_tags
from modelinfra.spec.fields import SpecModel, Tags

StorageClass = Literal["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"]
IA_CLASSES = ("STANDARD_IA", "ONEZONE_IA")
IA_MIN_DAYS = 30  # S3 refuses a transition to an IA class before 30 days
TIERING_DAYS = {"ARCHIVE_ACCESS": (90, 730), "DEEP_ARCHIVE_ACCESS": (180, 730)}


class BucketEncryption(SpecModel):
    """Default server-side encryption. ``kms_key_id`` (key id, ARN or alias) only with ``aws:kms``;
    without it S3 uses the account's ``aws/s3`` managed key."""

    algorithm: Literal["AES256", "aws:kms"] = Field(
        default="AES256", description="SSE algorithm: AES256 (SSE-S3) or aws:kms (SSE-KMS).")
    kms_key_id: str | None = Field(default=None, description="KMS key id, ARN or alias; only with aws:kms.")
    bucket_key_enabled: bool | None = Field(
        default=None, description="S3 Bucket Key for SSE-KMS (fewer KMS calls); defaults to true with aws:kms, "
                                  "false with AES256.")

    @model_validator(mode="after")
    def _key_needs_kms(self) -> BucketEncryption:
        if self.kms_key_id is not None and self.algorithm != "aws:kms":
            raise ValueError("kms_key_id is only allowed with algorithm: aws:kms")
        if self.bucket_key_enabled and self.algorithm != "aws:kms":
            raise ValueError("bucket_key_enabled applies only to algorithm: aws:kms")
        if self.bucket_key_enabled is None:
            self.bucket_key_enabled = self.algorithm == "aws:kms"
        return self


class PublicAccessBlock(SpecModel):
    """The bucket's Block Public Access flags; all on unless turned off explicitly."""

    block_public_acls: bool = Field(default=True, description="Reject requests that add public ACLs.")
    ignore_public_acls: bool = Field(default=True, description="Ignore public ACLs on the bucket and its objects.")
    block_public_policy: bool = Field(default=True, description="Reject bucket policies that grant public access.")
    restrict_public_buckets: bool = Field(default=True, description="Restrict access under a public policy to "
                                                                     "AWS services and the bucket owner's account.")


class Transition(SpecModel):
    """Move current object versions to ``storage_class`` ``days`` after creation."""

    days: int = Field(ge=0, description="Days after object creation.")
    storage_class: StorageClass = Field(description="Target storage class (S3's spelling).")


class NoncurrentTransition(SpecModel):
    """Move noncurrent versions to ``storage_class`` ``noncurrent_days`` after they became noncurrent."""

    noncurrent_days: int = Field(ge=1, description="Days after the version became noncurrent.")
    storage_class: StorageClass = Field(description="Target storage class (S3's spelling).")
    newer_noncurrent_versions: int | None = Field(
        default=None, ge=1, le=100, description="Keep this many newer noncurrent versions in their class.")


class LifecycleRule(SpecModel):
    """One lifecycle rule for objects under ``prefix``: transitions and expiration of current
    versions, of noncurrent versions, and the abort of unfinished multipart uploads. At least one
    action."""

    id: str = Field(min_length=1, max_length=255, description="Unique rule id.")
    prefix: str = Field(default="", description="Key prefix the rule applies to; empty for every object.")
    enabled: bool = Field(default=True, description="Rule status (Enabled/Disabled).")
    transitions: list[Transition] = Field(default_factory=list, description="Storage-class transitions of "
                                                                            "current versions.")
    expiration_days: int | None = Field(default=None, ge=1, description="Expire current versions after N days.")
    noncurrent_transitions: list[NoncurrentTransition] = Field(
        default_factory=list, description="Storage-class transitions of noncurrent versions.")
    noncurrent_version_expiration_days: int | None = Field(
        default=None, ge=1, description="Delete noncurrent versions N days after they became noncurrent.")
    noncurrent_versions_to_retain: int | None = Field(
        default=None, ge=1, le=100, description="Keep the newest N noncurrent versions regardless of age.")
    abort_incomplete_multipart_upload_days: int | None = Field(
        default=None, ge=1, description="Abort multipart uploads still unfinished N days after they started.")

    @model_validator(mode="after")
    def _rules_s3_enforces(self) -> LifecycleRule:
        if not (self.transitions or self.expiration_days or self.noncurrent_transitions
                or self.noncurrent_version_expiration_days or self.abort_incomplete_multipart_upload_days):
            raise ValueError(f"lifecycle rule {self.id!r} has no action: set transitions, expiration_days, "
                             "noncurrent_transitions, noncurrent_version_expiration_days or "
                             "abort_incomplete_multipart_upload_days")
        if self.noncurrent_versions_to_retain is not None and self.noncurrent_version_expiration_days is None:
            raise ValueError("noncurrent_versions_to_retain needs noncurrent_version_expiration_days")
        _check_transitions(self.id, "transitions", [(t.days, t.storage_class) for t in self.transitions],
                           self.expiration_days, "expiration_days")
        _check_transitions(self.id, "noncurrent_transitions",
                           [(t.noncurrent_days, t.storage_class) for t in self.noncurrent_transitions],
                           self.noncurrent_version_expiration_days, "noncurrent_version_expiration_days")
        return self


def _check_transitions(rule: str, what: str, steps: list[tuple[int, str]], expire: int | None, expire_name: str) -> None:
    classes = [storage_class for _, storage_class in steps]
    if len(set(classes)) != len(classes):
        raise ValueError(f"lifecycle rule {rule!r}: {what} names a storage class twice")
    for days, storage_class in steps:
        if storage_class in IA_CLASSES and days < IA_MIN_DAYS:
            raise ValueError(f"lifecycle rule {rule!r}: {what} to {storage_class} needs at least {IA_MIN_DAYS} days "
                             f"(got {days})")
        if expire is not None and expire <= days:
            raise ValueError(f"lifecycle rule {rule!r}: {expire_name} ({expire}) must be greater than the days of "
                             f"every transition ({storage_class} at {days})")


class BucketLogging(SpecModel):
    """Server access logging into ``target_bucket`` (which must let ``logging.s3.amazonaws.com``
    write, e.g. through its bucket policy)."""

    target_bucket: str = Field(description="Bucket that receives the access logs.")
    target_prefix: str = Field(default="", description="Key prefix of the log objects.")

    @field_validator("target_bucket")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        return check_bucket_name(name)


class CorsRule(SpecModel):
    """One CORS rule (``aws_s3_bucket_cors_configuration.cors_rule``)."""

    id: str | None = Field(default=None, max_length=255, description="Optional rule id.")
    allowed_methods: list[Literal["GET", "PUT", "HEAD", "POST", "DELETE"]] = Field(
        min_length=1, description="HTTP methods the origins may use.")
    allowed_origins: list[str] = Field(min_length=1, description="Origins allowed, e.g. https://app.example.com "
                                                                 "or '*'.")
    allowed_headers: list[str] = Field(default_factory=list, description="Headers allowed in a preflight request.")
    expose_headers: list[str] = Field(default_factory=list, description="Response headers browsers may read.")
    max_age_seconds: int | None = Field(default=None, ge=0, description="How long browsers cache the preflight.")


class TieringFilter(SpecModel):
    """Which objects an intelligent-tiering configuration covers (all of them when empty)."""

    prefix: str | None = Field(default=None, description="Key prefix.")
    tags: dict[str, str] = Field(default_factory=dict, description="Object tags every covered object carries.")


class Tiering(SpecModel):
    """Move objects not accessed for ``days`` to an archive tier."""

    access_tier: Literal["ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS"] = Field(description="Archive tier.")
    days: int = Field(description="Days without access: ARCHIVE_ACCESS 90-730, DEEP_ARCHIVE_ACCESS 180-730.")

    @model_validator(mode="after")
    def _days_in_range(self) -> Tiering:
        low, high = TIERING_DAYS[self.access_tier]
        if not low <= self.days <= high:
            raise ValueError(f"{self.access_tier} days must be between {low} and {high} (got {self.days})")
        return self


class IntelligentTiering(SpecModel):
    """One S3 Intelligent-Tiering archive configuration (``aws_s3_bucket_intelligent_tiering_configuration``)."""

    name: str = Field(min_length=1, max_length=64, description="Configuration id, unique in the bucket.")
    status: Literal["Enabled", "Disabled"] = Field(default="Enabled", description="Enabled or Disabled.")
    filter: TieringFilter = Field(default_factory=TieringFilter, description="Objects covered.")
    tierings: list[Tiering] = Field(min_length=1, max_length=2, description="Archive tiers and their days.")

    @field_validator("tierings")
    @classmethod
    def _one_per_tier(cls, tierings: list[Tiering]) -> list[Tiering]:
        if len({t.access_tier for t in tierings}) != len(tierings):
            raise ValueError("each access_tier may appear once")
        return tierings


def _unique(items: list[Any], key: str, what: str) -> list[Any]:
    seen: set[Any] = set()
    for item in items:
        value = getattr(item, key)
        if value is not None and value in seen:
            raise ValueError(f"{what} {value!r} is used twice")
        seen.add(value)
    return items


class S3BucketSpec(SpecModel):
    name: str = Field(description="Bucket name (globally unique; forces replacement).")
    versioning: bool = Field(default=False, description="Keep every version of every object.")
    encryption: BucketEncryption = Field(default_factory=BucketEncryption, description="Default encryption.")
    public_access_block: PublicAccessBlock = Field(default_factory=PublicAccessBlock,
                                                   description="Block Public Access flags.")
    lifecycle_rules: list[LifecycleRule] = Field(default_factory=list, description="Lifecycle rules.")
    object_lock: bool = Field(default=False, description="Object lock (needs versioning; forces replacement).")
    logging: BucketLogging | None = Field(default=None, description="Server access logging; unset leaves the bucket's as it is.")
    policy: dict[str, Any] | str | None = Field(
        default=None, description="Bucket policy: a JSON document as a mapping or a JSON string, compared "
                                  "semantically; unset leaves the bucket's policy as it is.")
    cors_rules: list[CorsRule] = Field(default_factory=list, description="CORS rules; empty means none.")
    intelligent_tiering: list[IntelligentTiering] = Field(
        default_factory=list, description="Intelligent-Tiering archive configurations.")
    tags: Tags
    force_destroy: bool = Field(default=False, description="Delete every object version when the bucket goes.")

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
        return _unique(rules, "id", "lifecycle rule id")

    @field_validator("cors_rules")
    @classmethod
    def _unique_cors_ids(cls, rules: list[CorsRule]) -> list[CorsRule]:
        return _unique(rules, "id", "CORS rule id")

    @field_validator("intelligent_tiering")
    @classmethod
    def _unique_tiering_names(cls, configs: list[IntelligentTiering]) -> list[IntelligentTiering]:
        return _unique(configs, "name", "intelligent_tiering name")

    @field_validator("policy")
    @classmethod
    def _valid_policy(cls, policy: dict[str, Any] | str | None) -> dict[str, Any] | str | None:
        return None if policy is None else check_policy(policy)

    @model_validator(mode="after")
    def _object_lock_needs_versioning(self) -> S3BucketSpec:
        if self.object_lock and not self.versioning:
            raise ValueError("object_lock requires versioning: true (S3 enables versioning with object lock "
                             "and never lets it be suspended)")
        return self

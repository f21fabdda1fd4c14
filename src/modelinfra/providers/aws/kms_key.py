"""``aws.kms_key``: a customer managed KMS key, with rotation, key policy, an optional alias
managed with it, and tags — e.g. the key of a backup vault or a bucket's SSE-KMS.

Identity. KMS assigns key ids, so no id can be derived from the spec. The deterministic cloud id
is ``modelinfra:<stack>/<address>``: ``read`` resolves it to the live key carrying the matching
``modelinfra-stack``/``modelinfra-address`` tags (ListKeys + ListResourceTags; with an ``alias``
the key it names is tried first), so a create interrupted after CreateKey is found and adopted
— the same by-tag lookup ``create`` does before calling CreateKey. A key id or key ARN (``import``)
is read directly. A key pending deletion counts as gone.

Invariants
- ``key_usage`` and ``customer_master_key_spec`` force replacement; description, rotation, policy,
  alias and tags change in place. An unset ``policy`` or ``alias`` is not managed (KMS's default policy stays).
- delete removes the key's aliases (an alias on a key pending deletion would block re-creating
  it) and schedules deletion after ``deletion_window_in_days`` (write-only: state keeps it); a
  missing or already pending key is success.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from modelinfra.errors import TerminalError
from modelinfra.providers.aws.errors import aws_errors, is_code, map_error
from modelinfra.providers.aws.policy_document import canonical_policy, check_policy, parse_policy
from modelinfra.providers.aws.tags import check_tags
from modelinfra.providers.base import (
    MANAGED_TAG_ADDRESS,
    MANAGED_TAG_STACK,
    ResourceContext,
    ResourceHandler,
    strip_managed_tags,
    tag_safe_address,
)
from modelinfra.spec.fields import SpecModel, Tags

ID_PREFIX = "modelinfra:"
NOT_FOUND = "NotFoundException"
GONE_STATES = ("PendingDeletion", "PendingReplicaDeletion")
KEY_ID = re.compile(r"^(mrk-)?[0-9a-fA-F]{8}-?[0-9a-fA-F-]{4,}$")
ALIAS = re.compile(r"^alias/[a-zA-Z0-9/_-]{1,250}$")
KeySpec = Literal["SYMMETRIC_DEFAULT", "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384",
                  "ECC_NIST_P521", "ECC_SECG_P256K1", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512"]
KeyUsage = Literal["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"]


def allowed_usages(key_spec: str) -> tuple[str, ...]:
    """The key usages KMS accepts for ``key_spec``."""
    if key_spec == "SYMMETRIC_DEFAULT":
        return ("ENCRYPT_DECRYPT",)
    if key_spec.startswith("HMAC_"):
        return ("GENERATE_VERIFY_MAC",)
    if key_spec.startswith("RSA_"):
        return ("ENCRYPT_DECRYPT", "SIGN_VERIFY")
    if key_spec == "ECC_SECG_P256K1":
        return ("SIGN_VERIFY",)
    return ("SIGN_VERIFY", "KEY_AGREEMENT")


class KmsKeySpec(SpecModel):
    description: str = Field(default="", max_length=8192, description="Key description.")
    key_usage: KeyUsage = Field(default="ENCRYPT_DECRYPT", description="Cryptographic use (forces replacement).")
    customer_master_key_spec: KeySpec = Field(default="SYMMETRIC_DEFAULT", description="Key type (KMS KeySpec; "
                                                                       "forces replacement).")
    enable_key_rotation: bool = Field(default=False, description="Yearly automatic rotation (symmetric keys only).")
    deletion_window_in_days: int = Field(default=30, ge=7, le=30, description=(
        "Waiting period (7-30 days) before KMS deletes the key once modelinfra deletes it."))
    policy: dict[str, Any] | str | None = Field(default=None, description=(
        "Key policy (a JSON document as a mapping or a JSON string, compared semantically); unset keeps "
        "KMS's default policy."))
    alias: str | None = Field(default=None, description="Alias managed with the key, e.g. alias/model-backups.")
    tags: Tags

    @field_validator("policy")
    @classmethod
    def _valid_policy(cls, policy: dict[str, Any] | str | None) -> dict[str, Any] | str | None:
        return None if policy is None else check_policy(policy)

    @field_validator("alias")
    @classmethod
    def _valid_alias(cls, alias: str | None) -> str | None:
        if alias is None:
            return None
        if not ALIAS.match(alias):
            raise ValueError("alias must be alias/<name>: 1 to 250 letters, digits, '/', '_' or '-'")
        if alias.startswith("alias/aws/"):
            raise ValueError("the alias/aws/ prefix is reserved for AWS managed keys")
        return alias

    @field_validator("tags")
    @classmethod
    def _valid_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        return check_tags(tags)

    @model_validator(mode="after")
    def _usage_fits_spec(self) -> KmsKeySpec:
        usages = allowed_usages(self.customer_master_key_spec)
        if self.key_usage not in usages:
            raise ValueError(f"key_usage {self.key_usage} is not available for customer_master_key_spec "
                             f"{self.customer_master_key_spec} (allowed: {', '.join(usages)})")
        if self.enable_key_rotation and self.customer_master_key_spec != "SYMMETRIC_DEFAULT":
            raise ValueError("enable_key_rotation needs customer_master_key_spec SYMMETRIC_DEFAULT (KMS rotates only "
                             "symmetric keys)")
        return self


class KmsKeyHandler(ResourceHandler[KmsKeySpec]):
    type_name: ClassVar[str] = "aws.kms_key"
    cloud_id_form: ClassVar[str] = "the key id, or its ARN arn:aws:kms:REGION:ACCOUNT:key/KEY_ID"
    cloud: ClassVar[str] = "aws"
    spec_model = KmsKeySpec
    computed: ClassVar[tuple[str, ...]] = ("arn", "key_id")
    force_new: ClassVar[tuple[str, ...]] = ("key_usage", "customer_master_key_spec")
    write_only: ClassVar[tuple[str, ...]] = ("deletion_window_in_days",)
    taggable: ClassVar[bool] = True
    lookup_keys: ClassVar[tuple[str, ...]] = ("alias",)

    def identify(self, ctx: ResourceContext, spec: KmsKeySpec) -> str:
        return f"{ID_PREFIX}{ctx.stack}/{ctx.address}"

    def parse_cloud_id(self, cloud_id: str) -> str:
        """A key id or key ARN, kept as given (DescribeKey takes both); aliases are refused: they
        can move to another key, so they never name a key in state."""
        text = cloud_id.strip()
        if text.startswith("arn:"):
            parts = text.split(":", 5)
            if len(parts) != 6 or parts[2] != "kms" or not parts[5].startswith("key/") or len(parts[5]) <= 4:
                raise ValueError(f"{cloud_id!r} is not a KMS key ARN; expected {self.cloud_id_form}")
            return text
        if not KEY_ID.match(text):
            raise ValueError(f"{cloud_id!r} is not a KMS key id; expected {self.cloud_id_form}")
        return text

    def normalise(self, attributes: dict[str, Any]) -> dict[str, Any]:
        if isinstance(attributes.get("policy"), (dict, str)):
            return {**attributes, "policy": canonical_policy(attributes["policy"])}
        return attributes

    # -- finding the key -------------------------------------------------------------------------
    def lookup(self, ctx: ResourceContext, keys: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """The live key an alias (``alias/NAME``; the ``alias/`` may be left out) names now: its key
        id and attributes; None when no live key has that alias. Read-only."""
        alias = str(keys["alias"])
        alias = alias if alias.startswith("alias/") else f"alias/{alias}"
        client = ctx.session.client("kms")
        metadata = _describe(client, alias)
        attributes = self._read_key(client, metadata["KeyId"]) if metadata else None
        return None if attributes is None or metadata is None else (metadata["KeyId"], attributes)

    def _key_id(self, client: Any, cloud_id: str, alias_hint: str | None = None) -> str | None:
        """The live key ``cloud_id`` names (see the module docstring), or None."""
        if not cloud_id.startswith(ID_PREFIX):
            metadata = _describe(client, cloud_id)
            return metadata["KeyId"] if metadata else None
        stack, _, address = cloud_id[len(ID_PREFIX):].partition("/")
        want = {MANAGED_TAG_STACK: stack, MANAGED_TAG_ADDRESS: tag_safe_address(address)}  # as the tag holds it
        candidates: list[str] = []
        if alias_hint:
            hinted = _describe(client, alias_hint)
            if hinted:
                candidates.append(hinted["KeyId"])
        with aws_errors("listing KMS keys"):
            for page in client.get_paginator("list_keys").paginate():
                candidates.extend(k["KeyId"] for k in page.get("Keys") or [] if k["KeyId"] not in candidates)
        for key_id in candidates:
            tags = _tags(client, key_id)
            if tags is not None and all(tags.get(k) == v for k, v in want.items()) and _describe(client, key_id):
                return key_id
        return None

    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        client = ctx.session.client("kms")
        key_id = self._key_id(client, cloud_id)
        return self._read_key(client, key_id) if key_id else None

    def _read_key(self, client: Any, key_id: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        metadata = _describe(client, key_id)
        if metadata is None:
            return None
        try:
            symmetric = metadata.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
            rotation = bool(client.get_key_rotation_status(KeyId=key_id).get("KeyRotationEnabled")) if symmetric else False
            policy = client.get_key_policy(KeyId=key_id, PolicyName="default").get("Policy")
            aliases = [a["AliasName"] for page in client.get_paginator("list_aliases").paginate(KeyId=key_id)
                       for a in page.get("Aliases") or [] if not a["AliasName"].startswith("alias/aws/")]
        except ClientError as exc:
            if is_code(exc, NOT_FOUND):
                return None
            raise map_error(exc, f"reading KMS key {key_id}") from exc
        return self.normalise({
            "description": metadata.get("Description") or "",
            "key_usage": metadata.get("KeyUsage", "ENCRYPT_DECRYPT"),
            "customer_master_key_spec": metadata.get("KeySpec", "SYMMETRIC_DEFAULT"),
            "enable_key_rotation": rotation,
            "policy": json.loads(policy) if policy else None,
            "alias": sorted(aliases)[0] if aliases else None,
            "tags": strip_managed_tags(_tags(client, key_id) or {}),
            "arn": metadata["Arn"],
            "key_id": key_id,
        })

    # -- create / update -------------------------------------------------------------------------
    def create(self, ctx: ResourceContext, spec: KmsKeySpec) -> dict[str, Any]:
        client = ctx.session.client("kms")
        key_id = self._key_id(client, self.identify(ctx, spec), spec.alias)  # an interrupted create's orphan
        if key_id is None:
            kwargs: dict[str, Any] = {
                "Description": spec.description, "KeyUsage": spec.key_usage, "KeySpec": spec.customer_master_key_spec,
                "Tags": [{"TagKey": k, "TagValue": v} for k, v in {**spec.tags, **ctx.managed_tags}.items()]}
            if spec.policy is not None:
                kwargs["Policy"] = json.dumps(parse_policy(spec.policy))
            with aws_errors("creating KMS key"):
                key_id = client.create_key(**kwargs)["KeyMetadata"]["KeyId"]
        return self._converge(ctx, spec, key_id)

    def update(
        self, ctx: ResourceContext, spec: KmsKeySpec, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]:
        client = ctx.session.client("kms")
        key_id = observed.get("key_id") or self._key_id(client, self.identify(ctx, spec), spec.alias)
        if not key_id:
            raise TerminalError(f"KMS key of {ctx.address} not found; it was deleted outside modelinfra")
        return self._converge(ctx, spec, key_id)

    def _converge(self, ctx: ResourceContext, spec: KmsKeySpec, key_id: str) -> dict[str, Any]:
        client = ctx.session.client("kms")
        have = self._read_key(client, key_id)
        if have is None:
            raise TerminalError(f"KMS key {key_id} disappeared right after it was created or adopted")
        want = self.desired(ctx, spec)
        with aws_errors(f"updating KMS key {key_id}"):
            if have["description"] != spec.description:
                client.update_key_description(KeyId=key_id, Description=spec.description)
            if have["enable_key_rotation"] != spec.enable_key_rotation:
                (client.enable_key_rotation if spec.enable_key_rotation else client.disable_key_rotation)(KeyId=key_id)
            if spec.policy is not None and have["policy"] != want["policy"]:
                client.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(parse_policy(spec.policy)))
            if spec.alias is not None and have["alias"] != spec.alias:
                self._point_alias(client, spec.alias, key_id)
            tags = {**spec.tags, **ctx.managed_tags}
            current = _tags(client, key_id) or {}
            stale = [k for k in current if k not in tags]
            if stale:
                client.untag_resource(KeyId=key_id, TagKeys=stale)
            changed = [{"TagKey": k, "TagValue": v} for k, v in tags.items() if current.get(k) != v]
            if changed:
                client.tag_resource(KeyId=key_id, Tags=changed)
        observed = self._read_key(client, key_id)
        if observed is None:
            raise TerminalError(f"KMS key {key_id} disappeared while it was being configured")
        return {**observed, "deletion_window_in_days": spec.deletion_window_in_days}

    @staticmethod
    def _point_alias(client: Any, alias: str, key_id: str) -> None:
        """Make ``alias`` this key's only customer alias. An alias still naming a key pending
        deletion (deleted outside modelinfra) is moved over; one held by a live key is an error."""
        from botocore.exceptions import ClientError

        for page in client.get_paginator("list_aliases").paginate(KeyId=key_id):
            for old in page.get("Aliases") or []:
                if old["AliasName"] != alias and not old["AliasName"].startswith("alias/aws/"):
                    client.delete_alias(AliasName=old["AliasName"])
        try:
            client.create_alias(AliasName=alias, TargetKeyId=key_id)
        except ClientError as exc:
            if is_code(exc, "AlreadyExistsException") and _describe(client, alias) is None:
                client.update_alias(AliasName=alias, TargetKeyId=key_id)
                return
            if is_code(exc, "AlreadyExistsException"):
                raise TerminalError(f"KMS alias {alias} already names another key; choose another alias or delete "
                                    "that one", code="AlreadyExistsException") from exc
            raise

    # -- delete ----------------------------------------------------------------------------------
    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        from botocore.exceptions import ClientError

        client = ctx.session.client("kms")
        key_id = attributes.get("key_id")
        if not key_id or _describe(client, key_id) is None:
            key_id = self._key_id(client, cloud_id)
        if key_id is None:
            return
        window = int(attributes.get("deletion_window_in_days") or 30)
        try:
            for page in client.get_paginator("list_aliases").paginate(KeyId=key_id):
                for alias in page.get("Aliases") or []:
                    if not alias["AliasName"].startswith("alias/aws/"):
                        client.delete_alias(AliasName=alias["AliasName"])
            client.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=window)
        except ClientError as exc:
            if is_code(exc, NOT_FOUND, "KMSInvalidStateException"):
                return
            raise map_error(exc, f"deleting KMS key {key_id}") from exc


def _describe(client: Any, key: str) -> dict[str, Any] | None:
    """DescribeKey metadata of a live key (id, ARN or alias), None if unknown or pending deletion."""
    from botocore.exceptions import ClientError

    try:
        metadata = client.describe_key(KeyId=key)["KeyMetadata"]
    except ClientError as exc:
        if is_code(exc, NOT_FOUND):
            return None
        raise map_error(exc, f"describing KMS key {key}") from exc
    return None if metadata.get("KeyState") in GONE_STATES else dict(metadata)


def _tags(client: Any, key_id: str) -> dict[str, str] | None:
    """Every tag of ``key_id`` (paginated), None if the key is gone."""
    from botocore.exceptions import ClientError

    tags: dict[str, str] = {}
    kwargs: dict[str, Any] = {"KeyId": key_id}
    try:
        while True:
            page = client.list_resource_tags(**kwargs)
            tags.update({t["TagKey"]: t["TagValue"] for t in page.get("Tags") or []})
            if not page.get("Truncated"):
                return tags
            kwargs["Marker"] = page["NextMarker"]
    except ClientError as exc:
        if is_code(exc, NOT_FOUND):
            return None
        raise map_error(exc, f"listing tags of KMS key {key_id}") from exc

"""``aws.backup_vault``: an AWS Backup vault (name, KMS key, access policy, tags). Cloud id: the
vault name.

Invariants
- create adopts a vault that already has the name (AlreadyExistsException) and converges its tags
  and access policy.
- ``kms_key_arn`` and ``name`` cannot change in place (force replacement); tags and the access
  policy update in place.
- ``policy`` (the vault access policy, Terraform's ``aws_backup_vault_policy``) is managed whole:
  unset means the vault has no access policy, so removing it from the spec deletes it, and one
  added outside modelinfra shows as drift. "No policy" is ``{}`` in attributes (a None would mean
  "not managed" to the diff). Documents are compared in ``canonical_policy`` form, so key order and
  one-vs-list values never show as a change.
- delete of a missing vault succeeds. A vault that still holds recovery points is emptied first
  only with ``force_destroy: true`` (every recovery point is deleted, as AWS requires before
  DeleteBackupVault); otherwise delete raises ``TerminalError`` naming how many are left.
- ``force_destroy`` cannot be read back: create/update return it so the state keeps it for delete.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import Field, field_validator

from modelinfra.errors import RetryableError, TerminalError
from modelinfra.providers.aws.backup_common import (
    KMS_KEY_ARN,
    NOT_FOUND,
    VAULT_NAME,
    check_name,
    check_tags,
    read_tags,
    sync_tags,
)
from modelinfra.providers.aws.errors import aws_errors, is_code, map_error
from modelinfra.providers.aws.policy_document import PolicyInput, canonical_policy, check_policy, parse_policy
from modelinfra.providers.base import ResourceContext, ResourceHandler, strip_managed_tags
from modelinfra.spec.fields import SpecModel, Tags


class BackupVaultSpec(SpecModel):
    name: str = Field(description="Vault name (forces replacement).")
    kms_key_arn: str | None = Field(default=None, description=(
        "Customer managed KMS key ARN, e.g. ${key.arn}; unset means AWS Backup's default key (not managed)."))
    policy: dict[str, Any] | str | None = Field(default=None, description=(
        "Vault access policy (who may use or delete its recovery points): a JSON document as a mapping or "
        "a JSON string, compared semantically; unset means the vault has no access policy."))
    tags: Tags
    force_destroy: bool = Field(default=False, description=(
        "Delete the vault's recovery points when the vault is deleted (otherwise a non-empty vault is not deleted)."))

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        return check_name(name, VAULT_NAME, "vault name", "2 to 50 letters, digits, '-' or '_'")

    @field_validator("kms_key_arn")
    @classmethod
    def _valid_key(cls, arn: str | None) -> str | None:
        if arn is not None and not KMS_KEY_ARN.match(arn):
            raise ValueError("not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)")
        return arn

    @field_validator("tags")
    @classmethod
    def _valid_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        return check_tags(tags)

    @field_validator("policy")
    @classmethod
    def _valid_policy(cls, policy: PolicyInput | None) -> PolicyInput | None:
        if policy is None:
            return None
        check_policy(policy)
        statements = parse_policy(policy)["Statement"]
        for index, statement in enumerate([statements] if isinstance(statements, dict) else statements):
            if "Principal" not in statement and "NotPrincipal" not in statement:
                raise ValueError(f"policy Statement[{index}] needs a Principal (a vault access policy is "
                                 "resource-based: it says whom it allows or denies)")
        return policy


class BackupVaultHandler(ResourceHandler[BackupVaultSpec]):
    type_name: ClassVar[str] = "aws.backup_vault"
    cloud_id_form: ClassVar[str] = "the vault name, or its ARN arn:aws:backup:REGION:ACCOUNT:backup-vault:NAME"
    cloud: ClassVar[str] = "aws"
    spec_model = BackupVaultSpec
    computed: ClassVar[tuple[str, ...]] = ("arn",)
    force_new: ClassVar[tuple[str, ...]] = ("name", "kms_key_arn")
    write_only: ClassVar[tuple[str, ...]] = ("force_destroy",)
    taggable: ClassVar[bool] = True
    lookup_keys: ClassVar[tuple[str, ...]] = ("name",)

    def identify(self, ctx: ResourceContext, spec: BackupVaultSpec) -> str:
        return spec.name

    def parse_cloud_id(self, cloud_id: str) -> str:
        text = cloud_id.strip()
        if text.startswith("arn:"):
            parts = text.split(":")
            if len(parts) != 7 or parts[2] != "backup" or parts[5] != "backup-vault" or not parts[6]:
                raise ValueError(f"{cloud_id!r} is not a backup vault ARN; expected {self.cloud_id_form}")
            return parts[6]
        return text

    def desired(self, ctx: ResourceContext, spec: BackupVaultSpec) -> dict[str, Any]:
        """Without ``kms_key_arn`` the key is AWS's choice (the account's ``aws/backup`` key): it is
        left out, so neither plan nor drift (which treats None as a value) compares it."""
        data = super().desired(ctx, spec)
        if data.get("kms_key_arn") is None:
            data.pop("kms_key_arn", None)
        return data

    def normalise(self, attributes: dict[str, Any]) -> dict[str, Any]:
        if "policy" not in attributes:
            return attributes
        policy = attributes["policy"]
        return {**attributes, "policy": canonical_policy(policy) if isinstance(policy, (dict, str)) and policy
                else {} if policy is None else policy}

    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        client = ctx.session.client("backup")
        try:
            vault = client.describe_backup_vault(BackupVaultName=cloud_id)
        except ClientError as exc:
            if is_code(exc, NOT_FOUND):
                return None
            raise map_error(exc, f"reading backup vault {cloud_id}") from exc
        arn = vault["BackupVaultArn"]
        return self.normalise({
            "name": vault["BackupVaultName"],
            "kms_key_arn": vault.get("EncryptionKeyArn"),
            "policy": read_policy(client, cloud_id),
            "tags": strip_managed_tags(read_tags(client, arn)),
            "arn": arn,
        })

    def create(self, ctx: ResourceContext, spec: BackupVaultSpec) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        client = ctx.session.client("backup")
        kwargs: dict[str, Any] = {"BackupVaultName": spec.name, "BackupVaultTags": {**spec.tags, **ctx.managed_tags}}
        if spec.kms_key_arn:
            kwargs["EncryptionKeyArn"] = spec.kms_key_arn
        try:
            client.create_backup_vault(**kwargs)
        except ClientError as exc:
            if not is_code(exc, "AlreadyExistsException"):
                raise map_error(exc, f"creating backup vault {spec.name}") from exc
            return self._converge(ctx, spec)  # adopt
        if spec.policy is not None:
            write_policy(client, spec.name, spec.policy)
        return {**self._read_back(ctx, spec.name), "force_destroy": spec.force_destroy}

    def update(
        self, ctx: ResourceContext, spec: BackupVaultSpec, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]:
        return self._converge(ctx, spec)

    def _converge(self, ctx: ResourceContext, spec: BackupVaultSpec) -> dict[str, Any]:
        """Tags and access policy as the spec has them, whatever the vault has now."""
        client = ctx.session.client("backup")
        observed = self._read_back(ctx, spec.name)
        sync_tags(client, observed["arn"], {**spec.tags, **ctx.managed_tags})
        if spec.policy is not None:
            if canonical_policy(spec.policy) != observed["policy"]:
                write_policy(client, spec.name, spec.policy)
        elif observed["policy"]:
            delete_policy(client, spec.name)
        return {**self._read_back(ctx, spec.name), "force_destroy": spec.force_destroy}

    def _read_back(self, ctx: ResourceContext, name: str) -> dict[str, Any]:
        observed = self.read(ctx, name)
        if observed is None:
            raise TerminalError(f"backup vault {name} disappeared right after it was created or adopted")
        return observed

    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        from botocore.exceptions import ClientError

        client = ctx.session.client("backup")
        try:
            if attributes.get("force_destroy"):
                delete_recovery_points(client, cloud_id)
            client.delete_backup_vault(BackupVaultName=cloud_id)
        except ClientError as exc:
            if is_code(exc, NOT_FOUND):
                return
            if is_code(exc, "InvalidRequestException"):
                count = count_recovery_points(client, cloud_id)
                if count:
                    raise TerminalError(f"vault {cloud_id} still holds {count} recovery points; delete them first "
                                        "or set force_destroy: true",
                                        code="InvalidRequestException") from exc
            raise map_error(exc, f"deleting backup vault {cloud_id}") from exc


def read_policy(client: Any, vault: str) -> dict[str, Any] | None:
    """The vault's access policy document; None when it has none (ResourceNotFoundException)."""
    from botocore.exceptions import ClientError

    try:
        answer = client.get_backup_vault_access_policy(BackupVaultName=vault)
    except ClientError as exc:
        if is_code(exc, NOT_FOUND):
            return None
        raise map_error(exc, f"reading the access policy of backup vault {vault}") from exc
    return parse_policy(answer["Policy"]) if answer.get("Policy") else None


def write_policy(client: Any, vault: str, policy: PolicyInput) -> None:
    """PutBackupVaultAccessPolicy. "Provided principal is not valid" is retryable: an IAM role made
    moments ago is not yet visible to AWS Backup (the engine's retry budget bounds the wait)."""
    from botocore.exceptions import ClientError

    try:
        client.put_backup_vault_access_policy(BackupVaultName=vault, Policy=json.dumps(parse_policy(policy)))
    except ClientError as exc:
        message = str(exc.response.get("Error", {}).get("Message") or "")
        if is_code(exc, "InvalidParameterValueException") and "principal is not valid" in message.lower():
            raise RetryableError(f"setting the access policy of backup vault {vault}: {message} (a new IAM "
                                 "principal may not be visible yet)", code="InvalidParameterValueException") from exc
        raise map_error(exc, f"setting the access policy of backup vault {vault}") from exc


def delete_policy(client: Any, vault: str) -> None:
    """DeleteBackupVaultAccessPolicy; a policy (or vault) already gone is no error."""
    from botocore.exceptions import ClientError

    try:
        client.delete_backup_vault_access_policy(BackupVaultName=vault)
    except ClientError as exc:
        if not is_code(exc, NOT_FOUND):
            raise map_error(exc, f"deleting the access policy of backup vault {vault}") from exc


def recovery_point_arns(client: Any, vault: str) -> list[str]:
    """Every recovery point ARN in ``vault`` (ListRecoveryPointsByBackupVault, paginated)."""
    arns: list[str] = []
    with aws_errors(f"listing recovery points of backup vault {vault}"):
        for page in client.get_paginator("list_recovery_points_by_backup_vault").paginate(BackupVaultName=vault):
            arns.extend(p["RecoveryPointArn"] for p in page.get("RecoveryPoints") or [])
    return arns


def count_recovery_points(client: Any, vault: str) -> int:
    """Exact number of recovery points in ``vault``."""
    return len(recovery_point_arns(client, vault))


def delete_recovery_points(client: Any, vault: str) -> int:
    """Delete every recovery point in ``vault`` (a missing vault or point is no error); returns how
    many were deleted."""
    from botocore.exceptions import ClientError

    try:
        arns = recovery_point_arns(client, vault)
    except TerminalError as exc:
        if exc.code == NOT_FOUND:
            return 0
        raise
    deleted = 0
    for arn in arns:
        try:
            client.delete_recovery_point(BackupVaultName=vault, RecoveryPointArn=arn)
            deleted += 1
        except ClientError as exc:
            if not is_code(exc, NOT_FOUND):
                raise map_error(exc, f"deleting recovery point {arn} of backup vault {vault}") from exc
    return deleted

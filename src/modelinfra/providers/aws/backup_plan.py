"""``aws.backup_plan``: an AWS Backup plan and its rules. Cloud id: the plan name.

AWS names a plan by a generated BackupPlanId; the name is what the spec knows, so ``read``
resolves name -> id through ListBackupPlans and a create interrupted by a crash is found again.

Invariants
- create adopts a live plan with the same name and converges its rules and tags.
- rules change in place through UpdateBackupPlan, which gives the plan a new ``version_id``;
  tags change through Tag/UntagResource (no new version). A new name means a new plan.
- delete of a missing plan succeeds; a plan that selections still reference is not deleted
  (``TerminalError``: delete the selections first, as AWS requires).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import Field, field_validator, model_validator

from modelinfra.errors import TerminalError
from modelinfra.providers.aws.backup_common import (
    NOT_FOUND,
    PLAN_NAME,
    RULE_NAME,
    VAULT_ARN,
    VAULT_NAME,
    check_name,
    check_tags,
    find_plan,
    read_tags,
    sync_tags,
)
from modelinfra.providers.aws.errors import aws_errors, is_code, map_error
from modelinfra.providers.base import ResourceContext, ResourceHandler, strip_managed_tags
from modelinfra.spec.fields import SpecModel, Tags

DEFAULT_SCHEDULE = "cron(0 5 ? * * *)"  # AWS's own default: daily at 05:00 UTC
MAX_WINDOW_MINUTES = 52_560_000  # 100 years, the API's limit
COLD_STORAGE_MIN_DAYS = 90
CONTINUOUS_RETENTION_DAYS = (1, 35)

_CRON_FIELD = re.compile(r"^[0-9A-Za-z*?/,#L\-]+$")
_NUMBER_LISTS = re.compile(r"^(\*|\d{1,2}(-\d{1,2})?)(/\d{1,2})?(,(\d{1,2}(-\d{1,2})?)(/\d{1,2})?)*$")


def check_cron(expression: str) -> str:
    """AWS Backup's schedule shape: ``cron(minutes hours day-of-month month day-of-week year)``,
    UTC, at most one backup an hour (a single minute value), one of the two day fields ``?``."""
    match = re.fullmatch(r"cron\((.*)\)", expression.strip())
    if not match:
        raise ValueError(f"schedule must be a cron expression such as {DEFAULT_SCHEDULE}")
    fields = match.group(1).split()
    if len(fields) != 6:
        raise ValueError(f"schedule needs 6 fields (minutes hours day-of-month month day-of-week "
                         f"year), got {len(fields)}")
    minutes, hours, day_of_month, _month, day_of_week, _year = fields
    bad = [f for f in fields if not _CRON_FIELD.match(f)]
    if bad:
        raise ValueError(f"schedule: invalid field {bad[0]!r}")
    if not minutes.isdigit() or int(minutes) > 59:
        raise ValueError("schedule: minutes must be a single value 0-59 (AWS Backup runs at most "
                         "once an hour)")
    if not _NUMBER_LISTS.match(hours) or any(int(n) > 23 for n in re.findall(r"\d+", hours.split("/")[0])):
        raise ValueError("schedule: hours must be 0-23, '*', a range, a list or a step")
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ValueError("schedule: exactly one of day-of-month and day-of-week must be '?'")
    return expression


class RuleLifecycle(SpecModel):
    """When recovery points move to cold storage and when they are deleted."""

    cold_storage_after_days: int | None = Field(default=None, ge=1, description="Days until cold storage.")
    delete_after_days: int | None = Field(default=None, ge=1, description="Days until deletion.")

    @model_validator(mode="after")
    def _cold_storage_minimum(self) -> RuleLifecycle:
        cold, delete = self.cold_storage_after_days, self.delete_after_days
        if cold is not None and delete is not None and delete < cold + COLD_STORAGE_MIN_DAYS:
            raise ValueError(f"delete_after_days ({delete}) must be at least cold_storage_after_days + "
                             f"{COLD_STORAGE_MIN_DAYS} ({cold + COLD_STORAGE_MIN_DAYS}): backups stay in cold "
                             f"storage for at least {COLD_STORAGE_MIN_DAYS} days")
        return self


class CopyAction(SpecModel):
    """Copy each recovery point to another vault (another region or account), with its own lifecycle."""

    destination_vault_arn: str = Field(description="ARN of the destination backup vault, e.g. ${dr_vault.arn}.")
    lifecycle: RuleLifecycle = Field(default_factory=RuleLifecycle, description="Lifecycle of the copies.")

    @field_validator("destination_vault_arn")
    @classmethod
    def _valid_arn(cls, arn: str) -> str:
        if not VAULT_ARN.match(arn):
            raise ValueError("not a backup vault ARN (arn:aws:backup:<region>:<account>:backup-vault:<name>)")
        return arn


class BackupRule(SpecModel):
    name: str
    """Rule name, 1 to 50 letters, digits, '-', '_' or '.'; unique within the plan."""
    target_vault: str
    """Name of the backup vault the recovery points go to (e.g. ``${vault.name}``)."""
    schedule: str = DEFAULT_SCHEDULE
    """When backups start: ``cron(minutes hours day-of-month month day-of-week year)`` in UTC; default
    daily at 05:00."""
    start_window_minutes: int = Field(default=480, ge=60, le=MAX_WINDOW_MINUTES)
    """Minutes after the scheduled time a backup may start before it is cancelled (60 or more; default
    480)."""
    completion_window_minutes: int = Field(default=10080, ge=1, le=MAX_WINDOW_MINUTES)
    """Minutes a started backup may run before it is cancelled; at least ``start_window_minutes`` + 60."""
    lifecycle: RuleLifecycle = Field(default_factory=RuleLifecycle)
    """When recovery points move to cold storage and when they expire (unset: kept forever)."""
    continuous_backup: bool = False
    """Point-in-time recovery (PITR); retention (``lifecycle.delete_after_days``) 1-35 days."""
    recovery_point_tags: Tags
    """Tags set on every recovery point this rule creates."""
    copy_actions: list[CopyAction] = Field(default_factory=list, description="Copies of each recovery point "
                                                                             "into other vaults.")

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        return check_name(name, RULE_NAME, "rule name", "1 to 50 letters, digits, '-', '_' or '.'")

    @field_validator("target_vault")
    @classmethod
    def _valid_vault(cls, name: str) -> str:
        return check_name(name, VAULT_NAME, "vault name", "2 to 50 letters, digits, '-' or '_'")

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, schedule: str) -> str:
        return check_cron(schedule)

    @field_validator("recovery_point_tags")
    @classmethod
    def _valid_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        return check_tags(tags)

    @model_validator(mode="after")
    def _windows_and_pitr(self) -> BackupRule:
        if self.completion_window_minutes < self.start_window_minutes + 60:
            raise ValueError(f"completion_window_minutes ({self.completion_window_minutes}) must be at least "
                             f"start_window_minutes + 60 ({self.start_window_minutes + 60})")
        if self.continuous_backup:
            if self.lifecycle.cold_storage_after_days is not None:
                raise ValueError("continuous_backup recovery points cannot move to cold storage; remove "
                                 "lifecycle.cold_storage_after_days")
            low, high = CONTINUOUS_RETENTION_DAYS
            days = self.lifecycle.delete_after_days
            if days is None or not low <= days <= high:
                raise ValueError(f"continuous_backup keeps recovery points {low}-{high} days: set "
                                 f"lifecycle.delete_after_days between {low} and {high}")
        return self


class BackupPlanSpec(SpecModel):
    name: str
    """Plan name, 1 to 50 letters, digits, '-', '_' or '.'."""
    rules: list[BackupRule] = Field(min_length=1)
    """The plan's rules (at least one), each a schedule, a target vault and a retention."""
    tags: Tags

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        return check_name(name, PLAN_NAME, "plan name", "1 to 50 letters, digits, '-', '_' or '.'")

    @field_validator("rules")
    @classmethod
    def _unique_rule_names(cls, rules: list[BackupRule]) -> list[BackupRule]:
        seen: set[str] = set()
        for rule in rules:
            if rule.name in seen:
                raise ValueError(f"rule name {rule.name!r} is used twice")
            seen.add(rule.name)
        return rules

    @field_validator("tags")
    @classmethod
    def _valid_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        return check_tags(tags)


def plan_document(spec: BackupPlanSpec) -> dict[str, Any]:
    """The ``BackupPlan`` input of Create/UpdateBackupPlan for ``spec``."""
    rules = []
    for rule in spec.rules:
        lifecycle = _lifecycle_document(rule.lifecycle)
        body: dict[str, Any] = {
            "RuleName": rule.name,
            "TargetBackupVaultName": rule.target_vault,
            "ScheduleExpression": rule.schedule,
            "StartWindowMinutes": rule.start_window_minutes,
            "CompletionWindowMinutes": rule.completion_window_minutes,
            "EnableContinuousBackup": rule.continuous_backup,
        }
        if lifecycle:
            body["Lifecycle"] = lifecycle
        if rule.recovery_point_tags:
            body["RecoveryPointTags"] = dict(rule.recovery_point_tags)
        if rule.copy_actions:
            body["CopyActions"] = [{"DestinationBackupVaultArn": c.destination_vault_arn,
                                    **({"Lifecycle": _lifecycle_document(c.lifecycle)}
                                       if _lifecycle_document(c.lifecycle) else {})}
                                   for c in rule.copy_actions]
        rules.append(body)
    return {"BackupPlanName": spec.name, "Rules": rules}


def _lifecycle_document(lifecycle: RuleLifecycle) -> dict[str, int]:
    return {key: value for key, value in (
        ("MoveToColdStorageAfterDays", lifecycle.cold_storage_after_days),
        ("DeleteAfterDays", lifecycle.delete_after_days)) if value is not None}


def _lifecycle_attributes(lifecycle: dict[str, Any] | None) -> dict[str, Any]:
    lifecycle = lifecycle or {}
    return {"cold_storage_after_days": lifecycle.get("MoveToColdStorageAfterDays"),
            "delete_after_days": lifecycle.get("DeleteAfterDays")}


def rule_attributes(rule: dict[str, Any]) -> dict[str, Any]:
    """One API rule in the spec's vocabulary."""
    lifecycle = rule.get("Lifecycle") or {}
    return {
        "name": rule["RuleName"],
        "target_vault": rule["TargetBackupVaultName"],
        "schedule": rule.get("ScheduleExpression", DEFAULT_SCHEDULE),
        "start_window_minutes": rule.get("StartWindowMinutes"),
        "completion_window_minutes": rule.get("CompletionWindowMinutes"),
        "lifecycle": _lifecycle_attributes(lifecycle),
        "continuous_backup": bool(rule.get("EnableContinuousBackup", False)),
        "recovery_point_tags": dict(rule.get("RecoveryPointTags") or {}),
        "copy_actions": [{"destination_vault_arn": c["DestinationBackupVaultArn"],
                          "lifecycle": _lifecycle_attributes(c.get("Lifecycle"))}
                         for c in rule.get("CopyActions") or []],
    }


class BackupPlanHandler(ResourceHandler[BackupPlanSpec]):
    type_name: ClassVar[str] = "aws.backup_plan"
    cloud_id_form: ClassVar[str] = "the backup plan's name"
    cloud: ClassVar[str] = "aws"
    spec_model = BackupPlanSpec
    computed: ClassVar[tuple[str, ...]] = ("id", "arn", "version_id")
    force_new: ClassVar[tuple[str, ...]] = ("name",)
    taggable: ClassVar[bool] = True

    def identify(self, ctx: ResourceContext, spec: BackupPlanSpec) -> str:
        return spec.name

    def normalise(self, attributes: dict[str, Any]) -> dict[str, Any]:
        rules = attributes.get("rules")
        if isinstance(rules, list) and all(isinstance(r, dict) for r in rules):
            attributes = {**attributes, "rules": sorted(rules, key=lambda r: str(r.get("name")))}
        return attributes

    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        client = ctx.session.client("backup")
        entry = find_plan(client, cloud_id)
        if entry is None:
            return None
        plan_id = entry["BackupPlanId"]
        try:
            plan = client.get_backup_plan(BackupPlanId=plan_id)
        except ClientError as exc:
            if is_code(exc, NOT_FOUND):
                return None  # deleted between the listing and now
            raise map_error(exc, f"reading backup plan {cloud_id} ({plan_id})") from exc
        if plan.get("DeletionDate"):
            return None
        document = plan["BackupPlan"]
        return self.normalise({
            "name": document["BackupPlanName"],
            "rules": [rule_attributes(rule) for rule in document.get("Rules") or []],
            "tags": strip_managed_tags(read_tags(client, plan["BackupPlanArn"])),
            "id": plan_id,
            "arn": plan["BackupPlanArn"],
            "version_id": plan["VersionId"],
        })

    def create(self, ctx: ResourceContext, spec: BackupPlanSpec) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        observed = self.read(ctx, spec.name)
        if observed is None:
            try:
                ctx.session.client("backup").create_backup_plan(
                    BackupPlan=plan_document(spec), BackupPlanTags={**spec.tags, **ctx.managed_tags})
                return self._read_back(ctx, spec.name)
            except ClientError as exc:
                if not is_code(exc, "AlreadyExistsException"):
                    raise map_error(exc, f"creating backup plan {spec.name}") from exc
                observed = self._read_back(ctx, spec.name)  # created concurrently: adopt it
        return self._converge(ctx, spec, observed, rules=True, tags=True)  # adopt

    def update(
        self, ctx: ResourceContext, spec: BackupPlanSpec, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]:
        paths = [str(change.path) for change in changes]
        return self._converge(ctx, spec, observed, rules=any(p.startswith("rules") for p in paths),
                              tags=any(p.startswith("tags") for p in paths))

    def _converge(
        self, ctx: ResourceContext, spec: BackupPlanSpec, observed: dict[str, Any], *, rules: bool, tags: bool
    ) -> dict[str, Any]:
        """Rewrite the rules (UpdateBackupPlan: a new version) if ``rules`` and they differ, the tags if
        ``tags``; returns the attributes read back."""
        client = ctx.session.client("backup")
        desired_rules = self.desired(ctx, spec)["rules"]
        if rules and observed.get("rules") != desired_rules:
            with aws_errors(f"updating backup plan {spec.name}"):
                client.update_backup_plan(BackupPlanId=observed["id"], BackupPlan=plan_document(spec))
        if tags:
            sync_tags(client, observed["arn"], {**spec.tags, **ctx.managed_tags})
        return self._read_back(ctx, spec.name)

    def _read_back(self, ctx: ResourceContext, name: str) -> dict[str, Any]:
        observed = self.read(ctx, name)
        if observed is None:
            raise TerminalError(f"backup plan {name} disappeared right after it was written")
        return observed

    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        from botocore.exceptions import ClientError

        client = ctx.session.client("backup")
        entry = find_plan(client, cloud_id)
        if entry is None:
            return
        try:
            client.delete_backup_plan(BackupPlanId=entry["BackupPlanId"])
        except ClientError as exc:
            if is_code(exc, NOT_FOUND):
                return
            if is_code(exc, "InvalidRequestException"):
                message = exc.response.get("Error", {}).get("Message", "")
                raise TerminalError(f"backup plan {cloud_id} is still referenced by backup selections; delete "
                                    f"them first ({message})", code="InvalidRequestException") from exc
            raise map_error(exc, f"deleting backup plan {cloud_id}") from exc

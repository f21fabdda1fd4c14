"""``aws.backup_selection``: which resources a backup plan protects — by ARN (``resources``,
``not_resources``), by tag (``selection_tags``) and tag ``conditions`` — and with which IAM role.

Cloud id: ``<plan id>/<selection name>``; selection names never contain ``/``, so the id splits at its
last ``/`` (plan ids may contain ``/``, e.g. ``orgs/...``). ``read``
resolves the name to a SelectionId through ListBackupSelections.

Invariants
- selections are immutable in AWS: every property forces replacement and ``update`` is never
  called by a correct engine.
- create adopts a selection with the same name in the same plan.
- read/delete treat a missing plan like a missing selection (None / success).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from modelinfra.errors import TerminalError
from modelinfra.providers.aws.backup_common import IAM_ROLE_ARN, SELECTION_NAME, check_name, plan_is_gone
from modelinfra.providers.aws.errors import is_code, map_error
from modelinfra.providers.base import ResourceContext, ResourceHandler
from modelinfra.spec.fields import SpecModel


class SelectionTag(SpecModel):
    """Back up resources carrying tag ``key`` = ``value`` (``ListOfTags``; OR-ed with each other)."""

    type: Literal["STRINGEQUALS"] = Field(default="STRINGEQUALS", description="Condition type; AWS knows "
                                                                               "only STRINGEQUALS.")
    key: str = Field(min_length=1, max_length=128, description="Tag key, e.g. backup.")
    value: str = Field(max_length=256, description="Tag value, e.g. daily.")


class Condition(SpecModel):
    """One key/value test; ``key`` is usually ``aws:ResourceTag/<tag key>``."""

    key: str = Field(min_length=1, description="Condition key, e.g. aws:ResourceTag/team.")
    value: str = Field(description="Value to compare (``*`` wildcards with string_like/string_not_like).")


class SelectionConditions(SpecModel):
    """Conditions AND-ed together (``BackupSelection.Conditions``)."""

    string_equals: list[Condition] = Field(default_factory=list, description="Key equals value.")
    string_like: list[Condition] = Field(default_factory=list, description="Key matches value (wildcards).")
    string_not_equals: list[Condition] = Field(default_factory=list, description="Key differs from value.")
    string_not_like: list[Condition] = Field(default_factory=list, description="Key does not match value.")


CONDITION_KINDS = {"string_equals": "StringEquals", "string_like": "StringLike",
                   "string_not_equals": "StringNotEquals", "string_not_like": "StringNotLike"}


def _check_arns(arns: list[str], what: str) -> list[str]:
    for arn in arns:
        if arn != "*" and not arn.startswith("arn:"):
            raise ValueError(f"{what} {arn!r} is not an ARN (or '*')")
    if len(set(arns)) != len(arns):
        raise ValueError(f"{what} lists the same ARN twice")
    return arns


class BackupSelectionSpec(SpecModel):
    name: str = Field(description="Selection name, unique in the plan.")
    plan: str = Field(min_length=1, description="The backup plan's id, usually ${<plan address>.id}.")
    iam_role_arn: str = Field(description="Role AWS Backup assumes, e.g. ${backup_role.arn}.")
    resources: list[str] = Field(default_factory=list, description=(
        "ARNs of the resources to back up (wildcards as AWS allows them, e.g. arn:aws:s3:::models-*); "
        "optional when selection_tags select them."))
    selection_tags: list[SelectionTag] = Field(default_factory=list, description="Select resources by tag.")
    conditions: SelectionConditions = Field(default_factory=SelectionConditions,
                                            description="Narrow the selection further by tag conditions.")
    not_resources: list[str] = Field(default_factory=list, description="ARNs to leave out of the selection.")

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str) -> str:
        return check_name(name, SELECTION_NAME, "selection name", "1 to 50 letters, digits, '-', '_' or '.'")

    @field_validator("plan")
    @classmethod
    def _valid_plan(cls, plan: str) -> str:
        if plan.endswith("/") or not plan.strip():
            raise ValueError("not a backup plan id")
        return plan

    @field_validator("iam_role_arn")
    @classmethod
    def _valid_role(cls, arn: str) -> str:
        if not IAM_ROLE_ARN.match(arn):
            raise ValueError("not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)")
        return arn

    @field_validator("resources")
    @classmethod
    def _valid_resources(cls, resources: list[str]) -> list[str]:
        return _check_arns(resources, "resource")

    @field_validator("not_resources")
    @classmethod
    def _valid_not_resources(cls, resources: list[str]) -> list[str]:
        return _check_arns(resources, "not_resources entry")

    @model_validator(mode="after")
    def _selects_something(self) -> BackupSelectionSpec:
        if not self.resources and not self.selection_tags:
            raise ValueError("a selection needs resources or selection_tags (AWS requires one of them; with "
                             "conditions only, use resources: ['*'])")
        return self


def selection_document(spec: BackupSelectionSpec) -> dict[str, Any]:
    """The ``BackupSelection`` input of CreateBackupSelection for ``spec``."""
    body: dict[str, Any] = {"SelectionName": spec.name, "IamRoleArn": spec.iam_role_arn,
                            "Resources": list(spec.resources)}
    if spec.selection_tags:
        body["ListOfTags"] = [{"ConditionType": t.type, "ConditionKey": t.key, "ConditionValue": t.value}
                              for t in spec.selection_tags]
    if spec.not_resources:
        body["NotResources"] = list(spec.not_resources)
    conditions = {theirs: [{"ConditionKey": c.key, "ConditionValue": c.value} for c in getattr(spec.conditions, ours)]
                  for ours, theirs in CONDITION_KINDS.items() if getattr(spec.conditions, ours)}
    if conditions:
        body["Conditions"] = conditions
    return body


def selection_attributes(body: dict[str, Any]) -> dict[str, Any]:
    """The selection parts of a GetBackupSelection ``BackupSelection`` in the spec's vocabulary."""
    conditions = body.get("Conditions") or {}
    return {
        "resources": list(body.get("Resources") or []),
        "selection_tags": [{"type": t.get("ConditionType", "STRINGEQUALS"), "key": t["ConditionKey"],
                            "value": t["ConditionValue"]} for t in body.get("ListOfTags") or []],
        "conditions": {ours: [{"key": c["ConditionKey"], "value": c["ConditionValue"]}
                              for c in conditions.get(theirs) or []] for ours, theirs in CONDITION_KINDS.items()},
        "not_resources": list(body.get("NotResources") or []),
    }


def split_id(cloud_id: str) -> tuple[str, str]:
    """``<plan id>/<selection name>`` -> (plan id, selection name)."""
    plan_id, _, name = cloud_id.rpartition("/")
    if not plan_id or not name:
        raise TerminalError(f"{cloud_id!r} is not a backup selection id (<plan id>/<selection name>)")
    return plan_id, name


class BackupSelectionHandler(ResourceHandler[BackupSelectionSpec]):
    type_name: ClassVar[str] = "aws.backup_selection"
    cloud_id_form: ClassVar[str] = "PLAN_NAME/SELECTION_NAME (the backup plan's name, then the selection's)"
    cloud: ClassVar[str] = "aws"
    spec_model = BackupSelectionSpec
    computed: ClassVar[tuple[str, ...]] = ("id",)
    force_new: ClassVar[tuple[str, ...]] = ("name", "plan", "iam_role_arn", "resources", "selection_tags",
                                            "conditions", "not_resources")

    def identify(self, ctx: ResourceContext, spec: BackupSelectionSpec) -> str:
        return f"{spec.plan}/{spec.name}"

    def normalise(self, attributes: dict[str, Any]) -> dict[str, Any]:
        """ARN lists, tag lists and condition lists are sets to AWS: sorted."""
        out = dict(attributes)
        for key in ("resources", "not_resources"):
            if isinstance(out.get(key), list) and all(isinstance(r, str) for r in out[key]):
                out[key] = sorted(out[key])
        if isinstance(out.get("selection_tags"), list):
            out["selection_tags"] = _sorted_dicts(out["selection_tags"])
        conditions = out.get("conditions")
        if isinstance(conditions, dict):
            out["conditions"] = {k: _sorted_dicts(v) for k, v in conditions.items()}
        return out

    def _find(self, client: Any, plan_id: str, name: str) -> str | None:
        """The SelectionId of ``name`` in plan ``plan_id``; None if the plan or selection is gone."""
        from botocore.exceptions import ClientError

        try:
            for page in client.get_paginator("list_backup_selections").paginate(BackupPlanId=plan_id):
                for entry in page.get("BackupSelectionsList") or []:
                    if entry.get("SelectionName") == name:
                        return str(entry["SelectionId"])
        except ClientError as exc:
            if plan_is_gone(exc):
                return None
            raise map_error(exc, f"listing selections of backup plan {plan_id}") from exc
        return None

    def read(self, ctx: ResourceContext, cloud_id: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        plan_id, name = split_id(cloud_id)
        client = ctx.session.client("backup")
        selection_id = self._find(client, plan_id, name)
        if selection_id is None:
            return None
        try:
            got = client.get_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)
        except ClientError as exc:
            if plan_is_gone(exc):
                return None
            raise map_error(exc, f"reading backup selection {cloud_id}") from exc
        body = got["BackupSelection"]
        return self.normalise({
            "name": body["SelectionName"],
            "plan": plan_id,
            "iam_role_arn": body["IamRoleArn"],
            **selection_attributes(body),
            "id": selection_id,
        })

    def create(self, ctx: ResourceContext, spec: BackupSelectionSpec) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        cloud_id = self.identify(ctx, spec)
        observed = self.read(ctx, cloud_id)
        if observed is not None:
            return observed  # adopt; any difference shows up as a replacement in the next plan
        try:
            ctx.session.client("backup").create_backup_selection(
                BackupPlanId=spec.plan,
                BackupSelection=selection_document(spec))
        except ClientError as exc:
            if not is_code(exc, "AlreadyExistsException"):
                raise map_error(exc, f"creating backup selection {spec.name} in plan {spec.plan}") from exc
        observed = self.read(ctx, cloud_id)
        if observed is None:
            raise TerminalError(f"backup selection {cloud_id} disappeared right after it was created")
        return observed

    def update(
        self, ctx: ResourceContext, spec: BackupSelectionSpec, observed: dict[str, Any], changes: list[Any]
    ) -> dict[str, Any]:
        raise TerminalError("backup selections cannot change in place; every property forces replacement")

    def delete(self, ctx: ResourceContext, cloud_id: str, attributes: dict[str, Any]) -> None:
        from botocore.exceptions import ClientError

        plan_id, name = split_id(cloud_id)
        client = ctx.session.client("backup")
        selection_id = self._find(client, plan_id, name)
        if selection_id is None:
            return
        try:
            client.delete_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)
        except ClientError as exc:
            if plan_is_gone(exc):
                return
            raise map_error(exc, f"deleting backup selection {cloud_id}") from exc


def _sorted_dicts(items: Any) -> Any:
    if isinstance(items, list) and all(isinstance(i, dict) for i in items):
        return sorted(items, key=lambda i: json.dumps(i, sort_keys=True))
    return items

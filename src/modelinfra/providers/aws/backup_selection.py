"""``aws.backup_selection``: which resources a backup plan protects, and with which IAM role.

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

from typing import Any, ClassVar

from pydantic import Field, field_validator

from modelinfra.errors import TerminalError
from modelinfra.providers.aws.backup_common import IAM_ROLE_ARN, SELECTION_NAME, check_name, plan_is_gone
from modelinfra.providers.aws.errors import is_code, map_error
from modelinfra.providers.base import ResourceContext, ResourceHandler
from modelinfra.spec.fields import SpecModel


class BackupSelectionSpec(SpecModel):
    name: str
    plan: str = Field(min_length=1)
    """The backup plan's id, usually ``${<plan address>.id}``."""
    iam_role_arn: str
    resources: list[str] = Field(min_length=1)
    """ARNs of the resources to back up (wildcards as AWS allows them, e.g. ``arn:aws:s3:::models-*``)."""

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
        for arn in resources:
            if arn != "*" and not arn.startswith("arn:"):
                raise ValueError(f"resource {arn!r} is not an ARN (or '*')")
        if len(set(resources)) != len(resources):
            raise ValueError("resources lists the same ARN twice")
        return resources


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
    force_new: ClassVar[tuple[str, ...]] = ("name", "plan", "iam_role_arn", "resources")

    def identify(self, ctx: ResourceContext, spec: BackupSelectionSpec) -> str:
        return f"{spec.plan}/{spec.name}"

    def normalise(self, attributes: dict[str, Any]) -> dict[str, Any]:
        resources = attributes.get("resources")
        if isinstance(resources, list) and all(isinstance(r, str) for r in resources):
            attributes = {**attributes, "resources": sorted(resources)}
        return attributes

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
            "resources": list(body.get("Resources") or []),
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
                BackupSelection={"SelectionName": spec.name, "IamRoleArn": spec.iam_role_arn,
                                 "Resources": list(spec.resources)})
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

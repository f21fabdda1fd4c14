"""AWS Backup operations moto 5.2 lacks or gets wrong, served over moto's own ``BackupBackend``.

Added: CreateBackupSelection, GetBackupSelection, ListBackupSelections, DeleteBackupSelection,
UpdateBackupPlan (a new VersionId per update; superseded versions stay readable with
``GetBackupPlan(VersionId=...)`` and are listed by ListBackupPlanVersions), StartBackupJob (the job
completes at once and leaves a recovery point), DescribeBackupJob, ListRecoveryPointsByBackupVault,
DescribeRecoveryPoint, DeleteRecoveryPoint, Put/Get/DeleteBackupVaultAccessPolicy (the policy must
be a JSON object whose statements each name a principal, else InvalidParameterValueException; Get on
a vault without a policy is ResourceNotFoundException, as AWS answers; Delete of an absent policy
succeeds).

Corrected, as AWS behaves:
- ListBackupPlans: paginated; ``includeDeleted=false`` really excludes deleted plans.
- CreateBackupPlan: the name of a deleted plan may be reused (moto refuses it forever).
- DeleteBackupPlan: ``InvalidRequestException`` while selections still reference the plan;
  ``ResourceNotFoundException`` for an unknown or already deleted plan.
- DeleteBackupVault: ``InvalidRequestException`` while the vault holds recovery points;
  ``ResourceNotFoundException`` for an unknown vault (moto silently succeeds on both); the vault's
  access policy goes with it.
- Create/UpdateBackupPlan reject rules AWS rejects (windows, cold storage vs retention, PITR).

``install`` hooks the extension into moto's Flask app for ``backup``: moto routes each request to
an operation from the botocore service model (method + URI), then calls the response method of
that name, so subclassing moto's ``BackupResponse`` is the whole extension; a catch-all route
brings the paths moto's URL map does not know (``/backup-jobs``, recovery points) to it as well.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any
from urllib.parse import unquote

from moto.backup.models import BackupBackend, Plan
from moto.backup.responses import BackupResponse
from moto.core.utils import unix_time
from moto.moto_api._internal import mock_random

from modelinfra.sandbox.aws.backup_state import (
    LOCK,
    BackupExtState,
    RecoveryPoint,
    Selection,
    already_exists,
    ext_state,
    invalid_parameter,
    invalid_request,
    missing_parameter,
    not_found,
)

IAM_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
SELECTION_NAME = re.compile(r"^[a-zA-Z0-9\-_.]{1,50}$")
MAX_WINDOW_MINUTES = 52_560_000  # 100 years
MAX_CONTINUOUS_RETENTION_DAYS = 35
RESOURCE_TYPES = {"s3": "S3", "dynamodb": "DynamoDB", "rds": "RDS", "elasticfilesystem": "EFS",
                  "fsx": "FSx", "storagegateway": "Storage Gateway"}
EXTENSION_ENDPOINT = "modelinfra_backup_extensions"
JSON_HEADERS = {"content-type": "application/json"}
Reply = tuple[int, dict[str, str], str]


def reply(body: dict[str, Any]) -> Reply:
    """A 200 JSON response in moto's (status, headers, body) form."""
    return 200, dict(JSON_HEADERS), json.dumps(body)


def install(app: Any) -> None:
    """Serve every ``backup`` request of moto's Flask ``app`` with ``ExtendedBackupResponse``."""
    from moto.core.utils import convert_to_flask_response
    from moto.moto_server.werkzeug_app import HTTP_METHODS

    view = convert_to_flask_response(ExtendedBackupResponse.dispatch)
    for endpoint in list(app.view_functions):
        if endpoint.endswith(".dispatch") or ".dispatch" in endpoint:
            app.view_functions[endpoint] = view
    app.add_url_rule("/<path:_path>", endpoint=EXTENSION_ENDPOINT, view_func=view,
                     methods=HTTP_METHODS, strict_slashes=False)


def check_role_arn(arn: Any) -> None:
    if not isinstance(arn, str) or not IAM_ROLE_ARN.match(arn):
        raise invalid_parameter(f"Invalid IAM role ARN: {arn!r}; expected arn:aws:iam::<account>:role/<name>")


def check_rules(rules: list[dict[str, Any]]) -> None:
    """Reject the rule documents AWS rejects (InvalidParameterValueException)."""
    for rule in rules:
        name = rule.get("RuleName")
        start = rule.get("StartWindowMinutes")
        completion = rule.get("CompletionWindowMinutes")
        if start is not None and not 60 <= start <= MAX_WINDOW_MINUTES:
            raise invalid_parameter(f"Rule {name}: StartWindowMinutes must be between 60 and {MAX_WINDOW_MINUTES}")
        if completion is not None and not completion <= MAX_WINDOW_MINUTES:
            raise invalid_parameter(f"Rule {name}: CompletionWindowMinutes must be at most {MAX_WINDOW_MINUTES}")
        if completion is not None and completion < (start if start is not None else 480) + 60:
            raise invalid_parameter(f"Rule {name}: Completion window must be at least 60 minutes greater "
                                    "than start window")
        lifecycle = rule.get("Lifecycle") or {}
        cold = lifecycle.get("MoveToColdStorageAfterDays")
        delete = lifecycle.get("DeleteAfterDays")
        if cold is not None and delete is not None and delete < cold + 90:
            raise invalid_parameter(f"Rule {name}: DeleteAfterDays must be at least 90 days greater than "
                                    "MoveToColdStorageAfterDays")
        if rule.get("EnableContinuousBackup"):
            if cold is not None:
                raise invalid_parameter(f"Rule {name}: continuous backups cannot move to cold storage")
            if delete is None or not 1 <= delete <= MAX_CONTINUOUS_RETENTION_DAYS:
                raise invalid_parameter(f"Rule {name}: continuous backup retention must be between 1 and "
                                        f"{MAX_CONTINUOUS_RETENTION_DAYS} days")


def check_vault_policy(text: Any) -> None:
    """Reject the vault access policies AWS rejects (InvalidParameterValueException): not JSON, not
    an object, no statement, or a statement without Effect, Action/NotAction or Principal/NotPrincipal
    (a resource-based policy must say whom it is about)."""
    try:
        document = json.loads(text) if isinstance(text, str) else None
    except json.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        raise invalid_parameter("Policy is not a valid JSON document")
    statements = document.get("Statement")
    statements = [statements] if isinstance(statements, dict) else statements
    if not isinstance(statements, list) or not statements:
        raise invalid_parameter("Policy has no Statement")
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
            raise invalid_parameter("Policy statement has an invalid Effect")
        if not ({"Action", "NotAction"} & statement.keys()):
            raise invalid_parameter("Policy statement has no Action")
        if not ({"Principal", "NotPrincipal"} & statement.keys()):
            raise invalid_parameter("Provided principal is not valid")


class ExtendedBackupResponse(BackupResponse):
    """moto's ``BackupResponse`` plus the operations listed in the module docstring."""

    def call_action(self) -> Any:
        """One request at a time: moto's backend and the extension state are plain dicts."""
        with LOCK:
            return super().call_action()

    # -- helpers ---------------------------------------------------------------------------------
    @property
    def ext(self) -> BackupExtState:
        return ext_state(self.backup_backend)

    def _uri(self, name: str) -> str:
        return unquote(str(self.uri_match[name]))

    def _json_body(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}

    def _live_plan(self, plan_id: str) -> Plan:
        plan = self.backup_backend.plans.get(plan_id)
        if plan is None or plan.deletion_date is not None:
            raise not_found(f"Cannot find Backup plan with ID {plan_id}")
        return plan

    def _query_int(self, name: str, default: int) -> int:
        values = self.querystring.get(name)
        return int(values[0]) if values else default

    def _page(self, items: list[dict[str, Any]], list_key: str) -> Reply:
        """One page of ``items`` (``maxResults``/``nextToken`` query parameters)."""
        start = self._query_int("nextToken", 0)
        size = max(1, min(self._query_int("maxResults", 1000), 1000))
        page: dict[str, Any] = {list_key: items[start:start + size]}
        if start + size < len(items):
            page["NextToken"] = str(start + size)
        return reply(page)

    # -- plans -----------------------------------------------------------------------------------
    def create_backup_plan(self) -> Reply:
        params = self._json_body()
        document = params["BackupPlan"]
        check_rules(document.get("Rules") or [])
        backend: BackupBackend = self.backup_backend
        live = [p for p in backend.plans.values() if p.deletion_date is None]
        if any(p.backup_plan.get("BackupPlanName") == document.get("BackupPlanName") for p in live):
            raise already_exists("Backup plan with the same plan document already exists")
        plan = Plan(backup_plan=document, creator_request_id=params.get("CreatorRequestId"), backend=backend)
        if params.get("BackupPlanTags"):
            backend.tag_resource(plan.backup_plan_arn, params["BackupPlanTags"])
        backend.plans[plan.backup_plan_id] = plan
        return reply(plan.to_dict())

    def list_backup_plans(self) -> Reply:
        """Deleted plans only with ``includeDeleted=true`` (moto takes the string "false" as true)."""
        include_deleted = (self.querystring.get("includeDeleted") or ["false"])[0].lower() == "true"
        plans = [p for p in self.backup_backend.plans.values() if include_deleted or p.deletion_date is None]
        return self._page([p.to_list_dict() for p in plans], "BackupPlansList")

    def get_backup_plan(self) -> Reply:
        plan_id = self._uri("backupPlanId")
        version_id = (self.querystring.get("versionId") or [None])[0]
        plan = self.backup_backend.plans.get(plan_id)
        if plan is None:
            raise not_found("Failed reading Backup plan with provided version")
        if not version_id or version_id == plan.version_id:
            return reply(plan.to_get_dict())
        for old in self.ext.plan_versions.get(plan_id, []):
            if old["VersionId"] == version_id:
                return reply(old)
        raise not_found("Failed reading Backup plan with provided version")

    def update_backup_plan(self) -> Reply:
        plan_id = self._uri("backupPlanId")
        document = self._json_body()["BackupPlan"]
        check_rules(document.get("Rules") or [])
        plan = self._live_plan(plan_id)
        self.ext.plan_versions.setdefault(plan_id, []).append(copy.deepcopy(plan.to_get_dict()))
        # Plan() fills rule defaults (schedule, windows, RuleId) the way CreateBackupPlan does.
        filled = Plan(backup_plan=document, creator_request_id=plan.creator_request_id,
                      backend=self.backup_backend)
        plan.backup_plan = filled.backup_plan
        plan.advanced_backup_settings = filled.advanced_backup_settings
        plan.version_id = mock_random.get_random_string(length=48)
        plan.creation_date = unix_time()  # AWS: the creation date of this version
        return reply(plan.to_dict())

    def list_backup_plan_versions(self) -> Reply:
        plan_id = self._uri("backupPlanId")
        plan = self.backup_backend.plans.get(plan_id)
        if plan is None:
            raise not_found(f"Cannot find Backup plan with ID {plan_id}")
        versions = [*self.ext.plan_versions.get(plan_id, []), plan.to_get_dict()]
        members = [{k: v for k, v in version.items() if k != "BackupPlan"}
                   | {"BackupPlanName": version["BackupPlan"].get("BackupPlanName")} for version in versions]
        return self._page(list(reversed(members)), "BackupPlanVersionsList")

    def delete_backup_plan(self) -> Reply:
        plan_id = self._uri("backupPlanId")
        self._live_plan(plan_id)
        if self.ext.selections.get(plan_id):
            raise invalid_request("Related backup plan selections must be deleted prior to backup plan deletion")
        return reply(json.loads(super().delete_backup_plan()))

    # -- selections ------------------------------------------------------------------------------
    def create_backup_selection(self) -> Reply:
        plan_id = self._uri("backupPlanId")
        params = self._json_body()
        body = params.get("BackupSelection") or {}
        name = body.get("SelectionName")
        if not isinstance(name, str) or not SELECTION_NAME.match(name):
            raise invalid_parameter(f"Invalid selection name {name!r}: 1 to 50 alphanumeric or '-_.' characters")
        check_role_arn(body.get("IamRoleArn"))
        if not body.get("Resources") and not body.get("ListOfTags"):
            raise invalid_parameter("Invalid backup selection. Either 'ListOfTags' or 'Resources' section "
                                    "must be non-empty.")
        self._live_plan(plan_id)
        selections = self.ext.selections.setdefault(plan_id, {})
        if any(s.body["SelectionName"] == name for s in selections.values()):
            raise already_exists(f"Backup selection {name} already exists in plan {plan_id}")
        selection = Selection(str(mock_random.uuid4()), plan_id, body, unix_time(),
                              params.get("CreatorRequestId"))
        selections[selection.selection_id] = selection
        return reply({"SelectionId": selection.selection_id, "BackupPlanId": plan_id,
                           "CreationDate": selection.creation_date})

    def _selection(self, plan_id: str, selection_id: str) -> Selection:
        self._live_plan(plan_id)
        selection = self.ext.selections.get(plan_id, {}).get(selection_id)
        if selection is None:
            raise not_found(f"Cannot find Backup selection with ID {selection_id} in plan {plan_id}")
        return selection

    def get_backup_selection(self) -> Reply:
        selection = self._selection(self._uri("backupPlanId"), self._uri("selectionId"))
        out = {"BackupSelection": selection.body, "SelectionId": selection.selection_id,
               "BackupPlanId": selection.plan_id, "CreationDate": selection.creation_date,
               "CreatorRequestId": selection.creator_request_id}
        return reply({k: v for k, v in out.items() if v is not None})

    def list_backup_selections(self) -> Reply:
        plan_id = self._uri("backupPlanId")
        self._live_plan(plan_id)
        selections = sorted(self.ext.selections.get(plan_id, {}).values(), key=lambda s: s.creation_date)
        return self._page([s.to_list_member() for s in selections], "BackupSelectionsList")

    def delete_backup_selection(self) -> Reply:
        plan_id, selection_id = self._uri("backupPlanId"), self._uri("selectionId")
        self._selection(plan_id, selection_id)
        del self.ext.selections[plan_id][selection_id]
        return reply({})

    # -- vaults, jobs and recovery points --------------------------------------------------------
    def describe_backup_vault(self) -> Reply:
        """moto's answer lacks NumberOfRecoveryPoints and EncryptionKeyArn; send them."""
        return reply(self._vault(self._uri("backupVaultName")).to_list_dict())

    def delete_backup_vault(self) -> Reply:
        name = self._uri("backupVaultName")
        self._vault(name)
        count = len(self.ext.recovery_points.get(name, {}))
        if count:
            raise invalid_request(f"Backup vault cannot be deleted (contains {count} recovery points)")
        self.backup_backend.delete_backup_vault(name)
        self.ext.recovery_points.pop(name, None)
        self.ext.vault_policies.pop(name, None)
        return reply({})

    def _vault(self, name: str) -> Any:
        vault = self.backup_backend.vaults.get(name)
        if vault is None:
            raise not_found(f"Backup vault {name} does not exist")
        return vault

    def put_backup_vault_access_policy(self) -> Reply:
        name = self._uri("backupVaultName")
        policy = self._json_body().get("Policy")
        self._vault(name)
        if policy is None:
            raise missing_parameter("Policy is required")
        check_vault_policy(policy)
        self.ext.vault_policies[name] = policy
        return reply({})

    def get_backup_vault_access_policy(self) -> Reply:
        name = self._uri("backupVaultName")
        vault = self._vault(name)
        policy = self.ext.vault_policies.get(name)
        if policy is None:
            raise not_found(f"Backup vault {name} does not have an access policy")
        return reply({"BackupVaultName": name, "BackupVaultArn": vault.backup_vault_arn, "Policy": policy})

    def delete_backup_vault_access_policy(self) -> Reply:
        name = self._uri("backupVaultName")
        self._vault(name)
        self.ext.vault_policies.pop(name, None)
        return reply({})

    def start_backup_job(self) -> Reply:
        params = self._json_body()
        vault_name = params.get("BackupVaultName")
        resource_arn = params.get("ResourceArn")
        check_role_arn(params.get("IamRoleArn"))
        if not isinstance(resource_arn, str) or not resource_arn.startswith("arn:"):
            raise invalid_parameter(f"Invalid resource ARN: {resource_arn!r}")
        check_rules([{"RuleName": "StartBackupJob", "Lifecycle": params.get("Lifecycle")}])
        backend = self.backup_backend
        vault = backend.vaults.get(vault_name)
        if vault is None:
            raise not_found(f"Backup vault {vault_name} does not exist")
        job_id = str(mock_random.uuid4()).upper()
        arn = (f"arn:{self.partition}:backup:{backend.region_name}:{backend.account_id}:recovery-point:"
               f"{mock_random.uuid4()}")
        service = resource_arn.split(":")[2] if resource_arn.count(":") >= 2 else ""
        point = RecoveryPoint(arn, vault_name, vault.backup_vault_arn, resource_arn,
                              RESOURCE_TYPES.get(service, service.upper()), params["IamRoleArn"],
                              unix_time(), params.get("Lifecycle"), job_id)
        self.ext.recovery_points.setdefault(vault_name, {})[arn] = point
        self.ext.jobs[job_id] = point
        vault.num_of_recovery_points = len(self.ext.recovery_points[vault_name])
        return reply({"BackupJobId": job_id, "RecoveryPointArn": arn, "CreationDate": point.creation_date,
                           "IsParent": False})

    def describe_backup_job(self) -> Reply:
        job_id = self._uri("backupJobId")
        point = self.ext.jobs.get(job_id)
        if point is None:
            raise not_found(f"Cannot find backup job {job_id}")
        return reply({
            "AccountId": self.backup_backend.account_id, "BackupJobId": job_id,
            "BackupVaultName": point.vault_name, "BackupVaultArn": point.vault_arn,
            "RecoveryPointArn": point.arn, "ResourceArn": point.resource_arn, "ResourceType": point.resource_type,
            "IamRoleArn": point.iam_role_arn, "State": "COMPLETED", "PercentDone": "100.0",
            "CreationDate": point.creation_date, "CompletionDate": point.creation_date,
        })

    def _vault_points(self, vault_name: str) -> dict[str, RecoveryPoint]:
        self._vault(vault_name)
        return self.ext.recovery_points.get(vault_name, {})

    def list_recovery_points_by_backup_vault(self) -> Reply:
        points = self._vault_points(self._uri("backupVaultName"))
        ordered = sorted(points.values(), key=lambda p: p.creation_date)
        return self._page([p.to_dict() for p in ordered], "RecoveryPoints")

    def describe_recovery_point(self) -> Reply:
        points = self._vault_points(self._uri("backupVaultName"))
        point = points.get(self._uri("recoveryPointArn"))
        if point is None:
            raise not_found(f"Cannot find recovery point {self._uri('recoveryPointArn')}")
        return reply(point.to_dict())

    def delete_recovery_point(self) -> Reply:
        vault_name, arn = self._uri("backupVaultName"), self._uri("recoveryPointArn")
        points = self._vault_points(vault_name)
        if arn not in points:
            raise not_found(f"Cannot find recovery point {arn}")
        del points[arn]
        self.backup_backend.vaults[vault_name].num_of_recovery_points = len(points)
        return reply({})

"""State the Backup extensions keep next to moto's ``BackupBackend`` (one per account and region).

The state lives in the backend instance's ``__dict__`` under ``STATE_KEY``, so moto's reset
(``/moto-api/reset``), which rebuilds ``__dict__``, forgets it together with moto's own vaults
and plans. ``LOCK`` serialises every extension operation (the server is threaded).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from moto.core.exceptions import JsonRESTError

STATE_KEY = "_modelinfra_backup_ext"
LOCK = threading.RLock()


class BackupError(JsonRESTError):
    """An AWS Backup error as the service sends it: JSON body, ``X-Amzn-ErrorType`` header."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(code, message)
        self.code = status


def not_found(message: str) -> BackupError:
    return BackupError("ResourceNotFoundException", message, 404)


def invalid_parameter(message: str) -> BackupError:
    return BackupError("InvalidParameterValueException", message)


def invalid_request(message: str) -> BackupError:
    return BackupError("InvalidRequestException", message)


def missing_parameter(message: str) -> BackupError:
    return BackupError("MissingParameterValueException", message)


def already_exists(message: str) -> BackupError:
    return BackupError("AlreadyExistsException", message)


@dataclass
class Selection:
    selection_id: str
    plan_id: str
    body: dict[str, Any]
    """The ``BackupSelection`` document as sent (SelectionName, IamRoleArn, Resources...)."""
    creation_date: float
    creator_request_id: str | None

    def to_list_member(self) -> dict[str, Any]:
        member = {
            "SelectionId": self.selection_id,
            "SelectionName": self.body["SelectionName"],
            "BackupPlanId": self.plan_id,
            "CreationDate": self.creation_date,
            "IamRoleArn": self.body["IamRoleArn"],
            "CreatorRequestId": self.creator_request_id,
        }
        return {k: v for k, v in member.items() if v is not None}


@dataclass
class RecoveryPoint:
    arn: str
    vault_name: str
    vault_arn: str
    resource_arn: str
    resource_type: str
    iam_role_arn: str
    creation_date: float
    lifecycle: dict[str, Any] | None
    job_id: str

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "RecoveryPointArn": self.arn,
            "BackupVaultName": self.vault_name,
            "BackupVaultArn": self.vault_arn,
            "ResourceArn": self.resource_arn,
            "ResourceType": self.resource_type,
            "IamRoleArn": self.iam_role_arn,
            "Status": "COMPLETED",
            "CreationDate": self.creation_date,
            "CompletionDate": self.creation_date,
            "IsEncrypted": False,
        }
        if self.lifecycle:
            out["Lifecycle"] = self.lifecycle
        return out


@dataclass
class BackupExtState:
    """Everything moto does not model: selections per plan, superseded plan versions, recovery
    points per vault, backup jobs (which complete the moment they start) and vault access policies."""

    selections: dict[str, dict[str, Selection]] = field(default_factory=dict)
    """plan id -> selection id -> selection."""
    plan_versions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """plan id -> superseded versions, oldest first, each a ``GetBackupPlan`` response body."""
    recovery_points: dict[str, dict[str, RecoveryPoint]] = field(default_factory=dict)
    """vault name -> recovery point ARN -> recovery point."""
    jobs: dict[str, RecoveryPoint] = field(default_factory=dict)
    """backup job id -> the recovery point it produced."""
    vault_policies: dict[str, str] = field(default_factory=dict)
    """vault name -> its access policy document, as the last PutBackupVaultAccessPolicy sent it."""


def ext_state(backend: Any) -> BackupExtState:
    """The extension state of one moto ``BackupBackend``, created on first use."""
    with LOCK:
        state = backend.__dict__.get(STATE_KEY)
        if state is None:
            state = BackupExtState()
            backend.__dict__[STATE_KEY] = state
        return state

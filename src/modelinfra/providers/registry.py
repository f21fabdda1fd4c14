"""The explicit list of resource types and the handler class behind each.

Handlers are registered here and nowhere else (no import side effects). Modules are imported
lazily, on first use of their type, so ``validate`` and ``--help`` stay fast; a handler module
must not import a cloud SDK at module level.
"""

from __future__ import annotations

import importlib
from functools import cache

from modelinfra.providers.base import ResourceHandler

HANDLERS: dict[str, str] = {
    "aws.s3_bucket": "modelinfra.providers.aws.s3_bucket:S3BucketHandler",
    "aws.s3_object": "modelinfra.providers.aws.s3_object:S3ObjectHandler",
    "aws.backup_vault": "modelinfra.providers.aws.backup_vault:BackupVaultHandler",
    "aws.backup_plan": "modelinfra.providers.aws.backup_plan:BackupPlanHandler",
    "aws.backup_selection": "modelinfra.providers.aws.backup_selection:BackupSelectionHandler",
    "aws.iam_role": "modelinfra.providers.aws.iam_role:IamRoleHandler",
    "aws.kms_key": "modelinfra.providers.aws.kms_key:KmsKeyHandler",
    "azure.resource_group": "modelinfra.providers.azure.resource_group:ResourceGroupHandler",
    "azure.storage_account": "modelinfra.providers.azure.storage_account:StorageAccountHandler",
    "azure.blob_container": "modelinfra.providers.azure.blob_container:BlobContainerHandler",
    "azure.blob": "modelinfra.providers.azure.blob:BlobHandler",
    "azure.managed_disk": "modelinfra.providers.azure.managed_disk:ManagedDiskHandler",
    "azure.disk_snapshot": "modelinfra.providers.azure.disk_snapshot:DiskSnapshotHandler",
    "azure.servicebus_namespace": "modelinfra.providers.azure.servicebus_namespace:ServiceBusNamespaceHandler",
    "azure.servicebus_queue": "modelinfra.providers.azure.servicebus_queue:ServiceBusQueueHandler",
    "azure.cdn_profile": "modelinfra.providers.azure.cdn_profile:CdnProfileHandler",
    "azure.cdn_endpoint": "modelinfra.providers.azure.cdn_endpoint:CdnEndpointHandler",
    "azure.ml_workspace": "modelinfra.providers.azure.ml_workspace:MlWorkspaceHandler",
    "azure.ml_model_version": "modelinfra.providers.azure.ml_model_version:MlModelVersionHandler",
    "azure.key_vault": "modelinfra.providers.azure.key_vault:KeyVaultHandler",
    "azure.log_analytics_workspace": "modelinfra.providers.azure.log_analytics:LogAnalyticsWorkspaceHandler",
    "azure.application_insights": "modelinfra.providers.azure.app_insights:ApplicationInsightsHandler",
    "azure.container_registry": "modelinfra.providers.azure.container_registry:ContainerRegistryHandler",
    "azure.role_assignment": "modelinfra.providers.azure.role_assignment:RoleAssignmentHandler",
}


DISCOVERY: dict[str, str] = {
    "aws": "modelinfra.providers.aws.discovery",
    "azure": "modelinfra.providers.azure.discovery",
}
"""Per cloud, the module whose ``discover(session, stack, managed)`` lists the resources tagged
with the stack (``managed``: the (type, cloud id) pairs state holds for that cloud); ``drift
--unmanaged`` uses it. Imported on use only."""


def known_types() -> list[str]:
    return sorted(HANDLERS)


def available_types() -> list[str]:
    """Types whose handler module is present in this build."""
    return [t for t in known_types() if _importable(t)]


def _importable(type_name: str) -> bool:
    try:
        handler_for(type_name)
    except ImportError:
        return False
    return True


@cache
def handler_for(type_name: str) -> ResourceHandler:
    """The (stateless, shared) handler instance for ``type_name``. KeyError if unknown."""
    module_name, _, class_name = HANDLERS[type_name].partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    handler = cls()
    assert handler.type_name == type_name, (handler.type_name, type_name)
    return handler

"""Find Azure resources that belong to a stack: tagged ``modelinfra-stack=<stack>``, or inside a
resource group the stack manages. Used by ``drift --unmanaged``; read-only.

``discover(session, stack, managed)`` (``managed``: the (type, cloud id) pairs state holds)
returns one dict per resource found, sorted by id, without duplicates (ids compared
case-insensitively)::

    {"cloud": "azure", "cloud_id": ARM id, "cloud_type": "Microsoft.Storage/storageAccounts",
     "type": "azure.storage_account" | None, "name": ..., "address": the modelinfra-address tag | None}

Sources: ARM's generic list (``Resources_List``) with ``$filter=tagName eq 'modelinfra-stack' and
tagValue eq '<stack>'``; the subscription's resource groups carrying that tag (filtered here too,
whatever the server did with ``$filter``); and every tracked resource, tagged or not, in each
resource group of ``managed`` (``Resources_ListByResourceGroup``). A managed group that no longer
exists is skipped (the refresh reports its deletion). Child resources ARM does not list
generically (queues, containers, model versions) are never found here. Any other failure raises
``ProviderError`` (exit 1): an unreachable cloud is never "nothing unmanaged".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from modelinfra.providers.azure.errors import azure_errors, is_not_found, map_error
from modelinfra.providers.base import MANAGED_TAG_ADDRESS, MANAGED_TAG_STACK

ARM_TYPES: dict[str, str] = {
    "microsoft.resources/resourcegroups": "azure.resource_group",
    "microsoft.storage/storageaccounts": "azure.storage_account",
    "microsoft.compute/disks": "azure.managed_disk",
    "microsoft.compute/snapshots": "azure.disk_snapshot",
    "microsoft.servicebus/namespaces": "azure.servicebus_namespace",
    "microsoft.cdn/profiles": "azure.cdn_profile",
    "microsoft.cdn/profiles/endpoints": "azure.cdn_endpoint",
    "microsoft.cdn/profiles/afdendpoints": "azure.cdn_endpoint",
    "microsoft.machinelearningservices/workspaces": "azure.ml_workspace",
    "microsoft.keyvault/vaults": "azure.key_vault",
    "microsoft.operationalinsights/workspaces": "azure.log_analytics_workspace",
    "microsoft.insights/components": "azure.application_insights",
    "microsoft.containerregistry/registries": "azure.container_registry",
}
"""ARM resource types (lower case) -> our resource types; others are reported with their ARM type."""


def stack_filter(stack: str) -> str:
    """The ``$filter`` selecting resources tagged with ``stack`` (quotes doubled, as OData wants)."""
    return f"tagName eq '{MANAGED_TAG_STACK}' and tagValue eq '{stack.replace(chr(39), chr(39) * 2)}'"


def discover(session: Any, stack: str, managed: Iterable[tuple[str, str]] = ()) -> list[dict[str, Any]]:
    resource_groups = {cloud_id.rstrip("/").rsplit("/", 1)[-1] for type_name, cloud_id in managed
                       if type_name == "azure.resource_group"}
    client = session.mgmt("resource")
    found: dict[str, dict[str, Any]] = {}
    with azure_errors("listing resources tagged modelinfra-stack=" + stack):
        for item in client.resources.list(filter=stack_filter(stack)):
            _add(found, item)
        for group in client.resource_groups.list(filter=stack_filter(stack)):
            if (getattr(group, "tags", None) or {}).get(MANAGED_TAG_STACK) == stack:
                _add(found, group, "Microsoft.Resources/resourceGroups")
    from azure.core.exceptions import AzureError

    for name in sorted(resource_groups):
        try:
            items = list(client.resources.list_by_resource_group(name))
        except AzureError as exc:
            if is_not_found(exc):
                continue
            raise map_error(exc, f"listing the resources of resource group {name}") from exc
        for item in items:
            _add(found, item)
    return [found[k] for k in sorted(found)]


def _add(found: dict[str, dict[str, Any]], item: Any, cloud_type: str | None = None) -> None:
    cloud_id = str(item.id)
    kind = cloud_type or str(getattr(item, "type", "") or "")
    tags = getattr(item, "tags", None) or {}
    found.setdefault(cloud_id.lower().rstrip("/"), {
        "cloud": "azure",
        "cloud_id": cloud_id,
        "cloud_type": kind,
        "type": ARM_TYPES.get(kind.lower()),
        "name": str(getattr(item, "name", "") or cloud_id.rsplit("/", 1)[-1]),
        "address": tags.get(MANAGED_TAG_ADDRESS),
    })

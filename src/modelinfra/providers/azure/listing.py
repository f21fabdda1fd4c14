"""Index, then read, for ARM types whose collection GET returns full representations (managed
disks, snapshots, storage accounts by resource group; Service Bus queues by namespace): one
paged listing (``nextLink`` followed, by the SDK's pager or ``ArmRestClient.pages``) stands for one
GET per resource.

A listing is complete, so a resource it does not return is gone (what its GET's 404 says), and
so is every resource of a container (resource group, namespace) that is gone itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from modelinfra.providers.azure.errors import read_or_none


def collection_of(cloud_id: str) -> str | None:
    """The collection a resource is listed in (its id minus the name, lower-case): the
    ``batch_group`` of ARM types with a list operation."""
    parent, sep, name = cloud_id.rstrip("/").rpartition("/")
    return parent.lower() if sep and name and parent.count("/") >= 5 else None


def index(action: str, pages: Callable[[], Iterable[Any]]) -> dict[str, dict[str, Any]]:
    """{lower-case id: body as a dict} of every listed item (an SDK model or already the wire
    JSON's dict); empty when the container is gone."""
    found = read_or_none(action, lambda: [item if isinstance(item, dict) else item.as_dict() for item in pages()])
    return {str(body.get("id", "")).lower(): body for body in found or ()}


def answers(recorded: Mapping[str, tuple[str, dict[str, Any]]], listed: Mapping[str, dict[str, Any]],
            build: Callable[[str, dict[str, Any]], Any]) -> dict[str, Any]:
    """address -> ``build(cloud id, listed body)``, or None when the listing does not have it."""
    return {address: build(cloud_id, listed[cloud_id.lower()]) if cloud_id.lower() in listed else None
            for address, (cloud_id, _) in recorded.items()}

"""Azure naming rules as plain checks and as pydantic ``Annotated`` types. No SDK here.

Every ``check_*`` returns the value when it is valid and otherwise raises ``ValueError`` whose
message names the rule broken (spec models show it after ``file:line:col: path:``). The
``Annotated`` aliases (``ResourceGroupName``...) attach the check to a field. Sources: "Naming
rules and restrictions for Azure resources" (learn.microsoft.com) and the blob service's
"Naming and Referencing Containers, Blobs, and Metadata".

``normalise_location`` turns any spelling of a region (``West US``, ``westus``) into the ARM
short name, so locations never cause a false diff.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from modelinfra.providers.azure.arm_ids import check_arm_id, normalise_attributes
from modelinfra.providers.base import MANAGED_TAG_ADDRESS, MANAGED_TAG_STACK

_RG_CHARS = re.compile(r"^[\w\-.()]+$")
_ACCOUNT = re.compile(r"^[a-z0-9]+$")
_CONTAINER = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$")
_DISK = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TAG_FORBIDDEN = set("<>%&\\?/")
_LOCATION = re.compile(r"^[A-Za-z0-9 ]+$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")

MAX_TAGS = 50 - 2  # Azure allows 50 per resource; modelinfra adds two of its own
RESERVED_TAG_PREFIXES = ("microsoft", "azure", "windows")
SPECIAL_CONTAINERS = ("$root", "$web", "$logs")


def _length(kind: str, value: str, low: int, high: int) -> None:
    if not low <= len(value) <= high:
        raise ValueError(f"{kind} {value!r} must be {low} to {high} characters long (got {len(value)})")


def check_resource_group_name(name: str) -> str:
    _length("resource group name", name, 1, 90)
    if not _RG_CHARS.match(name):
        raise ValueError(f"resource group name {name!r} may contain only letters, digits, underscores, "
                         "hyphens, periods and parentheses")
    if name.endswith("."):
        raise ValueError(f"resource group name {name!r} must not end with a period")
    return name


def check_storage_account_name(name: str) -> str:
    _length("storage account name", name, 3, 24)
    if not _ACCOUNT.match(name):
        raise ValueError(f"storage account name {name!r} may contain only lowercase letters and digits")
    return name


def check_container_name(name: str) -> str:
    if name in SPECIAL_CONTAINERS:
        return name
    _length("container name", name, 3, 63)
    if not re.match(r"^[a-z0-9-]+$", name):
        raise ValueError(f"container name {name!r} may contain only lowercase letters, digits and hyphens")
    if "--" in name:
        raise ValueError(f"container name {name!r} must not contain consecutive hyphens")
    if not _CONTAINER.match(name):
        raise ValueError(f"container name {name!r} must start and end with a letter or a digit")
    return name


def check_blob_name(name: str) -> str:
    _length("blob name", name, 1, 1024)
    if name.endswith((".", "/")):
        raise ValueError(f"blob name {name!r} must not end with a period or a slash")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise ValueError(f"blob name {name!r} must not contain control characters")
    return name


def check_disk_name(name: str) -> str:
    """Managed disks and snapshots: 1-80 characters, letters, digits, ``_.-``; starts with a
    letter or digit, ends with a letter, digit or underscore."""
    _length("name", name, 1, 80)
    if not _DISK.match(name):
        raise ValueError(f"name {name!r} may contain only letters, digits, underscores, periods and hyphens, "
                         "must start with a letter or digit and end with a letter, digit or underscore")
    return name


def check_guid(value: str) -> str:
    """A GUID such as a tenant or principal id (``xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx``)."""
    if not _GUID.match(value):
        raise ValueError(f"{value!r} is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")
    return value


def arm_id_of(namespace: str, type_name: str) -> AfterValidator:
    """A validator (for ``Annotated[str, ...]``) accepting only ARM ids of ``namespace/type_name``."""
    return AfterValidator(lambda value: check_arm_id(value, namespace=namespace, type_name=type_name))


def check_location(location: str) -> str:
    if not location or not _LOCATION.match(location):
        raise ValueError(f"location {location!r} must be an Azure region name such as 'westus' or 'West US'")
    return location


def normalise_location(location: str | None) -> str | None:
    """``"West US"`` -> ``"westus"``: the form ARM uses in resource bodies."""
    if location is None:
        return None
    return str(normalise_attributes({"location": location})["location"])


def check_tags(tags: dict[str, str]) -> dict[str, str]:
    """Azure tag rules, minus the two tags modelinfra sets itself."""
    if len(tags) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags (Azure allows 50, modelinfra adds 2 of its own)")
    for key, value in tags.items():
        if key in (MANAGED_TAG_STACK, MANAGED_TAG_ADDRESS):
            raise ValueError(f"tag key {key!r} is set by modelinfra itself")
        if not 1 <= len(key) <= 512:
            raise ValueError(f"tag key {key!r} must be 1 to 512 characters long")
        bad = sorted(_TAG_FORBIDDEN & set(key))
        if bad:
            raise ValueError(f"tag key {key!r} must not contain {' '.join(bad)}")
        if key.lower().startswith(RESERVED_TAG_PREFIXES):
            raise ValueError(f"tag key {key!r}: the prefixes microsoft, azure and windows are reserved")
        if len(value) > 256:
            raise ValueError(f"tag {key!r}: value must be at most 256 characters long")
    return tags


def check_metadata(metadata: dict[str, str]) -> dict[str, str]:
    """Blob/container metadata: names are C# identifiers, unique ignoring case."""
    seen: set[str] = set()
    for key in metadata:
        if not _IDENTIFIER.match(key):
            raise ValueError(f"metadata name {key!r} must be a C# identifier (letters, digits, underscores; "
                             "not starting with a digit)")
        if key.lower() in seen:
            raise ValueError(f"metadata name {key!r} is used twice (names are case-insensitive)")
        seen.add(key.lower())
    return metadata


ResourceGroupName = Annotated[str, AfterValidator(check_resource_group_name)]
StorageAccountName = Annotated[str, AfterValidator(check_storage_account_name)]
ContainerName = Annotated[str, AfterValidator(check_container_name)]
BlobName = Annotated[str, AfterValidator(check_blob_name)]
DiskName = Annotated[str, AfterValidator(check_disk_name)]
Location = Annotated[str, AfterValidator(check_location), Field(description="Azure region, e.g. westus or eastus2.")]
Guid = Annotated[str, AfterValidator(check_guid)]
AzureTags = Annotated[dict[str, str], Field(default_factory=dict, description=(
    "Tags (key: value); modelinfra adds modelinfra-stack and modelinfra-address itself.")),
                      AfterValidator(check_tags)]
Metadata = Annotated[dict[str, str], Field(default_factory=dict), AfterValidator(check_metadata)]

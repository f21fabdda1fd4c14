"""``Microsoft.Resources/resourceGroups`` (api-version 2025-04-01 and older).

PUT 201/200, GET, HEAD (check-existence 204/404), PATCH 200, DELETE 202 + Location (deletes
everything in the group when the operation completes), list. Deleting a missing group is 404
``ResourceGroupNotFound``, as ARM answers (the SDK's delete accepts only 200/202).
"""

from __future__ import annotations

from modelinfra.sandbox.arm.resource_type import RESOURCE_GROUP, Family, Lro, ResourceType

API_VERSIONS = ("2025-04-01", "2025-03-01", "2025-01-01", "2024-11-01", "2024-07-01", "2024-03-01",
                "2023-07-01", "2022-09-01", "2021-04-01")

RESOURCE_GROUP_TYPE = ResourceType(
    type=RESOURCE_GROUP,
    path="resourceGroups/{resourceGroupName}",
    parent=None,
    api_versions=API_VERSIONS,
    put_status=(201, 200),
    delete_lro=Lro("location"),
    delete_missing_status=404,
    not_found_code="ResourceGroupNotFound",
    defaults={"tags": {}, "properties": {}},
)

FAMILY = Family(name="resources", types=(RESOURCE_GROUP_TYPE,))

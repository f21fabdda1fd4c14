"""``Microsoft.Resources/resourceGroups`` (api-version 2025-04-01 and older).

PUT 201/200, GET, HEAD (check-existence 204/404), PATCH 200, DELETE 202 + Location (deletes
everything in the group when the operation completes), list. Deleting a missing group is 404
``ResourceGroupNotFound``, as ARM answers (the SDK's delete accepts only 200/202).

Also ``Subscriptions_Get`` (``GET /subscriptions/{subscriptionId}``, api-version 2022-12-01 and
older): the subscription the emulator serves, in the tenant every emulated identity belongs to.
"""

from __future__ import annotations

from typing import Any

from modelinfra.sandbox.arm.bodies import EMULATOR_TENANT_ID
from modelinfra.sandbox.arm.resource_type import (
    RESOURCE_GROUP,
    Family,
    Lro,
    ProviderAction,
    RequestContext,
    ResourceType,
)

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

SUBSCRIPTION_API_VERSIONS = ("2022-12-01", "2021-01-01", "2020-01-01", "2016-06-01")


def _get_subscription(ctx: RequestContext, _body: Any) -> tuple[int, Any]:
    """The Subscriptions_Get body (x-ms-examples GetSubscription): every key the example shows."""
    return 200, {
        "id": f"/subscriptions/{ctx.subscription_id}",
        "subscriptionId": ctx.subscription_id,
        "tenantId": EMULATOR_TENANT_ID,
        "displayName": "modelinfra sandbox",
        "state": "Enabled",
        "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01",
                                 "spendingLimit": "Off"},
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "tags": {},
    }


FAMILY = Family(
    name="resources",
    types=(RESOURCE_GROUP_TYPE,),
    provider_actions=(ProviderAction("", _get_subscription, method="GET", api_versions=SUBSCRIPTION_API_VERSIONS),),
)

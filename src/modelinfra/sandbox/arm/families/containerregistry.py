"""``Microsoft.ContainerRegistry/registries`` (api-version 2023-07-01; 2025-04-01 and 2023-11-01-preview
accepted). Wire shape from ``containerregistry/.../stable/2023-07-01/containerregistry.json`` and
its examples (RegistryCreate.json, RegistryGet.json, RegistryUpdate.json, RegistryDelete.json):

- PUT 202 + ``Azure-AsyncOperation`` (LRO; the spec's ``azure-async-operation`` final state), GET
  200, PATCH 202 (LRO), DELETE 202 + ``Location`` (LRO; 204 when missing).
- names: 5-50 letters and digits (400 ``InvalidRegistryName``), globally unique (409
  ``AlreadyInUse``). ``sku.name`` Basic|Standard|Premium (``sku.tier`` follows it).
  A ``networkRuleSet`` that denies or lists IP rules needs Premium (400
  ``NetworkRuleSetNotSupported``; every registry answers the open ``{"defaultAction": "Allow",
  "ipRules": []}``), so does ``publicNetworkAccess: Disabled`` (400 ``InvalidParameter``).
- defaults as the service fills them: ``adminUserEnabled`` false, ``publicNetworkAccess`` Enabled,
  ``networkRuleBypassOptions`` AzureServices, ``zoneRedundancy`` Disabled, ``anonymousPullEnabled``
  false, ``dataEndpointEnabled`` false, ``policies``, ``encryption`` disabled; computed
  ``loginServer`` (``{name}.azurecr.io``), ``creationDate``, ``dataEndpointHostNames``,
  ``policies.retentionPolicy.lastUpdatedTime`` (kept while the policy does not change).
"""

from __future__ import annotations

import re
from typing import Any

from modelinfra.sandbox.arm.bodies import get_path
from modelinfra.sandbox.arm.errors import bad_request, conflict
from modelinfra.sandbox.arm.lro import utc_now_iso
from modelinfra.sandbox.arm.resource_type import Family, Lro, RequestContext, ResourceType

API_VERSIONS = ("2023-07-01", "2025-04-01", "2023-11-01-preview")
REGISTRY_TYPE = "Microsoft.ContainerRegistry/registries"
SKUS = ("Basic", "Standard", "Premium")
_NAME = re.compile(r"^[A-Za-z0-9]{5,50}$")


def _validate(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    name = body["name"]
    if not _NAME.match(name):
        raise bad_request("InvalidRegistryName",
                          f"The registry name '{name}' is invalid: 5-50 letters and digits.")
    if ctx.store.name_taken(REGISTRY_TYPE, body):
        raise conflict("AlreadyInUse", f"The registry {name} is already in use.")
    sku = get_path(body, "sku.name")
    if sku not in SKUS:
        raise bad_request("InvalidSku", f"The sku '{sku}' is not valid; use one of {', '.join(SKUS)}.")
    props = body.setdefault("properties", {})
    if props.get("publicNetworkAccess") not in ("Enabled", "Disabled"):
        raise bad_request("InvalidParameter", "publicNetworkAccess must be Enabled or Disabled.")
    if props.get("publicNetworkAccess") == "Disabled" and sku != "Premium":
        raise bad_request("InvalidParameter", "Disabling public network access requires the Premium SKU.")
    rules = props.get("networkRuleSet") or {}
    if (rules.get("defaultAction", "Allow") != "Allow" or rules.get("ipRules")) and sku != "Premium":
        raise bad_request("NetworkRuleSetNotSupported", "Network rules are only supported by the Premium SKU.")


def _normalize(ctx: RequestContext, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    body["sku"]["tier"] = body["sku"]["name"]
    props = body["properties"]
    props["loginServer"] = f"{body['name'].lower()}.azurecr.io"
    props.setdefault("creationDate", utc_now_iso())
    props.setdefault("dataEndpointHostNames", [])
    props.setdefault("privateEndpointConnections", [])
    retention = get_path(props, "policies.retentionPolicy")
    if isinstance(retention, dict):
        before = dict(get_path(existing or {}, "properties.policies.retentionPolicy") or {})
        stamp = before.pop("lastUpdatedTime", None)
        retention.pop("lastUpdatedTime", None)
        retention["lastUpdatedTime"] = stamp if stamp and before == retention else utc_now_iso()


REGISTRY = ResourceType(
    type=REGISTRY_TYPE,
    path="resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerRegistry/registries/{registryName}",
    api_versions=API_VERSIONS,
    put_status=(201, 200),
    put_lro=Lro("async"),
    patch_lro=Lro("async"),
    delete_lro=Lro("location"),
    defaults={"tags": {}, "properties": {
        "adminUserEnabled": False, "publicNetworkAccess": "Enabled", "networkRuleBypassOptions": "AzureServices",
        "zoneRedundancy": "Disabled", "anonymousPullEnabled": False, "dataEndpointEnabled": False,
        "status": None, "networkRuleSet": {"defaultAction": "Allow", "ipRules": []},
        "policies": {"quarantinePolicy": {"status": "disabled"},
                     "trustPolicy": {"type": "Notary", "status": "disabled"},
                     "retentionPolicy": {"days": 7, "status": "disabled"},
                     "exportPolicy": {"status": "enabled"}, "azureADAuthenticationAsArmPolicy": {"status": "enabled"},
                     "softDeletePolicy": {"retentionDays": 7, "status": "disabled"}},
        "encryption": {"status": "disabled"}}},
    preserve=("properties.creationDate",),
    validate=_validate,
    normalize=_normalize,
)

FAMILY = Family(name="containerregistry", types=(REGISTRY,))

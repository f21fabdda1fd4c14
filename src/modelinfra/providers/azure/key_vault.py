"""``azure.key_vault``: a Key Vault (``Microsoft.KeyVault/vaults``, api-version 2023-07-01, through
:class:`~modelinfra.providers.azure.rest_client.ArmRestClient`). Cloud id: its ARM id.

Invariants
- create and update are a PUT of the whole vault (the service replaces); adopting an existing vault
  converges it. name, resource_group and location force replacement.
- ``purge_protection_enabled`` is written only when true: the service rejects ``false`` and cannot
  turn purge protection off again (it refuses the update; the error reaches the user).
- ``access_policies`` as azurerm_key_vault's ``access_policy`` blocks: unset means "not managed"
  (as in azurerm, where the blocks are optional and computed): every write carries the vault's
  current policies over — Azure ML, for one, adds its own — and neither plan, state nor drift
  track them; a list (``[]`` included) is the whole set, compared as a set of entries with
  permission sets compared case-insensitively (``key_vault_access``). A policy without
  ``tenant_id`` is in the vault's tenant. With ``enable_rbac_authorization: true`` the service keeps
  the policies but grants nothing through them; modelinfra accepts both, as azurerm and ARM do (a
  vault switching between the two models keeps its policies for the way back); ``modelinfra check``
  reports it (MI-AZ-KEYVAULT-IGNORED-POLICIES).
- ``network_acls`` of ``None`` means "no rules" (the service's default: allow all).
- ``tenant_id`` unset means the subscription's tenant (read once per run, ``Subscriptions_Get``); as
  an unset optional it never shows as a diff, whatever tenant the vault reports.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, Field

from modelinfra.providers.azure.errors import read_or_none
from modelinfra.providers.azure.key_vault_access import (
    AccessPolicy,
    canonical_policies,
    check_policies,
    from_arm,
    to_arm,
)
from modelinfra.providers.azure.names import AzureTags, Guid, Location, ResourceGroupName
from modelinfra.providers.azure.tracked import TrackedArmHandler
from modelinfra.providers.base import ResourceContext
from modelinfra.spec.fields import SpecModel

API_VERSION = "2023-07-01"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$")


def check_vault_name(name: str) -> str:
    """3-24 letters, digits and hyphens; starts with a letter, ends with a letter or digit, no ``--``."""
    if not 3 <= len(name) <= 24:
        raise ValueError(f"key vault name {name!r} must be 3 to 24 characters long (got {len(name)})")
    if not _NAME.match(name) or "--" in name:
        raise ValueError(f"key vault name {name!r} may contain only letters, digits and single hyphens, must start "
                         "with a letter and end with a letter or digit")
    return name


VaultName = Annotated[str, AfterValidator(check_vault_name)]


class NetworkAcls(SpecModel):
    """Which networks may reach the vault's data plane."""

    default_action: Literal["Allow", "Deny"] = Field(
        "Allow", description="What happens to traffic no rule matches.")
    bypass: Literal["AzureServices", "None"] = Field(
        "AzureServices", description="Whether trusted Azure services bypass the rules.")
    ip_rules: list[str] = Field(default_factory=list, description="Allowed IPv4 addresses or CIDR ranges.")
    virtual_network_subnet_ids: list[str] = Field(
        default_factory=list, description="ARM ids of the subnets allowed to reach the vault.")


class KeyVaultSpec(SpecModel):
    name: VaultName
    """Vault name, 3 to 24 letters, digits and hyphens, globally unique (``<name>.vault.azure.net``)."""
    resource_group: ResourceGroupName
    """Resource group it lives in (e.g. ``${rg.name}``)."""
    location: Location
    tenant_id: Guid | None = Field(
        None, description="The Microsoft Entra tenant that authenticates requests to the vault; unset: the "
                          "subscription's tenant (what `az account show --query tenantId` prints).")
    sku: Literal["standard", "premium"] = Field("standard", description="premium adds HSM-protected keys.")
    soft_delete_retention_days: int = Field(
        90, ge=7, le=90, description="Days a deleted vault and its objects can be recovered (7 to 90).")
    purge_protection_enabled: bool = Field(
        False, description="Forbid purging deleted vaults and objects during the retention period "
                           "(irreversible once enabled).")
    enable_rbac_authorization: bool = Field(
        False, description="Authorize data actions with Azure RBAC instead of access policies.")
    network_acls: NetworkAcls | None = Field(None, description="Network rules; none means allow all networks.")
    access_policies: Annotated[list[AccessPolicy] | None, AfterValidator(check_policies)] = Field(
        None, description="Who may use keys, secrets and certificates (azurerm access_policy blocks); unset: not "
                          "managed (the vault keeps the policies it has), [] removes them all. Ignored by the service "
                          "while enable_rbac_authorization is true.")
    tags: AzureTags


class KeyVaultHandler(TrackedArmHandler[KeyVaultSpec]):
    type_name: ClassVar[str] = "azure.key_vault"
    cloud_id_form: ClassVar[str] = "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/NAME"
    spec_model = KeyVaultSpec
    computed: ClassVar[tuple[str, ...]] = ("id", "vault_uri")
    force_new: ClassVar[tuple[str, ...]] = ("name", "resource_group", "location")
    namespace: ClassVar[str] = "Microsoft.KeyVault"
    arm_type: ClassVar[str] = "vaults"
    api_version: ClassVar[str] = API_VERSION
    label: ClassVar[str] = "key vault"

    def normalise(self, attributes: dict[str, Any]) -> dict[str, Any]:
        out = super().normalise(attributes)
        if isinstance(out.get("tenant_id"), str):
            out["tenant_id"] = out["tenant_id"].lower()
        if out.get("access_policies") is not None:
            out["access_policies"] = canonical_policies(out["access_policies"])
        return out

    def desired(self, ctx: ResourceContext, spec: KeyVaultSpec) -> dict[str, Any]:
        """A policy without ``tenant_id`` is in the vault's tenant (the subscription's when the vault's
        is unset too), filled in here so it compares with what the service reports."""
        data = super().desired(ctx, spec)
        policies = data.get("access_policies")
        if policies and any(not p.get("tenant_id") for p in policies):
            tenant = spec.tenant_id or ctx.session.tenant_id()
            data["access_policies"] = canonical_policies(
                [{**p, "tenant_id": p.get("tenant_id") or tenant} for p in policies])
        return data

    def create(self, ctx: ResourceContext, spec: KeyVaultSpec) -> dict[str, Any]:
        return self._tracked(spec, super().create(ctx, spec))

    def update(self, ctx: ResourceContext, spec: KeyVaultSpec, observed: dict[str, Any],
               changes: list[Any]) -> dict[str, Any]:
        return self._tracked(spec, super().update(ctx, spec, observed, changes))

    @staticmethod
    def _tracked(spec: KeyVaultSpec, attributes: dict[str, Any]) -> dict[str, Any]:
        """What state records: unmanaged access policies are left out, so drift never reports the
        ones others (Azure ML) add."""
        if spec.access_policies is None:
            return {k: v for k, v in attributes.items() if k != "access_policies"}
        return attributes

    def _access_policies(self, ctx: ResourceContext, spec: KeyVaultSpec, tenant: str) -> list[dict[str, Any]]:
        if spec.access_policies is not None:
            return [to_arm(p.model_dump(mode="json"), tenant) for p in spec.access_policies]
        client = self.client(ctx)
        vault_id = self.identify(ctx, spec)
        current = read_or_none(f"reading key vault {spec.name}", lambda: client.get(vault_id))
        return list(((current or {}).get("properties") or {}).get("accessPolicies") or [])

    def body(self, ctx: ResourceContext, spec: KeyVaultSpec) -> dict[str, Any]:
        tenant = spec.tenant_id or ctx.session.tenant_id()
        properties: dict[str, Any] = {
            "tenantId": tenant,
            "sku": {"family": "A", "name": spec.sku},
            "accessPolicies": self._access_policies(ctx, spec, tenant),
            "enableSoftDelete": True,
            "softDeleteRetentionInDays": spec.soft_delete_retention_days,
            "enableRbacAuthorization": spec.enable_rbac_authorization,
        }
        if spec.purge_protection_enabled:
            properties["enablePurgeProtection"] = True
        acls = spec.network_acls
        if acls is not None:
            properties["networkAcls"] = {
                "defaultAction": acls.default_action, "bypass": acls.bypass,
                "ipRules": [{"value": ip} for ip in acls.ip_rules],
                "virtualNetworkRules": [{"id": subnet} for subnet in acls.virtual_network_subnet_ids],
            }
        return {"properties": properties}

    def attributes(self, body: dict[str, Any]) -> dict[str, Any]:
        props = body.get("properties") or {}
        acls = props.get("networkAcls")
        return {
            "tenant_id": props.get("tenantId"),
            "sku": (props.get("sku") or {}).get("name"),
            "soft_delete_retention_days": props.get("softDeleteRetentionInDays", 90),
            "purge_protection_enabled": bool(props.get("enablePurgeProtection")),
            "enable_rbac_authorization": bool(props.get("enableRbacAuthorization")),
            "network_acls": None if acls is None else {
                "default_action": acls.get("defaultAction", "Allow"),
                "bypass": acls.get("bypass", "AzureServices"),
                "ip_rules": [rule.get("value") for rule in acls.get("ipRules") or []],
                "virtual_network_subnet_ids": [rule.get("id") for rule in acls.get("virtualNetworkRules") or []],
            },
            "access_policies": [from_arm(entry) for entry in props.get("accessPolicies") or []],
            "vault_uri": props.get("vaultUri"),
        }

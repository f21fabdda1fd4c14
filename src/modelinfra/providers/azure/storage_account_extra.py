"""Network rules, managed identity and customer-managed key of ``azure.storage_account``: their spec
models, what create/update write (wire names of ``Microsoft.Storage`` 2023-05-01 and later:
``networkAcls``, ``identity``, ``encryption.keyvaultproperties``/``encryption.identity``) and how a
GET body reads back in the spec's vocabulary.

Invariants
- ``network_rules``, ``identity`` and ``customer_managed_key`` of None are not managed: nothing is
  written and the plan never diffs them (the project-wide rule for None); read always reports what
  the account has (``identity``/``customer_managed_key`` None when it has none).
- lists that are sets to the service (bypass, IP rules, subnets, identity ids) are compared sorted,
  ids in canonical (lower-case) form and key ids with a lower-case host, so neither the service's
  ordering nor its casing shows as a diff.
- ``identity``: :mod:`~modelinfra.providers.azure.managed_identity` (shared with other types).
- ``is_hns_enabled`` and ``infrastructure_encryption_enabled`` are written on create only (the
  service cannot change them; the handler declares them ``force_new``).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from modelinfra.providers.azure import arm_ids
from modelinfra.providers.azure.managed_identity import (
    ManagedIdentity,
    UserIdentityId,
    normalise_identity,
    principal_id,
    read_identity,
)
from modelinfra.providers.azure.names import arm_id_of
from modelinfra.spec.fields import SpecModel

_KEY_ID = re.compile(r"^https://(?P<host>[A-Za-z0-9.-]+)/keys/(?P<name>[A-Za-z0-9-]{1,127})(?:/(?P<version>[0-9A-Za-z]{32}))?/?$")


def check_ip_rule(value: str) -> str:
    """A public IPv4 address or CIDR range of at most /30 (the service refuses /31, /32 and private
    ranges in storage firewall rules)."""
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an IPv4 address or CIDR range") from exc
    if network.version != 4:
        raise ValueError(f"{value!r} is not IPv4 (storage IP rules take IPv4 only)")
    if "/" in value and network.prefixlen > 30:
        raise ValueError(f"{value!r}: CIDR ranges /31 and /32 are not allowed; give the address itself")
    if network.is_private:
        raise ValueError(f"{value!r} is a private range; storage IP rules take public addresses only")
    return value


def check_key_vault_key_id(value: str) -> str:
    """A Key Vault key URL, versioned or not: ``https://VAULT.vault.azure.net/keys/NAME[/VERSION]``."""
    if not _KEY_ID.match(value):
        raise ValueError(f"{value!r} is not a Key Vault key id (https://<vault>.vault.azure.net/keys/<name>"
                         "[/<version>])")
    return value


IpRule = Annotated[str, AfterValidator(check_ip_rule)]
SubnetId = Annotated[str, arm_id_of("Microsoft.Network", "subnets")]
KeyVaultKeyId = Annotated[str, AfterValidator(check_key_vault_key_id)]


class NetworkRules(SpecModel):
    """The account's firewall (``networkAcls``)."""

    default_action: Literal["Allow", "Deny"] = Field(description="What happens to traffic no rule matches.")
    bypass: list[Literal["AzureServices", "Logging", "Metrics"]] = Field(
        default_factory=lambda: ["AzureServices"],
        description="Traffic let through whatever the rules say; [] bypasses nothing.")
    ip_rules: list[IpRule] = Field(default_factory=list, description="Allowed public IPv4 addresses or CIDR ranges.")
    virtual_network_subnet_ids: list[SubnetId] = Field(
        default_factory=list, description="ARM ids of the subnets allowed to reach the account.")


StorageIdentity = ManagedIdentity
"""The account's managed identity (the model every ARM type with one shares)."""


class CustomerManagedKey(SpecModel):
    """Encrypt the account with a Key Vault key instead of a Microsoft-managed one."""

    key_vault_key_id: KeyVaultKeyId = Field(
        description="The key's URL; without a version the service follows the key's latest version.")
    user_assigned_identity_id: UserIdentityId = Field(
        description="The user-assigned identity (one of identity.identity_ids) that reads the key.")


def check_combination(identity: StorageIdentity | None, key: CustomerManagedKey | None, kind: str,
                      is_hns_enabled: bool) -> None:
    """Rules across properties; ``ValueError`` naming the first one broken."""
    if key is not None:
        ids = {arm_ids.canonical(i) for i in (identity.identity_ids if identity else [])}
        if arm_ids.canonical(key.user_assigned_identity_id) not in ids:
            raise ValueError("customer_managed_key.user_assigned_identity_id must be one of identity.identity_ids")
    if is_hns_enabled and kind not in ("StorageV2", "BlockBlobStorage"):
        raise ValueError(f"is_hns_enabled needs kind StorageV2 or BlockBlobStorage, not {kind}")


# -- writing ----------------------------------------------------------------------------------------
def account_properties(spec: Any, *, create: bool) -> dict[str, Any]:
    """The ``properties`` these settings add to the account body (create PUT or update PATCH)."""
    props: dict[str, Any] = {
        "publicNetworkAccess": spec.public_network_access,
        "allowSharedKeyAccess": spec.shared_access_key_enabled,
        "allowCrossTenantReplication": spec.allow_cross_tenant_replication,
    }
    if spec.network_rules is not None:
        rules = spec.network_rules
        props["networkAcls"] = {
            "defaultAction": rules.default_action,
            "bypass": ", ".join(rules.bypass) or "None",
            "ipRules": [{"value": ip, "action": "Allow"} for ip in rules.ip_rules],
            "virtualNetworkRules": [{"id": subnet, "action": "Allow"} for subnet in rules.virtual_network_subnet_ids],
        }
    encryption: dict[str, Any] = {}
    if spec.customer_managed_key is not None:
        encryption = _key_encryption(spec.customer_managed_key)
    if create:
        props["isHnsEnabled"] = spec.is_hns_enabled
        encryption = {"keySource": "Microsoft.Storage", **encryption,
                      "services": {"blob": {"enabled": True, "keyType": "Account"},
                                   "file": {"enabled": True, "keyType": "Account"}},
                      "requireInfrastructureEncryption": spec.infrastructure_encryption_enabled}
    if encryption:
        props["encryption"] = encryption
    return props


def _key_encryption(key: CustomerManagedKey) -> dict[str, Any]:
    found = _KEY_ID.match(key.key_vault_key_id)
    assert found is not None  # validated by the spec model
    return {
        "keySource": "Microsoft.Keyvault",
        "keyvaultproperties": {"keyvaulturi": f"https://{found['host']}", "keyname": found["name"],
                               "keyversion": found["version"] or ""},
        "identity": {"userAssignedIdentity": key.user_assigned_identity_id},
    }


# -- reading ----------------------------------------------------------------------------------------
def read_attributes(body: dict[str, Any]) -> dict[str, Any]:
    """These settings as attributes, from an account's GET body."""
    props = body.get("properties") or {}
    encryption = props.get("encryption") or {}
    return {
        "network_rules": _read_rules(props.get("networkAcls")),
        "public_network_access": props.get("publicNetworkAccess") or "Enabled",
        "shared_access_key_enabled": props.get("allowSharedKeyAccess") is not False,
        "identity": read_identity(body),
        "customer_managed_key": _read_key(encryption),
        "is_hns_enabled": bool(props.get("isHnsEnabled")),
        "infrastructure_encryption_enabled": bool(encryption.get("requireInfrastructureEncryption")),
        "allow_cross_tenant_replication": bool(props.get("allowCrossTenantReplication")),
        "identity_principal_id": principal_id(body),
    }


def _read_rules(acls: dict[str, Any] | None) -> dict[str, Any] | None:
    if acls is None:
        return None
    bypass = [part.strip() for part in str(acls.get("bypass") or "None").split(",")]
    return {
        "default_action": acls.get("defaultAction", "Allow"),
        "bypass": [part for part in bypass if part and part != "None"],
        "ip_rules": [rule.get("value") for rule in acls.get("ipRules") or []],
        "virtual_network_subnet_ids": [rule.get("id") for rule in acls.get("virtualNetworkRules") or []],
    }


def _read_key(encryption: dict[str, Any]) -> dict[str, Any] | None:
    if str(encryption.get("keySource") or "").lower() != "microsoft.keyvault":
        return None
    vault = encryption.get("keyvaultproperties") or {}
    version = vault.get("keyversion")
    key_id = f"{str(vault.get('keyvaulturi') or '').rstrip('/')}/keys/{vault.get('keyname')}"
    return {"key_vault_key_id": f"{key_id}/{version}" if version else key_id,
            "user_assigned_identity_id": (encryption.get("identity") or {}).get("userAssignedIdentity")}


# -- comparing --------------------------------------------------------------------------------------
def normalise(attributes: dict[str, Any]) -> dict[str, Any]:
    """Sets sorted, ids canonical, key ids with a lower-case host (desired and observed alike)."""
    out = dict(attributes)
    rules = out.get("network_rules")
    if isinstance(rules, dict):
        out["network_rules"] = {
            **rules,
            "bypass": sorted(rules.get("bypass") or []),
            "ip_rules": sorted(rules.get("ip_rules") or []),
            "virtual_network_subnet_ids": sorted(_canonical(rules.get("virtual_network_subnet_ids"))),
        }
    out["identity"] = normalise_identity(out.get("identity"))
    key = out.get("customer_managed_key")
    if isinstance(key, dict):
        found = _KEY_ID.match(str(key.get("key_vault_key_id") or ""))
        key_id = key.get("key_vault_key_id")
        if found:
            key_id = f"https://{found['host'].lower()}/keys/{found['name']}" + (
                f"/{found['version']}" if found["version"] else "")
        assigned = key.get("user_assigned_identity_id")
        out["customer_managed_key"] = {"key_vault_key_id": key_id,
                                       "user_assigned_identity_id": arm_ids.canonical(assigned) if assigned else None}
    return out


def _canonical(ids: Any) -> list[str]:
    return [arm_ids.canonical(i) if arm_ids.is_arm_id(i) else i for i in ids or []]

"""modelinfra Azure types as the hashicorp/azurerm (4.x) resources a Terraform user would write.

| modelinfra | Terraform |
|---|---|
| azure.resource_group | azurerm_resource_group |
| azure.storage_account | azurerm_storage_account (sku split into account_tier + account_replication_type; network_rules, identity, customer_managed_key and blob_properties blocks) |
| azure.blob_container | azurerm_storage_container |
| azure.blob | azurerm_storage_blob |
| azure.managed_disk | azurerm_managed_disk |
| azure.disk_snapshot | azurerm_snapshot |
| azure.servicebus_namespace | azurerm_servicebus_namespace |
| azure.servicebus_queue | azurerm_servicebus_queue |
| azure.cdn_profile | azurerm_cdn_frontdoor_profile (Front Door SKUs) or azurerm_cdn_profile |
| azure.cdn_endpoint | azurerm_cdn_frontdoor_endpoint + _origin_group (load_balancing, health_probe) + _route, + one _origin per `origins` entry and one _custom_domain per `custom_domains` entry (`<name>_<origin name>`, `<name>_<host>`) |
| azure.ml_workspace | azurerm_machine_learning_workspace (ids as *_id, identity block) |
| azure.ml_model_version | none in azurerm: modelinfra_azure_ml_model_version (everything under `modelinfra`) |
| azure.key_vault | azurerm_key_vault (sku_name, rbac_authorization_enabled + enable_rbac_authorization, network_acls and access_policy blocks) |
| azure.log_analytics_workspace | azurerm_log_analytics_workspace |
| azure.application_insights | azurerm_application_insights |
| azure.container_registry | azurerm_container_registry (public_network_access_enabled as a bool) |
| azure.role_assignment | azurerm_role_assignment |
"""

from __future__ import annotations

from typing import Any

from modelinfra.values import UNKNOWN
from modelinfra.views.tfmap_base import Attrs, Mapper, TfBlock, conv, drop_none

FRONT_DOOR_SKUS = ("Standard_AzureFrontDoor", "Premium_AzureFrontDoor")


def _base(a: Attrs, *, location: bool = True) -> dict[str, Any]:
    values = {"name": a.take("name"), "resource_group_name": a.take("resource_group"), "id": a.take("id")}
    if location:
        values["location"] = a.take("location")
    return values


def _enabled(value: Any) -> Any:
    """ARM's ``Enabled``/``Disabled`` as Terraform's bool."""
    return conv(value, lambda v: str(v).lower() == "enabled")


def resource_group(a: Attrs) -> list[TfBlock]:
    return [TfBlock("azurerm_resource_group", drop_none({
        "name": a.take("name"), "location": a.take("location"), "id": a.take("id"), "tags": a.take("tags", {})}))]


def storage_account(a: Attrs) -> list[TfBlock]:
    sku = a.take("sku", "Standard_LRS")
    tier, replication = (sku.split("_", 1) + [None])[:2] if isinstance(sku, str) else (UNKNOWN, UNKNOWN)
    blob = drop_none({
        "versioning_enabled": a.take("blob_versioning", False),
        "delete_retention_policy": conv(a.take("blob_soft_delete_days"), lambda d: [{"days": d}]),
        "restore_policy": conv(a.take("point_in_time_restore_days"), lambda d: [{"days": d}]),
        "container_delete_retention_policy": conv(a.take("container_delete_retention_days"),
                                                  lambda d: [{"days": d}]),
    })
    identity = a.take("identity")
    principal = a.take("identity_principal_id") if identity is not None else None  # else kept under modelinfra
    key = a.take("customer_managed_key")
    values = {
        **_base(a), "account_kind": a.take("kind", "StorageV2"), "account_tier": tier,
        "account_replication_type": replication, "access_tier": a.take("access_tier"),
        "min_tls_version": a.take("min_tls_version", "TLS1_2"),
        "allow_nested_items_to_be_public": a.take("allow_blob_public_access", False),
        "https_traffic_only_enabled": a.take("https_only", True),
        "public_network_access_enabled": _enabled(a.take("public_network_access")),
        "shared_access_key_enabled": a.take("shared_access_key_enabled"),
        "is_hns_enabled": a.take("is_hns_enabled"),
        "infrastructure_encryption_enabled": a.take("infrastructure_encryption_enabled"),
        "cross_tenant_replication_enabled": a.take("allow_cross_tenant_replication"),
        "network_rules": conv(a.take("network_rules"), lambda n: [_network_rules(n)]),
        "identity": conv(identity, lambda i: [drop_none({
            "type": i.get("type"), "identity_ids": i.get("identity_ids") or [], "principal_id": principal})]),
        "customer_managed_key": conv(key, lambda k: [drop_none({
            "key_vault_key_id": k.get("key_vault_key_id"),
            "user_assigned_identity_id": k.get("user_assigned_identity_id")})]),
        "blob_properties": [blob], "tags": a.take("tags", {}),
        "primary_blob_endpoint": a.take("primary_blob_endpoint"),
    }
    return [TfBlock("azurerm_storage_account", drop_none(values))]


def _network_rules(rules: Any) -> dict[str, Any]:
    """A firewall (``network_rules`` of a storage account, ``network_acls`` of a key vault) as
    azurerm's block: ``default_action``, ``bypass``, ``ip_rules``, ``virtual_network_subnet_ids``."""
    return drop_none({"default_action": rules.get("default_action"), "bypass": rules.get("bypass"),
                      "ip_rules": rules.get("ip_rules") or [],
                      "virtual_network_subnet_ids": rules.get("virtual_network_subnet_ids") or []})


def blob_container(a: Attrs) -> list[TfBlock]:
    access = a.take("public_access", "none")
    return [TfBlock("azurerm_storage_container", drop_none({
        "name": a.take("name"), "storage_account_name": a.take("account"), "id": a.take("id"),
        "container_access_type": conv(access, lambda v: "private" if v == "none" else v),
        "metadata": a.take("metadata", {}),
    }))]


def blob(a: Attrs) -> list[TfBlock]:
    return [TfBlock("azurerm_storage_blob", drop_none({
        "name": a.take("name"), "storage_account_name": a.take("account"),
        "storage_container_name": a.take("container"), "type": "Block", "source": a.take("source"),
        "content_type": a.take("content_type"), "metadata": a.take("metadata", {}),
        "access_tier": a.take("access_tier"), "url": a.take("url"),
    }))]


def managed_disk(a: Attrs) -> list[TfBlock]:
    return [TfBlock("azurerm_managed_disk", drop_none({
        **_base(a), "storage_account_type": a.take("sku"), "create_option": a.take("create_option"),
        "disk_size_gb": a.take("size_gb"), "source_resource_id": a.take("source_id"),
        "storage_account_id": a.take("storage_account_id"), "tags": a.take("tags", {}),
    }))]


def disk_snapshot(a: Attrs) -> list[TfBlock]:
    return [TfBlock("azurerm_snapshot", drop_none({
        **_base(a), "create_option": "Copy", "source_resource_id": a.take("source_disk"),
        "incremental_enabled": a.take("incremental", False), "tags": a.take("tags", {}),
    }))]


def servicebus_namespace(a: Attrs) -> list[TfBlock]:
    return [TfBlock("azurerm_servicebus_namespace", drop_none({
        **_base(a), "sku": a.take("sku"), "minimum_tls_version": a.take("min_tls_version"),
        "local_auth_enabled": a.take("local_auth_enabled", True), "tags": a.take("tags", {}),
        "endpoint": a.take("endpoint"),
        "default_primary_connection_string": a.take("primary_connection_string"),
    }))]


def servicebus_queue(a: Attrs) -> list[TfBlock]:
    return [TfBlock("azurerm_servicebus_queue", drop_none({
        "name": a.take("name"), "id": a.take("id"), "max_delivery_count": a.take("max_delivery_count"),
        "lock_duration": a.take("lock_duration"), "requires_duplicate_detection": a.take("requires_duplicate_detection"),
        "dead_lettering_on_message_expiration": a.take("dead_lettering_on_message_expiration"),
        "default_message_ttl": a.take("default_message_ttl"), "max_size_in_megabytes": a.take("max_size_mb"),
        "requires_session": a.take("requires_session"), "forward_to": a.take("forward_to"),
        "forward_dead_lettered_messages_to": a.take("forward_dead_lettered_messages_to"),
        "auto_delete_on_idle": a.take("auto_delete_on_idle"),
        "partitioning_enabled": a.take("enable_partitioning"),
        "duplicate_detection_history_time_window": a.take("duplicate_detection_history_time_window"),
        "batched_operations_enabled": a.take("enable_batched_operations"),
        "express_enabled": a.take("enable_express"),
    }))]


def cdn_profile(a: Attrs) -> list[TfBlock]:
    sku = a.take("sku", FRONT_DOOR_SKUS[0])
    if sku in FRONT_DOOR_SKUS or sku is UNKNOWN:
        return [TfBlock("azurerm_cdn_frontdoor_profile", drop_none({
            **_base(a, location=False), "sku_name": sku,
            "response_timeout_seconds": a.take("response_timeout_seconds"), "tags": a.take("tags", {})}))]
    return [TfBlock("azurerm_cdn_profile", drop_none({
        **_base(a, location=False), "location": "global", "sku": sku, "tags": a.take("tags", {})}))]


def cdn_endpoint(a: Attrs) -> list[TfBlock]:
    name = a.take("name")
    https_only = a.take("https_only", True)
    endpoint = TfBlock("azurerm_cdn_frontdoor_endpoint", drop_none({
        "name": name, "id": a.take("id"), "host_name": a.take("host_name"), "tags": a.take("tags", {})}))
    route = TfBlock("azurerm_cdn_frontdoor_route", drop_none({
        "name": name, "https_redirect_enabled": https_only, "forwarding_protocol": "HttpsOnly",
        "supported_protocols": conv(https_only, lambda on: ["Https"] if on else ["Http", "Https"]),
        "cdn_frontdoor_origin_path": a.take("origin_path"),
        "cache": [{"query_string_caching_behavior": a.take("query_string_caching")}],
    }), {"cdn_frontdoor_endpoint_id": "azurerm_cdn_frontdoor_endpoint",
         "cdn_frontdoor_origin_group_id": "azurerm_cdn_frontdoor_origin_group"})
    probe = a.take("health_probe")
    group = TfBlock("azurerm_cdn_frontdoor_origin_group", drop_none({
        "name": conv(name, lambda n: f"{n}-origins"), "session_affinity_enabled": False,
        "load_balancing": conv(a.take("load_balancing", {"sample_size": 4, "successful_samples_required": 3,
                                                         "additional_latency_in_milliseconds": 50}),
                               lambda lb: [dict(lb)]),
        "health_probe": conv(probe, lambda hp: [drop_none(dict(hp))] if hp else None),
    }))
    blocks = [endpoint, group, route]
    for origin in _dicts(a.take("origins")):  # one block each, told apart by the origin's name
        blocks.append(TfBlock("azurerm_cdn_frontdoor_origin", drop_none({
            "name": origin.get("name"), "host_name": origin.get("host_name"),
            "origin_host_header": origin.get("origin_host_header") or origin.get("host_name"),
            "priority": origin.get("priority", 1), "weight": origin.get("weight", 1000),
            "enabled": origin.get("enabled", True), "certificate_name_check_enabled": True,
            "http_port": 80, "https_port": 443,
        }), {"cdn_frontdoor_origin_group_id": "azurerm_cdn_frontdoor_origin_group"}, suffix=str(origin.get("name"))))
    for domain in _dicts(a.take("custom_domains")):  # and by the domain's host name
        host = domain.get("host_name", "")
        blocks.append(TfBlock("azurerm_cdn_frontdoor_custom_domain", drop_none({
            "name": host.replace(".", "-"), "host_name": host,
            "tls": [{"certificate_type": domain.get("certificate_type", "ManagedCertificate"),
                     "minimum_tls_version": "TLS12"}],
        }), suffix=host))
    return blocks


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The mappings of a list attribute (none while it is only known after apply)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def ml_workspace(a: Attrs) -> list[TfBlock]:
    identity = a.take("identity", {"type": "SystemAssigned", "identity_ids": []})
    principal = a.take("identity_principal_id")
    return [TfBlock("azurerm_machine_learning_workspace", drop_none({
        **_base(a), "storage_account_id": a.take("storage_account"), "key_vault_id": a.take("key_vault"),
        "application_insights_id": a.take("application_insights"),
        "container_registry_id": a.take("container_registry"), "sku_name": a.take("sku"),
        "public_network_access_enabled": _enabled(a.take("public_network_access", "Enabled")),
        "identity": conv(identity, lambda i: [drop_none({**i, "principal_id": principal})]),
        "primary_user_assigned_identity": a.take("primary_user_assigned_identity"),
        "high_business_impact": a.take("high_business_impact", False),
        "description": a.take("description"), "friendly_name": a.take("friendly_name"),
        "tags": a.take("tags", {}),
    }))]


def key_vault(a: Attrs) -> list[TfBlock]:
    """Access policies become ``access_policy`` blocks, permissions in azurerm's spelling (``Get``,
    ``WrapKey``, ``DeleteSAS``); unmanaged ones (None) are left out, as an unset block is."""
    acls = a.take("network_acls")
    rbac = a.take("enable_rbac_authorization", False)  # azurerm 4.x plans carry both names
    words = {"wrapkey": "WrapKey", "unwrapkey": "UnwrapKey", "getrotationpolicy": "GetRotationPolicy",
             "setrotationpolicy": "SetRotationPolicy", "managecontacts": "ManageContacts",
             "getissuers": "GetIssuers", "listissuers": "ListIssuers", "setissuers": "SetIssuers",
             "deleteissuers": "DeleteIssuers", "manageissuers": "ManageIssuers", "regeneratekey": "RegenerateKey",
             "setsas": "SetSAS", "listsas": "ListSAS", "getsas": "GetSAS", "deletesas": "DeleteSAS"}

    def policy(p: dict[str, Any]) -> dict[str, Any]:
        out = {k: p.get(k) for k in ("tenant_id", "object_id", "application_id")}
        for name in ("key_permissions", "secret_permissions", "certificate_permissions", "storage_permissions"):
            out[name] = [words.get(str(v).lower(), str(v).capitalize()) for v in p.get(name) or []]
        return drop_none(out)

    return [TfBlock("azurerm_key_vault", drop_none({
        **_base(a), "tenant_id": a.take("tenant_id"), "sku_name": a.take("sku", "standard"),
        "soft_delete_retention_days": a.take("soft_delete_retention_days"),
        "purge_protection_enabled": a.take("purge_protection_enabled", False),
        "rbac_authorization_enabled": rbac, "enable_rbac_authorization": rbac,
        "network_acls": conv(acls, lambda n: [_network_rules(n)]),
        "access_policy": conv(a.take("access_policies"),
                              lambda ps: [policy(p) if isinstance(p, dict) else p for p in ps]),
        "vault_uri": a.take("vault_uri"), "tags": a.take("tags", {}),
    }))]


def log_analytics_workspace(a: Attrs) -> list[TfBlock]:
    return [TfBlock("azurerm_log_analytics_workspace", drop_none({
        **_base(a), "sku": a.take("sku"), "retention_in_days": a.take("retention_in_days"),
        "workspace_id": a.take("workspace_id"), "tags": a.take("tags", {}),
    }))]


def application_insights(a: Attrs) -> list[TfBlock]:
    return [TfBlock("azurerm_application_insights", drop_none({
        **_base(a), "application_type": a.take("application_type"), "workspace_id": a.take("workspace_id"),
        "app_id": a.take("app_id"), "instrumentation_key": a.take("instrumentation_key"),
        "connection_string": a.take("connection_string"), "tags": a.take("tags", {}),
    }))]


def container_registry(a: Attrs) -> list[TfBlock]:
    return [TfBlock("azurerm_container_registry", drop_none({
        **_base(a), "sku": a.take("sku"), "admin_enabled": a.take("admin_enabled", False),
        "public_network_access_enabled": _enabled(a.take("public_network_access", "Enabled")),
        "login_server": a.take("login_server"), "tags": a.take("tags", {}),
    }))]


def role_assignment(a: Attrs) -> list[TfBlock]:
    return [TfBlock("azurerm_role_assignment", drop_none({
        "scope": a.take("scope"), "role_definition_name": a.take("role_definition_name"),
        "role_definition_id": a.take("role_definition_id"), "principal_id": a.take("principal_id"),
        "principal_type": a.take("principal_type"), "id": a.take("id"), "name": a.take("name"),
    }))]


MAPPERS: dict[str, Mapper] = {
    "azure.resource_group": resource_group,
    "azure.storage_account": storage_account,
    "azure.blob_container": blob_container,
    "azure.blob": blob,
    "azure.managed_disk": managed_disk,
    "azure.disk_snapshot": disk_snapshot,
    "azure.servicebus_namespace": servicebus_namespace,
    "azure.servicebus_queue": servicebus_queue,
    "azure.cdn_profile": cdn_profile,
    "azure.cdn_endpoint": cdn_endpoint,
    "azure.ml_workspace": ml_workspace,
    "azure.key_vault": key_vault,
    "azure.log_analytics_workspace": log_analytics_workspace,
    "azure.application_insights": application_insights,
    "azure.container_registry": container_registry,
    "azure.role_assignment": role_assignment,
}

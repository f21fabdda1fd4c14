"""``--format terraform-json`` for the issue-16 properties of ``azure.servicebus_queue`` and the
Front Door settings of ``azure.cdn_profile`` / ``azure.cdn_endpoint``: azurerm 4.x attribute names."""

from __future__ import annotations

from modelinfra.plans.action import Action
from modelinfra.plans.plan import ResourceChange
from modelinfra.views.terraform_json import render
from tests.views.test_terraform_json import by_address, plan_of


def after(doc: dict, address: str) -> dict:
    return by_address(doc)[address]["change"]["after"]


def test_servicebus_queue_properties_use_azurerm_4_names():
    queue = {"name": "jobs", "namespace": "ns", "resource_group": "rg", "requires_session": True,
             "forward_to": "done", "forward_dead_lettered_messages_to": "dlq", "auto_delete_on_idle": "P1D",
             "enable_partitioning": True, "duplicate_detection_history_time_window": "PT30S",
             "enable_batched_operations": False, "enable_express": True}
    tf = after(render(plan_of(ResourceChange("q", "azure.servicebus_queue", Action.CREATE, None, queue))),
               "azurerm_servicebus_queue.q")
    assert {k: tf[k] for k in ("requires_session", "forward_to", "forward_dead_lettered_messages_to",
                               "auto_delete_on_idle", "partitioning_enabled",
                               "duplicate_detection_history_time_window", "batched_operations_enabled",
                               "express_enabled")} == {
        "requires_session": True, "forward_to": "done", "forward_dead_lettered_messages_to": "dlq",
        "auto_delete_on_idle": "P1D", "partitioning_enabled": True, "duplicate_detection_history_time_window": "PT30S",
        "batched_operations_enabled": False, "express_enabled": True}
    assert "enable_partitioning" not in tf
    assert set(tf["modelinfra"]["attributes"]) == {"namespace", "resource_group"}  # none of these is left over


def test_front_door_profile_response_timeout():
    profile = {"name": "fd", "resource_group": "rg", "sku": "Premium_AzureFrontDoor", "response_timeout_seconds": 120}
    tf = after(render(plan_of(ResourceChange("fd", "azure.cdn_profile", Action.CREATE, None, profile))),
               "azurerm_cdn_frontdoor_profile.fd")
    assert tf["response_timeout_seconds"] == 120 and tf["sku_name"] == "Premium_AzureFrontDoor"


def test_front_door_endpoint_maps_origin_group_origin_and_custom_domain():
    endpoint = {"name": "app", "profile": "fd", "resource_group": "rg",
                "origins": [{"name": "web", "host_name": "web.azurewebsites.net",
                             "origin_host_header": "web.azurewebsites.net", "priority": 2, "weight": 50,
                             "enabled": False}],
                "health_probe": {"path": "/health", "protocol": "Https", "interval_in_seconds": 30,
                                 "request_type": "GET"},
                "load_balancing": {"sample_size": 4, "successful_samples_required": 3,
                                   "additional_latency_in_milliseconds": 0},
                "custom_domains": [{"host_name": "www.contoso.com", "certificate_type": "ManagedCertificate"}]}
    doc = render(plan_of(ResourceChange("ep", "azure.cdn_endpoint", Action.CREATE, None, endpoint)))
    group = after(doc, "azurerm_cdn_frontdoor_origin_group.ep")
    assert group["name"] == "app-origins"
    assert group["health_probe"] == [{"path": "/health", "protocol": "Https", "interval_in_seconds": 30,
                                      "request_type": "GET"}]
    assert group["load_balancing"] == [{"sample_size": 4, "successful_samples_required": 3,
                                        "additional_latency_in_milliseconds": 0}]
    origin = after(doc, "azurerm_cdn_frontdoor_origin.ep_web")
    assert {k: origin[k] for k in ("name", "host_name", "origin_host_header", "priority", "weight", "enabled")} == {
        "name": "web", "host_name": "web.azurewebsites.net", "origin_host_header": "web.azurewebsites.net",
        "priority": 2, "weight": 50, "enabled": False}
    domain = after(doc, "azurerm_cdn_frontdoor_custom_domain.ep_www_contoso_com")
    assert domain["host_name"] == "www.contoso.com"
    assert domain["tls"] == [{"certificate_type": "ManagedCertificate", "minimum_tls_version": "TLS12"}]


def test_every_origin_and_custom_domain_is_a_block_and_a_removed_one_is_deleted():
    def endpoint(origins: list[str], domains: list[str]) -> dict:
        return {"name": "app", "profile": "fd", "resource_group": "rg",
                "origins": [{"name": o, "host_name": f"{o}.azurewebsites.net"} for o in origins],
                "custom_domains": [{"host_name": d} for d in domains]}
    doc = render(plan_of(ResourceChange("ep", "azure.cdn_endpoint", Action.UPDATE,
                                        endpoint(["web", "api"], ["a.contoso.com", "b.contoso.com"]),
                                        endpoint(["web", "api", "ml"], ["a.contoso.com"]))))
    changes = by_address(doc)
    actions = {addr: c["change"]["actions"] for addr, c in changes.items()
               if c["type"] in ("azurerm_cdn_frontdoor_origin", "azurerm_cdn_frontdoor_custom_domain")}
    assert actions == {
        "azurerm_cdn_frontdoor_origin.ep_web": ["no-op"], "azurerm_cdn_frontdoor_origin.ep_api": ["no-op"],
        "azurerm_cdn_frontdoor_origin.ep_ml": ["create"],
        "azurerm_cdn_frontdoor_custom_domain.ep_a_contoso_com": ["no-op"],
        "azurerm_cdn_frontdoor_custom_domain.ep_b_contoso_com": ["delete"]}
    assert changes["azurerm_cdn_frontdoor_origin.ep_ml"]["change"]["after"]["host_name"] == "ml.azurewebsites.net"
    config = {r["address"]: r for r in doc["configuration"]["root_module"]["resources"]}
    assert config["azurerm_cdn_frontdoor_origin.ep_ml"]["expressions"]["cdn_frontdoor_origin_group_id"][
        "references"] == ["azurerm_cdn_frontdoor_origin_group.ep.id", "azurerm_cdn_frontdoor_origin_group.ep"]

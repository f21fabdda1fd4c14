"""``Microsoft.Cdn`` through azure-mgmt-cdn 14: profiles, classic endpoints and the Front Door family
(AFD endpoints, origin groups, origins, routes) with async LROs, SKU rules and parent rules."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from modelinfra.sandbox.base import RunningService
from tests.conftest import SUBSCRIPTION_ID
from tests.sandbox.arm.conftest import ARM_AUTH, Clients

CDN_API = "2026-10-01"


@pytest.fixture
def cdn(clients: Clients, arm: RunningService) -> Any:
    from modelinfra.providers.azure.session import AzureSession
    from modelinfra.settings import Settings
    from modelinfra.spec.providers import AzureProviderConfig

    session = AzureSession(AzureProviderConfig(subscription_id=SUBSCRIPTION_ID),
                           Settings(max_attempts=3, retry_backoff_max=1.0))
    return session.mgmt("cdn")


def _profile(cdn: Any, rg: str, name: str, sku: str = "Standard_AzureFrontDoor") -> Any:
    return cdn.profiles.begin_create(rg, name, {"location": "global", "sku": {"name": sku}}).result()


def _afd_unit(cdn: Any, rg: str, profile: str = "fd") -> Any:
    _profile(cdn, rg, profile)
    cdn.afd_endpoints.begin_create(rg, profile, "ep", {"location": "global"}).result()
    group = cdn.afd_origin_groups.begin_create(rg, profile, "og", {"properties": {}}).result()
    cdn.afd_origins.begin_create(rg, profile, "og", "blob", {
        "properties": {"hostName": "acct.blob.core.windows.net"}}).result()
    return group


def test_profile_put_is_an_async_lro_in_progress_then_succeeded(clients: Clients, rg: str) -> None:
    path = f"/resourceGroups/{rg}/providers/Microsoft.Cdn/profiles/raw"
    initial = clients.raw("PUT", path, api_version=CDN_API,
                          json={"location": "global", "sku": {"name": "Premium_AzureFrontDoor"}})
    assert initial.status_code == 202
    assert {"Azure-AsyncOperation", "Location", "Retry-After"} <= set(initial.headers)
    first = requests.get(initial.headers["Azure-AsyncOperation"], headers=ARM_AUTH, timeout=10).json()
    second = requests.get(initial.headers["Azure-AsyncOperation"], headers=ARM_AUTH, timeout=10).json()
    assert (first["status"], second["status"]) == ("InProgress", "Succeeded")
    body = clients.raw("GET", path, api_version=CDN_API).json()
    assert (body["kind"], body["location"], body["properties"]["provisioningState"]) == (
        "frontdoor", "global", "Succeeded")
    assert body["properties"]["frontDoorId"]


def test_profile_round_trip_patch_list_and_delete(cdn: Any, rg: str) -> None:
    created = _profile(cdn, rg, "classic", "Standard_Microsoft")
    assert (created.sku.name, created.kind, created.properties.resource_state) == (
        "Standard_Microsoft", "cdn", "Active")
    patched = cdn.profiles.begin_update(rg, "classic", {"tags": {"team": "ml"}}).result()
    assert patched.tags == {"team": "ml"}
    assert [p.name for p in cdn.profiles.list_by_resource_group(rg)] == ["classic"]
    cdn.profiles.begin_delete(rg, "classic").result()
    with pytest.raises(ResourceNotFoundError) as caught:
        cdn.profiles.get(rg, "classic")
    assert caught.value.error.code == "ResourceNotFound"
    cdn.profiles.begin_delete(rg, "classic").result()  # missing: 204, still success


def test_profile_sku_is_validated_and_immutable(cdn: Any, rg: str) -> None:
    with pytest.raises(HttpResponseError) as bad:
        _profile(cdn, rg, "verizon", "Standard_Verizon")
    assert (bad.value.status_code, bad.value.error.code) == (400, "BadRequest")
    _profile(cdn, rg, "fixed")
    with pytest.raises(HttpResponseError) as changed:
        _profile(cdn, rg, "fixed", "Premium_AzureFrontDoor")
    assert changed.value.status_code == 400 and "cannot be changed" in changed.value.error.message


def test_profile_needs_a_location_and_an_existing_group(cdn: Any, rg: str) -> None:
    with pytest.raises(HttpResponseError) as missing_location:
        cdn.profiles.begin_create(rg, "noloc", {"sku": {"name": "Standard_AzureFrontDoor"}}).result()
    assert missing_location.value.error.code == "LocationRequired"
    with pytest.raises(ResourceNotFoundError) as no_group:
        _profile(cdn, rg + "-missing", "p")
    assert no_group.value.error.code == "ResourceGroupNotFound"


def test_classic_endpoint_host_name_origins_and_global_names(cdn: Any, rg: str, unique_name: str) -> None:
    _profile(cdn, rg, "classic", "Standard_Microsoft")
    name = f"ep-{unique_name}"
    body = {"location": "global", "properties": {
        "origins": [{"name": "blob", "properties": {"hostName": "acct.blob.core.windows.net"}}],
        "isHttpAllowed": False, "queryStringCachingBehavior": "IgnoreQueryString", "originPath": "/models"}}
    endpoint = cdn.endpoints.begin_create(rg, "classic", name, body).result()
    assert endpoint.properties.host_name == f"{name}.azureedge.net"
    assert (endpoint.properties.is_http_allowed, endpoint.properties.resource_state) == (False, "Running")
    assert endpoint.properties.origins[0].properties.https_port == 443
    _profile(cdn, rg, "classic2", "Standard_Microsoft")
    with pytest.raises(HttpResponseError) as taken:
        cdn.endpoints.begin_create(rg, "classic2", name, body).result()
    assert taken.value.status_code == 409
    with pytest.raises(HttpResponseError) as no_origin:
        cdn.endpoints.begin_create(rg, "classic", "empty", {"location": "global", "properties": {}}).result()
    assert no_origin.value.status_code == 400


def test_endpoint_kinds_must_match_the_profile_family(cdn: Any, rg: str) -> None:
    _profile(cdn, rg, "fd")
    _profile(cdn, rg, "classic", "Standard_Microsoft")
    with pytest.raises(HttpResponseError) as classic_on_afd:
        cdn.endpoints.begin_create(rg, "fd", "ep", {"location": "global", "properties": {
            "origins": [{"name": "o", "properties": {"hostName": "h.example.com"}}]}}).result()
    assert (classic_on_afd.value.status_code, classic_on_afd.value.error.code) == (400, "BadRequest")
    with pytest.raises(HttpResponseError) as afd_on_classic:
        cdn.afd_endpoints.begin_create(rg, "classic", "ep", {"location": "global"}).result()
    assert afd_on_classic.value.status_code == 400


def test_afd_unit_shapes_host_names_and_deployment_status(cdn: Any, rg: str) -> None:
    group = _afd_unit(cdn, rg)
    endpoint = cdn.afd_endpoints.get(rg, "fd", "ep")
    host = endpoint.properties.host_name
    assert host.startswith("ep-") and host.endswith(".z01.azurefd.net") and len(host.split(".")[0]) == 3 + 16
    assert cdn.afd_endpoints.begin_create(rg, "fd", "ep", {"location": "global"}).result().properties.host_name == host
    origin = cdn.afd_origins.get(rg, "fd", "og", "blob")
    assert (origin.properties.origin_host_header, origin.properties.origin_group_name) == (
        "acct.blob.core.windows.net", "og")
    route = cdn.routes.begin_create(rg, "fd", "ep", "r", {"properties": {
        "originGroup": {"id": group.id}, "originPath": "/models", "forwardingProtocol": "HttpsOnly",
        "httpsRedirect": "Enabled", "linkToDefaultDomain": "Enabled"}}).result()
    props = route.properties
    assert (props.provisioning_state, props.deployment_status) == ("Succeeded", "NotStarted")
    assert (list(props.supported_protocols), list(props.patterns_to_match)) == (["Http", "Https"], ["/*"])
    assert [r.name for r in cdn.routes.list_by_endpoint(rg, "fd", "ep")] == ["r"]
    assert [o.name for o in cdn.afd_origins.list_by_origin_group(rg, "fd", "og")] == ["blob"]


def test_route_rules(cdn: Any, rg: str) -> None:
    group = _afd_unit(cdn, rg)
    missing_group = group.id.rsplit("/", 1)[0] + "/nosuchgroup"
    cases = [
        {"originGroup": {"id": missing_group}},
        {"originGroup": {"id": group.id}, "httpsRedirect": "Enabled", "supportedProtocols": ["Https"]},
        {"originGroup": {"id": group.id}, "originPath": "models"},
        {"originGroup": {"id": group.id}, "forwardingProtocol": "Sometimes"},
        {},
    ]
    for properties in cases:
        with pytest.raises(HttpResponseError) as caught:
            cdn.routes.begin_create(rg, "fd", "ep", "r", {"properties": properties}).result()
        assert caught.value.status_code == 400, properties


def test_afd_children_need_their_parents(cdn: Any, rg: str) -> None:
    _profile(cdn, rg, "fd")
    with pytest.raises(ResourceNotFoundError) as no_group:
        cdn.afd_origins.begin_create(rg, "fd", "nogroup", "o", {"properties": {"hostName": "h"}}).result()
    assert no_group.value.error.code == "ParentResourceNotFound"
    with pytest.raises(ResourceNotFoundError) as no_endpoint:
        cdn.routes.begin_create(rg, "fd", "noep", "r", {"properties": {}}).result()
    assert no_endpoint.value.error.code == "ParentResourceNotFound"
    with pytest.raises(ResourceNotFoundError) as no_profile:
        cdn.afd_endpoints.begin_create(rg, "noprofile", "ep", {"location": "global"}).result()
    assert no_profile.value.error.code == "ParentResourceNotFound"
    with pytest.raises(ResourceNotFoundError) as missing:
        cdn.afd_origin_groups.get(rg, "fd", "og")
    assert missing.value.error.code == "ResourceNotFound"


def test_afd_deletes_are_lros_and_the_profile_takes_its_children(clients: Clients, cdn: Any, rg: str) -> None:
    _afd_unit(cdn, rg)
    path = f"/resourceGroups/{rg}/providers/Microsoft.Cdn/profiles/fd/originGroups/og/origins/blob"
    deleted = clients.raw("DELETE", path, api_version=CDN_API)
    assert deleted.status_code == 202 and "Azure-AsyncOperation" in deleted.headers
    requests.get(deleted.headers["Azure-AsyncOperation"], headers=ARM_AUTH, timeout=10)
    requests.get(deleted.headers["Azure-AsyncOperation"], headers=ARM_AUTH, timeout=10)
    assert clients.raw("DELETE", path, api_version=CDN_API).status_code == 204
    cdn.profiles.begin_delete(rg, "fd").result()
    with pytest.raises(ResourceNotFoundError):
        cdn.afd_endpoints.get(rg, "fd", "ep")


# -- issue 16: custom domains, probe / load-balancing / origin rules, origin response timeout -------------------
def _domain(cdn: Any, rg: str, profile: str, name: str, host: str, **tls: Any) -> Any:
    return cdn.afd_custom_domains.begin_create(rg, profile, name, {"properties": {
        "hostName": host, "tlsSettings": {"certificateType": "ManagedCertificate", **tls}}}).result()


def test_custom_domain_put_is_an_lro_with_computed_validation_fields(clients: Clients, cdn: Any, rg: str) -> None:
    _profile(cdn, rg, "fdcd")
    poller = cdn.afd_custom_domains.begin_create(rg, "fdcd", "www", {"properties": {
        "hostName": "www.contoso.com", "tlsSettings": {"certificateType": "ManagedCertificate"}}})
    assert not poller.done()
    body = poller.result().as_dict()
    assert body["type"] == "Microsoft.Cdn/profiles/customdomains"
    props = body["properties"]
    assert (props["profileName"], props["hostName"], props["domainValidationState"]) == (
        "fdcd", "www.contoso.com", "Pending")
    assert props["tlsSettings"]["minimumTlsVersion"] == "TLS12" and props["validationProperties"]["validationToken"]
    again = _domain(cdn, rg, "fdcd", "www", "www.contoso.com").as_dict()["properties"]
    assert again["validationProperties"] == props["validationProperties"]  # stable across PUTs
    assert [d.name for d in cdn.afd_custom_domains.list_by_profile(rg, "fdcd")] == ["www"]
    cdn.afd_custom_domains.begin_delete(rg, "fdcd", "www").result()
    with pytest.raises(ResourceNotFoundError):
        cdn.afd_custom_domains.get(rg, "fdcd", "www")
    path = f"/resourceGroups/{rg}/providers/Microsoft.Cdn/profiles/fdcd/customDomains/www"
    assert clients.raw("DELETE", path, api_version=CDN_API).status_code == 204  # missing: success


@pytest.mark.parametrize("properties", [
    {"hostName": "not a host"},
    {"hostName": "localhost"},
    {"hostName": "www.contoso.com", "tlsSettings": {"certificateType": "Mine"}},
    {"hostName": "www.contoso.com", "tlsSettings": {"certificateType": "CustomerCertificate"}},
])
def test_custom_domain_rejects_invalid_bodies(cdn: Any, rg: str, properties: dict[str, Any]) -> None:
    _profile(cdn, rg, "fdbad")
    with pytest.raises(HttpResponseError) as err:
        cdn.afd_custom_domains.begin_create(rg, "fdbad", "d", {"properties": properties}).result()
    assert err.value.status_code == 400 and err.value.error.code == "BadRequest"


def test_custom_domain_host_is_unique_in_the_profile_and_fixed(cdn: Any, rg: str) -> None:
    _profile(cdn, rg, "fduniq")
    _domain(cdn, rg, "fduniq", "one", "www.contoso.com")
    with pytest.raises(HttpResponseError) as err:
        _domain(cdn, rg, "fduniq", "two", "WWW.contoso.com")
    assert err.value.status_code == 409
    with pytest.raises(HttpResponseError) as err:
        _domain(cdn, rg, "fduniq", "one", "api.contoso.com")
    assert err.value.status_code == 400
    _profile(cdn, rg, "classic-cd", sku="Standard_Microsoft")
    with pytest.raises(HttpResponseError) as err:
        _domain(cdn, rg, "classic-cd", "d", "www.contoso.com")
    assert err.value.status_code == 400


def test_route_custom_domains_must_exist_in_the_profile(cdn: Any, rg: str) -> None:
    group = _afd_unit(cdn, rg, "fdroute")
    base = {"originGroup": {"id": group.id}}
    missing = group.id.rsplit("/originGroups/", 1)[0] + "/customDomains/nope"
    with pytest.raises(HttpResponseError) as err:
        cdn.routes.begin_create(rg, "fdroute", "ep", "r", {"properties": {
            **base, "customDomains": [{"id": missing}]}}).result()
    assert err.value.status_code == 400 and "nope" in err.value.error.message
    domain = _domain(cdn, rg, "fdroute", "www", "www.contoso.com")
    route = cdn.routes.begin_create(rg, "fdroute", "ep", "r", {"properties": {
        **base, "customDomains": [{"id": domain.id}]}}).result()
    assert [d["id"] for d in route.as_dict()["properties"]["customDomains"]] == [domain.id]


@pytest.mark.parametrize("properties", [
    {"healthProbeSettings": {"probeIntervalInSeconds": 256}},
    {"healthProbeSettings": {"probeIntervalInSeconds": 0}},
    {"healthProbeSettings": {"probeProtocol": "Ftp"}},
    {"healthProbeSettings": {"probeRequestType": "POST"}},
    {"healthProbeSettings": {"probePath": "health"}},
    {"loadBalancingSettings": {"sampleSize": -1}},
])
def test_origin_group_rejects_invalid_probe_and_load_balancing(cdn: Any, rg: str, properties: dict[str, Any]) -> None:
    _profile(cdn, rg, "fdog")
    with pytest.raises(HttpResponseError) as err:
        cdn.afd_origin_groups.begin_create(rg, "fdog", "og", {"properties": properties}).result()
    assert err.value.status_code == 400


@pytest.mark.parametrize("properties", [{"priority": 0}, {"priority": 6}, {"weight": 0}, {"weight": 1001}])
def test_origin_priority_and_weight_ranges(cdn: Any, rg: str, properties: dict[str, Any]) -> None:
    _afd_unit(cdn, rg, "fdorigin")
    with pytest.raises(HttpResponseError) as err:
        cdn.afd_origins.begin_create(rg, "fdorigin", "og", "o2", {"properties": {
            "hostName": "app.azurewebsites.net", **properties}}).result()
    assert err.value.status_code == 400


def test_origin_response_timeout_defaults_bounds_and_patch(cdn: Any, rg: str) -> None:
    created = _profile(cdn, rg, "fdtimeout")
    assert created.as_dict()["properties"]["originResponseTimeoutSeconds"] == 30
    for bad in (15, 241):
        with pytest.raises(HttpResponseError) as err:
            cdn.profiles.begin_create(rg, "fdtimeout", {"location": "global", "sku": {"name": "Standard_AzureFrontDoor"},
                                                        "properties": {"originResponseTimeoutSeconds": bad}}).result()
        assert err.value.status_code == 400
    patched = cdn.profiles.begin_update(rg, "fdtimeout", {"properties": {"originResponseTimeoutSeconds": 120}}).result()
    assert patched.as_dict()["properties"]["originResponseTimeoutSeconds"] == 120

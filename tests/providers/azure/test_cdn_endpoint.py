"""``azure.cdn_endpoint`` against the ARM emulator (+ Azurite): conformance on classic and Front Door
profiles, the origin taken from the storage account, the AFD unit's shape and deletion, drift."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest
from pydantic import ValidationError

from modelinfra.errors import TerminalError
from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from tests.providers.conformance import check_lifecycle

HANDLER = handler_for("azure.cdn_endpoint")
PROFILES = handler_for("azure.cdn_profile")
Spec = HANDLER.spec_model


def _profile(ctx: ResourceContext, resource_group: str, name: str, sku: str) -> str:
    PROFILES.create(ctx, PROFILES.spec_model(name=name, resource_group=resource_group, sku=sku))
    return name


@pytest.fixture
def afd_profile(azure_ctx: ResourceContext, resource_group: str, unique_name: str) -> str:
    return _profile(azure_ctx, resource_group, f"fd-{unique_name}", "Standard_AzureFrontDoor")


@pytest.fixture
def classic_profile(azure_ctx: ResourceContext, resource_group: str, unique_name: str) -> str:
    return _profile(azure_ctx, resource_group, f"cl-{unique_name}", "Standard_Microsoft")


def _base(storage_account: dict[str, Any], profile: str, name: str) -> dict[str, Any]:
    return {"name": name, "profile": profile, "resource_group": storage_account["resource_group"],
            "origin_storage_account": storage_account["id"]}


def test_front_door_lifecycle(azure_ctx: ResourceContext, storage_account: dict, afd_profile: str,
                              unique_name: str) -> None:
    base = _base(storage_account, afd_profile, f"models-{unique_name}")
    observed = check_lifecycle(
        HANDLER, azure_ctx, Spec(**base, origin_path="/models", tags={"team": "ml"}),
        Spec(**base, origin_path="/models-v2", https_only=False, query_string_caching="UseQueryString",
             tags={"team": "ml", "stage": "prod"}))
    blob = urlparse(storage_account["primary_blob_endpoint"])
    assert observed["origin_host"] == blob.netloc
    assert observed["host_name"].startswith(f"models-{unique_name}-")
    assert observed["host_name"].endswith(".z01.azurefd.net")
    assert observed["url"] == f"https://{observed['host_name']}/"
    assert observed["id"].endswith(f"/profiles/{afd_profile}/afdEndpoints/models-{unique_name}")
    assert (observed["origin_path"], observed["https_only"], observed["query_string_caching"]) == (
        "/models-v2", False, "UseQueryString")


def test_classic_lifecycle(azure_ctx: ResourceContext, storage_account: dict, classic_profile: str,
                           unique_name: str) -> None:
    base = _base(storage_account, classic_profile, f"cl-{unique_name}")
    observed = check_lifecycle(
        HANDLER, azure_ctx, Spec(**base, origin_path="/models"),
        Spec(**base, origin_path="/models", https_only=False, query_string_caching="BypassCaching",
             tags={"team": "ml"}))
    assert observed["host_name"] == f"cl-{unique_name}.azureedge.net"
    assert observed["id"] == HANDLER.identify(azure_ctx, Spec(**base))
    assert observed["tags"] == {"team": "ml"}  # the hidden origin tag never shows


def test_front_door_unit_points_at_the_storage_account(azure_ctx: ResourceContext, storage_account: dict,
                                                       afd_profile: str, unique_name: str) -> None:
    name = f"unit-{unique_name}"
    rg = storage_account["resource_group"]
    HANDLER.create(azure_ctx, Spec(**_base(storage_account, afd_profile, name), origin_path="/models"))
    cdn = azure_ctx.session.mgmt("cdn")
    blob = urlparse(storage_account["primary_blob_endpoint"])

    origin = cdn.afd_origins.get(rg, afd_profile, f"{name}-origins", f"{name}-blob")
    assert (origin.properties.host_name, origin.properties.origin_host_header) == (blob.hostname, blob.hostname)
    assert origin.properties.http_port == blob.port
    assert origin.properties.azure_origin.id == storage_account["id"]
    route = cdn.routes.get(rg, afd_profile, name, f"{name}-route")
    assert route.properties.origin_group.id.endswith(f"/originGroups/{name}-origins")
    assert route.properties.origin_path == blob.path.rstrip("/") + "/models"  # path-style (Azurite) prefix kept
    assert (route.properties.forwarding_protocol, route.properties.https_redirect) == ("HttpsOnly", "Enabled")
    assert list(route.properties.patterns_to_match) == ["/*"]


def test_delete_removes_route_origin_group_and_endpoint(azure_ctx: ResourceContext, storage_account: dict,
                                                        afd_profile: str, unique_name: str) -> None:
    name = f"del-{unique_name}"
    rg = storage_account["resource_group"]
    created = HANDLER.create(azure_ctx, Spec(**_base(storage_account, afd_profile, name)))
    HANDLER.delete(azure_ctx, HANDLER.identify(azure_ctx, Spec(**_base(storage_account, afd_profile, name))),
                   created)
    cdn = azure_ctx.session.mgmt("cdn")
    assert list(cdn.afd_endpoints.list_by_profile(rg, afd_profile)) == []
    assert list(cdn.afd_origin_groups.list_by_profile(rg, afd_profile)) == []


def test_read_accepts_the_concrete_afd_endpoint_id(azure_ctx: ResourceContext, storage_account: dict,
                                                   afd_profile: str, unique_name: str) -> None:
    created = HANDLER.create(azure_ctx, Spec(**_base(storage_account, afd_profile, f"imp-{unique_name}")))
    imported = HANDLER.import_(azure_ctx, created["id"])
    assert imported is not None and imported["origin_storage_account"] == created["origin_storage_account"]


def test_origin_host_edited_out_of_band_reads_as_not_pointing_at_the_account(
        azure_ctx: ResourceContext, storage_account: dict, afd_profile: str, unique_name: str) -> None:
    name = f"oob-{unique_name}"
    rg = storage_account["resource_group"]
    spec = Spec(**_base(storage_account, afd_profile, name), origin_path="/models")
    created = HANDLER.create(azure_ctx, spec)
    azure_ctx.session.mgmt("cdn").afd_origins.begin_update(
        rg, afd_profile, f"{name}-origins", f"{name}-blob",
        {"properties": {"hostName": "attacker.example.com"}}).result()
    observed = HANDLER.read(azure_ctx, created["id"])
    changes = diff_attributes(HANDLER.desired(azure_ctx, spec), observed, force_new=HANDLER.force_new)
    assert [(c.path, c.forces_replacement) for c in changes] == [("origin_storage_account", False)]
    assert observed["origin_host"] == "attacker.example.com"
    HANDLER.update(azure_ctx, spec, observed, changes)  # converges back onto the account
    assert not diff_attributes(HANDLER.desired(azure_ctx, spec), HANDLER.read(azure_ctx, created["id"]))


def test_missing_profile_reads_as_none_and_create_fails_terminally(azure_ctx: ResourceContext,
                                                                   storage_account: dict) -> None:
    spec = Spec(**_base(storage_account, "nosuchprofile", "ep"))
    assert HANDLER.read(azure_ctx, HANDLER.identify(azure_ctx, spec)) is None
    HANDLER.delete(azure_ctx, HANDLER.identify(azure_ctx, spec), {})
    with pytest.raises(TerminalError, match="nosuchprofile"):
        HANDLER.create(azure_ctx, spec)


def test_missing_origin_account_fails_terminally(azure_ctx: ResourceContext, storage_account: dict,
                                                 afd_profile: str) -> None:
    ghost = storage_account["id"].rsplit("/", 1)[0] + "/nosuchaccount1"
    spec = Spec(**{**_base(storage_account, afd_profile, "ghost"), "origin_storage_account": ghost})
    with pytest.raises(TerminalError, match="does not exist"):
        HANDLER.create(azure_ctx, spec)


@pytest.mark.parametrize("origin", [
    "models.blob.core.windows.net",  # a free-form host: the seed's bug is not expressible
    "https://models.blob.core.windows.net/",
    "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/disks/d",
    "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a/blobServices/default",
])
def test_origin_must_be_a_storage_account_id(origin: str) -> None:
    with pytest.raises(ValidationError, match="origin_storage_account"):
        Spec(name="ep", profile="p", resource_group="g", origin_storage_account=origin)


@pytest.mark.parametrize("bad", [{"origin_path": "models"}, {"origin_path": "/models/"}, {"origin_host": "x"},
                                 {"query_string_caching": "Sometimes"}, {"name": "a" * 47}])
def test_invalid_specs_are_rejected(bad: dict) -> None:
    base = {"name": "ep", "profile": "p", "resource_group": "g",
            "origin_storage_account": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a"}
    with pytest.raises(ValidationError):
        Spec(**{**base, **bad})


# -- issue 16: origins by host, health probe, load balancing, custom domains ------------------------------
def _hosted(afd_profile: str, resource_group: str, name: str, **props: Any) -> Any:
    origins = props.pop("origins", [{"name": "app", "host_name": "core-app.azurewebsites.net"}])
    return Spec(name=name, profile=afd_profile, resource_group=resource_group, origins=origins, **props)


def test_front_door_origins_by_host_lifecycle_with_in_place_update(azure_ctx: ResourceContext, resource_group: str,
                                                                   afd_profile: str, unique_name: str) -> None:
    name = f"app-{unique_name}"
    observed = check_lifecycle(
        HANDLER, azure_ctx,
        _hosted(afd_profile, resource_group, name,
                origins=[{"name": "app", "host_name": "Core-App.azurewebsites.net", "priority": 1, "weight": 1000}],
                health_probe={"path": "/health", "protocol": "Https", "interval_in_seconds": 30,
                              "request_type": "GET"},
                load_balancing={"sample_size": 4, "successful_samples_required": 3},
                custom_domains=[{"host_name": "models.contoso.com"}]),
        _hosted(afd_profile, resource_group, name,
                origins=[{"name": "standby", "host_name": "dr-app.azurewebsites.net", "priority": 2, "weight": 10,
                          "enabled": False, "origin_host_header": "core-app.azurewebsites.net"},
                         {"name": "app", "host_name": "core-app.azurewebsites.net"}],
                health_probe={"path": "/ready", "interval_in_seconds": 60},
                load_balancing={"sample_size": 5, "successful_samples_required": 2,
                                "additional_latency_in_milliseconds": 100},
                custom_domains=[{"host_name": "api.contoso.com"}]))
    assert [o["name"] for o in observed["origins"]] == ["app", "standby"]  # canonical order
    assert observed["origins"][1] == {"name": "standby", "host_name": "dr-app.azurewebsites.net",
                                      "origin_host_header": "core-app.azurewebsites.net", "priority": 2,
                                      "weight": 10, "enabled": False}
    assert observed["health_probe"] == {"path": "/ready", "protocol": "Http", "interval_in_seconds": 60,
                                        "request_type": "HEAD"}
    assert observed["load_balancing"]["additional_latency_in_milliseconds"] == 100
    assert observed["custom_domains"] == [{"host_name": "api.contoso.com", "certificate_type": "ManagedCertificate"}]
    assert observed["origin_storage_account"] is None


def test_front_door_unit_with_origins_on_the_wire_and_stale_parts_removed(
        azure_ctx: ResourceContext, resource_group: str, afd_profile: str, unique_name: str) -> None:
    name = f"wire-{unique_name}"
    cdn = azure_ctx.session.mgmt("cdn")
    spec = _hosted(afd_profile, resource_group, name,
                   origins=[{"name": "a", "host_name": "a.azurewebsites.net"},
                            {"name": "b", "host_name": "b.azurewebsites.net", "weight": 5}],
                   health_probe={"path": "/health", "protocol": "Https"},
                   custom_domains=[{"host_name": "www.contoso.com"}, {"host_name": "cdn.contoso.com"}])
    created = HANDLER.create(azure_ctx, spec)
    group = cdn.afd_origin_groups.get(resource_group, afd_profile, f"{name}-origins").as_dict()["properties"]
    assert group["healthProbeSettings"] == {"probePath": "/health", "probeProtocol": "Https",
                                            "probeIntervalInSeconds": 100, "probeRequestType": "HEAD"}
    origins = {o.name: o for o in cdn.afd_origins.list_by_origin_group(resource_group, afd_profile, f"{name}-origins")}
    assert set(origins) == {"a", "b"} and origins["b"].properties.weight == 5
    route = cdn.routes.get(resource_group, afd_profile, name, f"{name}-route").as_dict()["properties"]
    assert len(route["customDomains"]) == 2
    assert diff_attributes(HANDLER.desired(azure_ctx, spec), HANDLER.read(azure_ctx, created["id"])) == []

    smaller = _hosted(afd_profile, resource_group, name, origins=[{"name": "b", "host_name": "b.azurewebsites.net"}])
    observed = HANDLER.update(azure_ctx, smaller, created, [])
    assert [o["name"] for o in observed["origins"]] == ["b"]
    assert observed["custom_domains"] == [] and observed["health_probe"] is False
    assert [d.name for d in cdn.afd_custom_domains.list_by_profile(resource_group, afd_profile)] == []
    HANDLER.delete(azure_ctx, created["id"], observed)
    assert list(cdn.afd_origin_groups.list_by_profile(resource_group, afd_profile)) == []


def test_origin_edited_out_of_band_shows_as_drift(azure_ctx: ResourceContext, resource_group: str, afd_profile: str,
                                                  unique_name: str) -> None:
    name = f"drift-{unique_name}"
    spec = _hosted(afd_profile, resource_group, name)
    created = HANDLER.create(azure_ctx, spec)
    azure_ctx.session.mgmt("cdn").afd_origins.begin_update(
        resource_group, afd_profile, f"{name}-origins", "app", {"properties": {"weight": 7}}).result()
    changes = diff_attributes(HANDLER.desired(azure_ctx, spec), HANDLER.read(azure_ctx, created["id"]),
                              force_new=HANDLER.force_new)
    assert [(c.path, c.before, c.after, c.forces_replacement) for c in changes] == [
        ("origins[0].weight", 7, 1000, False)]


def test_classic_profile_refuses_front_door_settings(azure_ctx: ResourceContext, resource_group: str,
                                                     classic_profile: str, unique_name: str) -> None:
    with pytest.raises(TerminalError, match="Front Door profile"):
        HANDLER.create(azure_ctx, _hosted(classic_profile, resource_group, f"cl-{unique_name}"))


@pytest.mark.parametrize("bad", [
    {},  # neither form
    {"origin_storage_account": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a",
     "origins": [{"name": "a", "host_name": "a.example.com"}]},  # both
    {"origins": []},
    {"origins": [{"name": "a", "host_name": "https://a.example.com/"}]},
    {"origins": [{"name": "a", "host_name": "a.example.com", "priority": 6}]},
    {"origins": [{"name": "a", "host_name": "a.example.com", "weight": 0}]},
    {"origins": [{"name": "a", "host_name": "a.example.com"}, {"name": "A", "host_name": "b.example.com"}]},
    {"origins": [{"name": "a", "host_name": "a.example.com"}], "health_probe": {"interval_in_seconds": 300}},
    {"origins": [{"name": "a", "host_name": "a.example.com"}], "health_probe": {"protocol": "Ftp"}},
    {"origins": [{"name": "a", "host_name": "a.example.com"}], "load_balancing": {"sample_size": 256}},
    {"origins": [{"name": "a", "host_name": "a.example.com"}], "custom_domains": [{"host_name": "localhost"}]},
    {"origins": [{"name": "a", "host_name": "a.example.com"}],
     "custom_domains": [{"host_name": "x.contoso.com", "certificate_type": "CustomerCertificate"}]},
    {"origins": [{"name": "a", "host_name": "a.example.com", "port": 8080}]},
])
def test_invalid_front_door_settings_are_rejected(bad: dict) -> None:
    with pytest.raises(ValidationError):
        Spec(name="ep", profile="p", resource_group="g", **bad)


def test_dropping_the_health_probe_from_the_spec_plans_its_removal(azure_ctx: ResourceContext, resource_group: str,
                                                                   afd_profile: str, unique_name: str) -> None:
    name = f"probe-{unique_name}"
    created = HANDLER.create(azure_ctx, _hosted(afd_profile, resource_group, name, health_probe={"path": "/h"}))
    without = _hosted(afd_profile, resource_group, name)
    changes = diff_attributes(HANDLER.desired(azure_ctx, without), created, force_new=HANDLER.force_new)
    assert [(c.path, c.after, c.forces_replacement) for c in changes] == [("health_probe", False, False)]
    observed = HANDLER.update(azure_ctx, without, created, changes)
    group = azure_ctx.session.mgmt("cdn").afd_origin_groups.get(resource_group, afd_profile, f"{name}-origins")
    assert "healthProbeSettings" not in (group.as_dict().get("properties") or {})
    assert diff_attributes(HANDLER.desired(azure_ctx, without), observed) == []

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

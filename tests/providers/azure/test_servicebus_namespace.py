"""``azure.servicebus_namespace`` against the ARM emulator, through azure-mgmt-servicebus."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from tests.providers.conformance import check_lifecycle

HANDLER = handler_for("azure.servicebus_namespace")
Spec = HANDLER.spec_model


def test_lifecycle_with_in_place_sku_tls_auth_and_tag_update(azure_ctx: ResourceContext, resource_group: str,
                                                             unique_name: str) -> None:
    base = {"name": f"sbns-{unique_name}", "resource_group": resource_group, "location": "West US"}
    observed = check_lifecycle(
        HANDLER, azure_ctx, Spec(**base, sku="Basic", tags={"team": "ml"}),
        Spec(**base, sku="Standard", min_tls_version="1.1", local_auth_enabled=False, tags={"team": "ops"}),
    )
    assert (observed["sku"], observed["min_tls_version"], observed["local_auth_enabled"]) == ("Standard", "1.1", False)
    assert observed["endpoint"] == f"https://sbns-{unique_name}.servicebus.windows.net:443/"


def test_secure_defaults_and_managed_tags_reach_the_service(azure_ctx: ResourceContext, resource_group: str,
                                                            unique_name: str) -> None:
    spec = Spec(name=f"sbns-{unique_name}", resource_group=resource_group, location="westus")
    HANDLER.create(azure_ctx, spec)
    body = azure_ctx.session.mgmt("servicebus").namespaces.get(resource_group, spec.name).as_dict()
    assert body["properties"]["minimumTlsVersion"] == "1.2" and body["properties"]["disableLocalAuth"] is False
    assert body["sku"]["name"] == "Standard"
    assert body["tags"] == {"modelinfra-stack": "teststack", "modelinfra-address": "res"}


def test_connection_string_only_through_read_sensitive(azure_ctx: ResourceContext, resource_group: str,
                                                       unique_name: str) -> None:
    spec = Spec(name=f"sbns-{unique_name}", resource_group=resource_group, location="westus")
    created = HANDLER.create(azure_ctx, spec)
    keys = azure_ctx.session.mgmt("servicebus").namespaces.list_keys(
        resource_group, spec.name, "RootManageSharedAccessKey").as_dict()
    for attributes in (created, HANDLER.read(azure_ctx, created["id"])):
        assert "primary_connection_string" not in attributes
        assert keys["primaryKey"] not in json.dumps(attributes)
    secret = HANDLER.read_sensitive(azure_ctx, created["id"])
    assert secret == {"primary_connection_string": keys["primaryConnectionString"]}
    assert keys["primaryKey"] in secret["primary_connection_string"]


def test_out_of_band_edit_shows_in_the_diff(azure_ctx: ResourceContext, resource_group: str, unique_name: str) -> None:
    spec = Spec(name=f"sbns-{unique_name}", resource_group=resource_group, location="westus")
    created = HANDLER.create(azure_ctx, spec)
    azure_ctx.session.mgmt("servicebus").namespaces.update(
        resource_group, spec.name, {"properties": {"minimumTlsVersion": "1.0"}})
    changes = diff_attributes(HANDLER.desired(azure_ctx, spec), HANDLER.read(azure_ctx, created["id"]),
                              force_new=HANDLER.force_new)
    assert [(c.path, c.before, c.after, c.forces_replacement) for c in changes] == [
        ("min_tls_version", "1.0", "1.2", False)]


def test_location_change_forces_replacement(azure_ctx: ResourceContext, resource_group: str, unique_name: str) -> None:
    created = HANDLER.create(azure_ctx, Spec(name=f"sbns-{unique_name}", resource_group=resource_group,
                                             location="westus"))
    moved = Spec(name=f"sbns-{unique_name}", resource_group=resource_group, location="eastus", sku="Premium")
    changes = diff_attributes(HANDLER.desired(azure_ctx, moved), created, force_new=HANDLER.force_new)
    assert {(c.path, c.forces_replacement) for c in changes} == {("location", True), ("sku", False)}


@pytest.mark.parametrize("name", ["short", "1starts-with-digit", "ends-with-", "has_underscore1", "reserved-sb",
                                  "x" * 51])
def test_invalid_names_are_rejected_at_validate(name: str) -> None:
    with pytest.raises(ValidationError):
        Spec(name=name, resource_group="rg", location="westus")


def test_only_documented_skus_and_tls_versions() -> None:
    with pytest.raises(ValidationError):
        Spec(name="namespace1", resource_group="rg", location="westus", sku="Gold")
    with pytest.raises(ValidationError):
        Spec(name="namespace1", resource_group="rg", location="westus", min_tls_version="TLS1_2")

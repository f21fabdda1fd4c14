"""``azure.container_registry`` against the ARM emulator (api-version 2023-07-01, LRO writes)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from modelinfra.providers.azure.rest_client import ArmRestClient
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from tests.providers.conformance import check_lifecycle

HANDLER = handler_for("azure.container_registry")
Spec = HANDLER.spec_model


def spec_for(group: str, unique_name: str, **props: Any) -> Any:
    return Spec(name=f"acr{unique_name}", resource_group=group, location="westus", **props)


def test_lifecycle_with_in_place_update(azure_ctx: ResourceContext, resource_group: str, unique_name: str) -> None:
    observed = check_lifecycle(HANDLER, azure_ctx, spec_for(resource_group, unique_name),
                               spec_for(resource_group, unique_name, sku="Premium", public_network_access="Disabled",
                                        tags={"team": "ml"}))
    assert observed["login_server"] == f"acr{unique_name}.azurecr.io"
    assert observed["admin_enabled"] is False and observed["sku"] == "Premium"


def test_admin_user_is_off_on_the_wire(azure_ctx: ResourceContext, resource_group: str, unique_name: str) -> None:
    created = HANDLER.create(azure_ctx, spec_for(resource_group, unique_name))
    body = ArmRestClient(azure_ctx.session, "2023-07-01").get(created["id"])
    assert body["properties"]["adminUserEnabled"] is False and body["sku"] == {"name": "Basic", "tier": "Basic"}


def test_spec_rules() -> None:
    with pytest.raises(ValidationError, match="5 to 50 letters or digits"):
        Spec(name="my-registry", resource_group="g", location="westus")
    with pytest.raises(ValidationError, match="requires sku: Premium"):
        Spec(name="acr12345", resource_group="g", location="westus", public_network_access="Disabled")

"""``azure.role_assignment`` against the ARM emulator (api-version 2022-04-01)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from modelinfra.errors import TerminalError
from modelinfra.providers.azure.role_assignment import assignment_name
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from tests.conftest import SUBSCRIPTION_ID
from tests.providers.conformance import check_lifecycle

HANDLER = handler_for("azure.role_assignment")
Spec = HANDLER.spec_model
PRINCIPAL = "11111111-2222-3333-4444-555555555555"
READER = f"/subscriptions/{SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"


def test_lifecycle_by_role_name_on_a_storage_account(azure_ctx: ResourceContext,
                                                     storage_account: dict[str, Any]) -> None:
    spec = Spec(scope=storage_account["id"], role_definition_name="Storage Blob Data Reader", principal_id=PRINCIPAL)
    observed = check_lifecycle(HANDLER, azure_ctx, spec)
    assert observed["role_definition_id"].endswith("/roledefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1")
    assert observed["role_definition_name"] == "Storage Blob Data Reader"


def test_lifecycle_by_role_id_on_a_resource_group(azure_ctx: ResourceContext, resource_group: str) -> None:
    scope = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{resource_group}"
    observed = check_lifecycle(HANDLER, azure_ctx, Spec(scope=scope, role_definition_id=READER, principal_id=PRINCIPAL,
                                                        principal_type="User"))
    assert observed["role_definition_name"] == "Reader"


def test_name_is_a_uuid_of_scope_role_and_principal() -> None:
    a = assignment_name("/subscriptions/s/resourceGroups/G", "Reader", PRINCIPAL)
    assert a == assignment_name("/subscriptions/S/resourcegroups/g/", "reader", PRINCIPAL.upper())
    assert a != assignment_name("/subscriptions/s/resourceGroups/G", "Contributor", PRINCIPAL)
    spec = Spec(scope="/subscriptions/s/resourceGroups/G", role_definition_name="Reader", principal_id=PRINCIPAL)
    assert HANDLER.identify(type("Ctx", (), {})(), spec).endswith(f"/roleAssignments/{a}")


def test_unknown_role_name_is_a_terminal_error(azure_ctx: ResourceContext, resource_group: str) -> None:
    scope = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{resource_group}"
    with pytest.raises(TerminalError, match="does not exist"):
        HANDLER.create(azure_ctx, Spec(scope=scope, role_definition_name="Janitor", principal_id=PRINCIPAL))


def test_every_property_forces_replacement(azure_ctx: ResourceContext, resource_group: str) -> None:
    from modelinfra.plans.diff import diff_attributes

    scope = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{resource_group}"
    created = HANDLER.create(azure_ctx, Spec(scope=scope, role_definition_name="Reader", principal_id=PRINCIPAL))
    other = Spec(scope=scope, role_definition_name="Contributor", principal_id=PRINCIPAL)
    changes = diff_attributes(HANDLER.desired(azure_ctx, other), created, force_new=HANDLER.force_new)
    assert [(c.path, c.forces_replacement) for c in changes] == [("role_definition_name", True)]


def test_spec_rules() -> None:
    with pytest.raises(ValidationError, match="exactly one of"):
        Spec(scope="/subscriptions/s", principal_id=PRINCIPAL)
    with pytest.raises(ValidationError, match="exactly one of"):
        Spec(scope="/subscriptions/s", principal_id=PRINCIPAL, role_definition_name="Reader", role_definition_id=READER)
    with pytest.raises(ValidationError, match="not a GUID"):
        Spec(scope="/subscriptions/s", principal_id="bob", role_definition_name="Reader")
    with pytest.raises(ValidationError, match="Microsoft.Authorization resource id"):
        Spec(scope="/subscriptions/s", principal_id=PRINCIPAL, role_definition_id="/subscriptions/s/resourceGroups/g")

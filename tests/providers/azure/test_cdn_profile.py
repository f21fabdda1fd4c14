"""``azure.cdn_profile`` against the ARM emulator: conformance for both families, SKU rules, warnings."""

from __future__ import annotations

import dataclasses

import pytest
from pydantic import ValidationError

from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from modelinfra.reporting import Reporter
from tests.providers.conformance import check_lifecycle

HANDLER = handler_for("azure.cdn_profile")
Spec = HANDLER.spec_model


class RecordingReporter(Reporter):
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warning(self, message: str) -> None:
        self.warnings.append(message)


@pytest.mark.parametrize("sku", ["Standard_AzureFrontDoor", "Premium_AzureFrontDoor", "Standard_Microsoft"])
def test_lifecycle_with_tag_update(azure_ctx: ResourceContext, resource_group: str, unique_name: str,
                                   sku: str) -> None:
    base = {"name": f"cdn-{unique_name}", "resource_group": resource_group, "sku": sku}
    observed = check_lifecycle(HANDLER, azure_ctx, Spec(**base, tags={"team": "ml"}),
                               Spec(**base, tags={"team": "ml", "stage": "prod"}))
    assert observed["sku"] == sku
    assert observed["tags"] == {"team": "ml", "stage": "prod"}


def test_profile_is_global_and_carries_the_managed_tags(azure_ctx: ResourceContext, resource_group: str,
                                                        unique_name: str) -> None:
    spec = Spec(name=f"fd-{unique_name}", resource_group=resource_group)
    created = HANDLER.create(azure_ctx, spec)
    wire = azure_ctx.session.mgmt("cdn").profiles.get(resource_group, spec.name)
    assert (wire.location, wire.sku.name, wire.kind) == ("global", "Standard_AzureFrontDoor", "frontdoor")
    assert wire.tags == {"modelinfra-stack": "teststack", "modelinfra-address": "res"}
    assert created["tags"] == {}


def test_classic_sku_creation_warns_about_the_retirement(azure_ctx: ResourceContext, resource_group: str,
                                                         unique_name: str) -> None:
    reporter = RecordingReporter()
    ctx = dataclasses.replace(azure_ctx, reporter=reporter)
    HANDLER.create(ctx, Spec(name=f"classic-{unique_name}", resource_group=resource_group, sku="Standard_Microsoft"))
    HANDLER.create(ctx, Spec(name=f"afd-{unique_name}", resource_group=resource_group))
    assert len(reporter.warnings) == 1
    assert "Standard_Microsoft" in reporter.warnings[0] and "AzureFrontDoor" in reporter.warnings[0]


def test_sku_change_forces_replacement(azure_ctx: ResourceContext) -> None:
    desired = HANDLER.desired(azure_ctx, Spec(name="p", resource_group="rg", sku="Premium_AzureFrontDoor"))
    observed = {"name": "p", "resource_group": "rg", "sku": "Standard_Microsoft", "tags": {}}
    changes = diff_attributes(desired, observed, force_new=HANDLER.force_new)
    assert [(c.path, c.forces_replacement) for c in changes] == [("sku", True)]


def test_out_of_band_tag_edit_shows_in_the_diff(azure_ctx: ResourceContext, resource_group: str,
                                                unique_name: str) -> None:
    spec = Spec(name=f"drift-{unique_name}", resource_group=resource_group, tags={"team": "ml"})
    created = HANDLER.create(azure_ctx, spec)
    azure_ctx.session.mgmt("cdn").profiles.begin_update(resource_group, spec.name,
                                                        {"tags": {"team": "ops"}}).result()
    changes = diff_attributes(HANDLER.desired(azure_ctx, spec), HANDLER.read(azure_ctx, created["id"]))
    assert [(c.path, c.before, c.after) for c in changes] == [("tags.team", "ops", "ml")]


@pytest.mark.parametrize("bad", [{"name": "-lead"}, {"name": "has_underscore"}, {"sku": "Standard_Verizon"},
                                 {"location": "westus"}])
def test_invalid_specs_are_rejected(bad: dict) -> None:
    with pytest.raises(ValidationError):
        Spec(**{"name": "p", "resource_group": "rg", **bad})


def test_response_timeout_is_created_read_back_and_updated_in_place(azure_ctx: ResourceContext, resource_group: str,
                                                                    unique_name: str) -> None:
    base = {"name": f"fdt-{unique_name}", "resource_group": resource_group, "sku": "Premium_AzureFrontDoor"}
    observed = check_lifecycle(HANDLER, azure_ctx, Spec(**base, response_timeout_seconds=60),
                               Spec(**base, response_timeout_seconds=240))
    assert observed["response_timeout_seconds"] == 240


def test_unset_response_timeout_leaves_the_service_default_without_drift(azure_ctx: ResourceContext,
                                                                         resource_group: str,
                                                                         unique_name: str) -> None:
    spec = Spec(name=f"fdd-{unique_name}", resource_group=resource_group)
    created = HANDLER.create(azure_ctx, spec)
    assert isinstance(created["response_timeout_seconds"], int)
    assert diff_attributes(HANDLER.desired(azure_ctx, spec), HANDLER.read(azure_ctx, created["id"])) == []


@pytest.mark.parametrize("bad", [{"response_timeout_seconds": 15}, {"response_timeout_seconds": 241},
                                 {"response_timeout_seconds": 60, "sku": "Standard_Microsoft"}])
def test_response_timeout_bounds_and_front_door_only(bad: dict) -> None:
    with pytest.raises(ValidationError):
        Spec(**{"name": "p", "resource_group": "g", **bad})

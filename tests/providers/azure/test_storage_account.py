from __future__ import annotations

from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from modelinfra.sandbox.base import RunningService
from tests.providers.conformance import check_lifecycle, check_retag

HANDLER = handler_for("azure.storage_account")
Spec = HANDLER.spec_model


def test_lifecycle_with_data_protection_update(azure_ctx: ResourceContext, resource_group: str,
                                               unique_name: str) -> None:
    base = {"name": f"sa{unique_name}", "resource_group": resource_group, "location": "West US"}
    observed = check_lifecycle(
        HANDLER, azure_ctx, Spec(**base, tags={"team": "ml"}),
        Spec(**base, sku="Standard_GRS", access_tier="Cool", blob_versioning=True, blob_soft_delete_days=14,
             point_in_time_restore_days=7, tags={"team": "ml", "env": "dev"}),
    )
    assert (observed["sku"], observed["access_tier"], observed["blob_versioning"]) == ("Standard_GRS", "Cool", True)
    assert (observed["blob_soft_delete_days"], observed["point_in_time_restore_days"]) == (14, 7)


def test_create_returns_blob_endpoint_and_secure_defaults(azure_ctx: ResourceContext, storage_account: dict,
                                                          azurite: RunningService) -> None:
    assert storage_account["primary_blob_endpoint"].rstrip("/") == azurite.extra["blob_endpoint"].rstrip("/")
    account = azure_ctx.session.mgmt("storage").storage_accounts.get_properties(
        storage_account["resource_group"], storage_account["name"]).as_dict()
    props = account["properties"]
    assert (props["minimumTlsVersion"], props["allowBlobPublicAccess"], props["supportsHttpsTrafficOnly"]) == (
        "TLS1_2", False, True)
    assert account["tags"]["modelinfra-address"] == "res"


def test_out_of_band_edit_shows_in_the_diff(azure_ctx: ResourceContext, storage_account: dict) -> None:
    group, name = storage_account["resource_group"], storage_account["name"]
    azure_ctx.session.mgmt("storage").storage_accounts.update(
        group, name, {"tags": {"rogue": "1"}, "properties": {"minimumTlsVersion": "TLS1_0"}})
    spec = Spec(name=name, resource_group=group, location="westus")
    changes = diff_attributes(HANDLER.desired(azure_ctx, spec), HANDLER.read(azure_ctx, storage_account["id"]),
                              force_new=HANDLER.force_new)
    assert {(c.path, c.before, c.after) for c in changes} == {
        ("min_tls_version", "TLS1_0", "TLS1_2"), ("tags.rogue", "1", None)}


def test_kind_change_forces_replacement_but_sku_does_not(azure_ctx: ResourceContext, storage_account: dict) -> None:
    spec = Spec(name=storage_account["name"], resource_group=storage_account["resource_group"], location="westus",
                kind="BlobStorage", sku="Standard_ZRS")
    changes = diff_attributes(HANDLER.desired(azure_ctx, spec), storage_account, force_new=HANDLER.force_new)
    assert {(c.path, c.forces_replacement) for c in changes} == {("kind", True), ("sku", False)}


def test_create_succeeds_through_a_429_storm(azure_ctx: ResourceContext, resource_group: str, unique_name: str,
                                             arm_emulator: RunningService) -> None:
    spec = Spec(name=f"st{unique_name}", resource_group=resource_group, location="westus", blob_versioning=True)
    throttled = arm_emulator.handle.faults.injected["throttle"]
    arm_emulator.handle.faults.configure(throttle_ratio=1 / 3, seed=1)
    try:
        created = HANDLER.create(azure_ctx, spec)
        observed = HANDLER.read(azure_ctx, HANDLER.identify(azure_ctx, spec))
    finally:
        arm_emulator.handle.faults.reset()
    assert created["blob_versioning"] is True and observed == created
    assert arm_emulator.handle.faults.injected["throttle"] - throttled >= 2  # 429s were answered and ridden out


def test_a_moved_account_gets_its_address_tag_rewritten_in_place(azure_ctx: ResourceContext, resource_group: str,
                                                                 unique_name: str) -> None:
    client = azure_ctx.session.mgmt("storage").storage_accounts
    name = f"mv{unique_name}"
    observed = check_retag(HANDLER, azure_ctx, Spec(name=name, resource_group=resource_group, location="westus",
                                                    blob_versioning=True, tags={"team": "ml"}),
                           lambda cloud_id: client.get_properties(resource_group, name).tags or {})
    assert observed["blob_versioning"] is True
    HANDLER.delete(azure_ctx, observed["id"], observed)

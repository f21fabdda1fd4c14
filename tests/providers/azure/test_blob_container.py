from __future__ import annotations

import pytest

from modelinfra.errors import TerminalError
from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from modelinfra.sandbox.base import RunningService
from tests.providers.conformance import check_lifecycle

HANDLER = handler_for("azure.blob_container")
Spec = HANDLER.spec_model


def test_lifecycle_with_metadata_and_access_update(azure_ctx: ResourceContext, resource_group: str,
                                                   unique_name: str) -> None:
    accounts = handler_for("azure.storage_account")
    account = accounts.create(azure_ctx, accounts.spec_model(
        name=f"pub{unique_name}", resource_group=resource_group, location="westus", allow_blob_public_access=True))
    base = {"name": f"c-{unique_name}", "account": account["name"], "resource_group": resource_group}
    observed = check_lifecycle(HANDLER, azure_ctx, Spec(**base, metadata={"team": "ml"}),
                               Spec(**base, public_access="blob", metadata={"team": "ml", "stage": "prod"}))
    assert observed["public_access"] == "blob"
    assert observed["url"] == account["primary_blob_endpoint"].rstrip("/") + f"/c-{unique_name}"


def test_public_access_on_a_private_account_is_a_terminal_error(azure_ctx: ResourceContext, storage_account: dict,
                                                                unique_name: str) -> None:
    spec = Spec(name=f"p-{unique_name}", account=storage_account["name"],
                resource_group=storage_account["resource_group"], public_access="container")
    with pytest.raises(TerminalError) as info:
        HANDLER.create(azure_ctx, spec)
    assert info.value.code == "PublicAccessNotPermitted"


def test_container_exists_in_azurite(azure_ctx: ResourceContext, storage_account: dict, unique_name: str,
                                     azurite: RunningService) -> None:
    from azure.storage.blob import ContainerClient

    spec = Spec(name=f"d-{unique_name}", account=storage_account["name"],
                resource_group=storage_account["resource_group"])
    created = HANDLER.create(azure_ctx, spec)
    client = ContainerClient.from_container_url(
        created["url"], credential={"account_name": azurite.extra["account_name"],
                                    "account_key": azurite.extra["account_key"]}, api_version="2025-11-05")
    assert client.exists()
    HANDLER.delete(azure_ctx, created["id"], created)
    assert HANDLER.read(azure_ctx, created["id"]) is None


def test_out_of_band_metadata_edit_shows_in_the_diff(azure_ctx: ResourceContext, storage_account: dict,
                                                     unique_name: str) -> None:
    spec = Spec(name=f"e-{unique_name}", account=storage_account["name"],
                resource_group=storage_account["resource_group"], metadata={"team": "ml"})
    created = HANDLER.create(azure_ctx, spec)
    azure_ctx.session.mgmt("storage").blob_containers.update(
        spec.resource_group, spec.account, spec.name, {"properties": {"metadata": {"team": "ops"}}})
    changes = diff_attributes(HANDLER.desired(azure_ctx, spec), HANDLER.read(azure_ctx, created["id"]))
    assert [(c.path, c.before, c.after) for c in changes] == [("metadata.team", "ops", "ml")]


def test_missing_account_reads_as_none(azure_ctx: ResourceContext, resource_group: str) -> None:
    spec = Spec(name="models", account="nosuchacct0", resource_group=resource_group)
    assert HANDLER.read(azure_ctx, HANDLER.identify(azure_ctx, spec)) is None
    HANDLER.delete(azure_ctx, HANDLER.identify(azure_ctx, spec), {})  # and deleting it is success

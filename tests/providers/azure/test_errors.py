"""azure-core failures map to RetryableError / TerminalError; 404 reads become None. Real SDK
calls against the ARM emulator (faults injected there), no mocks."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

from modelinfra.errors import RetryableError, TerminalError
from modelinfra.providers.azure.errors import azure_errors, ignore_not_found, map_error, read_or_none
from modelinfra.providers.base import ResourceContext
from modelinfra.sandbox.base import RunningService
from tests.providers.azure.conftest import make_session


def test_missing_resources_read_as_none(azure_ctx: ResourceContext, unique_name: str) -> None:
    client = azure_ctx.session.mgmt("storage")
    assert read_or_none("reading", lambda: client.storage_accounts.get_properties(f"rg{unique_name}", "nosuch")) is None
    ignore_not_found("deleting", lambda: client.storage_accounts.delete(f"rg{unique_name}", "nosuch"))


def test_bad_request_is_terminal_with_the_arm_code(azure_ctx: ResourceContext, resource_group: str) -> None:
    client = azure_ctx.session.mgmt("storage")
    body = {"location": "westus", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}
    with pytest.raises(TerminalError) as info, azure_errors("creating storage account BAD"):
        client.storage_accounts.begin_create(resource_group, "BAD-NAME", body).result()
    assert info.value.code and "creating storage account BAD" in str(info.value)
    assert not isinstance(info.value, RetryableError)


def test_exhausted_server_errors_are_retryable(azure_env: dict[str, str], arm_emulator: RunningService) -> None:
    session = make_session(max_attempts=1)
    arm_emulator.handle.faults.configure(error_ratio=1.0)
    try:
        with pytest.raises(HttpResponseError) as raw:
            session.mgmt("resource").resource_groups.get("anything")
    finally:
        arm_emulator.handle.faults.reset()
    mapped = map_error(raw.value, "reading resource group anything")
    assert isinstance(mapped, RetryableError) and "reading resource group anything" in str(mapped)


def test_exhausted_throttling_is_retryable_with_retry_after(azure_env: dict[str, str],
                                                            arm_emulator: RunningService) -> None:
    session = make_session(max_attempts=1)
    arm_emulator.handle.faults.configure(throttle_ratio=1.0, retry_after=1)
    try:
        with pytest.raises(RetryableError) as info, azure_errors("reading resource group anything"):
            session.mgmt("resource").resource_groups.get("anything")
    finally:
        arm_emulator.handle.faults.reset()
    assert info.value.retry_after == 1.0

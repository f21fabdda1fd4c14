"""Disks and snapshots are read as raw ARM JSON at ``compute_ops.API_VERSION`` and written through
azure-mgmt-compute: the two must speak the same api-version, or a read body is not the shape the
writes answer with (fields renamed, defaults moved). Upgrading the SDK fails here until the pin
follows it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from azure.mgmt.compute.operations import _operations as sdk

from modelinfra.providers.azure.compute_ops import API_VERSION


@pytest.mark.parametrize("builder", [sdk.build_disks_get_request, sdk.build_disks_create_or_update_request,
                                     sdk.build_snapshots_get_request, sdk.build_snapshots_list_by_resource_group_request])
def test_raw_reads_use_the_api_version_the_sdk_writes_with(builder) -> None:  # noqa: ANN001
    names = builder.__code__.co_varnames[:builder.__code__.co_argcount]  # resource_group_name, ..., subscription_id
    request = builder(**dict.fromkeys(names, "x"))
    assert parse_qs(urlparse(request.url).query)["api-version"] == [API_VERSION]

"""Collection GETs page as the REST specs declare (``x-ms-pageable``, ``nextLinkName: nextLink``):
items in a stable order, ``nextLink`` an absolute URL with the same query until the last page,
``$top``/``$skip`` honoured, a bad value refused with 400; the SDK pagers follow the links."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.sandbox.arm.conftest import ARM_AUTH, COMPUTE_API, Clients


@pytest.fixture
def pages_of_two(clients: Clients) -> Iterator[None]:
    config = clients.emulator.config
    before, config.list_page_size = config.list_page_size, 2
    yield
    config.list_page_size = before


def _disks(clients: Clients, rg: str, count: int) -> list[str]:
    names = [f"d{i}" for i in range(count)]
    for name in names:
        clients.compute.disks.begin_create_or_update(rg, name, {
            "location": "westus", "sku": {"name": "Standard_LRS"},
            "properties": {"creationData": {"createOption": "Empty"}, "diskSizeGB": 4}}).result()
    return names


def test_list_by_resource_group_pages_with_next_link(clients: Clients, rg: str, pages_of_two: None) -> None:
    names = _disks(clients, rg, 5)
    path = f"/resourceGroups/{rg}/providers/Microsoft.Compute/disks"
    first = clients.raw("GET", path, COMPUTE_API)
    assert first.status_code == 200
    body, seen, pages = first.json(), [], 1
    while True:
        seen += [item["name"] for item in body["value"]]
        assert all("properties" in item for item in body["value"])  # full representations
        if "nextLink" not in body:
            break
        assert body["nextLink"].startswith(clients.svc.url) and f"api-version={COMPUTE_API}" in body["nextLink"]
        body, pages = requests.get(body["nextLink"], headers=ARM_AUTH, timeout=10).json(), pages + 1
    assert seen == names and pages == 3
    assert sorted(d.name for d in clients.compute.disks.list_by_resource_group(rg)) == names  # the SDK pager


def test_top_and_skip_select_a_page_and_bad_values_are_400(clients: Clients, rg: str) -> None:
    _disks(clients, rg, 3)
    path = f"/resourceGroups/{rg}/providers/Microsoft.Compute/disks"
    body = clients.raw("GET", path, COMPUTE_API, params={"$top": "1", "$skip": "1"}).json()
    assert [item["name"] for item in body["value"]] == ["d1"] and "$skiptoken=2" in body["nextLink"]
    for bad in ({"$top": "0"}, {"$top": "x"}, {"$skip": "-1"}):
        answer = clients.raw("GET", path, COMPUTE_API, params=bad)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "InvalidQueryParameterValue"

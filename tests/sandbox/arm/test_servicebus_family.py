"""The emulator's Microsoft.ServiceBus family, driven by azure-mgmt-servicebus 10 over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from tests.sandbox.arm.conftest import Clients

SB_API = "2026-01-01"


@pytest.fixture
def sb(clients: Clients) -> Any:
    from modelinfra.providers.azure.session import AzureSession
    from modelinfra.settings import Settings
    from modelinfra.spec.providers import AzureProviderConfig
    from tests.conftest import SUBSCRIPTION_ID

    session = AzureSession(AzureProviderConfig(subscription_id=SUBSCRIPTION_ID),
                           Settings(max_attempts=12, retry_backoff_max=1.0))
    return session.mgmt("servicebus")


@pytest.fixture
def make_namespace(sb: Any, rg: str, unique_name: str) -> Callable[..., str]:
    def make(sku: str = "Standard", suffix: str = "", **properties: Any) -> str:
        name = f"sbns-{unique_name}{suffix}"
        body = {"location": "West US", "sku": {"name": sku}, "tags": {"team": "ml"}, "properties": properties}
        sb.namespaces.begin_create_or_update(rg, name, body).result()
        return name

    return make


def test_namespace_create_is_an_lro_with_defaults_and_computed_fields(clients: Clients, sb: Any, rg: str,
                                                                       unique_name: str):
    name = f"sbns-{unique_name}"
    poller = sb.namespaces.begin_create_or_update(rg, name, {"location": "westus", "sku": {"name": "Basic"}})
    assert not poller.done()  # 202 + Azure-AsyncOperation: at least one InProgress poll
    created = poller.result().as_dict()
    assert created["sku"] == {"name": "Basic", "tier": "Basic"}
    props = created["properties"]
    assert props["provisioningState"] == "Succeeded"
    assert props["minimumTlsVersion"] == "1.2" and props["disableLocalAuth"] is False
    assert props["serviceBusEndpoint"] == f"https://{name}.servicebus.windows.net:443/"
    assert created["location"] == "westus"
    got = sb.namespaces.get(rg, name).as_dict()
    assert got["id"].endswith(f"/providers/Microsoft.ServiceBus/namespaces/{name}")


def test_namespace_patch_updates_sku_tls_and_replaces_tags(sb: Any, rg: str, make_namespace: Callable[..., str]):
    name = make_namespace()
    updated = sb.namespaces.update(rg, name, {"sku": {"name": "Premium"}, "tags": {"env": "prod"},
                                              "properties": {"minimumTlsVersion": "1.1", "disableLocalAuth": True}})
    body = updated.as_dict()
    assert body["sku"]["name"] == "Premium" and body["sku"]["tier"] == "Premium"
    assert body["tags"] == {"env": "prod"}
    assert body["properties"]["minimumTlsVersion"] == "1.1" and body["properties"]["disableLocalAuth"] is True


@pytest.mark.parametrize(("body", "code"), [
    ({"location": "westus", "sku": {"name": "Gold"}}, "InvalidSku"),
    ({"location": "westus", "sku": {"name": "Standard"}, "properties": {"minimumTlsVersion": "1.3x"}},
     "InvalidMinimumTlsVersion"),
    ({"sku": {"name": "Standard"}}, "LocationRequired"),
])
def test_namespace_rejects_invalid_bodies(sb: Any, rg: str, unique_name: str, body: dict[str, Any], code: str):
    with pytest.raises(HttpResponseError) as err:
        sb.namespaces.begin_create_or_update(rg, f"sbns-{unique_name}", body).result()
    assert err.value.status_code == 400 and err.value.error.code == code


def test_namespace_names_are_validated_and_globally_unique(clients: Clients, sb: Any, rg: str, unique_name: str,
                                                           make_namespace: Callable[..., str]):
    with pytest.raises(HttpResponseError) as bad:
        sb.namespaces.begin_create_or_update(rg, "ab", {"location": "westus", "sku": {"name": "Basic"}}).result()
    assert bad.value.error.code == "InvalidNamespaceName"
    name = make_namespace()
    other = f"rg2-{unique_name}"
    clients.resource.resource_groups.create_or_update(other, {"location": "westus"})
    with pytest.raises(HttpResponseError) as taken:
        sb.namespaces.begin_create_or_update(other, name, {"location": "westus", "sku": {"name": "Basic"}}).result()
    assert taken.value.status_code == 409 and taken.value.error.code == "NamespaceNameNotAvailable"


def test_root_rule_exists_and_list_keys_returns_random_per_namespace_keys(sb: Any, rg: str,
                                                                           make_namespace: Callable[..., str]):
    first, second = make_namespace(), make_namespace(suffix="b")
    rule = sb.namespaces.get_authorization_rule(rg, first, "RootManageSharedAccessKey").as_dict()
    assert sorted(rule["properties"]["rights"]) == ["Listen", "Manage", "Send"]
    assert "primaryKey" not in str(rule)
    keys = sb.namespaces.list_keys(rg, first, "RootManageSharedAccessKey").as_dict()
    assert keys["primaryConnectionString"] == (
        f"Endpoint=sb://{first}.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
        f"SharedAccessKey={keys['primaryKey']}")
    assert keys["secondaryConnectionString"].endswith(keys["secondaryKey"])
    assert len(keys["primaryKey"]) == 44 and keys["primaryKey"] != keys["secondaryKey"]
    again = sb.namespaces.list_keys(rg, first, "RootManageSharedAccessKey").as_dict()
    assert again["primaryKey"] == keys["primaryKey"]  # stable until regenerated
    other = sb.namespaces.list_keys(rg, second, "RootManageSharedAccessKey").as_dict()
    assert other["primaryKey"] not in (keys["primaryKey"], keys["secondaryKey"])
    regenerated = sb.namespaces.regenerate_keys(rg, first, "RootManageSharedAccessKey",
                                                {"keyType": "PrimaryKey"}).as_dict()
    assert regenerated["primaryKey"] != keys["primaryKey"] and regenerated["secondaryKey"] == keys["secondaryKey"]


def test_namespace_delete_is_an_lro_that_removes_queues_and_missing_is_success(sb: Any, rg: str,
                                                                               make_namespace: Callable[..., str]):
    name = make_namespace()
    sb.queues.create_or_update(rg, name, "jobs", {"properties": {}})
    sb.namespaces.begin_delete(rg, name).result()
    with pytest.raises(ResourceNotFoundError):
        sb.namespaces.get(rg, name)
    with pytest.raises(ResourceNotFoundError) as gone:
        sb.queues.get(rg, name, "jobs")
    assert gone.value.error.code == "ParentResourceNotFound"
    sb.namespaces.begin_delete(rg, name).result()  # 204: already gone


def test_queue_create_fills_service_defaults_and_canonical_durations(sb: Any, rg: str,
                                                                     make_namespace: Callable[..., str]):
    name = make_namespace()
    queue = sb.queues.create_or_update(rg, name, "retrain", {"properties": {"lockDuration": "PT90S",
                                                                            "defaultMessageTimeToLive": "PT24H"}})
    props = queue.as_dict()["properties"]
    assert props["lockDuration"] == "PT1M30S" and props["defaultMessageTimeToLive"] == "P1D"
    assert props["maxDeliveryCount"] == 10 and props["maxSizeInMegabytes"] == 1024
    assert props["requiresDuplicateDetection"] is False and props["status"] == "Active"
    assert props["autoDeleteOnIdle"] == "P10675199DT2H48M5.4775807S"
    listed = [q.as_dict()["name"] for q in sb.queues.list_by_namespace(rg, name)]
    assert listed == ["retrain"]


def test_queue_put_updates_in_place_and_delete_is_200_then_204(clients: Clients, sb: Any, rg: str,
                                                               make_namespace: Callable[..., str]):
    name = make_namespace()
    sb.queues.create_or_update(rg, name, "q1", {"properties": {"maxDeliveryCount": 3}})
    updated = sb.queues.create_or_update(rg, name, "q1", {"properties": {"maxDeliveryCount": 7}})
    assert updated.as_dict()["properties"]["maxDeliveryCount"] == 7
    path = f"/resourceGroups/{rg}/providers/Microsoft.ServiceBus/namespaces/{name}/queues/q1"
    assert clients.raw("DELETE", path, api_version=SB_API).status_code == 200
    assert clients.raw("DELETE", path, api_version=SB_API).status_code == 204


def test_basic_namespace_rejects_duplicate_detection_like_the_service(sb: Any, rg: str,
                                                                      make_namespace: Callable[..., str]):
    basic = make_namespace(sku="Basic")
    with pytest.raises(HttpResponseError) as err:
        sb.queues.create_or_update(rg, basic, "dedup", {"properties": {"requiresDuplicateDetection": True}})
    assert err.value.status_code == 400 and "Basic" in err.value.error.message
    standard = make_namespace(suffix="s")
    queue = sb.queues.create_or_update(rg, standard, "dedup", {"properties": {"requiresDuplicateDetection": True}})
    assert queue.as_dict()["properties"]["requiresDuplicateDetection"] is True


def test_duplicate_detection_cannot_change_on_an_existing_queue(sb: Any, rg: str, make_namespace: Callable[..., str]):
    name = make_namespace()
    sb.queues.create_or_update(rg, name, "q", {"properties": {}})
    with pytest.raises(HttpResponseError) as err:
        sb.queues.create_or_update(rg, name, "q", {"properties": {"requiresDuplicateDetection": True}})
    assert err.value.status_code == 400


@pytest.mark.parametrize(("sku", "properties"), [
    ("Standard", {"lockDuration": "PT6M"}),
    ("Standard", {"lockDuration": "PT1S"}),
    ("Standard", {"lockDuration": "one minute"}),
    ("Standard", {"maxDeliveryCount": 0}),
    ("Standard", {"maxSizeInMegabytes": 10240}),
    ("Premium", {"maxSizeInMegabytes": 1500}),
])
def test_queue_rejects_out_of_range_values(sb: Any, rg: str, make_namespace: Callable[..., str], sku: str,
                                           properties: dict[str, Any]):
    name = make_namespace(sku=sku)
    with pytest.raises(HttpResponseError) as err:
        sb.queues.create_or_update(rg, name, "q", {"properties": properties})
    assert err.value.status_code == 400


def test_premium_allows_large_queues(sb: Any, rg: str, make_namespace: Callable[..., str]):
    name = make_namespace(sku="Premium")
    queue = sb.queues.create_or_update(rg, name, "big", {"properties": {"maxSizeInMegabytes": 81920}})
    assert queue.as_dict()["properties"]["maxSizeInMegabytes"] == 81920


def test_queue_in_missing_namespace_is_parent_not_found(sb: Any, rg: str):
    with pytest.raises(ResourceNotFoundError) as err:
        sb.queues.create_or_update(rg, "nosuchns1", "q", {"properties": {}})
    assert err.value.error.code == "ParentResourceNotFound"


def test_sessions_and_partitioning_cannot_change_on_an_existing_queue(sb: Any, rg: str,
                                                                      make_namespace: Callable[..., str]):
    name = make_namespace()
    sb.queues.create_or_update(rg, name, "q", {"properties": {}})
    for key in ("requiresSession", "enablePartitioning"):
        with pytest.raises(HttpResponseError) as err:
            sb.queues.create_or_update(rg, name, "q", {"properties": {key: True}})
        assert err.value.status_code == 400 and key in err.value.error.message


@pytest.mark.parametrize("properties", [{"requiresSession": True}, {"forwardTo": "other"},
                                        {"forwardDeadLetteredMessagesTo": "other"}])
def test_basic_namespace_rejects_sessions_and_forwarding(sb: Any, rg: str, make_namespace: Callable[..., str],
                                                         properties: dict[str, Any]):
    basic = make_namespace(sku="Basic")
    sb.queues.create_or_update(rg, basic, "other", {"properties": {}})
    with pytest.raises(HttpResponseError) as err:
        sb.queues.create_or_update(rg, basic, "q", {"properties": properties})
    assert err.value.status_code == 400 and "Basic" in err.value.error.message


def test_premium_namespace_rejects_express_queues(sb: Any, rg: str, make_namespace: Callable[..., str]):
    premium = make_namespace(sku="Premium")
    with pytest.raises(HttpResponseError) as err:
        sb.queues.create_or_update(rg, premium, "q", {"properties": {"enableExpress": True}})
    assert err.value.status_code == 400 and "Premium" in err.value.error.message
    standard = make_namespace(suffix="s")
    queue = sb.queues.create_or_update(rg, standard, "q", {"properties": {"enableExpress": True}})
    assert queue.as_dict()["properties"]["enableExpress"] is True


def test_forwarding_needs_an_existing_destination_other_than_itself(sb: Any, rg: str,
                                                                    make_namespace: Callable[..., str]):
    name = make_namespace()
    for target in ("missing", "q"):
        with pytest.raises(HttpResponseError) as err:
            sb.queues.create_or_update(rg, name, "q", {"properties": {"forwardTo": target}})
        assert err.value.status_code == 400
    sb.queues.create_or_update(rg, name, "dest", {"properties": {}})
    queue = sb.queues.create_or_update(rg, name, "q", {"properties": {
        "forwardTo": "dest", "forwardDeadLetteredMessagesTo": "dest"}})
    props = queue.as_dict()["properties"]
    assert (props["forwardTo"], props["forwardDeadLetteredMessagesTo"]) == ("dest", "dest")


@pytest.mark.parametrize("properties", [{"autoDeleteOnIdle": "PT4M"}, {"duplicateDetectionHistoryTimeWindow": "PT10S"},
                                        {"duplicateDetectionHistoryTimeWindow": "P8D"},
                                        {"autoDeleteOnIdle": "soon"}])
def test_queue_rejects_out_of_range_idle_and_duplicate_windows(sb: Any, rg: str, make_namespace: Callable[..., str],
                                                               properties: dict[str, Any]):
    name = make_namespace()
    with pytest.raises(HttpResponseError) as err:
        sb.queues.create_or_update(rg, name, "q", {"properties": properties})
    assert err.value.status_code == 400


def test_new_queue_properties_read_back_with_canonical_durations(sb: Any, rg: str,
                                                                 make_namespace: Callable[..., str]):
    name = make_namespace()
    queue = sb.queues.create_or_update(rg, name, "q", {"properties": {
        "requiresSession": True, "autoDeleteOnIdle": "PT60M", "duplicateDetectionHistoryTimeWindow": "PT120S",
        "enableBatchedOperations": False, "enableExpress": True}})
    props = sb.queues.get(rg, name, "q").as_dict()["properties"]
    assert props == queue.as_dict()["properties"]
    assert (props["autoDeleteOnIdle"], props["duplicateDetectionHistoryTimeWindow"]) == ("PT1H", "PT2M")
    assert (props["requiresSession"], props["enableBatchedOperations"], props["enableExpress"]) == (True, False, True)


@pytest.mark.parametrize(("sku", "reported"), [("Standard", 2048 * 16), ("Basic", 2048 * 16), ("Premium", 2048)])
def test_partitioned_queues_outside_premium_report_sixteen_times_their_size(
        sb: Any, rg: str, make_namespace: Callable[..., str], sku: str, reported: int):
    name = make_namespace(sku=sku)
    sb.queues.create_or_update(rg, name, "q", {"properties": {"enablePartitioning": True, "maxSizeInMegabytes": 2048}})
    again = sb.queues.create_or_update(rg, name, "q", {"properties": {"enablePartitioning": True,
                                                                      "maxSizeInMegabytes": 2048}})
    assert again.as_dict()["properties"]["maxSizeInMegabytes"] == reported
    assert sb.queues.get(rg, name, "q").as_dict()["properties"]["maxSizeInMegabytes"] == reported

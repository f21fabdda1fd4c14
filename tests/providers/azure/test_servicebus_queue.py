"""``azure.servicebus_queue`` against the ARM emulator, its duration rules and the cross-resource
checks against its namespace."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from modelinfra.errors import TerminalError
from modelinfra.plans.diff import diff_attributes
from modelinfra.providers.azure.servicebus_queue import (
    canonical_duration,
    duplicate_detection_problem,
    format_duration,
    max_size_problem,
    namespace_problems,
    parse_duration,
    spec_problems,
)
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from tests.providers.conformance import check_lifecycle

HANDLER = handler_for("azure.servicebus_queue")
Spec = HANDLER.spec_model


@pytest.fixture
def namespace(azure_ctx: ResourceContext, resource_group: str, unique_name: str) -> dict[str, Any]:
    handler = handler_for("azure.servicebus_namespace")
    return handler.create(azure_ctx, handler.spec_model(name=f"sbns-{unique_name}", resource_group=resource_group,
                                                        location="westus", sku="Standard"))


def queue_spec(namespace: dict[str, Any], **props: Any) -> Any:
    return Spec(name="retrain-jobs", namespace=namespace["name"], resource_group=namespace["resource_group"], **props)


def test_lifecycle_with_in_place_update(azure_ctx: ResourceContext, namespace: dict[str, Any]) -> None:
    observed = check_lifecycle(
        HANDLER, azure_ctx, queue_spec(namespace, requires_duplicate_detection=True),
        queue_spec(namespace, requires_duplicate_detection=True, max_delivery_count=5, lock_duration="PT90S",
                   dead_lettering_on_message_expiration=True, default_message_ttl="P7D", max_size_mb=5120),
    )
    assert observed["lock_duration"] == "PT1M30S" and observed["default_message_ttl"] == "P7D"
    assert (observed["max_delivery_count"], observed["max_size_mb"]) == (5, 5120)


def test_equivalent_durations_show_no_diff(azure_ctx: ResourceContext, namespace: dict[str, Any]) -> None:
    spec = queue_spec(namespace, lock_duration="PT60S", default_message_ttl="PT24H")
    created = HANDLER.create(azure_ctx, spec)
    assert (created["lock_duration"], created["default_message_ttl"]) == ("PT1M", "P1D")
    assert diff_attributes(HANDLER.desired(azure_ctx, spec), created) == []


def test_duplicate_detection_change_forces_replacement(azure_ctx: ResourceContext, namespace: dict[str, Any]) -> None:
    created = HANDLER.create(azure_ctx, queue_spec(namespace))
    changes = diff_attributes(HANDLER.desired(azure_ctx, queue_spec(namespace, requires_duplicate_detection=True,
                                                                    max_delivery_count=3)),
                              created, force_new=HANDLER.force_new)
    assert {(c.path, c.forces_replacement) for c in changes} == {
        ("requires_duplicate_detection", True), ("max_delivery_count", False)}


def test_out_of_band_edit_shows_in_the_diff(azure_ctx: ResourceContext, namespace: dict[str, Any]) -> None:
    spec = queue_spec(namespace)
    created = HANDLER.create(azure_ctx, spec)
    azure_ctx.session.mgmt("servicebus").queues.create_or_update(
        namespace["resource_group"], namespace["name"], spec.name, {"properties": {"maxDeliveryCount": 99}})
    changes = diff_attributes(HANDLER.desired(azure_ctx, spec), HANDLER.read(azure_ctx, created["id"]))
    assert [(c.path, c.before, c.after) for c in changes] == [("max_delivery_count", 99, 10)]


def test_basic_namespace_refuses_duplicate_detection_at_apply(azure_ctx: ResourceContext, resource_group: str,
                                                              unique_name: str) -> None:
    handler = handler_for("azure.servicebus_namespace")
    basic = handler.create(azure_ctx, handler.spec_model(name=f"sbb-{unique_name}", resource_group=resource_group,
                                                         location="westus", sku="Basic"))
    with pytest.raises(TerminalError, match="Basic"):
        HANDLER.create(azure_ctx, queue_spec(basic, requires_duplicate_detection=True))


def test_duplicate_detection_problem_needs_standard_or_premium() -> None:
    queue = {"name": "q", "requires_duplicate_detection": True}
    problem = duplicate_detection_problem(queue, {"name": "ns1", "sku": "Basic"})
    assert problem is not None and "Standard or Premium" in problem and "ns1" in problem
    assert duplicate_detection_problem(queue, {"sku": "Standard"}) is None
    assert duplicate_detection_problem(queue, {"sku": "Premium"}) is None
    assert duplicate_detection_problem(queue, {}) is None  # namespace default: Standard
    assert duplicate_detection_problem({"requires_duplicate_detection": False}, {"sku": "Basic"}) is None


def test_max_size_problem_reserves_large_queues_for_premium() -> None:
    assert max_size_problem({"max_size_mb": 10240}, {"sku": "Standard"}) is not None
    assert max_size_problem({"max_size_mb": 10240}, {"sku": "Premium"}) is None
    assert max_size_problem({"max_size_mb": 5120}, {"sku": "Basic"}) is None
    assert namespace_problems({"max_size_mb": 10240, "requires_duplicate_detection": True}, {"sku": "Basic"}) == [
        duplicate_detection_problem({"requires_duplicate_detection": True}, {"sku": "Basic"}),
        max_size_problem({"max_size_mb": 10240}, {"sku": "Basic"}),
    ]


def test_spec_problems_match_queues_to_namespaces_declared_in_the_spec() -> None:
    resources = {
        "basic": ("azure.servicebus_namespace", {"name": "ns-basic", "resource_group": "rg", "sku": "Basic"}),
        "std": ("azure.servicebus_namespace", {"name": "ns-std", "resource_group": "rg"}),
        "q1": ("azure.servicebus_queue", {"name": "q", "namespace": "ns-basic", "resource_group": "rg",
                                          "requires_duplicate_detection": True, "max_size_mb": 10240}),
        "q2": ("azure.servicebus_queue", {"name": "q", "namespace": "ns-std", "resource_group": "rg",
                                          "requires_duplicate_detection": True}),
        "q3": ("azure.servicebus_queue", {"name": "q", "namespace": "ns-basic", "resource_group": "other-rg",
                                          "requires_duplicate_detection": True}),
        "q4": ("azure.servicebus_queue", {"name": "q", "namespace": object(), "resource_group": "rg",
                                          "requires_duplicate_detection": True}),  # not known before apply
    }
    found = spec_problems(resources)
    assert [(address, prop) for address, prop, _ in found] == [
        ("q1", "max_size_mb"), ("q1", "requires_duplicate_detection")]
    assert "Basic" in found[1][2]


@pytest.mark.parametrize(("props", "message"), [
    ({"lock_duration": "PT6M"}, "between PT5S and PT5M"),
    ({"lock_duration": "PT4S"}, "between PT5S and PT5M"),
    ({"lock_duration": "60 seconds"}, "ISO 8601"),
    ({"default_message_ttl": "P1M"}, "ISO 8601"),  # months have no fixed length
    ({"max_delivery_count": 0}, "greater than or equal to 1"),
    ({"max_delivery_count": 2001}, "less than or equal to 2000"),
    ({"max_size_mb": 1500}, "max_size_mb"),
    ({"max_size_mb": 90000}, "max_size_mb"),
])
def test_spec_rejects_out_of_range_values(props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Spec(name="q", namespace="namespace1", resource_group="rg", **props)


def test_spec_defaults() -> None:
    spec = Spec(name="q", namespace="namespace1", resource_group="rg")
    assert (spec.max_delivery_count, spec.lock_duration, spec.max_size_mb) == (10, "PT1M", 1024)
    assert (spec.requires_duplicate_detection, spec.dead_lettering_on_message_expiration) == (False, False)
    assert spec.default_message_ttl is None


@pytest.mark.parametrize(("text", "value", "canonical"), [
    ("PT1M", timedelta(minutes=1), "PT1M"),
    ("PT60S", timedelta(minutes=1), "PT1M"),
    ("PT1.5S", timedelta(seconds=1.5), "PT1.5S"),
    ("P1DT2H3M4S", timedelta(days=1, hours=2, minutes=3, seconds=4), "P1DT2H3M4S"),
    ("PT48H", timedelta(days=2), "P2D"),
    ("P0D", timedelta(0), "PT0S"),
])
def test_durations_parse_and_format_canonically(text: str, value: timedelta, canonical: str) -> None:
    assert parse_duration(text) == value
    assert format_duration(value) == canonical == canonical_duration(text)


@pytest.mark.parametrize("text", ["", "P", "PT", "P1DT", "1M", "PT-1S", "P1Y", "pt1m"])
def test_malformed_durations_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_new_properties_create_read_back_and_update_in_place(azure_ctx: ResourceContext,
                                                             namespace: dict[str, Any]) -> None:
    dest = HANDLER.create(azure_ctx, Spec(name="dead-letters", namespace=namespace["name"],
                                          resource_group=namespace["resource_group"]))
    observed = check_lifecycle(
        HANDLER, azure_ctx,
        queue_spec(namespace, requires_session=True, enable_partitioning=True, max_size_mb=2048,
                   auto_delete_on_idle="PT60M", duplicate_detection_history_time_window="PT120S",
                   enable_batched_operations=False),
        queue_spec(namespace, requires_session=True, enable_partitioning=True, max_size_mb=2048,
                   auto_delete_on_idle="P1D", duplicate_detection_history_time_window="PT30S",
                   forward_dead_lettered_messages_to=dest["name"], forward_to="Dead-Letters",
                   enable_batched_operations=True, enable_express=True),
    )
    assert observed["auto_delete_on_idle"] == "P1D" and observed["duplicate_detection_history_time_window"] == "PT30S"
    assert (observed["forward_to"], observed["forward_dead_lettered_messages_to"]) == ("dead-letters", "dead-letters")
    assert (observed["requires_session"], observed["enable_partitioning"], observed["enable_express"]) == (
        True, True, True)
    assert observed["max_size_mb"] == 2048  # ARM reports 16 x 2048 for a partitioned Standard queue


def test_partitioned_queue_size_does_not_flap_on_a_second_read(azure_ctx: ResourceContext,
                                                               namespace: dict[str, Any]) -> None:
    spec = queue_spec(namespace, enable_partitioning=True, max_size_mb=5120)
    created = HANDLER.create(azure_ctx, spec)
    wire = azure_ctx.session.mgmt("servicebus").queues.get(namespace["resource_group"], namespace["name"], spec.name)
    assert wire.as_dict()["properties"]["maxSizeInMegabytes"] == 5120 * 16
    for observed in (created, HANDLER.read(azure_ctx, created["id"])):
        assert diff_attributes(HANDLER.desired(azure_ctx, spec), observed) == []
    recorded = {"res": (created["id"], created)}
    assert diff_attributes(HANDLER.desired(azure_ctx, spec), HANDLER.read_many(azure_ctx, recorded)["res"]) == []


def test_unset_durations_and_forwarding_leave_service_defaults_without_drift(azure_ctx: ResourceContext,
                                                                             namespace: dict[str, Any]) -> None:
    spec = queue_spec(namespace)
    created = HANDLER.create(azure_ctx, spec)
    assert created["auto_delete_on_idle"] is not None  # the service's "never"
    assert (created["forward_to"], created["duplicate_detection_history_time_window"]) == ("", "PT10M")
    assert created["enable_batched_operations"] is True and created["enable_express"] is False
    assert diff_attributes(HANDLER.desired(azure_ctx, spec), HANDLER.read(azure_ctx, created["id"])) == []


def test_removing_a_forward_target_plans_its_removal_and_the_update_clears_it(azure_ctx: ResourceContext,
                                                                              namespace: dict[str, Any]) -> None:
    HANDLER.create(azure_ctx, Spec(name="dead-letters", namespace=namespace["name"],
                                   resource_group=namespace["resource_group"]))
    created = HANDLER.create(azure_ctx, queue_spec(namespace, forward_to="dead-letters",
                                                   forward_dead_lettered_messages_to="dead-letters"))
    plain = queue_spec(namespace)
    changes = diff_attributes(HANDLER.desired(azure_ctx, plain), created, force_new=HANDLER.force_new)
    assert [(c.path, c.before, c.after, c.forces_replacement) for c in changes] == [
        ("forward_dead_lettered_messages_to", "dead-letters", "", False), ("forward_to", "dead-letters", "", False)]
    updated = HANDLER.update(azure_ctx, plain, created, changes)
    wire = azure_ctx.session.mgmt("servicebus").queues.get(namespace["resource_group"], namespace["name"], plain.name)
    assert (wire.forward_to, wire.forward_dead_lettered_messages_to) in ((None, None), ("", ""))
    assert diff_attributes(HANDLER.desired(azure_ctx, plain), updated) == []  # one apply converges


def test_a_duration_removed_from_the_spec_is_left_alone_by_later_updates(azure_ctx: ResourceContext,
                                                                         namespace: dict[str, Any]) -> None:
    created = HANDLER.create(azure_ctx, queue_spec(namespace, auto_delete_on_idle="PT10M", default_message_ttl="P1D"))
    unmanaged = queue_spec(namespace, max_delivery_count=3)  # both durations removed, one other change
    changes = diff_attributes(HANDLER.desired(azure_ctx, unmanaged), created)
    assert [c.path for c in changes] == ["max_delivery_count"]  # what the plan shows...
    updated = HANDLER.update(azure_ctx, unmanaged, created, changes)
    assert (updated["auto_delete_on_idle"], updated["default_message_ttl"]) == ("PT10M", "P1D")  # ...is all it does
    assert updated["max_delivery_count"] == 3


@pytest.mark.parametrize("prop", ["requires_session", "enable_partitioning"])
def test_sessions_and_partitioning_force_replacement(azure_ctx: ResourceContext, namespace: dict[str, Any],
                                                     prop: str) -> None:
    created = HANDLER.create(azure_ctx, queue_spec(namespace))
    changes = diff_attributes(HANDLER.desired(azure_ctx, queue_spec(namespace, **{prop: True})), created,
                              force_new=HANDLER.force_new)
    assert [(c.path, c.forces_replacement) for c in changes] == [(prop, True)]


def test_forwarding_to_a_missing_queue_fails_at_apply(azure_ctx: ResourceContext, namespace: dict[str, Any]) -> None:
    with pytest.raises(TerminalError, match="does not exist"):
        HANDLER.create(azure_ctx, queue_spec(namespace, forward_to="nowhere"))


def test_spec_problems_report_basic_and_premium_only_features() -> None:
    resources = {
        "basic": ("azure.servicebus_namespace", {"name": "ns-basic", "resource_group": "rg", "sku": "Basic"}),
        "prem": ("azure.servicebus_namespace", {"name": "ns-prem", "resource_group": "rg", "sku": "Premium"}),
        "q1": ("azure.servicebus_queue", {"name": "q", "namespace": "ns-basic", "resource_group": "rg",
                                          "requires_session": True, "forward_to": "other",
                                          "enable_partitioning": True}),
        "q2": ("azure.servicebus_queue", {"name": "q", "namespace": "ns-prem", "resource_group": "rg",
                                          "enable_express": True, "requires_session": True}),
    }
    assert [(address, prop) for address, prop, _ in spec_problems(resources)] == [
        ("q1", "forward_to"), ("q1", "requires_session"), ("q2", "enable_express")]


@pytest.mark.parametrize(("props", "message"), [
    ({"auto_delete_on_idle": "PT4M"}, "at least PT5M"),
    ({"auto_delete_on_idle": "P1M"}, "ISO 8601"),
    ({"duplicate_detection_history_time_window": "PT10S"}, "between PT20S and P7D"),
    ({"duplicate_detection_history_time_window": "P8D"}, "between PT20S and P7D"),
    ({"forward_to": "bad name!"}, "queue name"),
    ({"enable_express": "yes"}, "true or false"),
])
def test_spec_rejects_bad_new_properties(props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Spec(name="q", namespace="namespace1", resource_group="rg", **props)

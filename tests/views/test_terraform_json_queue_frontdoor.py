"""``--format terraform-json`` for the issue-16 properties of ``azure.servicebus_queue`` and the
Front Door settings of ``azure.cdn_profile`` / ``azure.cdn_endpoint``: azurerm 4.x attribute names."""

from __future__ import annotations

from modelinfra.plans.action import Action
from modelinfra.plans.plan import ResourceChange
from modelinfra.views.terraform_json import render
from tests.views.test_terraform_json import by_address, plan_of


def after(doc: dict, address: str) -> dict:
    return by_address(doc)[address]["change"]["after"]


def test_servicebus_queue_properties_use_azurerm_4_names():
    queue = {"name": "jobs", "namespace": "ns", "resource_group": "rg", "requires_session": True,
             "forward_to": "done", "forward_dead_lettered_messages_to": "dlq", "auto_delete_on_idle": "P1D",
             "enable_partitioning": True, "duplicate_detection_history_time_window": "PT30S",
             "enable_batched_operations": False, "enable_express": True}
    tf = after(render(plan_of(ResourceChange("q", "azure.servicebus_queue", Action.CREATE, None, queue))),
               "azurerm_servicebus_queue.q")
    assert {k: tf[k] for k in ("requires_session", "forward_to", "forward_dead_lettered_messages_to",
                               "auto_delete_on_idle", "partitioning_enabled",
                               "duplicate_detection_history_time_window", "batched_operations_enabled",
                               "express_enabled")} == {
        "requires_session": True, "forward_to": "done", "forward_dead_lettered_messages_to": "dlq",
        "auto_delete_on_idle": "P1D", "partitioning_enabled": True, "duplicate_detection_history_time_window": "PT30S",
        "batched_operations_enabled": False, "express_enabled": True}
    assert "enable_partitioning" not in tf
    assert set(tf["modelinfra"]["attributes"]) == {"namespace", "resource_group"}  # none of these is left over

"""``azure.log_analytics_workspace`` and ``azure.application_insights`` against the ARM emulator."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from modelinfra.errors import TerminalError
from modelinfra.providers.base import ResourceContext
from modelinfra.providers.registry import handler_for
from tests.conftest import SUBSCRIPTION_ID
from tests.providers.conformance import check_lifecycle

WORKSPACE = handler_for("azure.log_analytics_workspace")
INSIGHTS = handler_for("azure.application_insights")


def workspace_spec(group: str, unique_name: str, **props: Any) -> Any:
    return WORKSPACE.spec_model(name=f"law-{unique_name}", resource_group=group, location="westus", **props)


def insights_spec(group: str, unique_name: str, workspace: str, **props: Any) -> Any:
    return INSIGHTS.spec_model(name=f"ai-{unique_name}", resource_group=group, location="westus",
                               workspace_id=workspace, **props)


@pytest.fixture
def workspace(azure_ctx: ResourceContext, resource_group: str, unique_name: str) -> dict[str, Any]:
    return WORKSPACE.create(azure_ctx, workspace_spec(resource_group, unique_name))


def test_workspace_lifecycle(azure_ctx: ResourceContext, resource_group: str, unique_name: str) -> None:
    observed = check_lifecycle(WORKSPACE, azure_ctx, workspace_spec(resource_group, f"x{unique_name}"),
                               workspace_spec(resource_group, f"x{unique_name}", retention_in_days=90,
                                              tags={"team": "ml"}))
    assert observed["retention_in_days"] == 90 and len(observed["workspace_id"]) == 36


def test_insights_lifecycle_keeps_the_keys_out_of_attributes(azure_ctx: ResourceContext, resource_group: str,
                                                             unique_name: str, workspace: dict[str, Any]) -> None:
    observed = check_lifecycle(INSIGHTS, azure_ctx, insights_spec(resource_group, unique_name, workspace["id"]),
                               insights_spec(resource_group, unique_name, workspace["id"], application_type="other",
                                             tags={"team": "ml"}))
    assert observed["application_type"] == "other" and observed["app_id"]
    assert "connection_string" not in observed and "instrumentation_key" not in observed


def test_insights_secrets_come_from_read_sensitive(azure_ctx: ResourceContext, resource_group: str, unique_name: str,
                                                   workspace: dict[str, Any]) -> None:
    created = INSIGHTS.create(azure_ctx, insights_spec(resource_group, unique_name, workspace["id"]))
    secrets = INSIGHTS.read_sensitive(azure_ctx, created["id"])
    assert secrets["connection_string"].startswith(f"InstrumentationKey={secrets['instrumentation_key']};")


def test_workspace_id_in_other_casing_shows_no_diff(azure_ctx: ResourceContext, resource_group: str,
                                                    unique_name: str, workspace: dict[str, Any]) -> None:
    from modelinfra.plans.diff import diff_attributes

    created = INSIGHTS.create(azure_ctx, insights_spec(resource_group, unique_name, workspace["id"]))
    shouty = insights_spec(resource_group, unique_name, workspace["id"].replace("workspaces", "WORKSPACES"))
    assert diff_attributes(INSIGHTS.desired(azure_ctx, shouty), created) == []


def test_insights_on_a_missing_workspace_is_a_terminal_error(azure_ctx: ResourceContext, resource_group: str,
                                                             unique_name: str) -> None:
    ghost = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{resource_group}/providers/"
             "Microsoft.OperationalInsights/workspaces/ghost")
    with pytest.raises(TerminalError, match="does not exist"):
        INSIGHTS.create(azure_ctx, insights_spec(resource_group, unique_name, ghost))


def test_spec_rules() -> None:
    with pytest.raises(ValidationError, match="30 to 730|greater than or equal to 30"):
        WORKSPACE.spec_model(name="law1", resource_group="g", location="westus", retention_in_days=7)
    with pytest.raises(ValidationError, match="4 to 63"):
        WORKSPACE.spec_model(name="ab", resource_group="g", location="westus")
    storage = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/sa1"
    with pytest.raises(ValidationError, match="OperationalInsights"):
        INSIGHTS.spec_model(name="ai", resource_group="g", location="westus", workspace_id=storage)
    with pytest.raises(ValidationError, match="must not contain"):
        INSIGHTS.spec_model(name="a/b", resource_group="g", location="westus", workspace_id=storage)

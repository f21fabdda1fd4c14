"""``validate`` (offline) points at the line and column of a bad issue-16 queue / Front Door property."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelinfra.errors import SpecError
from modelinfra.spec.compile import compile_spec

QUEUE = """\
version: 1
name: t
providers:
  azure: {subscription_id: 00000000-0000-0000-0000-000000000000}
resources:
  ns:
    type: azure.servicebus_namespace
    properties: {name: retrain-ns-1, resource_group: rg1, location: westus, sku: Basic}
  q:
    type: azure.servicebus_queue
    properties:
      name: jobs
      namespace: ${ns.name}
      resource_group: rg1
      SETTING
"""


def problems(tmp_path: Path, text: str) -> list[tuple[int, int, str, str]]:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as info:
        compile_spec(path, environ={})
    return [(p.line, p.col, p.path, p.message) for p in info.value.problems]


@pytest.mark.parametrize(("setting", "prop", "message"), [
    ("auto_delete_on_idle: PT1M", "auto_delete_on_idle", "at least PT5M"),
    ("duplicate_detection_history_time_window: P30D", "duplicate_detection_history_time_window", "P7D"),
    ("requires_session: true", "requires_session", "Standard or Premium"),
    ("forward_to: other-queue", "forward_to", "Standard or Premium"),
    ("enable_partitioning: 'yes'", "enable_partitioning", "true or false"),
])
def test_bad_queue_properties_are_reported_at_their_line(tmp_path: Path, setting: str, prop: str,
                                                         message: str) -> None:
    [(line, col, path, text)] = problems(tmp_path, QUEUE.replace("SETTING", setting))
    assert (line, col, path) == (15, 7, f"resources.q.properties.{prop}")
    assert message in text

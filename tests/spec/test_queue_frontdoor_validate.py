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


ENDPOINT = """\
version: 1
name: t
providers:
  azure: {subscription_id: 00000000-0000-0000-0000-000000000000}
resources:
  fd:
    type: azure.cdn_profile
    properties: {name: fd1, resource_group: rg1, sku: Standard_AzureFrontDoor}
  ep:
    type: azure.cdn_endpoint
    properties:
      name: app
      profile: ${fd.name}
      resource_group: rg1
      SETTING
"""


def test_an_endpoint_without_an_origin_form_is_reported_offline(tmp_path: Path) -> None:
    [(line, col, path, text)] = problems(tmp_path, ENDPOINT.replace("SETTING", "https_only: true"))
    assert path == "resources.ep.properties" and line == 11
    assert "exactly one of origin_storage_account" in text


@pytest.mark.parametrize(("setting", "path", "line"), [
    ("origins: [{name: web, host_name: 'https://web.example.com/'}]", "origins[0].host_name", 15),
    ("health_probe: {interval_in_seconds: 300}", "health_probe.interval_in_seconds", 15),
])
def test_bad_front_door_settings_are_reported_at_their_line(tmp_path: Path, setting: str, path: str,
                                                            line: int) -> None:
    text = ENDPOINT.replace("SETTING", "origins: [{name: web, host_name: web.example.com}]\n      " + setting
                            if not setting.startswith("origins") else setting)
    found = problems(tmp_path, text)
    assert [(p, ln) for ln, _, p, _ in found] == [(f"resources.ep.properties.{path}", line if
                                                   setting.startswith("origins") else 16)]


def test_response_timeout_on_a_classic_profile_is_reported(tmp_path: Path) -> None:
    text = ENDPOINT.replace("sku: Standard_AzureFrontDoor", "sku: Standard_Microsoft, response_timeout_seconds: 60")
    text = text.replace("SETTING", "origins: [{name: web, host_name: web.example.com}]")
    found = problems(tmp_path, text)
    assert [(p, ln) for ln, _, p, _ in found] == [("resources.fd.properties", 8)]
    assert "Front Door sku" in found[0][3]

"""``drift.ignore`` in the spec: validated with the document (file:line), read by the drift engine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from modelinfra.engine.drift import ignore_rules
from modelinfra.errors import SpecError
from modelinfra.plans.drift import IgnoreRule
from modelinfra.spec.compile import compile_spec

HEAD = """version: 1
name: ignores
providers:
  azure: {subscription_id: "00000000-0000-0000-0000-000000000000"}
resources:
  rg:
    type: azure.resource_group
    properties: {name: rg1, location: westus}
"""


def write(tmp_path: Path, tail: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(HEAD + tail)
    return path


def test_rules_are_read_from_the_spec(tmp_path):
    spec = compile_spec(write(tmp_path, """drift:
  ignore:
    - {address: rg, path: tags.owner, reason: set by finance, until: 2027-06-30}
    - {address: rg, path: tags, reason: "any tag"}
"""), environ={})
    assert ignore_rules(spec) == [IgnoreRule("rg", "tags.owner", "set by finance", dt.date(2027, 6, 30)),
                                  IgnoreRule("rg", "tags", "any tag", None)]


@pytest.mark.parametrize(("entry", "line", "words"), [
    ("{address: rg, path: tags}", 12, "reason"),
    ("{address: rg, path: tags, reason: '  '}", 12, "reason"),
    ("{address: rg, path: tags, reason: x, until: next-year}", 12, "until"),
    ("{address: rg, path: tags, reason: x, color: red}", 12, "color"),
])
def test_bad_rules_fail_validation_at_their_line(tmp_path, entry, line, words):
    path = write(tmp_path, f"drift:\n  ignore:\n    - {{address: rg, path: tags.a, reason: ok}}\n    - {entry}\n")
    with pytest.raises(SpecError) as exc:
        compile_spec(path, environ={})
    text = str(exc.value)
    assert f"spec.yaml:{line}" in text and words in text

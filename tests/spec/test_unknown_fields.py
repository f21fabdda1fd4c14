"""An unknown property is reported whatever its value, also when that value is only known after
apply (a reference to another resource's computed attribute): the field name is wrong either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelinfra.errors import SpecError
from modelinfra.spec.compile import compile_spec

SPEC = """\
version: 1
name: t
providers:
  aws: {region: eu-west-1}
resources:
  a:
    type: aws.s3_bucket
    properties: {name: my-bucket-aaa}
  b:
    type: aws.s3_bucket
    properties:
      name: my-bucket-bbb
      nonsense: ${a.arn}
      versoning: ${a.name}
      tags: {source: '${a.arn}'}
"""


def test_an_unknown_field_fed_by_a_reference_is_reported_at_its_line(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    with pytest.raises(SpecError) as caught:
        compile_spec(spec, {})
    lines = [str(p) for p in caught.value.problems]
    assert any(":13:7: resources.b.properties.nonsense: unknown field" in line for line in lines), lines
    assert any(":14:7: resources.b.properties.versoning: unknown field (did you mean versioning?)" in line
               for line in lines), lines
    assert len(lines) == 2, lines  # the known field fed by a reference (tags) is not a problem

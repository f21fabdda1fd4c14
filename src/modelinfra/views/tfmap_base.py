"""Building blocks of the modelinfra -> Terraform resource mapping (``views.terraform_json``).

A *mapper* turns one modelinfra resource's attributes (``before`` or ``after`` of a plan change;
values may be UNKNOWN) into the Terraform resources a user would have written: a list of
``TfBlock`` (Terraform type, attribute values, references to sibling blocks). The first block is
the primary one. Mappers read attributes through ``Attrs.take``; every attribute no mapper took
lands under the primary block's ``modelinfra`` key, so nothing is dropped silently.

Values keep Terraform's JSON-plan shapes: nested blocks are lists of objects
(``versioning_configuration: [{status: Enabled}]``); UNKNOWN passes through untouched (the
renderer turns it into ``after_unknown``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from modelinfra.values import UNKNOWN

MODELINFRA_KEY = "modelinfra"


@dataclass
class TfBlock:
    """One Terraform resource. ``refs`` maps an attribute to the Terraform type whose block of the
    same name it points at (``{"bucket": "aws_s3_bucket"}``), written to ``configuration`` as a
    reference so graph-based checks connect the blocks. ``suffix`` tells apart several blocks of
    one Terraform type from one resource (a Front Door endpoint's origins): each is addressed
    ``<type>.<name>_<suffix>``; blocks without one keep the resource's own name."""

    type: str
    values: dict[str, Any]
    refs: dict[str, str] = field(default_factory=dict)
    suffix: str = ""


class Attrs:
    """A resource's attributes with a record of the ones a mapper used."""

    def __init__(self, data: dict[str, Any] | None):
        self.data = dict(data or {})
        self.taken: set[str] = set()

    def take(self, key: str, default: Any = None) -> Any:
        self.taken.add(key)
        value = self.data.get(key, default)
        return default if value is None else value

    def rest(self) -> dict[str, Any]:
        return {k: v for k, v in self.data.items() if k not in self.taken}


Mapper = Callable[[Attrs], list[TfBlock]]


def conv(value: Any, fn: Callable[[Any], Any]) -> Any:
    """``fn(value)``, except that UNKNOWN and None pass through unchanged."""
    return value if value is UNKNOWN or value is None else fn(value)


def drop_none(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` without the keys whose value is None (Terraform would show them as null anyway,
    but a check's ``missing`` default then applies, as for an unset HCL argument)."""
    return {k: v for k, v in values.items() if v is not None}


def generic(type_name: str) -> Mapper:
    """The fallback for a type with no Terraform counterpart (or none mapped yet): one block
    ``modelinfra_<cloud>_<kind>`` holding every attribute under ``modelinfra``."""
    tf_type = "modelinfra_" + type_name.replace(".", "_")

    def mapper(attrs: Attrs) -> list[TfBlock]:
        return [TfBlock(tf_type, {})]

    return mapper


def map_resource(mapper: Mapper, type_name: str, address: str, data: dict[str, Any] | None) -> list[TfBlock]:
    """Runs ``mapper`` and files the attributes it did not take under the primary block's
    ``modelinfra`` key, together with the modelinfra type and address."""
    attrs = Attrs(data)
    blocks = mapper(attrs)
    extra = {"type": type_name, "address": address}
    rest = attrs.rest()
    if rest:
        extra["attributes"] = rest
    blocks[0].values[MODELINFRA_KEY] = extra
    for block in blocks[1:]:
        block.values[MODELINFRA_KEY] = {"type": type_name, "address": address}
    return blocks

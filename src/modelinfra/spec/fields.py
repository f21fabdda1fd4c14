"""Building blocks for resource spec models: the base class and reusable field types.

Spec models are plain pydantic models with ``extra="forbid"``; their validators raise
``ValueError`` with a message fit to show the user (it is printed after ``file:line:col: path:``).

Types are as strict as the JSON Schema says: a boolean field takes only ``true``/``false`` (not
``1``, ``"yes"``), and a number field takes no boolean, so ``validate`` and an editor using the
schema agree. Strings are not coerced to other types either way.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

Tags = Annotated[dict[str, str], Field(default_factory=dict, description=(
    "Tags (key: value); modelinfra adds modelinfra-stack and modelinfra-address itself."))]


class SpecModel(BaseModel):
    """Base of every resource and provider spec model: unknown keys are errors; booleans are strict."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False, validate_default=True,
                              use_attribute_docstrings=True)

    @field_validator("*", mode="before")
    @classmethod
    def _strict_scalars(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name is None:
            return value
        kinds = _scalar_kinds(cls.model_fields[info.field_name].annotation)
        if kinds == {bool} and not isinstance(value, bool) and value is not None:
            raise ValueError("must be true or false" + _got(value))
        if isinstance(value, bool) and kinds and bool not in kinds and kinds <= {int, float}:
            raise ValueError("must be a number" + _got(value))
        return value


def _scalar_kinds(annotation: Any) -> set[type]:
    """The scalar types (bool/int/float/str) a field annotation accepts; empty when it accepts others."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _scalar_kinds(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        kinds: set[type] = set()
        for arg in typing.get_args(annotation):
            if arg is type(None):
                continue
            inner = _scalar_kinds(arg)
            if not inner:
                return set()
            kinds |= inner
        return kinds
    if annotation in (bool, int, float, str):
        return {annotation}
    return set()


def _got(value: Any) -> str:
    return f" (got {value!r})" if isinstance(value, str | int | float) and len(str(value)) < 80 else ""

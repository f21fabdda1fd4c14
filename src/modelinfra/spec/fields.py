"""Building blocks for resource spec models: the base class and reusable field types.

Spec models are plain pydantic models with ``extra="forbid"``; their validators raise
``ValueError`` with a message fit to show the user (it is printed after ``file:line:col: path:``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Tags = Annotated[dict[str, str], Field(default_factory=dict)]


class SpecModel(BaseModel):
    """Base of every resource and provider spec model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False, validate_default=True)

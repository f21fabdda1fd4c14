"""modelinfra: a declarative reconciler for ML model infrastructure on Azure and AWS.

The public Python surface is small and pinned by ``tests/test_public_api.py``; everything else is
internal. Importing ``modelinfra`` imports no cloud SDK.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from modelinfra.errors import (
    AbortedError,
    ApplyError,
    LockHeldError,
    ModelinfraError,
    PlanError,
    PreventDestroyError,
    Problem,
    ProviderError,
    RetryableError,
    SpecError,
    StalePlanError,
    StateError,
    TerminalError,
)
from modelinfra.plans.action import Action
from modelinfra.plans.plan import Plan, ResourceChange
from modelinfra.providers.base import ResourceContext, ResourceHandler
from modelinfra.reporting import Reporter
from modelinfra.settings import Settings
from modelinfra.spec.compile import compile_spec

try:
    __version__ = version("modelinfra")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
    "AbortedError",
    "Action",
    "ApplyError",
    "LockHeldError",
    "ModelinfraError",
    "Plan",
    "PlanError",
    "PreventDestroyError",
    "Problem",
    "ProviderError",
    "ResourceChange",
    "ResourceContext",
    "ResourceHandler",
    "Reporter",
    "RetryableError",
    "Settings",
    "SpecError",
    "StalePlanError",
    "StateError",
    "TerminalError",
    "__version__",
    "compile_spec",
]

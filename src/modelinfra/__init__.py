"""modelinfra: a declarative reconciler for ML model infrastructure on Azure and AWS.

The public Python surface is small and pinned by ``tests/test_public_api.py``; everything else is
internal. Importing ``modelinfra`` imports no cloud SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from modelinfra.plans.action import Action
    from modelinfra.plans.plan import Plan, ResourceChange
    from modelinfra.providers.base import ResourceContext, ResourceHandler
    from modelinfra.reporting import Reporter
    from modelinfra.settings import Settings
    from modelinfra.spec.compile import compile_spec

# Imported on first attribute access (PEP 562), so `import modelinfra` -- and so `modelinfra --help` --
# pulls in neither pydantic nor the engine.
_LAZY = {
    "Action": "modelinfra.plans.action",
    "Plan": "modelinfra.plans.plan",
    "ResourceChange": "modelinfra.plans.plan",
    "ResourceContext": "modelinfra.providers.base",
    "ResourceHandler": "modelinfra.providers.base",
    "Reporter": "modelinfra.reporting",
    "Settings": "modelinfra.settings",
    "compile_spec": "modelinfra.spec.compile",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("modelinfra")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
            return "0+unknown"
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'modelinfra' has no attribute {name!r}")


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

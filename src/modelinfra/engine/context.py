"""Per-run wiring between the engine and the handlers: the handlers themselves (the registry by
default, or a mapping a test supplies), provider sessions (opened lazily, once per cloud) and the
``ResourceContext`` each handler call receives.

Every handler lookup of a run goes through ``RunContext.handler``; nothing in the engine calls
the registry directly, so a run can be pointed at an in-memory fake provider.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from modelinfra.engine import retry
from modelinfra.providers.base import ResourceContext, ResourceHandler
from modelinfra.providers.registry import handler_for
from modelinfra.providers.sessions import open_session
from modelinfra.reporting import NULL_REPORTER, Reporter
from modelinfra.settings import Settings
from modelinfra.spec.spec import Spec


class RunContext:
    """Everything one plan/apply/drift run shares. Thread-safe.

    ``handlers`` (type name -> handler) replaces the registry for this run when given: only those
    types exist. ``sessions`` (cloud -> session) are used as they are instead of being opened from
    the spec's providers (a fake cloud supplies its own). ``sleep`` is how a retry waits (tests
    pass one that returns at once). ``tiebreak`` orders apply steps that are ready at the same time
    (default: by name; the lifecycle fuzzer shuffles it, so no order holds only by luck)."""

    def __init__(self, spec: Spec, settings: Settings, reporter: Reporter = NULL_REPORTER,
                 handlers: Mapping[str, ResourceHandler] | None = None,
                 sessions: Mapping[str, Any] | None = None, sleep: Callable[[float], None] = retry.sleep,
                 tiebreak: Callable[[str], Any] | None = None):
        self.spec = spec
        self.settings = settings
        self.reporter = reporter
        self._handlers = dict(handlers) if handlers is not None else None
        self._sessions: dict[str, Any] = dict(sessions or {})
        self.sleep = sleep
        self.tiebreak = tiebreak
        self._lock = threading.Lock()
        self._spec_dir: Any = None  # the spec's resolved directory, once: resolving costs a stat per path part

    def session(self, cloud: str) -> Any:
        with self._lock:
            if cloud not in self._sessions:
                self._sessions[cloud] = open_session(cloud, self.spec.providers, self.settings)
            return self._sessions[cloud]

    def handler(self, type_name: str) -> ResourceHandler:
        """The handler for ``type_name``. KeyError if this run knows no such type."""
        if self._handlers is not None:
            return self._handlers[type_name]
        return handler_for(type_name)

    def call(self, address: str, fn: Callable[[], Any]) -> Any:
        """``fn()`` (one handler call for ``address``), retried on ``RetryableError`` (engine/retry.py)."""
        return retry.call(self, address, fn)

    def resource_context(self, address: str, type_name: str) -> ResourceContext:
        handler = self.handler(type_name)
        declared = self.spec.resources.get(address)
        if self._spec_dir is None:
            self._spec_dir = self.spec.directory
        return ResourceContext(
            stack=self.spec.name,
            address=address,
            spec_dir=(declared.scope.directory if declared else None) or self._spec_dir,
            session=self.session(handler.cloud),
            reporter=self.reporter,
            hard_delete=bool(declared and declared.lifecycle.hard_delete),
            retain_versions=bool(declared and declared.lifecycle.retain_versions),
        )

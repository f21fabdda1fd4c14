"""Per-run wiring between the engine and the handlers: provider sessions (opened lazily, once
per cloud) and the ``ResourceContext`` each handler call receives."""

from __future__ import annotations

import threading
from typing import Any

from modelinfra.providers.base import ResourceContext, ResourceHandler
from modelinfra.providers.registry import handler_for
from modelinfra.providers.sessions import open_session
from modelinfra.reporting import NULL_REPORTER, Reporter
from modelinfra.settings import Settings
from modelinfra.spec.spec import Spec


class RunContext:
    """Everything one plan/apply/drift run shares. Thread-safe."""

    def __init__(self, spec: Spec, settings: Settings, reporter: Reporter = NULL_REPORTER):
        self.spec = spec
        self.settings = settings
        self.reporter = reporter
        self._sessions: dict[str, Any] = {}
        self._lock = threading.Lock()

    def session(self, cloud: str) -> Any:
        with self._lock:
            if cloud not in self._sessions:
                self._sessions[cloud] = open_session(cloud, self.spec.providers, self.settings)
            return self._sessions[cloud]

    def handler(self, type_name: str) -> ResourceHandler:
        return handler_for(type_name)

    def resource_context(self, address: str, type_name: str) -> ResourceContext:
        handler = handler_for(type_name)
        declared = self.spec.resources.get(address)
        return ResourceContext(
            stack=self.spec.name,
            address=address,
            spec_dir=self.spec.directory,
            session=self.session(handler.cloud),
            reporter=self.reporter,
            hard_delete=bool(declared and declared.lifecycle.hard_delete),
            retain_versions=bool(declared and declared.lifecycle.retain_versions),
        )

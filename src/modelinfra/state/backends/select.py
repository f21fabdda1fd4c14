"""Which backend holds a stack's state: the spec's ``state:`` block, and the record of where the state
was last kept (``.modelinfra/backend.json`` beside the spec).

- ``open_backend(spec, reporter)`` opens the backend the spec names. S3 takes ``region``,
  ``profile`` and ``endpoint_url`` from ``providers.aws`` when the block leaves them out (and the
  endpoint from ``AWS_ENDPOINT_URL`` after that); Azure blob is built by
  ``AzureBlobBackend.from_config(config, providers.azure, reporter=...)``. A backend whose module
  cannot be imported is a one-line ``StateError``.
- The record is JSON ``{"backend": ..., <the state block's other fields>}``. It is written after the
  first successful state write to a non-local backend and by ``state migrate``. ``recorded(spec)``
  is that record, else the local default file when it holds a state, else None (never kept
  anywhere yet: a fresh checkout of a stack with remote state).
- ``check_recorded(spec)`` raises ``StateError`` when the state was last kept somewhere other than
  the spec now names, telling the user to run ``modelinfra state migrate SPEC``. Two places are the
  same when their identifying fields match (kind + bucket/key, account/container/blob, or path):
  region, profile, endpoints and keys may differ between machines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modelinfra.errors import StateError
from modelinfra.fileio import atomic_write_text
from modelinfra.reporting import NULL_REPORTER, Reporter
from modelinfra.spec.model import AzureBlobStateConfig, LocalStateConfig, S3StateConfig, StateConfig
from modelinfra.spec.spec import Spec
from modelinfra.state.backends.base import StateBackend
from modelinfra.state.backends.local import LocalBackend
from modelinfra.state.manager import StateManager
from modelinfra.state.model import State

RECORD_NAME = "backend.json"
_IDENTITY = {"local": ("path",), "s3": ("bucket", "key"), "azure_blob": ("account", "container", "blob")}


def open_backend(spec: Spec, reporter: Reporter = NULL_REPORTER, config: StateConfig | None = None) -> StateBackend:
    """The backend for ``config`` (default: the spec's ``state:`` block). State writes to a
    non-local backend record it in ``.modelinfra/backend.json``."""
    config = config if config is not None else spec.state
    if isinstance(config, LocalStateConfig):
        return LocalBackend(local_path(spec, config), reporter=reporter)
    backend = _remote_backend(spec, config, reporter)
    return _Recording(backend, spec, config)


def _remote_backend(spec: Spec, config: StateConfig, reporter: Reporter) -> StateBackend:
    if isinstance(config, S3StateConfig):
        from modelinfra.state.backends.s3 import S3Backend

        aws = spec.providers.aws
        return S3Backend(config.bucket, config.key, region=config.region or (aws.region if aws else None),
                         profile=config.profile or (aws.profile if aws else None),
                         endpoint_url=config.endpoint_url or (aws.endpoint_url if aws else None),
                         kms_key_id=config.kms_key_id, reporter=reporter)
    if isinstance(config, AzureBlobStateConfig):
        try:
            from modelinfra.state.backends.azure_blob import AzureBlobBackend
        except ImportError as exc:
            raise StateError(f"state backend azure_blob is not available in this installation ({exc})") from None
        backend: StateBackend = AzureBlobBackend.from_config(config, spec.providers.azure, reporter=reporter)
        return backend
    raise StateError(f"unknown state backend {getattr(config, 'backend', config)!r}")  # the schema prevents it


def local_path(spec: Spec, config: StateConfig | None = None) -> Path:
    """The local state file: ``state.path`` of a local block (relative to the spec), else the default
    ``.modelinfra/<name>.state.json``."""
    if config is None or config is spec.state:
        return spec.state_path()
    if isinstance(config, LocalStateConfig) and config.path:
        return (spec.directory / config.path).resolve()
    return _default_path(spec)


def _default_path(spec: Spec) -> Path:
    return (spec.directory / ".modelinfra" / f"{spec.name}.state.json").resolve()


def record_path(spec: Spec) -> Path:
    return spec.directory / ".modelinfra" / RECORD_NAME


def describe(config: StateConfig, spec: Spec | None = None) -> str:
    """Where ``config`` keeps the state, for messages: a path, ``s3://b/k`` or ``azure_blob://a/c/b``."""
    if isinstance(config, LocalStateConfig):
        return str(local_path(spec, config)) if spec is not None else f"local file {config.path or '(default)'}"
    if isinstance(config, S3StateConfig):
        return f"s3://{config.bucket}/{config.key}"
    if isinstance(config, AzureBlobStateConfig):
        return f"azure_blob://{config.account}/{config.container}/{config.blob}"
    return str(config)


def same_place(a: StateConfig, b: StateConfig, spec: Spec) -> bool:
    """Whether ``a`` and ``b`` name the same stored state (see the module docstring)."""
    if a.backend != b.backend:
        return False
    if isinstance(a, LocalStateConfig):
        return local_path(spec, a) == local_path(spec, b)
    return all(getattr(a, field) == getattr(b, field) for field in _IDENTITY[a.backend])


def read_record(spec: Spec) -> StateConfig | None:
    """The state block recorded in ``.modelinfra/backend.json``; None when there is none.
    ``StateError`` when it is unreadable."""
    from pydantic import TypeAdapter, ValidationError

    path = record_path(spec)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StateError(f"{path}: not a readable backend record ({exc}); delete it if the state is where "
                         f"the spec says") from None
    try:
        config: StateConfig = TypeAdapter(StateConfig).validate_python(data)
    except ValidationError as exc:
        raise StateError(f"{path}: not a valid backend record ({exc.error_count()} problem(s)); delete it if "
                         f"the state is where the spec says") from None
    return config


def write_record(spec: Spec, config: StateConfig) -> None:
    """Record ``config`` as where the state of ``spec`` is kept now (atomic, 0600)."""
    path = record_path(spec)
    document = config.model_dump(mode="json", exclude_none=True)
    if isinstance(config, LocalStateConfig):
        document["path"] = str(local_path(spec, config))
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write_text(path, json.dumps(document, indent=2, sort_keys=True) + "\n", mode=0o600)
    except OSError as exc:
        raise StateError(f"cannot write {path}: {exc.strerror or exc}") from None


def recorded(spec: Spec) -> StateConfig | None:
    """Where the state was last kept: the record, else the default local file when it exists, else None."""
    config = read_record(spec)
    if config is not None:
        return config
    default = LocalStateConfig()
    return default if local_path(spec, default).exists() else None


def check_recorded(spec: Spec) -> None:
    """Raise ``StateError`` when the state was last kept elsewhere than the spec's backend."""
    last = recorded(spec)
    if last is None or same_place(last, spec.state, spec):
        return
    raise StateError(f"the spec keeps state in {describe(spec.state, spec)}, but the state of {spec.name} was "
                     f"last kept in {describe(last, spec)}; run `modelinfra state migrate {spec.path}` to move it "
                     f"(nothing was changed)")


class _Recording:
    """A backend that records itself in ``.modelinfra/backend.json`` after its first successful write.
    Everything else is the wrapped backend's (attributes too: ``path``, ``lock_info``...)."""

    def __init__(self, backend: StateBackend, spec: Spec, config: StateConfig):
        self._backend, self._spec, self._config, self._recorded = backend, spec, config, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)

    def __repr__(self) -> str:
        return repr(self._backend)

    def read(self) -> State | None:
        return self._backend.read()

    def write(self, state: State) -> None:
        self._backend.write(state)
        if not self._recorded:
            write_record(self._spec, self._config)
            self._recorded = True

    def lock(self, operation: str, timeout: float = 0.0) -> Any:
        return self._backend.lock(operation, timeout)

    def unlock(self) -> None:
        self._backend.unlock()

    def force_unlock(self, lock_id: str | None = None) -> bool:
        return self._backend.force_unlock(lock_id)


def migrate(spec: Spec, target: StateBackend, lock_timeout: float = 0.0, reporter: Reporter = NULL_REPORTER) -> str:
    """Copy the state from where it was last kept (``recorded``) to ``target`` (the spec's backend),
    lineage and serial as they are, holding both locks; then record the spec's backend. Returns
    what happened, in a sentence. ``StateError`` (nothing written) when there is no state to move or
    ``target`` already holds a different one. The old copy is left where it was."""
    source_config = recorded(spec)
    here = describe(spec.state, spec)
    if source_config is None or same_place(source_config, spec.state, spec):
        write_record(spec, spec.state)
        return f"Nothing to migrate: the state of {spec.name} is kept in {here}, as the spec says."
    there = describe(source_config, spec)
    source = open_backend(spec, reporter, source_config)
    source.lock("state migrate", lock_timeout)
    try:
        target.lock("state migrate", lock_timeout)
        try:
            state = StateManager(source).read()  # the journal replayed: a crashed run's actions too
            if state is None:
                raise StateError(f"no state in {there} to migrate to {here}; nothing was changed")
            existing = StateManager(target).read()
            if existing is not None and existing.to_json() != state.to_json():
                raise StateError(
                    f"{here} already holds a state of stack {existing.stack} (lineage {existing.lineage}, serial "
                    f"{existing.serial}), not the one in {there} (lineage {state.lineage}, serial {state.serial}); "
                    f"nothing was changed. Compare them with `state pull`, and replace it with `state push --force`")
            if existing is None:
                target.write(state)
            write_record(spec, spec.state)
        finally:
            target.unlock()
    finally:
        source.unlock()
    return (f"Migrated the state of {spec.name} (lineage {state.lineage}, serial {state.serial}) from {there} to "
            f"{here}. The copy in {there} was left as it was; remove it once you no longer need it.")

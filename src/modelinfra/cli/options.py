"""Options shared by several commands."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from modelinfra.settings import Settings
from modelinfra.spec.variables import Assigned


def parse_vars(values: tuple[str, ...]) -> Assigned:
    """The ``--var-file`` values (in the order given), then the ``--var`` ones over them, each
    with where it came from (see ``modelinfra.spec.variables`` for the whole precedence)."""
    out = Assigned()
    ctx = click.get_current_context(silent=True)
    for path in (ctx.meta.get(_VAR_FILES, ()) if ctx else ()):
        for name, value in _read_var_file(path).items():
            out[name] = value
            out.origins[name] = f"--var-file {path}"
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE", param_hint="--var")
        out[name] = value
        out.origins[name] = "--var"
    return out


_VAR_FILES = "modelinfra.var_files"


def write_output_file(path: Path, text: str, write: Callable[[Path, str], None] | None = None) -> None:
    """Write a report or plan the user asked for with ``--output``/``--out``; a path that cannot be
    written is a one-line ``ModelinfraError`` (exit 1), never an internal error."""
    from modelinfra.errors import ModelinfraError
    from modelinfra.fileio import atomic_write_text

    try:
        if write is None:
            atomic_write_text(path, text, mode=0o644)
        else:
            write(path, text)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(path) else ""
        raise ModelinfraError(f"cannot write {path}: {exc.strerror or exc}{where}") from None


def _read_var_file(path: Path) -> dict[str, Any]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise click.BadParameter(f"{path}: cannot read it ({exc.strerror})", param_hint="--var-file") from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise click.BadParameter(f"{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})",
                                 param_hint="--var-file") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise click.BadParameter(f"{path}: must be a mapping of variable names to values (`env: prod`)",
                                 param_hint="--var-file")
    return data


def var_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--var NAME=VALUE`` and ``--var-file FILE.yaml`` (both repeatable)."""

    def remember(ctx: click.Context, param: click.Parameter, value: tuple[Path, ...]) -> None:
        ctx.meta[_VAR_FILES] = value

    f = click.option("--var-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), multiple=True,
                     expose_value=False, callback=remember, metavar="FILE.yaml",
                     help="Set variables from a YAML mapping (repeatable; later files win, --var wins over "
                          "them; MODELINFRA_VAR_<NAME> and defaults lose to both).")(f)
    return click.option("--var", "variables", multiple=True, metavar="NAME=VALUE",
                        help="Set a variable (repeatable). Also MODELINFRA_VAR_<NAME>.")(f)


def parallelism_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--parallelism", type=click.IntRange(1, 256), default=None,
                        help="Concurrent cloud operations (default 16; MODELINFRA_PARALLELISM).")(f)


def lock_timeout_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--lock-timeout", type=float, default=0.0, metavar="SECONDS",
                        help="Wait this long for the state lock instead of failing at once.")(f)


def no_color_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--no-color`` after the subcommand too (``modelinfra plan --no-color``), as Terraform allows."""

    def disable(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value:
            from modelinfra.views import console

            console.disable_color()

    return click.option("--no-color", is_flag=True, expose_value=False, is_eager=True, callback=disable,
                        help="Never colour output (also: NO_COLOR).")(f)


def settings(parallelism: int | None) -> Settings:
    return Settings.from_env(parallelism=parallelism)


LOG_LEVELS = ("debug", "info", "warning", "error")


class _LogFormatter(logging.Formatter):
    """``Warning: message`` for warnings and errors; with a level below warning chosen, a
    timestamped ``LEVEL logger: message`` line per record (requests, retries...)."""

    def __init__(self, verbose: bool):
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s" if verbose else "%(message)s")
        self.verbose = verbose

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if not self.verbose and record.levelno >= logging.WARNING:
            text = f"{record.levelname.title()}: {text}"
        return text


def configure_logging(level: str) -> None:
    """Send the ``modelinfra`` logger tree (``modelinfra.http`` requests, ``modelinfra.retry``
    retries, ``modelinfra.spec`` warnings...) to stderr at ``level``; idempotent."""
    logger = logging.getLogger("modelinfra")
    for handler in [h for h in logger.handlers if getattr(h, "_modelinfra_cli", False)]:
        logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._modelinfra_cli = True  # type: ignore[attr-defined]
    numeric = getattr(logging, level.upper())
    handler.setFormatter(_LogFormatter(verbose=numeric < logging.WARNING))
    logger.addHandler(handler)
    logger.setLevel(numeric)
    logger.propagate = False


def log_level_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--log-level debug|info|warning|error`` (also ``MODELINFRA_LOG``); default warning."""

    def apply(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        configure_logging(value or "warning")

    return click.option("--log-level", type=click.Choice(LOG_LEVELS, case_sensitive=False), envvar="MODELINFRA_LOG",
                        expose_value=False, is_eager=True, callback=apply, show_envvar=True,
                        help="Log to stderr at this level: debug shows every cloud request (method, URL, "
                             "status, time) and retry; default warning.")(f)


class LoggingGroup(click.Group):
    """A command group whose every subcommand takes ``--log-level`` (and ``MODELINFRA_LOG``), added
    when the subcommand is registered, so the subcommands need not each say so."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not any(getattr(p, "name", None) == "log_level" for p in cmd.params):
            log_level_option(cmd)
        super().add_command(cmd, name)

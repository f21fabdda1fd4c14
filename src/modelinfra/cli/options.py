"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from modelinfra.settings import Settings


def parse_vars(values: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE", param_hint="--var")
        out[name] = value
    return out


def var_option(f: Callable[..., Any]) -> Callable[..., Any]:
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

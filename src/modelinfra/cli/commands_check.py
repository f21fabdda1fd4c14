"""``check``: the built-in policy baseline over a spec, offline. Exit 0 clean, 2 findings at or above
``--fail-on`` (default medium), 1 error (invalid spec, unknown rule in ``policy.skip``)."""

from __future__ import annotations

from pathlib import Path

import click

from modelinfra.cli.options import (
    log_level_option,
    no_color_option,
    parse_vars,
    var_option,
    write_output_file,
)
from modelinfra.views import console


@click.command("check", epilog="""\b
Examples:
  modelinfra check spec.yaml
  modelinfra check spec.yaml --format sarif --output check.sarif   # exit 2 = findings at --fail-on or above""")
@log_level_option
@no_color_option
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(("text", "json", "sarif", "junit")), default="text",
              show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report here; the summary still goes to the terminal.")
@click.option("--fail-on", type=click.Choice(("low", "medium", "high")), default="medium", show_default=True,
              help="Exit 2 when an unsuppressed finding has at least this severity.")
@var_option
def check_command(spec: Path, fmt: str, output: Path | None, fail_on: str, variables: tuple[str, ...]) -> int:
    """Check the spec against the built-in security baseline (no cloud call).

    Rules and their ids: see README "modelinfra check". Suppress one with
    `policy: {skip: [{rule, address, reason, until}]}` in the spec."""
    from modelinfra.policy.check import run_check
    from modelinfra.policy.output import render, summary
    from modelinfra.spec.compile import compile_spec

    report = run_check(compile_spec(spec, parse_vars(variables)))
    rendered = render(report, fmt, fail_on)
    if output is not None:
        write_output_file(output, rendered)
        console.stdout().print(summary(report, fail_on), markup=False)
    else:
        click.echo(rendered, nl=False)
    return 2 if report.failing(fail_on) else 0


COMMANDS = [check_command]

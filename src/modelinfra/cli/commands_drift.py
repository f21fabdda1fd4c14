"""``drift``: the read-only check a scheduled CI job runs. Exit 0 in sync, 2 drift, 1 error."""

from __future__ import annotations

from pathlib import Path

import click

from modelinfra.cli.options import (
    log_level_option,
    no_color_option,
    parallelism_option,
    parse_vars,
    settings,
    var_option,
    write_output_file,
)
from modelinfra.engine import workflow
from modelinfra.reporting import NULL_REPORTER
from modelinfra.views import console
from modelinfra.views.drift_report import FORMATS, render_report, render_summary


@click.command("drift", epilog="""\b
Examples:
  modelinfra drift spec.yaml
  modelinfra drift spec.yaml --format markdown --output drift.md   # exit 2 = drift""")
@log_level_option
@no_color_option
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report here; the human summary still goes to the terminal.")
@click.option("--unmanaged", is_flag=True,
              help="Also report cloud resources of the stack (tagged modelinfra-stack=<name>, or in its "
                   "resource groups) that it does not manage; they count as drift.")
@var_option
@parallelism_option
def drift_command(spec: Path, fmt: str, output: Path | None, unmanaged: bool, variables: tuple[str, ...],
                  parallelism: int | None) -> int:
    """Report changes made outside modelinfra. Changes nothing and takes no lock.

    Exit 0 in sync, 2 drift (modified, deleted or, with --unmanaged, unmanaged resources), 1 error."""
    stack = workflow.open_stack(spec, parse_vars(variables), settings(parallelism), NULL_REPORTER)
    report = workflow.drift(stack, unmanaged=unmanaged)
    rendered = render_report(report, fmt)
    if output is not None:
        write_output_file(output, rendered)
        console.stdout().print(render_summary(report), end="")
    else:
        console.stdout().print(rendered, end="", markup=False)
    return 2 if report.has_drift else 0


COMMANDS = [drift_command]

"""``plan``, ``apply``, ``destroy``, ``show``."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from modelinfra.cli.interrupts import acknowledge_interrupts
from modelinfra.cli.options import (
    lock_timeout_option,
    log_level_option,
    no_color_option,
    parallelism_option,
    parse_vars,
    settings,
    var_option,
    write_output_file,
)
from modelinfra.engine import workflow
from modelinfra.errors import AbortedError, ApplyError, ModelinfraError, PlanError
from modelinfra.plans.plan import Plan
from modelinfra.plans.planfile import is_planfile, read_planfile, write_planfile
from modelinfra.policy import plan_warnings
from modelinfra.reporting import NULL_REPORTER
from modelinfra.spec.variables import Assigned
from modelinfra.state import State
from modelinfra.views import console, plan_formats
from modelinfra.views.human import render_outputs, render_plan_pieces, render_state
from modelinfra.views.progress import ConsoleReporter

SPEC = click.Path(exists=True, dir_okay=False, path_type=Path)

replace_option = click.option("--replace", "replace", multiple=True, metavar="ADDR",
                              help="Replace ADDR (delete and create it again) even if nothing forces it; repeatable.")
refresh_only_option = click.option(
    "--refresh-only", is_flag=True,
    help="Accept what changed outside modelinfra: only record the cloud's current values in state "
         "(resources deleted outside leave it); never create, update or delete anything.")


@click.command("plan", epilog="""\b
Examples:
  modelinfra plan spec.yaml --var env=prod
  modelinfra plan spec.yaml --out plan.json --detailed-exitcode   # CI: exit 2 = changes
  modelinfra plan spec.yaml --refresh-only   # drift to accept into state, nothing else""")
@log_level_option
@no_color_option
@click.argument("spec", type=SPEC)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan for `apply FILE`.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (format_version 1.0).")
@click.option("--format", "fmt", type=click.Choice(plan_formats.FORMATS), help="text, json, terraform-json, markdown.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when the plan has changes.")
@click.option("--refresh/--no-refresh", default=True, help="Read the cloud first (default) or trust state.")
@click.option("--destroy", is_flag=True, help="Plan to destroy everything in state.")
@click.option("--target", "targets", multiple=True, metavar="ADDR", help="Limit to ADDR and what it needs.")
@replace_option
@refresh_only_option
@var_option
@parallelism_option
def plan_command(spec: Path, out: Path | None, as_json: bool, fmt: str | None, detailed_exitcode: bool, refresh: bool,
                 destroy: bool, targets: tuple[str, ...], replace: tuple[str, ...], refresh_only: bool,
                 variables: tuple[str, ...], parallelism: int | None) -> int:
    """Show what apply would do. Reads the cloud; changes nothing."""
    as_json = as_json or fmt == "json"
    reporter = NULL_REPORTER if as_json else ConsoleReporter()
    stack = workflow.open_stack(spec, parse_vars(variables), settings(parallelism), reporter)
    result = workflow.plan(stack, refresh=refresh, destroy=destroy, targets=targets, replace=replace,
                           refresh_only=refresh_only)
    for warning in plan_warnings(stack.spec, result):
        console.stderr().print(warning, style="yellow", markup=False, highlight=False)
    if out is not None:
        write_output_file(out, "", lambda path, _: write_planfile(result, path))
    if fmt in plan_formats.EXTRA:
        click.echo(plan_formats.render(result, fmt), nl=False)
    elif as_json:
        click.echo(json.dumps(result.to_json(), indent=2, sort_keys=True, default=str))
    else:
        print_in_pieces(render_plan_pieces(result))
        if out is not None:
            console.stdout().print(f"\nSaved the plan to: {out}\nTo perform exactly these actions, run: "
                                   f"modelinfra apply {out}")
    return 2 if detailed_exitcode and result.has_changes else 0


def print_in_pieces(pieces: Iterable[Any], per_print: int = 200) -> None:
    """Print a rendered plan (``render_plan_pieces``) a couple of hundred pieces at a time, exactly
    as printing it whole would: rich renders a whole renderable into memory before writing it,
    which for a 10,000-resource plan is hundreds of MB."""
    from rich.text import Text

    buffer, count = Text(), 0
    for piece in pieces:
        buffer.append_text(piece)
        count += 1
        if count == per_print:
            console.print_text(console.stdout(), buffer)
            buffer, count = Text(), 0
    if count:
        console.print_text(console.stdout(), buffer)


@click.command("apply", epilog="""\b
Examples:
  modelinfra apply spec.yaml
  modelinfra apply plan.json      # exactly what `plan --out plan.json` showed
  modelinfra apply spec.yaml --target bucket --auto-approve
  modelinfra apply spec.yaml --refresh-only   # accept the drift into state; the cloud is untouched""")
@log_level_option
@no_color_option
@click.argument("target", type=SPEC, metavar="SPEC|PLANFILE")
@click.option("--auto-approve", is_flag=True, help="Skip the interactive `yes`.")
@click.option("--target", "targets", multiple=True, metavar="ADDR",
              help="Apply only ADDR and what it needs (repeatable; a saved plan keeps its own targets).")
@replace_option
@refresh_only_option
@var_option
@parallelism_option
@lock_timeout_option
def apply_command(target: Path, auto_approve: bool, targets: tuple[str, ...], replace: tuple[str, ...],
                  refresh_only: bool, variables: tuple[str, ...],
                  parallelism: int | None, lock_timeout: float) -> int:
    """Make the cloud match the spec (or execute a saved plan exactly)."""
    saved: Plan | None = None
    cli_vars = parse_vars(variables)
    spec_path = target
    if is_planfile(target):
        if targets or replace or refresh_only:
            raise click.UsageError("--target, --replace and --refresh-only do not change a saved plan; give them to "
                                   "plan instead")
        saved = read_planfile(target)
        spec_path = Path(saved.spec_path)
        cli_vars = Assigned({**saved.variables, **cli_vars},
                            {**dict.fromkeys(saved.variables, f"the saved plan {target}"), **cli_vars.origins})
    reporter = ConsoleReporter(show_refresh=saved is None)
    stack = workflow.open_stack(spec_path, cli_vars, settings(parallelism), reporter)
    confirm = _confirmer(auto_approve or saved is not None, "apply")
    with acknowledge_interrupts(reporter):
        the_plan, state = workflow.apply(stack, confirm=confirm, saved_plan=saved, targets=targets,
                                         replace=replace, lock_timeout=lock_timeout, refresh_only=refresh_only)
    _summary(the_plan, state, "Apply")
    return 0


@click.command("destroy", epilog="""\b
Examples:
  modelinfra destroy spec.yaml
  modelinfra destroy spec.yaml --target model --auto-approve""")
@log_level_option
@no_color_option
@click.argument("spec", type=SPEC)
@click.option("--auto-approve", is_flag=True, help="Skip the interactive `yes`.")
@click.option("--target", "targets", multiple=True, metavar="ADDR", help="Destroy only ADDR and its dependents.")
@var_option
@parallelism_option
@lock_timeout_option
def destroy_command(spec: Path, auto_approve: bool, targets: tuple[str, ...], variables: tuple[str, ...],
                    parallelism: int | None, lock_timeout: float) -> int:
    """Delete everything this stack manages."""
    reporter = ConsoleReporter()
    stack = workflow.open_stack(spec, parse_vars(variables), settings(parallelism), reporter)
    if stack.manager.snapshot() is None:  # never applied: nothing to do, and no state file to write
        console.stdout().print(f"Nothing to destroy: stack {stack.spec.name} has no state yet.")
        return 0
    try:
        with acknowledge_interrupts(reporter):
            the_plan, state = workflow.apply(stack, confirm=_confirmer(auto_approve, "destroy"), destroy=True,
                                             targets=targets, lock_timeout=lock_timeout)
    except ApplyError as exc:
        raise ModelinfraError(str(exc).replace("apply failed:", "destroy failed:", 1)) from None
    _summary(the_plan, state, "Destroy")
    return 0


@click.command("show", epilog="""\b
Examples:
  modelinfra plan spec.yaml --out plan.json && modelinfra show plan.json
  modelinfra show            # the current state of the stack in this directory""")
@log_level_option
@no_color_option
@click.argument("planfile", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--format", "fmt", type=click.Choice(plan_formats.FORMATS), help="text, json, terraform-json, markdown.")
def show_command(planfile: Path | None, as_json: bool, fmt: str | None) -> int:
    """Show a saved plan; with no PLANFILE, the current state of the stack whose state is in
    ./.modelinfra (run it in the spec's directory)."""
    if planfile is None:
        state = _local_state()
        if as_json:
            click.echo(json.dumps(state.to_json(), indent=2, sort_keys=True, default=str))
        else:
            console.stdout().print(render_state(state), end="", markup=False)
        return 0
    if planfile.suffix in (".yaml", ".yml") and not is_planfile(planfile):
        raise PlanError(f"{planfile} is a spec, not a plan file: save a plan with `modelinfra plan {planfile} "
                        "--out plan.json` and show that, or run `modelinfra show` with no argument in the "
                        "spec's directory to see the current state")
    saved = read_planfile(planfile)
    if fmt in plan_formats.EXTRA:
        click.echo(plan_formats.render(saved, fmt), nl=False)
    elif as_json or fmt == "json":
        click.echo(json.dumps(saved.to_json(), indent=2, sort_keys=True, default=str))
    else:
        print_in_pieces(render_plan_pieces(saved))
    return 0


def _local_state() -> State:
    """The one state file under ./.modelinfra (the default state path of a spec in this directory)."""
    found = sorted(Path(".modelinfra").glob("*.state.json"))
    if not found:
        raise PlanError("no state in ./.modelinfra: run show in the spec's directory after an apply, or pass "
                        "a plan file (`modelinfra state list SPEC` works from anywhere)")
    if len(found) > 1:
        raise PlanError("several states in ./.modelinfra (" + ", ".join(p.name for p in found)
                        + "): use `modelinfra state list SPEC` for the one you mean")
    try:
        return State.from_json(json.loads(found[0].read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise PlanError(f"{found[0]}: not a readable state file ({exc})") from None


def _confirmer(auto_approve: bool, verb: str):  # type: ignore[no-untyped-def]
    def confirm(plan: Plan) -> bool:
        print_in_pieces(render_plan_pieces(plan))
        if auto_approve:
            return True
        if not sys.stdin.isatty():
            raise AbortedError(f"no terminal to confirm the {verb}; pass --auto-approve to {verb} without asking")
        question = ("Would you like to update the state to reflect these detected changes?" if plan.refresh_only
                    else "Do you want to perform these actions?")
        click.echo(f"\n{question}\n  Only 'yes' will be accepted to approve.\n")
        answer = click.prompt("  Enter a value", default="", show_default=False)
        return answer.strip() == "yes"

    return confirm


def _summary(plan: Plan, state: State, verb: str) -> None:
    """The closing lines; apply prints the outputs, with changes or without (as Terraform does)."""
    out = console.stdout()
    add, change, destroy = plan.counts()
    if verb == "Destroy":
        out.print(f"\nDestroy complete! Resources: {destroy} destroyed." if plan.has_changes
                  else "\nNothing to destroy.", style="bold green" if plan.has_changes else None)
        return
    if not plan.has_changes:
        out.print("\nNo changes. Your infrastructure matches the configuration.")
    elif plan.refresh_only:
        out.print(f"\nApply complete! State updated: {len(plan.resource_drift)} changed outside modelinfra accepted; "
                  "nothing in the cloud was changed.", style="bold green")
    else:
        out.print(f"\nApply complete! Resources: {add} added, {change} changed, {destroy} destroyed.",
                  style="bold green")
    if state.outputs:
        out.print("\nOutputs:\n")
        values = {name: value.get("value") for name, value in state.outputs.items()}
        out.print(render_outputs(values, {n for n, v in state.outputs.items() if v.get("sensitive")}),
                  end="", markup=False)


COMMANDS = [plan_command, apply_command, destroy_command, show_command]

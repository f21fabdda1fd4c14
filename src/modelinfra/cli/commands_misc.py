"""``validate``, ``schema``, ``output``, ``import``, ``artifacts``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from modelinfra.cli.options import (
    lock_timeout_option,
    log_level_option,
    no_color_option,
    parse_vars,
    var_option,
)
from modelinfra.engine import workflow
from modelinfra.errors import PlanError, SpecError
from modelinfra.spec.compile import compile_spec
from modelinfra.spec.suggest import did_you_mean
from modelinfra.views import console
from modelinfra.views.human import render_block, render_outputs

OUTPUT_FORMAT_VERSION = "1.0"
VALIDATE_FORMAT_VERSION = "1.0"
ARTIFACTS_FORMAT_VERSION = "1.0"

SPEC = click.Path(dir_okay=False, path_type=Path)


@click.command("validate", epilog="""\b
Examples:
  modelinfra validate spec.yaml
  modelinfra validate specs/*.yaml --json   # CI: every problem, machine-readable""")
@log_level_option
@no_color_option
@click.argument("specs", type=SPEC, nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print problems as JSON.")
@var_option
def validate_command(specs: tuple[Path, ...], as_json: bool, variables: tuple[str, ...]) -> int:
    """Check specs offline: every problem as file:line:col: path: message. No network."""
    problems = []
    for path in specs:
        try:
            compile_spec(path, parse_vars(variables))
        except SpecError as exc:
            problems.extend(exc.problems)
    if as_json:
        click.echo(json.dumps({"format_version": VALIDATE_FORMAT_VERSION, "valid": not problems,
                               "problems": [p.__dict__ for p in problems]}, indent=2))
    else:
        for problem in problems:
            click.echo(str(problem), err=True)
        if not problems:
            click.echo(f"{len(specs)} spec(s) valid." if len(specs) > 1 else f"{specs[0]}: valid")
        else:
            click.echo(f"{len(problems)} problem(s) found.", err=True)
    return 1 if problems else 0


@click.command("schema", epilog="""\b
Examples:
  modelinfra schema > modelinfra.schema.json
  # first line of a spec: # yaml-language-server: $schema=modelinfra.schema.json
  modelinfra schema --module > module.schema.json   # for a local module's module.yaml""")
@click.option("--module", "module", is_flag=True, help="The schema of a local module's module.yaml instead.")
def schema_command(module: bool) -> int:
    """Print the JSON Schema of the spec format."""
    from modelinfra.spec.schema import spec_schema

    click.echo(json.dumps(spec_schema(module=module), indent=2, sort_keys=True))
    return 0


@click.command("output", epilog="""\b
Examples:
  modelinfra output spec.yaml
  curl -O $(modelinfra output spec.yaml snapshot_url --raw)""")
@log_level_option
@no_color_option
@click.argument("spec", type=SPEC)
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print outputs as JSON (format_version 1.0).")
@click.option("--raw", is_flag=True, help="Print NAME's value alone, unquoted, for scripts (strings, numbers, "
              "booleans).")
@click.option("--show-sensitive", is_flag=True, help="Reveal sensitive outputs (read from the cloud).")
@var_option
def output_command(spec: Path, name: str | None, as_json: bool, raw: bool, show_sensitive: bool,
                   variables: tuple[str, ...]) -> int:
    """Print the stack's outputs from state (sensitive ones only with --show-sensitive)."""
    from modelinfra.engine.outputs import read_outputs
    from modelinfra.values import SENSITIVE_MASK, UNKNOWN

    if raw and (name is None or as_json):
        raise click.UsageError("--raw prints one output: give its NAME, and no --json")
    stack = workflow.open_stack(spec, parse_vars(variables))
    outputs = read_outputs(stack, show_sensitive=show_sensitive)
    if name is not None:
        if name not in outputs:
            raise PlanError(f"no output named {name!r}" + (did_you_mean(name, outputs) if outputs
                                                           else " (the stack has no outputs yet)"))
        outputs = {name: outputs[name]}
    if as_json:
        click.echo(json.dumps({"format_version": OUTPUT_FORMAT_VERSION,
                               "outputs": {k: {"value": v.value, "sensitive": v.sensitive}
                                           for k, v in outputs.items()}},
                              indent=2, sort_keys=True, default=str))
        return 0
    hidden = {k for k, v in outputs.items() if v.sensitive and not show_sensitive}
    if raw:
        item = outputs[name]  # type: ignore[index]
        if name in hidden:
            raise PlanError(f"output {name} is sensitive; add --show-sensitive to print it")
        if item.value is UNKNOWN or isinstance(item.value, dict | list) or item.value is None:
            raise PlanError(f"output {name} is not a string, number or boolean; use --json")
        click.echo(str(item.value).lower() if isinstance(item.value, bool) else str(item.value))
        return 0
    values = {k: (UNKNOWN if v.value is UNKNOWN else v.value) for k, v in outputs.items()}
    if name is not None:
        click.echo(SENSITIVE_MASK if hidden else render_block(values[name]))
        return 0
    click.echo(render_outputs(values, hidden), nl=False)
    return 0


class _ImportCommand(click.Command):
    """``import``, whose help ends with the CLOUD_ID form of every type (computed only when shown)."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        from modelinfra.providers.registry import HANDLERS, handler_for

        with formatter.section("CLOUD_ID by type"):
            formatter.write_dl([(name, handler_for(name).cloud_id_form) for name in sorted(HANDLERS)])


@click.command("import", cls=_ImportCommand, epilog="""\b
Examples:
  modelinfra import spec.yaml bucket arn:aws:s3:::ml-models
  modelinfra import spec.yaml rg /subscriptions/SUB/resourceGroups/ml-rg""")
@log_level_option
@click.argument("spec", type=SPEC)
@click.argument("address")
@click.argument("cloud_id")
@var_option
@lock_timeout_option
def import_command(spec: Path, address: str, cloud_id: str, variables: tuple[str, ...], lock_timeout: float) -> int:
    """Bring an existing cloud resource under management as ADDRESS (declared in SPEC). CLOUD_ID
    takes the form its type names below."""
    from modelinfra.providers.registry import handler_for

    stack = workflow.open_stack(spec, parse_vars(variables))
    resource = stack.spec.resources.get(address)
    if resource is None:
        raise PlanError(f"{address}: declare the resource in the spec before importing it"
                        + did_you_mean(address, stack.spec.resources))
    try:
        cloud_id = handler_for(resource.type).parse_cloud_id(cloud_id)
    except ValueError as exc:
        raise PlanError(f"{address} ({resource.type}): {exc}") from None
    workflow.import_resource(stack, address, cloud_id, lock_timeout)
    console.stdout().print(f"{address}: imported {cloud_id}. Run plan to see how it differs from the spec.")
    return 0


@click.group("artifacts", epilog="""\b
Examples:
  modelinfra artifacts versions spec.yaml model
  modelinfra artifacts versions spec.yaml model --json""")
def artifacts_group() -> None:
    """Model artifacts: versions and point-in-time restore."""


@artifacts_group.command("versions", epilog="""\b
Examples:
  modelinfra artifacts versions spec.yaml model
  modelinfra artifacts versions spec.yaml model --json""")
@log_level_option
@click.argument("spec", type=SPEC)
@click.argument("address")
@click.option("--json", "as_json", is_flag=True)
@var_option
def artifacts_versions(spec: Path, address: str, as_json: bool, variables: tuple[str, ...]) -> int:
    """List the stored versions of an aws.s3_object (newest first) with times and sizes."""
    from modelinfra.engine.artifacts import artifact_versions

    stack = workflow.open_stack(spec, parse_vars(variables))
    versions = artifact_versions(stack, address)
    if as_json:
        click.echo(json.dumps({"format_version": ARTIFACTS_FORMAT_VERSION, "address": address,
                               "versions": versions}, indent=2, default=str))
        return 0
    out = console.stdout()
    out.print(f"{'VERSION ID':<40} {'LAST MODIFIED':<27} {'SIZE':>12}  LATEST  SHA-256")
    for v in versions:
        out.print(f"{v['version_id']:<40} {v['last_modified']:<27} {v['size']:>12}  "
                  f"{'yes' if v.get('is_latest') else '':<6}  {(v.get('sha256') or '')[:16]}")
    return 0


@click.group("sandbox", epilog="""\b
Examples:
  eval "$(modelinfra sandbox up)"   # start the emulators and export their environment
  modelinfra sandbox down""")
def sandbox_group() -> None:
    """Local emulators (moto, Azurite, ARM emulator) for trying modelinfra without a cloud account."""


@sandbox_group.command("up", epilog="""\b
Examples:
  eval "$(modelinfra sandbox up)"
  modelinfra sandbox up --dir /tmp/sandbox && . /tmp/sandbox/sandbox.env""")
@click.option("--dir", "state_dir", type=click.Path(file_okay=False, path_type=Path), default=Path(".sandbox"),
              show_default=True, help="Where the sandbox keeps its pid files, logs and sandbox.env (the environment "
              "to source); give up and down the same one.")
def sandbox_up(state_dir: Path) -> int:
    """Start the emulators in the background and print the environment to export."""
    from modelinfra.sandbox.launcher import sandbox_up as up

    env = up(state_dir)
    for key, value in env.items():
        click.echo(f"export {key}={value}")
    click.echo(f"# or: source {state_dir / 'sandbox.env'}", err=True)
    return 0


@sandbox_group.command("down", epilog="""\b
Examples:
  modelinfra sandbox down
  modelinfra sandbox down --dir /tmp/sandbox""")
@click.option("--dir", "state_dir", type=click.Path(file_okay=False, path_type=Path), default=Path(".sandbox"),
              show_default=True, help="Where the sandbox keeps its pid files, logs and sandbox.env (the environment "
              "to source); give up and down the same one.")
def sandbox_down(state_dir: Path) -> int:
    """Stop the emulators."""
    from modelinfra.sandbox.launcher import sandbox_down as down

    click.echo("sandbox stopped" if down(state_dir) else "sandbox was not running")
    return 0




COMMANDS = [validate_command, schema_command, output_command, import_command, artifacts_group, sandbox_group]

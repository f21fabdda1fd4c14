"""``state list|show|rm|unlock``: inspect and repair the state file of a spec."""

from __future__ import annotations

import json
from pathlib import Path

import click

from modelinfra.cli.options import LoggingGroup, lock_timeout_option
from modelinfra.engine import workflow
from modelinfra.errors import PlanError
from modelinfra.state import State
from modelinfra.views import console

SPEC = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("state", cls=LoggingGroup)
def state_group() -> None:
    """Inspect or repair state. Each subcommand takes the SPEC whose state it works on."""


@state_group.command("list")
@click.argument("spec", type=SPEC)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def state_list(spec: Path, as_json: bool) -> int:
    """List managed resources: address, type, cloud id, status."""
    state = workflow.open_stack(spec).snapshot()
    if as_json:
        click.echo(json.dumps({"stack": state.stack, "lineage": state.lineage, "serial": state.serial,
                               "resources": [{"address": a, "type": e.type, "id": e.id, "status": e.status}
                                             for a, e in sorted(state.resources.items())]}, indent=2))
        return 0
    for address, entry in sorted(state.resources.items()):
        status = "" if entry.status == "ready" else f" ({entry.status})"
        click.echo(f"{address}\t{entry.type}\t{entry.id}{status}")
    return 0


@state_group.command("show")
@click.argument("spec", type=SPEC)
@click.argument("address")
def state_show(spec: Path, address: str) -> int:
    """Show one resource's recorded attributes as JSON."""
    state = workflow.open_stack(spec).snapshot()
    entry = state.resources.get(address)
    if entry is None:
        raise PlanError(f"{address}: not in state")
    click.echo(json.dumps({"address": address, "type": entry.type, "id": entry.id, "status": entry.status,
                           "dependencies": entry.dependencies, "attributes": entry.attributes},
                          indent=2, sort_keys=True, default=str))
    return 0


@state_group.command("rm")
@click.argument("spec", type=SPEC)
@click.argument("address")
@lock_timeout_option
def state_rm(spec: Path, address: str, lock_timeout: float) -> int:
    """Forget ADDRESS (the cloud resource is left as it is)."""
    stack = workflow.open_stack(spec)
    with stack.manager.lock("state rm", lock_timeout):
        state = stack.manager.read() or State.new(stack.spec.name)
        if address not in state.resources:
            raise PlanError(f"{address}: not in state")
        removed = state.resources.pop(address)
        stack.manager.persist(state)
    console.stdout().print(f"Removed {address} ({removed.id}) from state; the cloud resource was not touched.")
    return 0


@state_group.command("unlock")
@click.argument("spec", type=SPEC)
def state_unlock(spec: Path) -> int:
    """Release a stale state lock. Only when no modelinfra process is running on this state."""
    stack = workflow.open_stack(spec)
    released = stack.manager.force_unlock()
    click.echo("state lock released" if released else "state was not locked")
    return 0


COMMANDS = [state_group]

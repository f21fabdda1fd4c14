"""``state list|show|pull|push|mv|rm|migrate|unlock``: inspect, move and repair a spec's state.

Reads (``list``, ``show``, ``pull``) take no lock. Writes (``push``, ``mv``, ``rm``) hold the lock of
the spec's backend; ``migrate`` holds both the old and the new backend's. Every command but
``migrate`` and ``unlock`` refuses while the spec's backend differs from where the state was last
kept (``.modelinfra/backend.json``)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from modelinfra.cli.options import LoggingGroup, lock_timeout_option
from modelinfra.engine import workflow
from modelinfra.errors import PlanError, StateError
from modelinfra.plans.address import canonical
from modelinfra.state import State
from modelinfra.views import console

SPEC = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("state", cls=LoggingGroup, epilog="""\b
Examples:
  modelinfra state list spec.yaml
  modelinfra state mv spec.yaml old_name new_name""")
def state_group() -> None:
    """Inspect or repair state. Each subcommand takes the SPEC whose state it works on."""


@state_group.command("list", epilog="""\b
Examples:
  modelinfra state list spec.yaml
  modelinfra state list spec.yaml --json""")
@click.argument("spec", type=SPEC)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def state_list(spec: Path, as_json: bool) -> int:
    """List managed resources: address, type, cloud id, status."""
    state = workflow.open_stack(spec).snapshot()
    if as_json:
        click.echo(json.dumps({"format_version": "1.0", "stack": state.stack, "lineage": state.lineage, "serial": state.serial,
                               "resources": [{"address": a, "type": e.type, "id": e.id, "status": e.status}
                                             for a, e in sorted(state.resources.items())]}, indent=2))
        return 0
    for address, entry in sorted(state.resources.items()):
        status = "" if entry.status == "ready" else f" ({entry.status})"
        click.echo(f"{address}\t{entry.type}\t{entry.id}{status}")
    return 0


@state_group.command("show", epilog="""\b
Examples:
  modelinfra state show spec.yaml bucket""")
@click.argument("spec", type=SPEC)
@click.argument("address")
def state_show(spec: Path, address: str) -> int:
    """Show one resource's recorded attributes as JSON."""
    address = canonical(address)
    state = workflow.open_stack(spec).snapshot()
    entry = state.resources.get(address)
    if entry is None:
        raise PlanError(f"{address}: not in state")
    click.echo(json.dumps({"address": address, "type": entry.type, "id": entry.id, "status": entry.status,
                           "dependencies": entry.dependencies, "attributes": entry.attributes},
                          indent=2, sort_keys=True, default=str))
    return 0


@state_group.command("rm", epilog="""\b
Examples:
  modelinfra state rm spec.yaml old_bucket   # then `import` it elsewhere, or let it be""")
@click.argument("spec", type=SPEC)
@click.argument("address")
@lock_timeout_option
def state_rm(spec: Path, address: str, lock_timeout: float) -> int:
    """Forget ADDRESS (the cloud resource is left as it is)."""
    address = canonical(address)
    stack = workflow.open_stack(spec)
    with stack.manager.lock("state rm", lock_timeout):
        state = stack.manager.read() or State.new(stack.spec.name)
        if address not in state.resources:
            raise PlanError(f"{address}: not in state")
        removed = state.resources.pop(address)
        stack.manager.persist(state)
    console.stdout().print(f"Removed {address} ({removed.id}) from state; the cloud resource was not touched.")
    return 0


@state_group.command("pull", epilog="""\b
Examples:
  modelinfra state pull spec.yaml > backup.state.json""")
@click.argument("spec", type=SPEC)
def state_pull(spec: Path) -> int:
    """Print the stored state as JSON (from wherever the spec keeps it). Takes no lock."""
    stack = workflow.open_stack(spec)
    state = stack.manager.snapshot()
    if state is None:
        raise StateError(f"no state at {stack.where}")
    click.echo(_document(state), nl=False)
    return 0


@state_group.command("push", epilog="""\b
Examples:
  modelinfra state push spec.yaml backup.state.json
  modelinfra state push spec.yaml other.state.json --force   # another lineage, or not newer""")
@click.argument("spec", type=SPEC)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Push even a state of another lineage, or one not newer than the "
              "stored one (its serial is then moved past the stored one, so saved plans go stale).")
@lock_timeout_option
def state_push(spec: Path, file: Path, force: bool, lock_timeout: float) -> int:
    """Replace the stored state with FILE (a state JSON document, as `state pull` prints). Refuses a
    state of another lineage, or whose serial is not newer than the stored one, unless --force."""
    pushed = _read_state_file(file)
    stack = workflow.open_stack(spec)
    if pushed.stack != stack.spec.name:
        raise StateError(f"{file} holds the state of stack {pushed.stack!r}, not {stack.spec.name!r}; nothing was "
                         f"pushed")
    with stack.manager.lock("state push", lock_timeout):
        current = stack.manager.read()
        if current is not None:
            problem = None
            if pushed.lineage != current.lineage:
                problem = f"it has lineage {pushed.lineage}, the stored state {current.lineage}"
            elif pushed.serial <= current.serial:
                problem = f"its serial {pushed.serial} is not newer than the stored state's {current.serial}"
            if problem and not force:
                raise StateError(f"refusing to push {file} to {stack.where}: {problem}. Pass --force to replace "
                                 f"the stored state anyway; nothing was pushed")
            if pushed.serial <= current.serial:
                pushed.serial = current.serial + 1
        stack.manager.backend.write(pushed)
    click.echo(f"Pushed {file} to {stack.where} (lineage {pushed.lineage}, serial {pushed.serial}).")
    return 0


@state_group.command("mv", epilog="""\b
Examples:
  modelinfra state mv spec.yaml bucket models_bucket   # after renaming the resource in the spec""")
@click.argument("spec", type=SPEC)
@click.argument("source")
@click.argument("destination")
@lock_timeout_option
def state_mv(spec: Path, source: str, destination: str, lock_timeout: float) -> int:
    """Rename SOURCE to DESTINATION in state (and every dependency on it); the cloud is not touched."""
    source, destination = canonical(source), canonical(destination)
    stack = workflow.open_stack(spec)
    with stack.manager.lock("state mv", lock_timeout):
        state = stack.manager.read() or State.new(stack.spec.name)
        state.rename(source, destination)
        stack.manager.persist(state)
    console.stdout().print(f"Moved {source} to {destination} in state; the cloud resource was not touched.")
    return 0


@state_group.command("migrate", epilog="""\b
Examples:
  # after adding `state: {backend: s3, bucket: ml-state, key: stacks/x.state.json}` to spec.yaml
  modelinfra state migrate spec.yaml""")
@click.argument("spec", type=SPEC)
@lock_timeout_option
def state_migrate(spec: Path, lock_timeout: float) -> int:
    """Move the state from where it was last kept (the local default file, or the backend recorded in
    .modelinfra/backend.json) to the backend the spec names, lineage and serial kept, both sides
    locked. Refuses when the new backend already holds a different state. The old copy is left."""
    from modelinfra.state.backends.select import migrate

    stack = workflow.open_stack(spec, check_backend=False)
    outcome = migrate(stack.spec, stack.manager.backend, lock_timeout)
    click.echo(outcome)
    return 0


@state_group.command("unlock", epilog="""\b
Examples:
  modelinfra state unlock spec.yaml                     # releases a lock whose holder is gone
  modelinfra state unlock spec.yaml --force 3f2c...     # releases that lock, whoever holds it""")
@click.argument("spec", type=SPEC)
@click.option("--force", "lock_id", metavar="LOCK_ID",
              help="Release the lock with this id (as the lock error names it) even if its holder may be alive.")
def state_unlock(spec: Path, lock_id: str | None) -> int:
    """Release a state lock left behind. Without --force, only a lock whose holder is gone (an expired
    remote lock, or a process of this host that is no longer running)."""
    from datetime import UTC, datetime

    stack = workflow.open_stack(spec, check_backend=False)
    backend = stack.manager.backend
    holder = backend.lock_info() if hasattr(backend, "lock_info") else None
    if lock_id is None and holder is not None and not holder.gone(datetime.now(UTC)):
        raise StateError(f"the state lock is held by {holder.holder()} (lock id {holder.id}), which may still be "
                         f"running; if it is not, run `modelinfra state unlock {spec} --force {holder.id}`")
    if lock_id is None and holder is None and _lock_exists(stack):
        raise StateError(f"the state lock of {stack.where} is not a readable modelinfra lock; nothing was "
                         f"released (remove it by hand if no run holds it)")
    released = stack.manager.force_unlock(lock_id)
    if released:
        click.echo(f"state lock released (was held by {holder.holder()})" if holder else "state lock released")
    else:
        click.echo("state was not locked")
    return 0


def _lock_exists(stack: workflow.Stack) -> bool:
    """Whether a lock exists that ``lock_info`` could not read (backends without ``lock_exists``:
    assume none)."""
    exists = getattr(stack.manager.backend, "lock_exists", None)
    return bool(exists()) if exists is not None else False


def _document(state: State) -> str:
    return json.dumps(state.to_json(), indent=2, sort_keys=True, default=str) + "\n"


def _read_state_file(path: Path) -> State:
    try:
        return State.from_json(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise StateError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise StateError(f"{path} is not a state JSON document: it is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise StateError(f"{path} is not a state JSON document: it is not JSON (line {exc.lineno}, column "
                         f"{exc.colno}); `modelinfra state pull SPEC > FILE` writes one") from None
    except ValueError as exc:
        raise StateError(f"{path} is not a state JSON document: {exc}") from None
    except StateError as exc:
        raise StateError(f"{path} is not valid modelinfra state: {exc}") from None


COMMANDS = [state_group]

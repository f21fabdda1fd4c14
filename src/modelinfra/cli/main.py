"""``modelinfra``: the command-line entry point. Parsing and rendering only; flows live in
``modelinfra.engine.workflow``. Importing this module imports no cloud SDK, no pydantic and no rich.

Subcommands load lazily: ``COMMAND_TABLE`` names, per command, the module that defines it (in that
module's ``COMMANDS`` list) and its one-line description for the top-level help. ``modelinfra --help``
imports no command module; ``modelinfra validate`` imports only ``commands_misc``. A command added to a
module's ``COMMANDS`` must be added to the table too (tests/cli/test_lazy_cli.py fails otherwise).

Exit codes: 0 success; 1 error; 2 changes present (``plan --detailed-exitcode``, ``drift``).
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback

import click

from modelinfra.errors import ModelinfraError, SpecError

# name -> (module under modelinfra.cli, one-line description shown by `modelinfra --help`)
COMMAND_TABLE: dict[str, tuple[str, str]] = {
    "validate": ("commands_misc", "Check specs offline: every problem as file:line:col: path: message."),
    "plan": ("commands_plan", "Show what apply would do."),
    "apply": ("commands_plan", "Make the cloud match the spec (or execute a saved plan exactly)."),
    "destroy": ("commands_plan", "Delete everything this stack manages."),
    "show": ("commands_plan", "Show a saved plan, or with no argument the current state."),
    "drift": ("commands_drift", "Report changes made outside modelinfra."),
    "output": ("commands_misc", "Print the stack's outputs from state (sensitive ones only with --show-sensitive)."),
    "import": ("commands_misc", "Bring an existing cloud resource under management as ADDRESS."),
    "state": ("commands_state", "Inspect or repair state."),
    "artifacts": ("commands_misc", "Model artifacts: versions and point-in-time restore."),
    "schema": ("commands_misc", "Print the JSON Schema of the spec format."),
    "fmt": ("commands_fmt", "Rewrite specs in canonical layout, keeping comments (--check for CI)."),
    "graph": ("commands_fmt", "Print the resources' dependency graph as DOT or Mermaid."),
    "check": ("commands_check", "Check the spec against the built-in policy baseline, offline (text, json, sarif, junit)."),
    "sandbox": ("commands_misc",
                "Local emulators (moto, Azurite, ARM emulator) for trying modelinfra without a cloud account."),
}


def command_modules() -> list[str]:
    """Every module the table names, in first-mention order."""
    return list(dict.fromkeys(module for module, _ in COMMAND_TABLE.values()))


def load_command(name: str) -> click.Command:
    """Import the module defining ``name`` and return that command. ``KeyError`` if not in the table."""
    module_name, _ = COMMAND_TABLE[name]
    module = importlib.import_module(f"modelinfra.cli.{module_name}")
    for command in module.COMMANDS:
        if command.name == name:
            return command
    raise LookupError(f"modelinfra.cli.{module_name}.COMMANDS has no command {name!r}")  # table is wrong


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use; its help lists them from the table."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMAND_TABLE, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in COMMAND_TABLE:
            return None
        command = load_command(cmd_name)
        self.add_command(command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMAND_TABLE[name][1]) for name in sorted(COMMAND_TABLE)]
        rows += [(name, cmd.get_short_help_str(200)) for name, cmd in sorted(self.commands.items())
                 if name not in COMMAND_TABLE and not cmd.hidden]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _disable_color(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        from modelinfra.views import console

        console.disable_color()


@click.group(cls=LazyGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120})
@click.version_option(package_name="modelinfra")
@click.option("--no-color", is_flag=True, expose_value=False, callback=_disable_color,
              help="Never colour output (also: NO_COLOR).")
def cli() -> None:
    """Declarative reconciler for ML model infrastructure on Azure and AWS."""


def _stderr():  # noqa: ANN202 - rich's Console, imported only on an error path
    from modelinfra.views import console

    return console.stderr()


def main(argv: list[str] | None = None) -> int:
    try:
        result = cli.main(args=argv, prog_name="modelinfra", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        _stderr().print("Aborted.")
        return 1
    except click.ClickException as exc:
        exc.show()
        return 1
    except SpecError as exc:
        for problem in exc.problems:
            _stderr().print(str(problem))
        _stderr().print(f"Error: the spec is invalid ({len(exc.problems)} problem(s)); nothing was changed.",
                        style="red")
        return exc.exit_code
    except ModelinfraError as exc:
        _stderr().print(f"Error: {exc}", style="red")
        return exc.exit_code
    except KeyboardInterrupt:
        _stderr().print("Interrupted.", style="red")
        return 1
    except Exception as exc:  # a bug: say so plainly; traceback only on request
        _stderr().print(f"Internal error: {type(exc).__name__}: {exc}", style="red")
        if os.environ.get("MODELINFRA_DEBUG"):
            traceback.print_exc()
        else:
            _stderr().print("Set MODELINFRA_DEBUG=1 for a traceback, and please report it.")
        return 1
    return result if isinstance(result, int) else 0


def run() -> None:  # pragma: no cover - console script shim
    sys.exit(main())

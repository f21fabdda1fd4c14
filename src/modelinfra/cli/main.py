"""``modelinfra``: the command-line entry point. Parsing and rendering only; flows live in
``modelinfra.engine.workflow``. Importing this module imports no cloud SDK.

Exit codes: 0 success; 1 error; 2 changes present (``plan --detailed-exitcode``, ``drift``).
"""

from __future__ import annotations

import os
import sys
import traceback

import click

from modelinfra.cli import commands_check, commands_drift, commands_misc, commands_plan, commands_state
from modelinfra.errors import ModelinfraError, SpecError
from modelinfra.views import console


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="modelinfra")
@click.option("--no-color", is_flag=True, help="Never colour output (also: NO_COLOR).")
def cli(no_color: bool) -> None:
    """Declarative reconciler for ML model infrastructure on Azure and AWS."""
    if no_color:
        console.disable_color()


for module in (commands_plan, commands_state, commands_misc, commands_drift, commands_check):
    for command in module.COMMANDS:
        cli.add_command(command)


def main(argv: list[str] | None = None) -> int:
    try:
        result = cli.main(args=argv, prog_name="modelinfra", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        console.stderr().print("Aborted.")
        return 1
    except click.ClickException as exc:
        exc.show()
        return 1
    except SpecError as exc:
        for problem in exc.problems:
            console.stderr().print(str(problem))
        console.stderr().print(f"Error: the spec is invalid ({len(exc.problems)} problem(s)); nothing was changed.",
                               style="red")
        return exc.exit_code
    except ModelinfraError as exc:
        console.stderr().print(f"Error: {exc}", style="red")
        return exc.exit_code
    except KeyboardInterrupt:
        console.stderr().print("Interrupted.", style="red")
        return 1
    except Exception as exc:  # a bug: say so plainly; traceback only on request
        console.stderr().print(f"Internal error: {type(exc).__name__}: {exc}", style="red")
        if os.environ.get("MODELINFRA_DEBUG"):
            traceback.print_exc()
        else:
            console.stderr().print("Set MODELINFRA_DEBUG=1 for a traceback, and please report it.")
        return 1
    return result if isinstance(result, int) else 0


def run() -> None:  # pragma: no cover - console script shim
    sys.exit(main())

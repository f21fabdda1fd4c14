"""The CLI loads subcommands on demand: the top-level help imports no command module, no pydantic, rich
or cloud SDK; the static command table in ``cli/main.py`` stays in step with every module's COMMANDS."""

from __future__ import annotations

import importlib
import subprocess
import sys

from modelinfra.cli.main import COMMAND_TABLE, command_modules, load_command

HEAVY = ("boto3", "botocore", "azure", "pydantic", "rich", "modelinfra.engine", "modelinfra.spec",
         "modelinfra.cli.commands_")


def _loaded_after(code: str) -> list[str]:
    probe = (
        "import sys, contextlib, io\n"
        "from modelinfra.cli.main import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    {code}\n"
        f"print(sorted(m for m in sys.modules if m.startswith({HEAVY!r})))\n"
    )
    return eval(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout)


def test_every_command_of_every_module_is_in_the_table_and_loads():
    for module_name in command_modules():
        module = importlib.import_module(f"modelinfra.cli.{module_name}")
        for command in module.COMMANDS:
            assert command.name in COMMAND_TABLE, (
                f"{module_name}.COMMANDS has {command.name!r}: add it to COMMAND_TABLE in cli/main.py")
            assert COMMAND_TABLE[command.name][0] == module_name, command.name
    for name in COMMAND_TABLE:
        assert load_command(name).name == name


def test_no_cli_module_defines_commands_the_table_does_not_know():
    import pkgutil

    import modelinfra.cli as package

    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"modelinfra.cli.{info.name}")
        for command in getattr(module, "COMMANDS", []):
            assert command.name in COMMAND_TABLE, f"{info.name}.{command.name} missing from COMMAND_TABLE"


def test_top_level_help_imports_no_command_module_nor_heavy_library():
    assert _loaded_after("main(['--help'])") == []
    assert _loaded_after("main(['--version'])") == []


def test_top_level_help_shows_whole_descriptions(capsys):
    from modelinfra.cli.main import main

    assert main(["--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for _, description in COMMAND_TABLE.values():
        assert " ".join(description.split()) in text


def test_a_subcommand_loads_only_its_own_module():
    loaded = _loaded_after("main(['schema', '--help'])")
    assert "modelinfra.cli.commands_misc" in loaded
    assert not [m for m in loaded if m.startswith(("modelinfra.cli.commands_plan", "modelinfra.cli.commands_state",
                                                    "modelinfra.cli.commands_drift", "boto3", "azure"))]


def test_unknown_command_is_a_usage_error(capsys):
    from modelinfra.cli.main import main

    assert main(["nope"]) == 1
    assert "No such command 'nope'" in capsys.readouterr().err


def test_plan_imports_only_the_sdks_of_the_clouds_the_spec_uses(tmp_path, aws_env):
    import os

    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nname: lazy\nproviders:\n  aws:\n    region: us-east-1\nresources:\n"
                    "  b:\n    type: aws.s3_bucket\n    properties: {name: lazy-sdk-probe}\n")
    probe = (
        "import sys, contextlib, io\n"
        "from modelinfra.cli.main import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    code = main(['plan', {str(spec)!r}, '--no-refresh'])\n"
        "print(code, sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('boto3', 'azure')}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         cwd=tmp_path, env={**os.environ, **aws_env}).stdout
    assert out.split()[0] == "0" and "'azure'" not in out, out

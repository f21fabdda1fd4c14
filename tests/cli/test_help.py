"""Every command's help carries examples; sandbox --dir says what it is for and its default."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from modelinfra.cli.main import cli


def _walk(group: click.Group, prefix: list[str]) -> list[list[str]]:
    """Every command under ``group`` (groups included), as the argv that reaches it."""
    ctx = click.Context(group)
    out = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        out.append([*prefix, name])
        if isinstance(command, click.Group):
            out.extend(_walk(command, [*prefix, name]))
    return out


COMMANDS = _walk(cli, [])


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_shows_examples(command: list[str]):
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    examples = result.output.partition("Examples:\n")[2]
    assert "modelinfra " + " ".join(command) in examples, result.output


def test_the_walk_reaches_every_command():
    assert {("check",), ("state",), ("state", "list"), ("artifacts", "versions"), ("sandbox", "up")} <= {
        tuple(c) for c in COMMANDS}


def test_sandbox_dir_says_what_it_is_for_and_its_default():
    text = CliRunner().invoke(cli, ["sandbox", "up", "--help"]).output
    assert "sandbox.env" in text and "[default: .sandbox]" in text


def test_import_help_lists_the_cloud_id_form_of_every_type():
    from modelinfra.providers.registry import HANDLERS

    text = CliRunner().invoke(cli, ["import", "--help"], terminal_width=200).output
    for name in HANDLERS:
        assert name in text
    assert "arn:aws:s3:::BUCKET" in text

"""``--log-level`` / ``MODELINFRA_LOG`` on ``check`` and every ``state`` subcommand, through the
installed CLI: the records of the modelinfra loggers reach stderr at the chosen level, in the
verbose ``time LEVEL logger: message`` form below warning."""

from __future__ import annotations

from pathlib import Path

from modelinfra.cli.commands_state import state_group
from tests.e2e.cli import run_cli

SPEC = """\
version: 1
name: logs
providers:
  aws: {{region: us-east-1}}
resources:
  bucket:
    type: aws.s3_bucket
    properties: {{name: {bucket}-data}}
"""


def test_every_state_subcommand_takes_log_level():
    missing = [name for name, cmd in state_group.commands.items()
               if not any(p.name == "log_level" for p in cmd.params)]
    assert state_group.commands and not missing, missing


def test_check_and_state_log_at_the_chosen_level(tmp_path: Path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(bucket="logs-bucket"))
    env = {"MODELINFRA_VAR_evn": "prod"}

    checked = run_cli("check", spec, "--log-level", "debug", env=env)
    assert checked.code in (0, 2), checked.output
    assert "WARNING modelinfra.spec: MODELINFRA_VAR_evn is set but" in checked.stderr, checked.stderr
    quiet = run_cli("check", spec, "--log-level", "error", env=env)
    assert "MODELINFRA_VAR_evn" not in quiet.stderr

    listed = run_cli("state", "list", spec, "--log-level", "debug", env=env)
    assert listed.code == 0, listed.output
    assert "WARNING modelinfra.spec: MODELINFRA_VAR_evn" in listed.stderr, listed.stderr
    from_env = run_cli("state", "list", spec, env={**env, "MODELINFRA_LOG": "info"})
    assert "WARNING modelinfra.spec: MODELINFRA_VAR_evn" in from_env.stderr, from_env.stderr
    default = run_cli("state", "list", spec, env=env)
    assert "WARNING modelinfra.spec" not in default.stderr and "Warning: MODELINFRA_VAR_evn" in default.stderr
    quiet_state = run_cli("state", "list", spec, "--log-level", "error", env=env)
    assert "MODELINFRA_VAR_evn" not in quiet_state.stderr
    bad = run_cli("state", "list", spec, "--log-level", "loud", env=env)
    assert bad.code != 0 and "loud" in bad.stderr and "Traceback" not in bad.output

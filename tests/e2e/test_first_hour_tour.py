"""The README's five-minute tour runs as written from an empty directory, destroy included.

The spec and the ``$ `` commands are taken from README.md itself; ``sandbox up``/``down`` are
replaced by the test's emulators (the same environment ``sandbox up`` exports)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.cli import modelinfra_executable

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"


def tour() -> tuple[str, list[str]]:
    section = README.read_text().split("## A five-minute tour", 1)[1].split("\n## ", 1)[0]
    spec = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    console = re.search(r"```console\n(.*?)```", section, re.S).group(1)
    commands = [line[2:].split("  #", 1)[0].strip() for line in console.splitlines() if line.startswith("$ ")]
    return spec, commands


def test_the_tour_runs_as_written(tmp_path: Path, aws_env: dict[str, str]):
    spec, commands = tour()
    assert spec.startswith("# model-snapshots.yaml\n")
    (tmp_path / "model-snapshots.yaml").write_text(spec)
    env = {**os.environ, **aws_env, "NO_COLOR": "1",
           "PATH": f"{Path(modelinfra_executable()).parent}{os.pathsep}{os.environ['PATH']}"}
    ran = []
    for command in commands:
        if "sandbox up" in command or "sandbox down" in command:
            continue  # the test's emulators stand in for the sandbox
        proc = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=180)
        assert proc.returncode == 0, (command, proc.stdout, proc.stderr)
        assert "Internal error" not in proc.stdout + proc.stderr
        ran.append(command.split()[1] if command.startswith("modelinfra") else command.split()[0])
    assert {"schema", "validate", "plan", "apply", "drift", "output", "destroy"} <= set(ran), ran
    state = tmp_path / ".modelinfra" / "model-snapshots.state.json"
    assert state.exists() and '"resources": {}' in state.read_text().replace("\n", "").replace("  ", "")

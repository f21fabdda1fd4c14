"""The README's five-minute tour runs as written from an empty directory, destroy included.

The spec and the ``$ `` commands are taken from README.md itself and run in one shell, as a user
pastes them: ``sandbox up`` starts real emulators, ``sandbox down`` stops them."""

from __future__ import annotations

import os
import re
import shlex
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


def test_the_tour_runs_as_written(tmp_path: Path):
    """Every ``$ `` line in one shell, in an empty directory, ``sandbox up`` and ``down`` included."""
    spec, commands = tour()
    assert spec.startswith("# model-snapshots.yaml\n")
    assert any("sandbox up" in c for c in commands) and any("sandbox down" in c for c in commands)
    (tmp_path / "model-snapshots.yaml").write_text(spec)
    steps = [f"echo {shlex.quote('+++ ' + c)}; {{ {c}; }} || {{ echo \"FAILED ($?): \"{shlex.quote(c)}; exit 1; }}"
             for c in commands]
    script = "set -u\ntrap 'modelinfra sandbox down >/dev/null 2>&1' EXIT\n" + "\n".join(steps) + "\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AZURE_", "MODELINFRA_"))}
    env.update({"NO_COLOR": "1", "PATH": f"{Path(modelinfra_executable()).parent}{os.pathsep}{os.environ['PATH']}"})
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "FAILED" not in output and "Internal error" not in output and "Traceback" not in output, output
    assert "Apply complete! Resources: 2 added" in proc.stdout, output
    assert "Destroy complete! Resources: 2 destroyed." in proc.stdout, output
    assert "sandbox stopped" in proc.stdout, output
    state = tmp_path / ".modelinfra" / "model-snapshots.state.json"
    assert state.exists() and '"resources": {}' in state.read_text().replace("\n", "").replace("  ", "")

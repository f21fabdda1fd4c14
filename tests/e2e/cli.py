"""Drive the installed ``modelinfra`` console script in a subprocess, as a user or CI would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def modelinfra_executable() -> str:
    found = shutil.which("modelinfra", path=str(Path(sys.executable).parent)) or shutil.which("modelinfra")
    if not found:
        pytest.fail("the modelinfra console script is not installed (pip install -e .)")
    return found


def run_cli(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None,
            stdin: str | None = None, timeout: float = 180) -> Result:
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    proc = subprocess.run(
        [modelinfra_executable(), *map(str, args)], capture_output=True, text=True, env=full_env, cwd=cwd,
        input=stdin, timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)

"""checkov in its own virtualenv ``.venv-checkov`` at the repository root (gitignored).

checkov pins its own boto3 (1.35.x), which the project's boto3/moto pins exclude. Installing it
takes a minute, so the suite starts it in the background when the session begins (``start``, from
tests/conftest.py) and the ``checkov`` fixture of tests/e2e/test_ecosystem.py waits for it
(``executable``). One installer at a time: both hold the lock file ``.venv-checkov.lock`` while they
probe and install, so whichever comes second finds checkov in place.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSION = "3.3.30"
VENV = ROOT / ".venv-checkov"
USED_BY = ROOT / "tests" / "e2e" / "test_ecosystem.py"


def executable() -> Path:
    """checkov ``VERSION`` in ``VENV``, installed there first if it is missing or another version."""
    exe = VENV / "bin" / "checkov"
    with open(ROOT / ".venv-checkov.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        probe = subprocess.run([str(exe), "--version"], capture_output=True, text=True) if exe.exists() else None
        if probe is None or probe.returncode != 0 or probe.stdout.strip() != VERSION:
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
            subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", f"checkov=={VERSION}"],
                           check=True, timeout=1800)
    return exe


def wanted(args: list[str], rootdir: Path) -> bool:
    """True when a pytest run over ``args`` (paths, maybe ``path::test``; none = the whole suite)
    collects the tests that use checkov."""
    if not args:
        return True
    for arg in args:
        path = Path(arg.split("::", 1)[0])
        path = (path if path.is_absolute() else rootdir / path).resolve()
        if path == USED_BY or path in USED_BY.parents:
            return True
    return False


def start(args: list[str], rootdir: Path) -> subprocess.Popen[bytes] | None:
    """Begin ``executable()`` in a background process when the run will need checkov."""
    if not wanted(args, rootdir):
        return None
    return subprocess.Popen([sys.executable, "-c", "from tests.checkov_venv import executable; executable()"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def stop(install: subprocess.Popen[bytes] | None) -> None:
    """Stop a background install still running, with the pip it started (the next run starts over)."""
    if install is not None and install.poll() is None:
        os.killpg(install.pid, signal.SIGTERM)
        install.wait()


if __name__ == "__main__":
    print(executable())

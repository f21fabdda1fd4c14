"""``modelinfra sandbox up|down|status``: the emulators as one detached background process.

``sandbox_up(dir)`` starts ``python -m modelinfra.sandbox.serve --state-dir dir`` in its own session
(it outlives the CLI), waits until it has written ``dir/sandbox.env`` and returns that environment.
``sandbox_down(dir)`` stops it. Files in ``dir`` (see :mod:`modelinfra.sandbox.serve`):
``sandbox.pid``, ``sandbox.env``, ``azurite.pid``, and ``sandbox.log`` (the process's stderr).

Invariants: a pid from a file is only ever signalled after checking that it is alive and (where
``/proc`` exists) really is the sandbox / Azurite, so a stale file never kills an unrelated process;
``up`` on a running sandbox returns its environment instead of starting a second one; ``down`` is
idempotent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from modelinfra.errors import ModelinfraError
from modelinfra.sandbox.serve import AZURITE_PID_FILE, ENV_FILE, PID_FILE, parse_env

LOG_FILE = "sandbox.log"
_SERVE_MODULE = "modelinfra.sandbox.serve"
_STOP_GRACE_SECONDS = 10.0


class SandboxError(ModelinfraError):
    """The sandbox could not be started or stopped."""


@dataclass(frozen=True)
class SandboxStatus:
    """``running``: the sandbox process is alive; ``ready``: it has published its environment."""

    state_dir: Path
    running: bool
    pid: int | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.running and bool(self.env)


def sandbox_status(state_dir: Path) -> SandboxStatus:
    """What is running for ``state_dir``; a pid file whose process is gone reads as not running."""
    state_dir = Path(state_dir)
    pid = _read_pid(state_dir / PID_FILE)
    if pid is None or not _is_process(pid, _SERVE_MODULE):
        return SandboxStatus(state_dir, running=False)
    return SandboxStatus(state_dir, running=True, pid=pid, env=_read_env(state_dir))


def sandbox_up(state_dir: Path, *, timeout: float = 60.0) -> dict[str, str]:
    """Start the sandbox in the background (or find it running) and return its environment.

    Raises :class:`SandboxError` if the process exits before it is ready (with its stderr) or is not
    ready within ``timeout`` seconds (it is then stopped).
    """
    state_dir = Path(state_dir).resolve()
    status = sandbox_status(state_dir)
    if status.ready:
        return status.env
    if status.running:  # started by someone else and still starting: wait for it
        return _wait_ready(state_dir, status.pid, None, timeout)
    _reap_leftovers(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / LOG_FILE
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", _SERVE_MODULE, "--state-dir", str(state_dir)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=state_dir, env=_child_environment(),
        )
    try:
        env = _wait_ready(state_dir, process.pid, process, timeout)
    except BaseException:
        if process.poll() is None:
            _stop_pid(process.pid)
            process.wait(timeout=_STOP_GRACE_SECONDS)
        _reap_leftovers(state_dir)
        raise
    # The child is detached; should this process outlive it, reap it rather than leave a zombie.
    threading.Thread(target=process.wait, name="sandbox-reaper", daemon=True).start()
    return env


def sandbox_down(state_dir: Path, *, grace: float = _STOP_GRACE_SECONDS) -> bool:
    """Stop the sandbox: SIGTERM, then SIGKILL after ``grace`` seconds; remove its files.

    Returns True if a sandbox process was running. Idempotent: with nothing running it only cleans up.
    """
    state_dir = Path(state_dir)
    status = sandbox_status(state_dir)
    if status.running and status.pid is not None:
        _stop_pid(status.pid, grace)
    _reap_leftovers(state_dir)
    return status.running


def _wait_ready(state_dir: Path, pid: int | None, process: subprocess.Popen[bytes] | None,
                timeout: float) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while True:
        env = _read_env(state_dir)
        if env:
            return env
        exited = process.poll() is not None if process is not None else \
            pid is None or not _is_process(pid, _SERVE_MODULE)
        if exited:
            code = f" with code {process.returncode}" if process is not None else ""
            raise SandboxError(f"the sandbox process exited{code} before it was ready:\n{_log_tail(state_dir)}")
        if time.monotonic() > deadline:
            raise SandboxError(f"the sandbox was not ready within {timeout:.0f}s:\n{_log_tail(state_dir)}")
        time.sleep(0.1)


def _stop_pid(pid: int, grace: float = _STOP_GRACE_SECONDS) -> None:
    """SIGTERM ``pid``; SIGKILL it if it is still alive after ``grace`` seconds."""
    _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _alive(pid):
        if time.monotonic() > deadline:
            _signal(pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    end = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < end:
        time.sleep(0.05)


def _reap_leftovers(state_dir: Path) -> None:
    """Kill an Azurite left behind by a SIGKILLed sandbox, and remove the sandbox's files."""
    azurite_pid = _read_pid(state_dir / AZURITE_PID_FILE)
    if azurite_pid is not None and _is_process(azurite_pid, "azurite"):
        try:
            os.killpg(azurite_pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for name in (ENV_FILE, PID_FILE, AZURITE_PID_FILE):
        (state_dir / name).unlink(missing_ok=True)


def _child_environment() -> dict[str, str]:
    """The caller's environment, with this copy of modelinfra importable by the child."""
    import modelinfra

    env = dict(os.environ)
    package_root = str(Path(modelinfra.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


def _read_env(state_dir: Path) -> dict[str, str]:
    try:
        return parse_env((state_dir / ENV_FILE).read_text(encoding="utf-8"))
    except OSError:
        return {}


def _read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid > 0 else None


def _log_tail(state_dir: Path, lines: int = 30) -> str:
    try:
        text = (state_dir / LOG_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no output)"
    return "\n".join(text.splitlines()[-lines:]) or "(no output)"


def _is_process(pid: int, marker: str) -> bool:
    """``pid`` is alive and, where ``/proc`` tells, its command line contains ``marker``."""
    if not _alive(pid):
        return False
    if not Path("/proc/self").exists():  # no /proc on this OS (macOS): trust the pid
        return True
    try:
        return marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _alive(pid: int) -> bool:
    """``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


def _signal(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass

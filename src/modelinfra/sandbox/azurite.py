"""Azurite (the Azure blob emulator, npm ``azurite@3.35.0``) as a child process on a loopback port.

``start_azurite()`` runs ``azurite-blob --inMemoryPersistence --blobPort 0 ...`` in its own process
group, reads the port Azurite actually bound from its banner (``successfully listens on
http://HOST:PORT``), waits until it answers HTTP and returns a
:class:`~modelinfra.sandbox.base.RunningService` whose ``stop()`` terminates the process group.
Nothing touches the disk: the data lives and dies with the process.

The executable is looked up, first match wins: ``$MODELINFRA_AZURITE_BIN``; the repository's
``node_modules/.bin/azurite-blob`` (found relative to this file); ``$PWD/node_modules/.bin``; ``PATH``.
It is installed by ``npm ci`` at the repository root (``package.json`` pins the version).

Clients should pin ``api_version`` to :data:`AZURITE_API_VERSION`, the newest service version Azurite
3.35 implements. Azurite runs with ``--skipApiVersionCheck`` so a newer azure-storage-blob default is
not refused outright, but only features up to that version are emulated.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from pathlib import Path

from modelinfra.errors import ModelinfraError
from modelinfra.sandbox.base import RunningService

ACCOUNT_NAME = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
AZURITE_API_VERSION = "2025-11-05"
BIN_ENV = "MODELINFRA_AZURITE_BIN"
EXECUTABLE = "azurite-blob"

_REPO_ROOT = Path(__file__).resolve().parents[3]
_LISTENING = re.compile(r"successfully listens on https?://[^\s:]+:(\d+)")
_STOP_GRACE_SECONDS = 5.0


class AzuriteError(ModelinfraError):
    """Azurite could not be found or started."""


class AzuriteNotInstalledError(AzuriteError):
    """No ``azurite-blob`` executable was found; the message says how to install it."""


def find_azurite() -> Path:
    """The ``azurite-blob`` executable to run (see the module docstring for the search order).

    Raises :class:`AzuriteNotInstalledError` naming ``npm ci`` when there is none.
    """
    override = os.environ.get(BIN_ENV)
    if override:
        path = Path(override)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise AzuriteNotInstalledError(f"{BIN_ENV}={override} is not an executable file; unset it, or run "
                                       f"`npm ci` in {_REPO_ROOT} to install the pinned Azurite")
    for base in (_REPO_ROOT, Path.cwd()):
        candidate = base / "node_modules" / ".bin" / EXECUTABLE
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    on_path = shutil.which(EXECUTABLE)
    if on_path:
        return Path(on_path)
    raise AzuriteNotInstalledError(
        f"Azurite is not installed ({EXECUTABLE} not found in {_REPO_ROOT / 'node_modules/.bin'}, "
        f"./node_modules/.bin or PATH); run `npm ci` in {_REPO_ROOT} (needs Node.js >= 18), "
        f"or set {BIN_ENV}")


def azurite_command(executable: Path, host: str, port: int) -> list[str]:
    """The command line that starts Azurite's blob service in memory on ``host:port``."""
    return [str(executable), "--inMemoryPersistence", "--blobHost", host, "--blobPort", str(port),
            "--disableTelemetry", "--silent", "--skipApiVersionCheck"]


def start_azurite(host: str = "127.0.0.1", port: int = 0, *, timeout: float = 30.0) -> RunningService:
    """Start Azurite (blob) on ``host:port`` (0 = a free port Azurite picks) and wait until it answers.

    ``url`` is ``http://HOST:PORT``; ``extra`` holds ``account_name``, ``account_key`` (the well-known
    emulator key) and ``blob_endpoint`` (``url/devstoreaccount1``); ``handle`` is the ``Popen``.
    Raises :class:`AzuriteNotInstalledError`, or :class:`AzuriteError` with Azurite's output if it
    exits early (e.g. port in use) or does not listen within ``timeout`` seconds.
    """
    executable = find_azurite()
    process = subprocess.Popen(
        azurite_command(executable, host, port),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stop() takes node and anything it forked
    )
    output = _OutputReader(process)
    try:
        bound = output.wait_for_port(timeout)
        url = f"http://{host}:{bound}"
        _wait_answering(url, process, deadline=time.monotonic() + timeout)
    except BaseException:
        _terminate_group(process)
        raise

    def stop() -> None:
        atexit.unregister(service.stop)
        _terminate_group(process)

    service = RunningService(
        name="azurite", url=url, stop_fn=stop, handle=process,
        extra={"account_name": ACCOUNT_NAME, "account_key": ACCOUNT_KEY,
               "blob_endpoint": f"{url}/{ACCOUNT_NAME}"},
    )
    atexit.register(service.stop)  # never leave an orphaned node process behind a normal exit
    return service


class _OutputReader:
    """Drains Azurite's merged stdout/stderr in a daemon thread (so the pipe never fills), keeping
    the last lines for error messages and noting the port from the "listens on" banner."""

    def __init__(self, process: subprocess.Popen[bytes]):
        self._process = process
        self.lines: deque[str] = deque(maxlen=50)
        self.port: int | None = None
        self._changed = threading.Condition()
        threading.Thread(target=self._drain, name="azurite-output", daemon=True).start()

    def _drain(self) -> None:
        assert self._process.stdout is not None
        for raw in self._process.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            with self._changed:
                self.lines.append(line)
                match = _LISTENING.search(line)
                if match and self.port is None:
                    self.port = int(match.group(1))
                self._changed.notify_all()
        self._process.stdout.close()
        with self._changed:
            self._changed.notify_all()

    def wait_for_port(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.port is None:
                if self._process.poll() is not None:
                    self._changed.wait(0.2)  # let the drain thread take the last lines
                    if self.port is None:
                        raise AzuriteError(f"Azurite exited with code {self._process.returncode} before "
                                           f"listening:\n{self.tail()}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AzuriteError(f"Azurite did not report a listening port within {timeout:.0f}s:\n"
                                       f"{self.tail()}")
                self._changed.wait(min(remaining, 0.5))
            return self.port

    def tail(self) -> str:
        return "\n".join(self.lines) or "(no output)"


def _wait_answering(url: str, process: subprocess.Popen[bytes], deadline: float) -> None:
    """Return once ``url`` answers any HTTP response (Azurite answers 400 on the bare root)."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError as exc:
            if process.poll() is not None:
                raise AzuriteError(f"Azurite exited with code {process.returncode}") from exc
            if time.monotonic() > deadline:
                raise AzuriteError(f"Azurite at {url} does not answer: {exc}") from exc
            time.sleep(0.1)


def _terminate_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL it if it has not exited after a grace period."""
    if process.poll() is None:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=_STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait(timeout=_STOP_GRACE_SECONDS)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass

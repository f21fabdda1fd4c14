"""The sandbox process: ``python -m modelinfra.sandbox.serve --state-dir DIR``.

Starts moto (with the project's AWS extensions), Azurite and the ARM emulator (storage accounts
backed by that Azurite) on free loopback ports, then publishes, in ``DIR``:

- ``sandbox.pid``      this process's pid (written first, so it can be stopped while starting);
- ``azurite.pid``      Azurite's pid (= its process group), so ``sandbox down`` can reap it even
                       if this process has to be SIGKILLed;
- ``sandbox.env``      ``export NAME=VALUE`` lines, written atomically and only once every
                       emulator answers — its presence means "ready".

It runs until SIGTERM/SIGINT (or until Azurite dies), then stops the emulators and removes the files
it wrote. Errors go to stderr (the launcher sends it to ``DIR/sandbox.log``) and exit code 1.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

from modelinfra.errors import ModelinfraError
from modelinfra.sandbox.base import RunningService

ENV_FILE = "sandbox.env"
PID_FILE = "sandbox.pid"
AZURITE_PID_FILE = "azurite.pid"
SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"


def sandbox_environment(aws_url: str, arm_url: str) -> dict[str, str]:
    """The variables that point boto3 and modelinfra's azure provider at the emulators."""
    return {
        "AWS_ENDPOINT_URL": aws_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "MODELINFRA_AZURE_ENDPOINT": arm_url,
        "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION_ID,
    }


def render_env(env: Mapping[str, str]) -> str:
    """``export NAME=VALUE`` lines, shell-quoted; :func:`parse_env` reads them back."""
    return "".join(f"export {key}={shlex.quote(value)}\n" for key, value in env.items())


def parse_env(text: str) -> dict[str, str]:
    """Inverse of :func:`render_env`; ignores blank lines and ``#`` comments."""
    env: dict[str, str] = {}
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            key, value = words[1].split("=", 1)
            env[key] = value
    return env


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so readers see either nothing or the whole file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def start_emulators() -> list[RunningService]:
    """Start Azurite, moto and the ARM emulator, in that order; on failure stop what started."""
    from modelinfra.sandbox.arm import start_arm_emulator
    from modelinfra.sandbox.aws import start_aws_emulator
    from modelinfra.sandbox.azurite import start_azurite

    services: list[RunningService] = []
    try:
        azurite = start_azurite()
        services.append(azurite)
        services.append(start_aws_emulator())
        services.append(start_arm_emulator(blob_endpoint=azurite.extra["blob_endpoint"],
                                           account_key=azurite.extra["account_key"]))
    except BaseException:
        stop_all(services)
        raise
    return services


def stop_all(services: list[RunningService]) -> None:
    """Stop ``services`` in reverse start order; one failing to stop does not keep others up."""
    for service in reversed(services):
        try:
            service.stop()
        except Exception as exc:  # best effort while shutting down
            print(f"sandbox: stopping {service.name} failed: {exc}", file=sys.stderr)


def serve(state_dir: Path, stop: threading.Event) -> int:
    """Run the sandbox until ``stop`` is set or Azurite dies. Returns the process exit code."""
    state_dir.mkdir(parents=True, exist_ok=True)
    pid_file, env_file, azurite_pid_file = (state_dir / PID_FILE, state_dir / ENV_FILE,
                                            state_dir / AZURITE_PID_FILE)
    write_atomic(pid_file, f"{os.getpid()}\n")
    services: list[RunningService] = []
    try:
        services = start_emulators()
        by_name = {service.name: service for service in services}
        azurite = by_name["azurite"].handle
        write_atomic(azurite_pid_file, f"{azurite.pid}\n")
        env = sandbox_environment(by_name["aws"].url, by_name["arm"].url)
        header = f"# modelinfra sandbox (pid {os.getpid()}); azurite blob: {by_name['azurite'].extra['blob_endpoint']}\n"
        write_atomic(env_file, header + render_env(env))
        print(f"sandbox: ready; {header[2:].strip()}", file=sys.stderr, flush=True)
        while not stop.wait(1.0):
            if azurite.poll() is not None:
                print(f"sandbox: Azurite exited with code {azurite.returncode}; shutting down",
                      file=sys.stderr, flush=True)
                return 1
        return 0
    except ModelinfraError as exc:
        print(f"sandbox: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        env_file.unlink(missing_ok=True)
        stop_all(services)
        azurite_pid_file.unlink(missing_ok=True)
        if _read_pid(pid_file) == os.getpid():
            pid_file.unlink(missing_ok=True)
        print("sandbox: stopped", file=sys.stderr, flush=True)


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m modelinfra.sandbox.serve", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state-dir", type=Path, required=True, help="where the pid and env files go")
    args = parser.parse_args(argv)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    return serve(args.state_dir.resolve(), stop)


if __name__ == "__main__":
    sys.exit(main())

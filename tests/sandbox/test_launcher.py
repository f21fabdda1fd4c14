"""``sandbox up`` / ``down``: the detached sandbox process, checked through the environment it publishes."""

from __future__ import annotations

import os
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from modelinfra.sandbox.launcher import SandboxError, sandbox_down, sandbox_status, sandbox_up
from modelinfra.sandbox.serve import parse_env, render_env

EXPECTED_KEYS = {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
                 "MODELINFRA_AZURE_ENDPOINT", "AZURE_SUBSCRIPTION_ID"}


def _gone(pid: int, timeout: float = 10.0) -> bool:
    """``pid`` no longer runs (a zombie awaiting its parent counts as gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
            if state == "Z":
                return True
        except (ProcessLookupError, FileNotFoundError):
            return True
        time.sleep(0.05)
    return False


def _arm_status(endpoint: str, path: str) -> int:
    try:
        request = urllib.request.Request(f"{endpoint}{path}", headers={"Authorization": "Bearer sandbox"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def sandbox_dir(tmp_path: Path):
    state_dir = tmp_path / "sandbox"
    yield state_dir
    sandbox_down(state_dir)


def test_up_publishes_a_working_environment_and_down_stops_everything(sandbox_dir: Path) -> None:
    import boto3

    env = sandbox_up(sandbox_dir)

    assert set(env) == EXPECTED_KEYS
    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert env["MODELINFRA_AZURE_ENDPOINT"].startswith("http://127.0.0.1:")
    assert parse_env((sandbox_dir / "sandbox.env").read_text()) == env
    status = sandbox_status(sandbox_dir)
    assert status.ready and status.pid is not None
    azurite_pid = int((sandbox_dir / "azurite.pid").read_text())

    s3 = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_DEFAULT_REGION"],
                      aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    s3.create_bucket(Bucket="sandbox-probe")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["sandbox-probe"]

    missing_rg = f"/subscriptions/{env['AZURE_SUBSCRIPTION_ID']}/resourcegroups/no-such-rg?api-version=2021-04-01"
    assert _arm_status(env["MODELINFRA_AZURE_ENDPOINT"], missing_rg) == 404

    assert sandbox_up(sandbox_dir) == env  # already up: same sandbox, not a second one

    assert sandbox_down(sandbox_dir) is True

    assert _gone(status.pid) and _gone(azurite_pid)
    assert not (sandbox_dir / "sandbox.pid").exists() and not (sandbox_dir / "sandbox.env").exists()
    assert not sandbox_status(sandbox_dir).running
    assert sandbox_down(sandbox_dir) is False  # idempotent


def test_down_after_the_sandbox_was_killed_reaps_azurite_and_cleans_up(sandbox_dir: Path) -> None:
    sandbox_up(sandbox_dir)
    pid = sandbox_status(sandbox_dir).pid
    azurite_pid = int((sandbox_dir / "azurite.pid").read_text())
    assert pid is not None

    os.kill(pid, signal.SIGKILL)
    assert _gone(pid)
    assert not sandbox_status(sandbox_dir).running  # a stale pid file is not a running sandbox

    assert sandbox_down(sandbox_dir) is False
    assert _gone(azurite_pid)
    assert sorted(p.name for p in sandbox_dir.iterdir()) == ["sandbox.log"]


def test_up_reports_the_child_stderr_when_it_dies(sandbox_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELINFRA_AZURITE_BIN", str(sandbox_dir / "no-such-azurite"))

    with pytest.raises(SandboxError, match="npm ci") as info:
        sandbox_up(sandbox_dir)

    assert "exited with code 1" in str(info.value)
    assert not sandbox_status(sandbox_dir).running
    assert not (sandbox_dir / "sandbox.pid").exists()


def test_stale_pid_file_of_another_process_is_never_signalled(sandbox_dir: Path) -> None:
    sandbox_dir.mkdir(parents=True)
    (sandbox_dir / "sandbox.pid").write_text(f"{os.getpid()}\n")  # alive, but not a sandbox

    assert not sandbox_status(sandbox_dir).running
    assert sandbox_down(sandbox_dir) is False  # and this test process is still here to assert it
    assert not (sandbox_dir / "sandbox.pid").exists()


def test_env_file_round_trips_values_needing_shell_quotes() -> None:
    env = {"A": "http://127.0.0.1:1", "B": "it's a value with spaces"}

    assert parse_env("# comment\n" + render_env(env)) == env

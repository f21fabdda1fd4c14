"""LocalBackend: the conformance suite, plus what only a local file can promise — file modes,
the .backup, crash safety of the atomic write, and locking across real processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelinfra.errors import LockHeldError, StateError
from modelinfra.reporting import Reporter
from modelinfra.state import LocalBackend, LockInfo, State, StateManager
from tests.state.conformance import BackendConformance, OpenBackend, sample_state

SRC = str(Path(__file__).resolve().parents[2] / "src")


class RecordingReporter(Reporter):
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warning(self, message: str) -> None:
        self.warnings.append(message)


class FilesystemFaults:
    """``StoreFaults`` for a file: the local backend's (and its atomic write's) view of ``os`` answers
    that share of its ``write`` / ``fsync`` / ``replace`` calls with EIO, as a failing disk or network
    filesystem does; every other call, and everything outside the backend, is the real ``os``."""

    FAULTED = ("write", "fsync", "replace")

    def __init__(self, path: Path, monkeypatch: pytest.MonkeyPatch):
        import modelinfra.fileio
        import modelinfra.state.backends.local

        self.path, self.ratio, self.count, self.failed = path, 0.0, 0, 0
        for module in (modelinfra.state.backends.local, modelinfra.fileio):
            monkeypatch.setattr(module, "os", self._os())

    def open_backend(self) -> LocalBackend:
        return LocalBackend(self.path)

    def fail(self, ratio: float) -> None:
        self.ratio, self.count = ratio, 0

    def injected(self) -> int:
        return self.failed

    def _os(self) -> object:
        faults = self

        class FaultyOs:
            def __getattr__(self, name: str) -> object:
                real = getattr(os, name)
                if name not in FilesystemFaults.FAULTED:
                    return real

                def call(*args: object, **kwargs: object) -> object:
                    faults.count += 1  # evenly spaced, as the emulators' faults
                    n = faults.count
                    if int(n * faults.ratio + 1e-9) > int((n - 1) * faults.ratio + 1e-9):
                        faults.failed += 1
                        raise OSError(5, "Input/output error (injected)")
                    return real(*args, **kwargs)
                return call

        return FaultyOs()


class TestLocalBackendConformance(BackendConformance):
    @pytest.fixture
    def open_backend(self, tmp_path: Path) -> OpenBackend:
        return lambda: LocalBackend(tmp_path / ".modelinfra" / "stack.state.json")

    @pytest.fixture
    def store_faults(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FilesystemFaults:
        return FilesystemFaults(tmp_path / ".modelinfra" / "stack.state.json", monkeypatch)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / ".modelinfra" / "stack.state.json"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# -- files ------------------------------------------------------------------------------------------
def test_files_are_0600_and_directory_0700_even_with_umask_000(path: Path):
    old = os.umask(0)
    try:
        backend = LocalBackend(path)
        manager = StateManager(backend)
        with manager.lock("apply", 0):
            assert mode(backend.lock_path) == 0o600
            state = manager.refresh("stack")
            manager.persist(state)
            state.outputs["a"] = {"value": 1, "sensitive": False}
            manager.persist(state)
    finally:
        os.umask(old)
    assert mode(path.parent) == 0o700
    assert mode(path) == 0o600
    assert mode(backend.backup_path) == 0o600


def test_backup_holds_the_previous_version(path: Path):
    manager = StateManager(LocalBackend(path))
    state = manager.refresh("stack")
    manager.persist(state)
    backend = LocalBackend(path)
    assert not backend.backup_path.exists()  # nothing before the first write
    state.outputs["a"] = {"value": "first", "sensitive": False}
    manager.persist(state)
    state.outputs["a"] = {"value": "second", "sensitive": False}
    manager.persist(state)
    backup = LocalBackend(backend.backup_path).read()
    assert backup is not None and backup.serial == 2 and backup.outputs["a"]["value"] == "first"
    current = backend.read()
    assert current is not None and current.serial == 3 and current.outputs["a"]["value"] == "second"


def test_state_file_is_sorted_indented_json_in_the_contract_format(path: Path):
    state = sample_state("stack")
    state.serial = 3
    LocalBackend(path).write(state)
    document = json.loads(path.read_text())
    assert set(document) == {"version", "lineage", "serial", "stack", "resources", "outputs"}
    assert document["version"] == 1 and document["serial"] == 3 and document["stack"] == "stack"
    assert set(document["resources"]["object"]) == {"type", "id", "attributes", "dependencies", "status"}
    assert document["outputs"]["secret"] == {"sensitive": True}
    assert path.read_text().startswith('{\n  "lineage"')


def test_a_crash_between_temp_write_and_rename_leaves_the_old_state(path: Path):
    old = sample_state("stack")
    old.serial = 1
    LocalBackend(path).write(old)
    crash = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {SRC!r})
        from pathlib import Path
        from modelinfra.state import LocalBackend
        backend = LocalBackend(Path({str(path)!r}))
        new = backend.read()
        new.serial = 2
        new.resources.clear()
        real_replace = os.replace
        def crash(src, dst):
            if str(dst) == str(backend.path):
                os._exit(17)  # temp file written and fsynced; the rename never happens
            real_replace(src, dst)
        os.replace = crash
        backend.write(new)
    """)
    result = subprocess.run([sys.executable, "-c", crash], capture_output=True, text=True, timeout=30)
    assert result.returncode == 17, result.stderr
    leftovers = [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers, "the crash should have left the written temp file behind"
    survivor = LocalBackend(path).read()
    assert survivor is not None and survivor.to_json() == old.to_json()
    assert survivor is not None and survivor.serial == 1 and set(survivor.resources) == set(old.resources)


# -- corrupt or invalid files ---------------------------------------------------------------------
def test_corrupt_json_names_the_file_and_points_at_the_backup(path: Path):
    manager = StateManager(LocalBackend(path))
    state = manager.refresh("stack")
    manager.persist(state)
    state.outputs["a"] = {"value": 1, "sensitive": False}
    manager.persist(state)
    path.write_text('{"version": 1, "lineage": ')
    with pytest.raises(StateError) as caught:
        LocalBackend(path).read()
    message = str(caught.value)
    assert str(path) in message and "corrupt" in message and f"{path}.backup" in message


def test_corrupt_json_without_a_backup_says_there_is_none(path: Path):
    path.parent.mkdir(parents=True)
    path.write_text("not json")
    with pytest.raises(StateError, match=r"No backup \(stack.state.json.backup\)"):
        LocalBackend(path).read()


def test_unsupported_version_is_a_state_error_naming_the_version(path: Path):
    document = sample_state("stack").to_json()
    document["version"] = 2
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(document))
    with pytest.raises(StateError, match="unsupported state version 2.*newer modelinfra"):
        LocalBackend(path).read()


def test_writing_over_a_corrupt_file_keeps_the_last_good_backup(path: Path):
    backend = LocalBackend(path, reporter := RecordingReporter())
    good = sample_state("stack")
    backend.write(good)
    backend.write(good)  # backup = good
    path.write_text("garbage")
    backend.write(good)
    assert LocalBackend(backend.backup_path).read() == LocalBackend(path).read()
    assert any("corrupt" in w for w in reporter.warnings)


# -- locking across processes -------------------------------------------------------------------
HOLDER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, sys.argv[2])
    from pathlib import Path
    from modelinfra.state import LocalBackend
    LocalBackend(Path(sys.argv[1])).lock("apply", 0)
    print("locked", flush=True)
    time.sleep(60)
""")


@pytest.fixture
def holder(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the state lock for 'apply'."""
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), SRC], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "locked"
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_a_second_process_gets_lock_held_naming_the_first(path: Path, holder: subprocess.Popen[str]):
    with pytest.raises(LockHeldError) as caught:
        LocalBackend(path).lock("destroy", 0)
    message = str(caught.value)
    assert f"pid {holder.pid} " in message and "'apply'" in message
    assert f"@{socket.gethostname()}" in message and "modelinfra state unlock" in message


def test_a_lock_left_by_a_killed_process_is_taken_over_with_a_warning(path: Path, holder: subprocess.Popen[str]):
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=10)
    reporter = RecordingReporter()
    backend = LocalBackend(path, reporter)
    info = backend.lock("apply", 0)
    try:
        assert info.pid == os.getpid()
        assert backend.lock_info() == info
        assert len(reporter.warnings) == 1 and f"pid {holder.pid} " in reporter.warnings[0]
        with pytest.raises(LockHeldError, match=f"pid {os.getpid()} "):
            LocalBackend(path).lock("apply", 0)
    finally:
        backend.unlock()
    assert not backend.lock_path.exists()


def test_a_dead_holders_lock_goes_to_exactly_one_of_many_contenders(path: Path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    write_lock_file(path, pid=int(dead.stdout), host=socket.gethostname())
    contenders = [LocalBackend(path) for _ in range(8)]
    winners: list[LocalBackend] = []
    refused: list[LockHeldError] = []
    barrier = threading.Barrier(len(contenders))

    def contend(backend: LocalBackend) -> None:
        barrier.wait()
        try:
            backend.lock("apply", 0)
            winners.append(backend)
        except LockHeldError as error:
            refused.append(error)

    threads = [threading.Thread(target=contend, args=(b,)) for b in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1 and len(refused) == len(contenders) - 1
    winners[0].unlock()


def write_lock_file(path: Path, *, pid: int, host: str, text: str | None = None) -> Path:
    lock = path.with_name(path.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    info = LockInfo("lock-id", pid, host, "someone", "apply", "2025-01-01T00:00:00Z", str(lock))
    lock.write_text(info.dumps() if text is None else text)
    return lock


def test_a_lock_from_another_host_is_never_taken_over(path: Path):
    write_lock_file(path, pid=999_999_999, host="build-agent-7.example")
    with pytest.raises(LockHeldError, match="someone@build-agent-7.example.*another host"):
        LocalBackend(path).lock("apply", 0)
    assert LocalBackend(path).force_unlock() is True
    backend = LocalBackend(path)
    backend.lock("apply", 0)
    backend.unlock()


def test_a_lock_whose_pid_is_alive_is_never_taken_over(path: Path):
    write_lock_file(path, pid=os.getppid(), host=socket.gethostname())  # alive, but holds no flock
    with pytest.raises(LockHeldError, match=f"pid {os.getppid()} "):
        LocalBackend(path).lock("apply", 0)


def test_an_unreadable_lock_file_needs_force_unlock(path: Path):
    write_lock_file(path, pid=0, host="", text="{half")
    with pytest.raises(LockHeldError, match="unreadable.*modelinfra state unlock"):
        LocalBackend(path).lock("apply", 0)
    assert LocalBackend(path).force_unlock() is True
    assert not path.with_name(path.name + ".lock").exists()


def test_locking_creates_the_state_directory(path: Path):
    backend = LocalBackend(path)
    backend.lock("apply", 0)
    assert mode(path.parent) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [path.name + ".lock"]  # no temp file left
    backend.unlock()
    assert not path.parent.exists()  # nothing written: the directory it made is gone again


def test_state_written_by_one_manager_is_what_a_snapshot_sees(path: Path):
    manager = StateManager(LocalBackend(path))
    with manager.lock("apply", 0):
        state = manager.refresh("stack")
        state.outputs["url"] = {"value": "https://x", "sensitive": False}
        manager.persist(state)
    snapshot = StateManager(LocalBackend(path)).snapshot()
    assert isinstance(snapshot, State) and snapshot.outputs["url"]["value"] == "https://x"


def test_a_run_that_wrote_no_state_leaves_no_state_directory(tmp_path: Path) -> None:
    """A lock taken in a directory it had to create (``.modelinfra/`` on a first, failed apply or
    import) removes that directory again when it is still empty; one holding state, or one that
    was there before, stays."""
    fresh = LocalBackend(tmp_path / "fresh" / ".modelinfra" / "stack.json")
    fresh.lock("import")
    assert (tmp_path / "fresh" / ".modelinfra").is_dir()
    fresh.unlock()
    assert not (tmp_path / "fresh" / ".modelinfra").exists() and (tmp_path / "fresh").is_dir()

    written = LocalBackend(tmp_path / "written" / "stack.json")
    written.lock("apply")
    written.write(sample_state())
    written.unlock()
    assert (tmp_path / "written" / "stack.json").is_file()

    (tmp_path / "kept").mkdir()
    kept = LocalBackend(tmp_path / "kept" / "stack.json")
    kept.lock("apply")
    kept.unlock()
    assert (tmp_path / "kept").is_dir()

    again = LocalBackend(tmp_path / "fresh" / ".modelinfra" / "stack.json")  # made again when needed
    again.lock("apply")
    again.write(sample_state())
    again.unlock()
    assert again.read() is not None

"""The lifecycle fuzzer: ``FUZZ_SCENARIOS`` (default 500) seeded scenarios over the fake provider,
each a random spec, random edits, random faults and crashes, with the invariants of
tests/fakes/fuzz.py checked after every step. A failing seed prints its edit log; rerun one
with ``FUZZ_SEED=n``. ``FUZZ_STEPS`` sets the edits per scenario (default 2)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.fakes.fuzz import InvariantError, Scenario, run_scenario

SCENARIOS = int(os.environ.get("FUZZ_SCENARIOS", "500"))
STEPS = int(os.environ.get("FUZZ_STEPS", "2"))
SEEDS = [int(os.environ["FUZZ_SEED"])] if "FUZZ_SEED" in os.environ else list(range(SCENARIOS))


def _fast_dir(tmp_path: Path) -> Path:
    """A tmpfs directory when there is one: the state is the real LocalBackend either way."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(dir=shm, prefix="modelinfra-fuzz-"))
    return tmp_path


def test_lifecycle_fuzz(tmp_path: Path):
    root = _fast_dir(tmp_path)
    try:
        for seed in SEEDS:
            directory = root / f"seed-{seed}"
            directory.mkdir()
            scenario = Scenario(seed, directory)
            try:
                run_scenario(scenario, STEPS)
            except InvariantError as exc:
                log = "\n  ".join(scenario.log)
                pytest.fail(f"seed {seed}: {exc}\n  {log}\nrerun with FUZZ_SEED={seed}", pytrace=False)
    finally:
        if root != tmp_path:
            shutil.rmtree(root, ignore_errors=True)

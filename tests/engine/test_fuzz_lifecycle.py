"""The lifecycle fuzzer: ``FUZZ_SCENARIOS`` (default 500) seeded scenarios over the fake provider,
each a random spec, random edits, random faults and crashes, with the invariants of
tests/fakes/fuzz.py checked after every step. A failing seed is shrunk to its shortest failing
prefix (a scenario draws from its seeded RNG in order, so fewer steps replay the same start), and
that prefix's edit log and the command that reruns it are printed. ``FUZZ_STEPS`` sets the edits
per scenario (default 2)."""

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
CHUNK = 50
"""Seeds per test: the scenarios run as several tests so parallel workers share them."""
CHUNKS = [SEEDS[i:i + CHUNK] for i in range(0, len(SEEDS), CHUNK)]


def _fast_dir(tmp_path: Path) -> Path:
    """A tmpfs directory when there is one: the state is the real LocalBackend either way."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(dir=shm, prefix="modelinfra-fuzz-"))
    return tmp_path


def _shortest_failing_prefix(root: Path, seed: int, failed: Scenario,
                             error: InvariantError) -> tuple[int, Scenario, InvariantError]:
    """The fewest steps of ``seed`` that still break an invariant, with that run and its error."""
    for steps in range(STEPS):
        directory = root / f"seed-{seed}-shrink-{steps}"
        directory.mkdir()
        scenario = Scenario(seed, directory)
        try:
            run_scenario(scenario, steps)
        except InvariantError as exc:
            return steps, scenario, exc
    return STEPS, failed, error


@pytest.mark.parametrize("seeds", CHUNKS, ids=[f"seeds-{c[0]}-{c[-1]}" for c in CHUNKS])
def test_lifecycle_fuzz(tmp_path: Path, seeds: list[int]):
    root = _fast_dir(tmp_path)
    try:
        for seed in seeds:
            directory = root / f"seed-{seed}"
            directory.mkdir()
            scenario = Scenario(seed, directory)
            try:
                run_scenario(scenario, STEPS)
            except InvariantError as exc:
                steps, scenario, exc = _shortest_failing_prefix(root, seed, scenario, exc)
                log = "\n  ".join(scenario.log)
                pytest.fail(f"seed {seed}: {exc}\n  {log}\n"
                            f"rerun with FUZZ_SEED={seed} FUZZ_STEPS={steps}", pytrace=False)
    finally:
        if root != tmp_path:
            shutil.rmtree(root, ignore_errors=True)

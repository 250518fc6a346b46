"""Fixtures of the crash-anywhere suite: one emulator pair per module, a fresh scene per test.

Names start with ``crash_`` because this folder also holds another suite (``test_faults.py``,
whose fixtures live in ``fault_support.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.emulators.run import RunningEmulators
from tests.e2e.sync.harness import SyncEnv, admins, running_emulators
from tests.fakes import EmulatorAdmin
from tests.reliability.drill import Drill, Reference

# Moments are chosen from this seed; set CRASH_ANYWHERE_SEED to explore others.
DEFAULT_SEED = 20_240_607


@pytest.fixture(scope="module")
def crash_emulators(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningEmulators, EmulatorAdmin, EmulatorAdmin]]:
    with running_emulators(tmp_path_factory.mktemp("crash-emulators")) as running:
        sf, hs = admins(running)
        yield running, sf, hs
        sf.close()
        hs.close()


@pytest.fixture
def crash_drill(
    crash_emulators: tuple[RunningEmulators, EmulatorAdmin, EmulatorAdmin], tmp_path: Path
) -> Drill:
    running, sf, hs = crash_emulators
    return Drill(SyncEnv(running, tmp_path / "scene", sf, hs))


@pytest.fixture(scope="session")
def crash_seed() -> int:
    return int(os.environ.get("CRASH_ANYWHERE_SEED", DEFAULT_SEED))


@pytest.fixture(scope="module")
def crash_references() -> dict[str, Reference]:
    """Reference runs by scenario, made once per module (and worker) and shared by its tests."""
    return {}

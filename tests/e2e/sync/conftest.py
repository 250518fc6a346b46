"""Fixtures for sync tests over the emulators: one emulator pair per session, a fresh scene each.

``env`` resets both emulators, seeds the team (users and owners), and gives the test its own
state database and config (``tests/e2e/sync/harness.py`` describes the helpers).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.emulators.run import RunningEmulators
from tests.e2e.sync.harness import SyncEnv, admins, make_env, running_emulators
from tests.fakes import EmulatorAdmin


@pytest.fixture(scope="session")
def emulator_pair(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningEmulators, EmulatorAdmin, EmulatorAdmin]]:
    with running_emulators(tmp_path_factory.mktemp("sync-emulators")) as running:
        sf, hs = admins(running)
        yield running, sf, hs
        sf.close()
        hs.close()


@pytest.fixture
def env(
    emulator_pair: tuple[RunningEmulators, EmulatorAdmin, EmulatorAdmin], tmp_path: Path
) -> SyncEnv:
    running, sf, hs = emulator_pair
    return make_env(running, sf, hs, tmp_path / "scene")

"""Both emulators on loopback and a config file pointing at them, as a user's machine has."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from connector.emulators.run import RunningEmulators, config_text, emulators


@dataclass
class Site:
    """Running emulators plus the config file a test's ``crmsync`` commands use."""

    emulators: RunningEmulators
    config_path: Path
    state_path: Path

    def sf_admin(self, path: str, payload: Any | None = None) -> Any:
        return self.emulators.admin(self.emulators.salesforce, path, payload)

    def hs_admin(self, path: str, payload: Any | None = None) -> Any:
        return self.emulators.admin(self.emulators.hubspot, path, payload)

    def records(self, side: str, object_name: str) -> list[dict[str, Any]]:
        server = self.emulators.salesforce if side == "salesforce" else self.emulators.hubspot
        trust = ssl.create_default_context(cafile=str(self.emulators.tls.ca_path))
        url = f"{server.url}/__emulator__/records/{object_name}"
        response = httpx.get(url, verify=trust, timeout=120)
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()
        return result


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with emulators(tls_dir=tmp_path / "tls") as running:
        state = tmp_path / "crmsync.db"
        config = tmp_path / "crmsync.toml"
        config.write_text(config_text(running, f"sqlite:///{state}"))
        yield Site(running, config, state)

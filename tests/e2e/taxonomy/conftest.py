"""A small world for the taxonomy tests: both emulators, a config, a state file, a pinned clock.

The connector's clock is pinned with ``CRMSYNC_NOW`` a day ahead of the emulators' real time:
every record a test seeds is then older than HubSpot's search-lag margin, so one ``sync`` sees
it, and recycle dates are computed from a known day. Moving the clock past a recycle date is
setting ``CRMSYNC_NOW`` later, as a user replaying a day would.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from connector.clock import ENV_VAR
from connector.config import Config, config_from_text
from connector.emulators.run import RunningEmulators, config_text, emulators
from connector.engine.cycle import CycleResult
from connector.engine.runner import sync_pipelines
from connector.state import AuditEntry, DeadLetter, StateStore
from tests.e2e.cli import Result, crmsync

# The day the tests run on, as far as the connector knows: later than any emulator stamp.
TODAY = (datetime.now(UTC) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)


@dataclass
class World:
    """Running emulators, the config file that points at them, and ways to look at both."""

    running: RunningEmulators
    config_path: Path
    monkeypatch: pytest.MonkeyPatch
    now: datetime = TODAY

    # -- the systems, as an admin or a user in the UI touches them -------------------------

    def sf(self, path: str, payload: Any | None = None) -> Any:
        return self.running.admin(self.running.salesforce, path, payload)

    def hs(self, path: str, payload: Any | None = None) -> Any:
        return self.running.admin(self.running.hubspot, path, payload)

    def seed_sf(self, object_name: str, *rows: dict[str, Any]) -> list[str]:
        answer = self.sf("seed", {"objects": {object_name: list(rows)}})
        ids: list[str] = answer["ids"][object_name]
        return ids

    def seed_hs(self, object_name: str, *rows: dict[str, Any]) -> list[str]:
        payload = [row if "properties" in row else {"properties": row} for row in rows]
        answer = self.hs("seed", {"objects": {object_name: payload}})
        ids: list[str] = answer["ids"][object_name]
        return ids

    def sf_edit(
        self, object_name: str, record_id: str, by: str | None = None, **fields: Any
    ) -> None:
        """Edit a Salesforce record as a user in the UI would (validation rules aside)."""
        body: dict[str, Any] = {"object": object_name, "id": record_id, "fields": fields}
        if by is not None:
            body["by"] = by
        self.sf("update", body)

    def hs_edit(self, object_name: str, record_id: str, **properties: Any) -> None:
        """Edit a HubSpot record as a marketer in the UI would."""
        self.hs("update", {"object": object_name, "id": record_id, "properties": properties})

    def records(self, side: str, object_name: str) -> list[dict[str, Any]]:
        server = self.running.salesforce if side == "salesforce" else self.running.hubspot
        trust = ssl.create_default_context(cafile=str(self.running.tls.ca_path))
        url = f"{server.url}/__emulator__/records/{object_name}"
        response = httpx.get(url, verify=trust, timeout=60)
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()
        return found

    def sf_record(self, object_name: str, record_id: str) -> dict[str, Any]:
        return next(r for r in self.records("salesforce", object_name) if r["Id"] == record_id)

    def contact(self, contact_id: str) -> dict[str, Any]:
        found = next(r for r in self.records("hubspot", "contacts") if str(r["id"]) == contact_id)
        properties: dict[str, Any] = found["properties"]
        return properties

    def contact_by_email(self, email: str) -> dict[str, Any]:
        for record in self.records("hubspot", "contacts"):
            if (record["properties"].get("email") or "").lower() == email.lower():
                properties: dict[str, Any] = record["properties"]
                return properties
        raise AssertionError(f"no HubSpot contact has the e-mail {email}")

    def leads_by_email(self, email: str) -> list[dict[str, Any]]:
        return [
            r
            for r in self.records("salesforce", "Lead")
            if (r.get("Email") or "").lower() == email.lower()
        ]

    def requests(self, side: str) -> list[dict[str, Any]]:
        server = self.running.salesforce if side == "salesforce" else self.running.hubspot
        found: list[dict[str, Any]] = self.running.admin(server, "requests")
        return found

    # -- the connector ----------------------------------------------------------------------

    def config(self) -> Config:
        return config_from_text(self.config_path.read_text(), self.config_path, environ={})

    def sync(self, *pipelines: str, at: datetime | None = None) -> list[CycleResult]:
        """``crmsync sync`` in this process, on the pinned clock (every pipeline by default)."""
        self.monkeypatch.setenv(ENV_VAR, (at or self.now).isoformat())
        config = self.config()
        selected = [config.pipeline(name) for name in pipelines] or config.selected(None)
        return sync_pipelines(config, selected)

    def cli_sync(self, *args: str, at: datetime | None = None) -> Result:
        """``crmsync sync`` as a user runs it, for its exit code and output."""
        env = {ENV_VAR: (at or self.now).isoformat()}
        return crmsync(
            "sync", "--config", str(self.config_path), *args, cwd=self.config_path.parent, env=env
        )

    def store(self) -> StateStore:
        return StateStore.open(self.config().file.state.url)

    def audit(self, pipeline: str | None = None) -> list[AuditEntry]:
        with self.store() as store, store.transaction(readonly=True) as tx:
            return tx.list_audit(pipeline)

    def dead_letters(self, pipeline: str | None = None) -> list[DeadLetter]:
        with self.store() as store, store.transaction(readonly=True) as tx:
            return tx.list_dead_letters(pipeline)


def writes_of(results: Sequence[CycleResult]) -> int:
    """Records created or updated, over every pipeline and side."""
    return sum(c.created + c.updated for r in results for c in r.counts.values())


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulators]:
    """Both emulators, once per test module (each test starts from an empty reset)."""
    with emulators(tls_dir=tmp_path_factory.mktemp("emulators") / "tls") as both:
        yield both


@pytest.fixture
def world(running: RunningEmulators, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.delenv(ENV_VAR, raising=False)
    for server in (running.salesforce, running.hubspot):
        running.admin(server, "reset", {})
    # Several syncs a second are normal here; the portal's search limit is not under test.
    running.admin(running.hubspot, "settings", {"search_per_second": 100})
    config = tmp_path / "crmsync.toml"
    config.write_text(config_text(running, f"sqlite:///{tmp_path / 'crmsync.db'}"))
    return World(running, config, monkeypatch)

"""Helpers for the HubSpot emulator suite: the SDK client, the recordings, admin calls.

Tests drive the emulator with the unmodified hubspot-api-client, configured the way the
connector configures it (see ``sdk_client``), and use the admin API over HTTPS for seeding
and settings. (A plain module rather than the conftest, so test modules can import it.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from hubspot import HubSpot

from connector.emulators.hubspot import DEFAULT_TOKEN, HubSpotService
from connector.emulators.server import EmulatorServer, TlsFiles

REFERENCE = Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "hubspot"
START = datetime(2026, 3, 12, 7, 0, tzinfo=UTC)


def sdk_client(url: str, ca_path: Path, token: str = DEFAULT_TOKEN) -> HubSpot:
    """hubspot-api-client pointed at the emulator, without touching its internals.

    ``HubSpot(**kwargs)`` keeps every keyword in its config, and each API package's
    ``Configuration`` is built from that config by ``DiscoveryBase._default_api_factory``
    (``setattr(configuration, key, value)`` for each key). So ``host`` and ``ssl_ca_cert``
    given once reach every API: contacts, owners, properties, associations v4, ...
    """
    return HubSpot(access_token=token, host=url, ssl_ca_cert=str(ca_path))


def recording(name: str) -> dict[str, Any]:
    """A recorded exchange file from Nango's integration templates (real portals)."""
    data: dict[str, Any] = json.loads((REFERENCE / "fixtures" / "nango" / name).read_text())
    return data


def recorded_response(name: str, method: str, path: str) -> tuple[int, Any]:
    exchange = recording(name)["api"][method][path]
    return int(exchange["status"]), exchange["response"]


@dataclass
class Emulator:
    """A running HubSpot emulator plus the admin calls tests need."""

    server: EmulatorServer
    service: HubSpotService
    tls: TlsFiles
    http: httpx.Client

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, token: str = DEFAULT_TOKEN) -> HubSpot:
        return sdk_client(self.url, self.tls.ca_path, token)

    def api(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = DEFAULT_TOKEN,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """A raw API call, for status codes and bodies the SDK hides."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.request(method, self.url + path, json=body, headers=headers, params=params)

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, f"{self.url}/__emulator__/{path}", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def seed(self, objects: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
        ids: dict[str, list[str]] = self.admin("POST", "seed", {"objects": objects})["ids"]
        return ids

    def settings(self, **values: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("POST", "settings", values)
        return result

    def advance(self, seconds: float) -> None:
        self.service.clock.advance(timedelta(seconds=seconds))

    def records(self, object_name: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.admin("GET", f"records/{object_name}")
        return found

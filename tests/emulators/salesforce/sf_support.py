"""Helpers for the Salesforce emulator tests: reference payloads, a client bundle, a valid lead."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from simple_salesforce import Salesforce

from connector.emulators.salesforce import CLIENT_ID, CLIENT_SECRET
from connector.emulators.server import EmulatorServer

REFERENCE = Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "salesforce"
VERSION = "59.0"


def reference_json(relative: str) -> Any:
    return json.loads((REFERENCE / relative).read_text())


def nango_response(name: str, method: str = "get") -> tuple[Any, int]:
    """The first recorded response of a nango fixture: (body, status)."""
    recorded = reference_json(f"fixtures/nango/{name}.test.json")
    exchange = next(iter(recorded["api"][method].values()))
    return exchange["response"], exchange["status"]


@dataclass
class Org:
    """A running emulator, a session trusting its CA, and admin helpers."""

    server: EmulatorServer
    http: requests.Session

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def api(self) -> str:
        return f"{self.url}/services/data/v{VERSION}"

    def admin(self, path: str, body: Any = None, method: str = "POST") -> Any:
        response = self.http.request(method, f"{self.url}/__emulator__/{path}", json=body)
        assert response.status_code < 300, response.text
        return response.json()

    def token(self) -> str:
        response = self.http.post(
            f"{self.url}/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    def client(self, token: str | None = None) -> Salesforce:
        return Salesforce(
            instance_url=self.url,
            session_id=token or self.token(),
            version=VERSION,
            session=self.http,
        )

    def seed(self, objects: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
        ids: dict[str, list[str]] = self.admin("seed", {"objects": objects})["ids"]
        return ids

    def records(self, object_name: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.admin(f"records/{object_name}", method="GET")
        return found


def lead(**fields: Any) -> dict[str, Any]:
    """A valid lead, with ``fields`` on top."""
    return {"LastName": "Lovelace", "Company": "Analytical Engines", **fields}

"""Starting both emulators together: for ``crmsync emulate`` (foreground) and ``crmsync demo``.

Besides the servers, a start writes what a client needs to trust and reach them: the test CA
(``ca.pem``) and the demo credentials as files readable only by the user, which is where
``config.example.toml`` looks for them.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from connector.emulators.server import EmulatorServer, TlsFiles, make_tls

SALESFORCE_CLIENT_ID = "emulator-client-id"
SALESFORCE_CLIENT_SECRET = "emulator-client-secret"
HUBSPOT_TOKEN = "emulator-hubspot-token"


@dataclass(frozen=True)
class RunningEmulators:
    """Both emulators, started, with the CA that signed their certificates."""

    salesforce: EmulatorServer
    hubspot: EmulatorServer
    tls: TlsFiles
    secrets_dir: Path

    def admin(self, server: EmulatorServer, path: str, payload: Any | None = None) -> Any:
        """Call an emulator's admin API (``/__emulator__/<path>``)."""
        url = f"{server.url}/__emulator__/{path}"
        trust = ssl.create_default_context(cafile=str(self.tls.ca_path))
        with httpx.Client(verify=trust, timeout=120) as client:
            response = client.get(url) if payload is None else client.post(url, json=payload)
        response.raise_for_status()
        return response.json()


DEFAULT_PIPELINES = (
    ("leads", "Lead", "contacts"),
    ("contacts", "Contact", "contacts"),
    ("opportunities", "Opportunity", "deals"),
)
MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"


def config_text(
    running: RunningEmulators,
    state_url: str,
    *,
    pipelines: Sequence[str] | None = None,
    mappings: Path = MAPPINGS,
    schedule: str | None = None,
    extra: str = "",
) -> str:
    """A ``crmsync.toml`` that points at these emulators with their demo credentials.

    ``pipelines`` picks among leads, contacts and opportunities (all by default); ``extra`` is
    appended as is (a ``[daemon]`` table, say).
    """
    lines = [
        "[state]",
        f'url = "{state_url}"',
        "",
        "[salesforce]",
        f'login_url = "{running.salesforce.url}"',
        f'client_id = "{SALESFORCE_CLIENT_ID}"',
        f'client_secret_file = "{running.secrets_dir}/salesforce_client_secret"',
        f'ca_bundle = "{running.tls.ca_path}"',
        # The emulator commits every write as it makes it: no transaction is ever in flight.
        "commit_lag_s = 0",
        "",
        "[hubspot]",
        f'base_url = "{running.hubspot.url}"',
        f'access_token_file = "{running.secrets_dir}/hubspot_access_token"',
        f'ca_bundle = "{running.tls.ca_path}"',
    ]
    for name, salesforce_object, hubspot_object in DEFAULT_PIPELINES:
        if pipelines is not None and name not in pipelines:
            continue
        lines += [
            "",
            "[[pipelines]]",
            f'name = "{name}"',
            f'salesforce_object = "{salesforce_object}"',
            f'hubspot_object = "{hubspot_object}"',
            f'mapping = "{mappings}/{name}.toml"',
        ]
        if schedule is not None:
            lines.append(f'schedule = "{schedule}"')
    return "\n".join(lines) + "\n" + (f"\n{extra.strip()}\n" if extra.strip() else "")


def write_demo_secrets(secrets_dir: Path) -> None:
    """The emulators' demo credentials as files, mode 600, where the example config reads them."""
    secrets_dir.mkdir(parents=True, exist_ok=True)
    for name, value in (
        ("salesforce_client_secret", SALESFORCE_CLIENT_SECRET),
        ("hubspot_access_token", HUBSPOT_TOKEN),
    ):
        path = secrets_dir / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
        os.chmod(path, 0o600)


def seed_payloads(seed: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The admin seed payloads for ``demo``, ``empty`` or a JSON file."""
    from connector.emulators.demo import demo_seed, empty_seed, load_seed_file

    if seed == "demo":
        data = demo_seed()
        return data.salesforce, data.hubspot
    if seed == "empty":
        data = empty_seed()
        return data.salesforce, data.hubspot
    loaded = load_seed_file(Path(seed))
    return loaded.get("salesforce", {"objects": {}}), loaded.get("hubspot", {"objects": {}})


@contextmanager
def emulators(
    *,
    salesforce_port: int = 0,
    hubspot_port: int = 0,
    latency_ms: int = 0,
    tls_dir: Path,
    seed: str | None = None,
) -> Iterator[RunningEmulators]:
    """Both emulators on loopback for the duration of the block, seeded if asked."""
    from connector.emulators.hubspot import HubSpotService
    from connector.emulators.salesforce import SalesforceService

    tls = make_tls(tls_dir)
    secrets_dir = tls_dir.parent / "secrets"
    write_demo_secrets(secrets_dir)
    sf = EmulatorServer(SalesforceService(), tls, port=salesforce_port, latency_ms=latency_ms)
    hs = EmulatorServer(HubSpotService(), tls, port=hubspot_port, latency_ms=latency_ms)
    sf.start()
    try:
        hs.start()
        try:
            running = RunningEmulators(sf, hs, tls, secrets_dir)
            if seed is not None:
                sf_payload, hs_payload = seed_payloads(seed)
                running.admin(sf, "seed", sf_payload)
                running.admin(hs, "seed", hs_payload)
            yield running
        finally:
            hs.stop()
    finally:
        sf.stop()


def run_emulators(
    *, salesforce_port: int, hubspot_port: int, seed: str, latency_ms: int, tls_dir: Path
) -> None:
    """``crmsync emulate``: serve until Ctrl-C or SIGTERM, then stop cleanly."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with emulators(
        salesforce_port=salesforce_port,
        hubspot_port=hubspot_port,
        latency_ms=latency_ms,
        tls_dir=tls_dir,
        seed=seed,
    ) as running:
        counts = {
            "salesforce": {
                o: len(running.admin(running.salesforce, f"records/{o}"))
                for o in ("User", "Lead", "Contact", "Opportunity")
            },
            "hubspot": {
                o: len(running.admin(running.hubspot, f"records/{o}"))
                for o in ("owners", "contacts", "deals")
            },
        }
        print(f"Salesforce emulator  {running.salesforce.url}", flush=True)
        print(f"  client id / secret {SALESFORCE_CLIENT_ID} / {SALESFORCE_CLIENT_SECRET}")
        print(f"HubSpot emulator     {running.hubspot.url}")
        print(f"  private-app token  {HUBSPOT_TOKEN}")
        print(f"Test CA              {running.tls.ca_path}")
        print(f"Demo credentials in  {running.secrets_dir}/")
        print(f"Seed ({seed}):        {json.dumps(counts)}")
        print("Press Ctrl-C to stop.", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    print("Emulators stopped.", flush=True)

"""Fixtures for the HubSpot emulator suite: one server per module, a fresh portal per test."""

from __future__ import annotations

import gc
import ssl
from collections.abc import Iterator

import httpx
import pytest
from hubspot import HubSpot
from hubspot_harness import START, Emulator

from connector.emulators.hubspot import HubSpotService
from connector.emulators.server import EmulatorClock, EmulatorServer, TlsFiles


@pytest.fixture(scope="module")
def _running(tls_files: TlsFiles) -> Iterator[Emulator]:
    service = HubSpotService(EmulatorClock(START))
    server = EmulatorServer(service, tls_files).start()
    with httpx.Client(
        verify=ssl.create_default_context(cafile=str(tls_files.ca_path)),
        timeout=30,
        trust_env=False,
    ) as http:
        yield Emulator(server, service, tls_files, http)
    # A client still holding a keep-alive TLS connection makes uvicorn wait for its
    # close_notify until the stop times out; pytest.raises keeps SDK responses (and their
    # sockets) alive in reference cycles, so collect them first.
    gc.collect()
    server.stop()


@pytest.fixture
def hubspot(_running: Emulator) -> Emulator:
    """The module's emulator, reset to an empty default portal."""
    _running.admin("POST", "reset")
    return _running


@pytest.fixture
def client(hubspot: Emulator) -> HubSpot:
    return hubspot.client()

"""One Salesforce emulator for the suite, reset before each test, and clients for it."""

from __future__ import annotations

import gc
import socket
from collections.abc import Iterator

import pytest
import requests
from sf_support import Org
from simple_salesforce import Salesforce

from connector.emulators.salesforce import SalesforceService
from connector.emulators.server import EmulatorServer, TlsFiles


@pytest.fixture(scope="session")
def sf_server(tls_files: TlsFiles) -> Iterator[EmulatorServer]:
    server = EmulatorServer(SalesforceService(), tls_files)
    # Without TCP_NODELAY each answer (headers and body written apart) waits ~40 ms for a
    # delayed ACK; accepted sockets inherit the option from the listening one.
    server._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def org(sf_server: EmulatorServer, tls_files: TlsFiles) -> Iterator[Org]:
    http = requests.Session()
    http.verify = str(tls_files.ca_path)
    # The environment may name another CA bundle; the test CA must decide.
    http.trust_env = False
    found = Org(sf_server, http)
    found.admin("reset")
    yield found
    # A response kept alive by a caught exception's traceback holds its TLS connection open,
    # which would stall the server's shutdown; collect it so the socket closes now.
    gc.collect()
    http.close()


@pytest.fixture
def sf(org: Org) -> Salesforce:
    return org.client()

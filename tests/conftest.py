"""Fixtures every suite shares: a throwaway TLS CA for the emulators."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.emulators.server import TlsFiles, make_tls


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """One CA for the whole session; every emulator serves a certificate it signed."""
    return make_tls(Path(tmp_path_factory.mktemp("tls")))

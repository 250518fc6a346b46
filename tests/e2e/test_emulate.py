"""`crmsync emulate` as a user runs it: both emulators up, their places said, Ctrl-C stops."""

from __future__ import annotations

import os
import re
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.e2e.cli import REPO


def test_emulate_starts_both_prints_where_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMSYNC_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "connector",
            "emulate",
            "--salesforce-port",
            "0",
            "--hubspot-port",
            "0",
            "--seed",
            "empty",
            "--tls-dir",
            str(tmp_path / "tls"),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Press Ctrl-C" in line:
                break
        text = "".join(lines)
        sf_url = re.search(r"Salesforce emulator\s+(https://127\.0\.0\.1:\d+)", text)
        hs_url = re.search(r"HubSpot emulator\s+(https://127\.0\.0\.1:\d+)", text)
        assert sf_url and hs_url, text
        ca = tmp_path / "tls" / "ca.pem"
        assert f"Test CA              {ca}" in text or str(ca) in text
        assert "emulator-client-id" in text and "emulator-hubspot-token" in text
        secret_file = tmp_path / "secrets" / "hubspot_access_token"
        assert secret_file.read_text().strip() == "emulator-hubspot-token"
        assert secret_file.stat().st_mode & 0o077 == 0

        with httpx.Client(verify=ssl.create_default_context(cafile=str(ca)), timeout=10) as client:
            token = client.post(
                f"{sf_url.group(1)}/services/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "emulator-client-id",
                    "client_secret": "emulator-client-secret",
                },
            )
            assert token.status_code == 200, token.text
            assert token.json()["instance_url"] == sf_url.group(1)
            owners = client.get(
                f"{hs_url.group(1)}/crm/v3/owners",
                headers={"Authorization": "Bearer emulator-hubspot-token"},
            )
            assert owners.status_code == 200
            refused = client.get(
                f"{hs_url.group(1)}/crm/v3/owners",
                headers={"Authorization": "Bearer wrong-token"},
            )
            assert refused.status_code == 401

        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        assert "Emulators stopped." in out
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_emulate_help_lists_its_options() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "connector", "emulate", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    for option in ("--salesforce-port", "--hubspot-port", "--seed", "--latency-ms", "--tls-dir"):
        assert option in done.stdout

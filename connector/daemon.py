"""``crmsync run``: the scheduled daemon (every pipeline on its schedule, health and metrics)."""

from __future__ import annotations

from pathlib import Path

from connector.errors import CrmsyncError


def run_daemon(config_path: Path | None) -> int:
    """Not built in this version: says so plainly instead of pretending to run."""
    raise CrmsyncError(
        "crmsync run (the daemon) is not available in this version yet; "
        "run `crmsync sync` from a scheduler meanwhile"
    )

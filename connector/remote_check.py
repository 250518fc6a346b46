"""``crmsync validate --remote``: mapped fields checked against the live systems' descriptions."""

from __future__ import annotations

from connector.config import Config
from connector.errors import CrmsyncError


def check_remote(config: Config) -> list[str]:
    """Not built in this version: says so plainly instead of reporting everything as fine."""
    raise CrmsyncError("crmsync validate --remote is not available in this version yet")

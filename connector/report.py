"""``crmsync report``: funnel, conversions, dispositions, recycle queue, SLA breaches, drift."""

from __future__ import annotations

from typing import Any

from connector.config import Config
from connector.errors import CrmsyncError
from connector.state import StateStore


def build_report(config: Config, store: StateStore) -> dict[str, Any]:
    """Not built in this version: says so plainly instead of printing empty numbers."""
    raise CrmsyncError("crmsync report is not available in this version yet")


def render(report: dict[str, Any], fmt: str) -> str:
    raise CrmsyncError("crmsync report is not available in this version yet")

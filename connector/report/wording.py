"""How the human-readable formats word numbers, dates and names (table and HTML alike)."""

from __future__ import annotations

from datetime import UTC, datetime

from connector.model import Side

SYSTEM_NAMES = {Side.SALESFORCE: "Salesforce", Side.HUBSPOT: "HubSpot"}
BLANK = "(blank)"


def system_name(side: Side) -> str:
    return SYSTEM_NAMES[side]


def percent(rate: float | None) -> str:
    """``0.5`` → ``"50.0 %"``; no rate (nothing entered the step) → ``"-"``."""
    return "-" if rate is None else f"{rate * 100:.1f} %"


def in_days(days: int) -> str:
    """A date relative to today, as a person says it."""
    if days == 0:
        return "today"
    if days < 0:
        return f"{-days} d overdue"
    return f"in {days} d"


def instant(value: datetime | None) -> str:
    return "-" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def value_text(value: str | None) -> str:
    return BLANK if value is None else value


def reason_name(reason: str) -> str:
    """``mid_contract_competitor`` → ``mid contract competitor``."""
    return reason.replace("_", " ")

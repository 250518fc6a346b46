"""How each vendor writes dates and times on the wire, so seeded values look like API answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def sf_datetime(value: datetime) -> str:
    """Salesforce's ``2024-01-05T10:11:12.000+0000`` (always UTC, always milliseconds)."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def hs_datetime(value: datetime) -> str:
    """HubSpot's ``2024-01-05T10:11:12.345Z``."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def iso_date(value: date) -> str:
    """Both vendors write date-only fields as ``YYYY-MM-DD``."""
    return value.isoformat()


def next_month(today: date) -> tuple[date, date]:
    """The first and last day of the calendar month after ``today``."""
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    return first, after - timedelta(days=1)


def parse_sf_datetime(text: str) -> datetime:
    """The inverse of ``sf_datetime``."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")

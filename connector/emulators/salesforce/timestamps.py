"""Salesforce's wire formats for instants and dates.

REST answers datetimes as ``2024-01-05T10:11:12.000+0000`` (milliseconds always ``.000`` for
system stamps, which are kept to the second, so records changed in the same second tie) and
dates as ``2024-01-05``. Bulk API 2.0 CSV results use ``2024-01-05T10:11:12.000Z`` instead.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def format_datetime(instant: datetime) -> str:
    instant = instant.astimezone(UTC)
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}+0000"


def stamp(instant: datetime) -> str:
    """A system modstamp: to the second, so same-second changes tie as they do in a real org."""
    return format_datetime(instant.replace(microsecond=0))


def parse_datetime(text: str) -> datetime | None:
    """Parse the datetime forms the API accepts (``Z``, ``+0000``, ``+00:00``, no zone = UTC)."""
    match = _DATETIME.match(text.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        value = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0").ljust(6, "0")[:6]),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset_minutes = int(digits[:2]) * 60 + int(digits[2:])
        value = value - sign * timedelta(minutes=offset_minutes)
    return value


def parse_date(text: str) -> date | None:
    if not _DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def bulk_datetime(stored: str) -> str:
    """A stored REST datetime in the Bulk API 2.0 CSV form."""
    parsed = parse_datetime(stored)
    if parsed is None:
        return stored
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}Z"

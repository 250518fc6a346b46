"""Property values as HubSpot reads and writes them: instants, dates, numbers, on the wire.

Every CRM property value travels as a string. Instants are written back like Java's
``Instant.toString()`` (``2026-03-12T07:33:46.615Z``; no fraction when the milliseconds are
zero, as the recorded ``closedate`` ``2026-12-31T00:00:00Z`` shows). Clients may send an
instant as epoch milliseconds (number or numeric string) or as an ISO 8601 text; a ``date``
property takes midnight-UTC milliseconds or ``YYYY-MM-DD`` and is stored as ``YYYY-MM-DD``.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY_MS = 86_400_000

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^-?\d+$")


def to_ms(instant: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return (instant - EPOCH) // timedelta(milliseconds=1)


def format_instant(ms: int) -> str:
    """An instant as HubSpot prints it (Java ``Instant.toString``)."""
    moment = EPOCH + timedelta(milliseconds=ms)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if ms % 1000:
        text += f".{ms % 1000:03d}"
    return text + "Z"


def format_date(ms: int) -> str:
    """A midnight-UTC instant as a ``date`` property value."""
    return (EPOCH + timedelta(milliseconds=ms)).strftime("%Y-%m-%d")


def parse_instant_text(text: str) -> int | None:
    """Epoch ms from epoch-ms digits or an ISO 8601 date or date-time; ``None`` if neither."""
    value = text.strip()
    if _INTEGER.match(value):
        return int(value)
    try:
        if _DATE_ONLY.match(value):
            day = date.fromisoformat(value)
            return to_ms(datetime(day.year, day.month, day.day, tzinfo=UTC))
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return to_ms(moment)


def parse_number_text(text: str) -> float | None:
    """A number property's value, or ``None`` when it does not parse."""
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def wire_text(raw: object) -> str:
    """A JSON value sent for a property, as the string HubSpot stores.

    Numbers keep their JSON spelling without a spurious ``.0`` (the recordings show
    ``"amount": 15000`` stored as ``"15000"``); booleans become ``true``/``false``.
    """
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() else repr(raw)
    return str(raw)


def time_of_day(ms: int) -> str:
    """``H:M:S.mmm`` of an instant, unpadded, for HubSpot's not-midnight message."""
    rest = ms % DAY_MS
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours}:{minutes}:{seconds}.{millis}"

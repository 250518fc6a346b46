"""Values as each system holds them: blank, one comparable text form, and the wire forms.

Salesforce answers JSON numbers, booleans and ``2024-01-05T10:11:12.000+0000``; HubSpot answers
every property as text and ``2024-01-05T10:11:12.000Z`` (or epoch milliseconds). Comparisons
and snapshots use one form for both, so the connector's own writes read back as no change.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

Comparable = str | None


def is_blank(value: Any) -> bool:
    """``None``, an empty or all-whitespace string."""
    return value is None or (isinstance(value, str) and not value.strip())


_PLAIN_NUMBER = re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?$")
_ISO_INSTANT = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE
)


def number_text(value: Decimal) -> str:
    """A number as plain text without exponent or trailing zeros: ``60.0`` → ``"60"``."""
    if not value.is_finite():
        return str(value)
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def comparable(value: Any) -> Comparable:
    """One text form per meaning, so equal values compare equal across the two systems.

    ``None``, ``""`` and whitespace are all "blank" (``None``); ``60``, ``60.0`` and ``"60"`` are
    ``"60"``; ``True`` and ``"true"`` are ``"true"``; instants with any offset become UTC
    (``2024-01-05T10:11:12.000+0000`` equals ``2024-01-05T10:11:12Z``). Text is trimmed but keeps
    its case: ``"McDonald"`` and ``"Mcdonald"`` are different names.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return number_text(Decimal(str(value)))
    if isinstance(value, datetime):
        return instant_text(value if value.tzinfo else value.replace(tzinfo=UTC), "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if _PLAIN_NUMBER.match(text):
            return number_text(Decimal(text))
        if text.lower() in ("true", "false"):
            return text.lower()
        if _ISO_INSTANT.match(text):
            try:
                return instant_text(parse_iso_instant(text), "Z")
            except ValueError:
                return text
        return text
    return json.dumps(value, sort_keys=True, default=str)


def hubspot_wire(value: Any) -> str:
    """What HubSpot is sent: every property value is text, and ``""`` clears a property.

    HubSpot's API answers every property as a string and clears one when given an empty string.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return number_text(Decimal(str(value)))
    if isinstance(value, datetime):
        return instant_text(value if value.tzinfo else value.replace(tzinfo=UTC), "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value if isinstance(value, str) else str(value)


def salesforce_wire(value: Any) -> Any:
    """What Salesforce is sent: JSON scalars, ``None`` to clear a field."""
    if isinstance(value, Decimal):
        return decimal_to_json(value)
    if isinstance(value, datetime):
        return instant_text(value if value.tzinfo else value.replace(tzinfo=UTC), "+0000")
    if isinstance(value, date):
        return value.isoformat()
    return value


def decimal_to_json(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def instant_text(value: datetime, utc_suffix: str) -> str:
    """``2024-01-05T10:11:12.000`` + suffix, in UTC, with milliseconds as both vendors write."""
    moment = value.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + utc_suffix


def parse_iso_instant(text: str) -> datetime:
    # Salesforce writes offsets as "+0000"; fromisoformat reads that and "Z" since Python 3.11.
    return datetime.fromisoformat(text.strip().replace(" ", "T", 1))

"""Salesforce values on the wire: modification stamps, relationship paths, Bulk 2.0 CSV cells.

REST answers JSON values (strings, numbers, booleans, null) and datetimes as
``2024-01-05T10:11:12.000+0000``. Bulk API 2.0 answers CSV, where every cell is text, an empty
cell is null and datetimes end in ``Z``; cells are turned back into what REST would have
answered for the field's described type, so a record reads the same by either path.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

_INTEGER_TYPES = {"int", "long"}
_NUMBER_TYPES = {"double", "currency", "percent"}


def parse_datetime(text: object) -> datetime | None:
    """``2024-01-05T10:11:12.000+0000`` (REST) or ``...Z`` (Bulk) as an aware UTC datetime."""
    if not isinstance(text, str) or not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """An instant in the form REST answers it."""
    instant = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}+0000"


def dig(record: Mapping[str, Any], path: str) -> Any:
    """A field or a relationship path (``Owner.Email``) of a REST record; null when absent."""
    current: Any = record
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def to_json(value: Any) -> Any:
    """A value the engine hands over, as Salesforce takes it in JSON."""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def from_csv(cell: str, field_type: str | None) -> Any:
    """A Bulk 2.0 CSV cell as REST would answer it for a field of ``field_type``."""
    if cell == "":
        return None
    try:
        if field_type == "boolean":
            return cell.lower() == "true"
        if field_type in _INTEGER_TYPES:
            return int(cell)
        if field_type in _NUMBER_TYPES:
            return float(cell)
    except ValueError:
        return cell
    if field_type == "datetime":
        parsed = parse_datetime(cell)
        return format_datetime(parsed) if parsed else cell
    return cell

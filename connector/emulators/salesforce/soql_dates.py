"""Dates in SOQL: datetime literals, stored timestamps, and relative ranges such as LAST_N_DAYS:n.

Stored datetimes are Salesforce strings in UTC (``2024-01-05T10:11:12.000+0000``), and a literal
is brought to that same form once per query, so comparing an instant is comparing two strings.
Relative literals are half-open date ranges computed from a ``today`` the caller supplies.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

# Relative date literals and whether they take ``:n``. Fiscal periods need an org's fiscal year
# settings, which the emulator has none of, so they are not offered.
DATE_CONSTANTS: dict[str, bool] = {
    "YESTERDAY": False,
    "TODAY": False,
    "TOMORROW": False,
    "LAST_WEEK": False,
    "THIS_WEEK": False,
    "NEXT_WEEK": False,
    "LAST_MONTH": False,
    "THIS_MONTH": False,
    "NEXT_MONTH": False,
    "LAST_QUARTER": False,
    "THIS_QUARTER": False,
    "NEXT_QUARTER": False,
    "LAST_YEAR": False,
    "THIS_YEAR": False,
    "NEXT_YEAR": False,
    "LAST_90_DAYS": False,
    "NEXT_90_DAYS": False,
    "LAST_N_DAYS": True,
    "NEXT_N_DAYS": True,
    "N_DAYS_AGO": True,
    "LAST_N_WEEKS": True,
    "NEXT_N_WEEKS": True,
    "N_WEEKS_AGO": True,
    "LAST_N_MONTHS": True,
    "NEXT_N_MONTHS": True,
    "N_MONTHS_AGO": True,
    "LAST_N_QUARTERS": True,
    "NEXT_N_QUARTERS": True,
    "N_QUARTERS_AGO": True,
    "LAST_N_YEARS": True,
    "NEXT_N_YEARS": True,
    "N_YEARS_AGO": True,
}

# (unit, first period relative to the current one, number of periods) for the fixed literals.
_FIXED: dict[str, tuple[str, int, int]] = {
    "YESTERDAY": ("DAYS", -1, 1),
    "TODAY": ("DAYS", 0, 1),
    "TOMORROW": ("DAYS", 1, 1),
    # LAST_90_DAYS includes today, so it spans 91 days; NEXT_90_DAYS starts tomorrow.
    "LAST_90_DAYS": ("DAYS", -90, 91),
    "NEXT_90_DAYS": ("DAYS", 1, 90),
}
for _unit in ("WEEK", "MONTH", "QUARTER", "YEAR"):
    _FIXED[f"LAST_{_unit}"] = (f"{_unit}S", -1, 1)
    _FIXED[f"THIS_{_unit}"] = (f"{_unit}S", 0, 1)
    _FIXED[f"NEXT_{_unit}"] = (f"{_unit}S", 1, 1)

_STAMP_LENGTH = len("2024-01-05T10:11:12.000+0000")


def stamp_of(instant: datetime) -> str:
    """The stored form of an instant: UTC, milliseconds, ``+0000``."""
    utc = instant.astimezone(UTC) if instant.tzinfo else instant.replace(tzinfo=UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}+0000"


def parse_stamp(text: str) -> datetime:
    """An instant from a datetime literal or stored value; a naive one is taken as UTC."""
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def stamp(value: object) -> str:
    """A stored datetime value in the stored form, so instants compare as strings."""
    if type(value) is str and len(value) == _STAMP_LENGTH and value.endswith("+0000"):
        return value
    if isinstance(value, datetime):
        return stamp_of(value)
    try:
        return stamp_of(parse_stamp(str(value)))
    except ValueError:
        return str(value)


def is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def day_start_stamp(day: date) -> str:
    return f"{day.isoformat()}T00:00:00.000+0000"


def constant_range(name: str, n: int | None, today: date) -> tuple[date, date]:
    """The half-open range of days ``[first, end)`` a relative date literal stands for.

    Weeks start on Sunday (the en_US locale); ranges are in UTC, the emulator's only time zone.
    """
    if name in _FIXED:
        unit, first, count = _FIXED[name]
    else:
        count_n = n if n is not None else 0
        unit = name.replace("LAST_N_", "").replace("NEXT_N_", "")
        unit = unit.removeprefix("N_").removesuffix("_AGO")
        if name.startswith("LAST_N_"):
            # LAST_N_DAYS:n includes today; the longer units cover the n whole periods before
            # the current one.
            first, count = (-count_n, count_n + 1) if unit == "DAYS" else (-count_n, count_n)
        elif name.startswith("NEXT_N_"):
            first, count = 1, count_n
        else:
            first, count = -count_n, 1
    start = _period_start(unit, today)
    return _shift(unit, start, first), _shift(unit, start, first + count)


def _period_start(unit: str, today: date) -> date:
    if unit == "DAYS":
        return today
    if unit == "WEEKS":
        return today - timedelta(days=(today.weekday() + 1) % 7)
    if unit == "MONTHS":
        return today.replace(day=1)
    if unit == "QUARTERS":
        return today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
    return today.replace(month=1, day=1)


def _shift(unit: str, start: date, periods: int) -> date:
    if unit == "DAYS":
        return start + timedelta(days=periods)
    if unit == "WEEKS":
        return start + timedelta(days=7 * periods)
    months = {"MONTHS": 1, "QUARTERS": 3, "YEARS": 12}[unit] * periods
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)

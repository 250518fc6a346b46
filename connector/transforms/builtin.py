"""The named transforms themselves: pure functions, one per name and direction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from connector.model import Side
from connector.transforms.context import Transform, TransformContext
from connector.transforms.rejections import (
    OwnerNotMatched,
    TransformSpecError,
    UnmappedValue,
    ValueRejected,
)
from connector.transforms.values import (
    comparable,
    decimal_to_json,
    instant_text,
    is_blank,
    number_text,
    parse_iso_instant,
)


def text(name: str, fn: Callable[[str], str]) -> Transform:
    def apply(value: Any, ctx: TransformContext) -> Any:
        return fn(value) if isinstance(value, str) else value

    apply.__name__ = name
    return apply


def blank_to_null(value: Any, ctx: TransformContext) -> Any:
    return None if is_blank(value) else value


def _parse_decimal(value: Any, what: str) -> Decimal | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueRejected(f"expected {what}, got {value!r}")
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise ValueRejected(f"expected {what}, got {value!r}") from None
    else:
        raise ValueRejected(f"expected {what}, got {value!r}")
    if not number.is_finite():
        raise ValueRejected(f"expected {what}, got {value!r}")
    return number


def number(target: Side) -> Transform:
    def number(value: Any, ctx: TransformContext) -> Any:
        parsed = _parse_decimal(value, "a number")
        if parsed is None:
            return None
        return number_text(parsed) if target is Side.HUBSPOT else decimal_to_json(parsed)

    return number


def integer(target: Side) -> Transform:
    def integer(value: Any, ctx: TransformContext) -> Any:
        parsed = _parse_decimal(value, "a whole number")
        if parsed is None:
            return None
        if parsed != parsed.to_integral_value():
            raise ValueRejected(f"expected a whole number, got {value!r}")
        whole = int(parsed)
        return str(whole) if target is Side.HUBSPOT else whole

    return integer


_TRUE = frozenset({"true", "yes", "1", "y", "on"})
_FALSE = frozenset({"false", "no", "0", "n", "off"})


def boolean(target: Side) -> Transform:
    def boolean(value: Any, ctx: TransformContext) -> Any:
        if is_blank(value):
            return None
        if isinstance(value, bool):
            flag = value
        elif isinstance(value, int) and value in (0, 1):
            flag = bool(value)
        elif isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            flag = value.strip().lower() in _TRUE
        else:
            raise ValueRejected(f"expected true or false, got {value!r}")
        if target is Side.HUBSPOT:
            return "true" if flag else "false"
        return flag

    return boolean


def _epoch_ms(value: Any) -> int | None:
    """Milliseconds since the epoch, as HubSpot sometimes sends dates and date-times."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _read_instant(value: Any, zone: tzinfo) -> datetime:
    """Any instant either system writes; a naive one is read in ``zone``."""
    millis = _epoch_ms(value)
    if millis is not None:
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        try:
            moment = parse_iso_instant(value)
        except ValueError:
            raise ValueRejected(
                f"expected a date-time such as 2024-01-05T10:11:12.000Z, got {value!r}"
            ) from None
    else:
        raise ValueRejected(f"expected a date-time, got {value!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _read_date(value: Any) -> date:
    """A calendar date: ``YYYY-MM-DD``, or HubSpot's epoch milliseconds at midnight UTC."""
    millis = _epoch_ms(value)
    if millis is not None:
        moment = datetime.fromtimestamp(millis / 1000, tz=UTC)
        if moment.time() != time():
            raise ValueRejected(
                f"expected a date (midnight UTC), got {value!r}, which is {moment.isoformat()}"
            )
        return moment.date()
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text)
            return parse_iso_instant(text).astimezone(UTC).date()
        except ValueError:
            pass
    raise ValueRejected(f"expected a date such as 2024-01-05, got {value!r}")


def date_only(target: Side) -> Transform:
    # Both systems accept YYYY-MM-DD for a date; HubSpot may answer epoch ms at midnight UTC.
    def as_date(value: Any, ctx: TransformContext) -> Any:
        return None if is_blank(value) else _read_date(value).isoformat()

    return as_date


def datetime_utc(target: Side, zone: tzinfo | None) -> Transform:
    suffix = "Z" if target is Side.HUBSPOT else "+0000"

    def as_datetime(value: Any, ctx: TransformContext) -> Any:
        if is_blank(value):
            return None
        return instant_text(_read_instant(value, zone or ctx.time_zone), suffix)

    return as_datetime


def date_as_datetime(target: Side, zone: tzinfo | None) -> Transform:
    # HubSpot's deal closedate is a datetime property: a Salesforce date lands at midnight UTC.
    def date_time(value: Any, ctx: TransformContext) -> Any:
        if is_blank(value):
            return None
        if target is Side.HUBSPOT:
            return instant_text(datetime.combine(_read_date(value), time(), UTC), "Z")
        # The day as the zone's people see it: a close date picked at midnight in Paris is
        # stored by HubSpot as 23:00 UTC the day before.
        local = zone or ctx.time_zone
        return _read_instant(value, local).astimezone(local).date().isoformat()

    return date_time


def truncate(limit: int) -> Transform:
    def truncate(value: Any, ctx: TransformContext) -> Any:
        return value[:limit] if isinstance(value, str) else value

    return truncate


def value_map(name: str, table: Mapping[str, str], target: Side) -> Transform:
    """Keys are Salesforce values, values HubSpot's: applied forwards to HubSpot, inverted back."""
    if target is Side.HUBSPOT:
        lookup = dict(table)
    else:
        lookup = {}
        for sf_value, hs_value in table.items():
            if hs_value in lookup:
                raise TransformSpecError(
                    f"value map '{name}' maps both {lookup[hs_value]!r} and {sf_value!r} to "
                    f"{hs_value!r}, so it cannot be read backwards into Salesforce; "
                    "use it only with a rule that writes HubSpot alone (always_salesforce)"
                )
            lookup[hs_value] = sf_value
    known = ", ".join(repr(k) for k in lookup)

    def value_map(value: Any, ctx: TransformContext) -> Any:
        if is_blank(value):
            return None
        key = value.strip() if isinstance(value, str) else comparable(value)
        if key in lookup:
            return lookup[key]
        raise UnmappedValue(f"{value!r} is not in value map '{name}' (known: {known})")

    return value_map


def owner_by_email(target: Side) -> Transform:
    def owner_by_email(value: Any, ctx: TransformContext) -> Any:
        if is_blank(value):
            return None
        owner = str(value).strip()
        source = target.other
        table = ctx.hubspot_owner_for if target is Side.HUBSPOT else ctx.salesforce_user_for
        if owner in table:
            return table[owner]
        who = "Salesforce user" if source is Side.SALESFORCE else "HubSpot owner"
        other = "HubSpot owner" if target is Side.HUBSPOT else "Salesforce user"
        email = ctx.owner_emails.get((source, owner))
        seen = f" ({email})" if email else ""
        raise OwnerNotMatched(
            f"{who} {owner}{seen} has no {other} with the same e-mail; add one, or reassign the "
            "record (owners are matched by e-mail, never guessed)"
        )

    return owner_by_email

"""Named value transforms: the small pure functions a mapping row chains between two systems.

A mapping file names transforms as text (``"trim"``, ``"value_map:deal_stages"``,
``"datetime:Europe/Paris"``); :func:`compile_transform` turns one name into a function for one
direction, so that a misspelt name fails when the file is validated, never mid-sync. Every
transform takes the value and a :class:`TransformContext` (owner matching, default time zone)
and returns a new value; none of them mutate or do I/O.

A value a transform cannot convert is the record's problem, not the file's: it raises a
:class:`ValueRejected` (a ``RecordRejected``), so the record goes to dead letters with the
value named and the rest of the batch goes on.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connector.errors import RecordRejected
from connector.model import Owner, Side

Transform = Callable[[Any, "TransformContext"], Any]
ValueMaps = Mapping[str, Mapping[str, str]]
Comparable = str | None


class ValueRejected(RecordRejected):
    """A record's value cannot be converted; the message names the value and what was expected."""

    default_code = "BAD_VALUE"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, code=self.default_code, field=field)
        self.detail = message

    def for_field(self, field: str, context: str) -> ValueRejected:
        """The same problem, naming the ``field`` it was found in; ``context`` leads the message."""
        clone = type(self)(f"{context}: {self.detail}", field=field)
        clone.detail = self.detail
        return clone


class UnmappedValue(ValueRejected):
    """A value has no counterpart in a value map or the taxonomy: never written through."""

    default_code = "UNMAPPED_VALUE"


class OwnerNotMatched(ValueRejected):
    """An owner has no counterpart with the same e-mail in the other system: not guessed."""

    default_code = "OWNER_NOT_MATCHED"


class TransformSpecError(ValueError):
    """A transform name or argument in a mapping file is wrong (the caller adds file and line)."""


@dataclass(frozen=True)
class TransformContext:
    """What a transform may need beyond the value, built once per cycle by the engine.

    ``hubspot_owner_for`` maps a Salesforce user id to the HubSpot owner id with the same e-mail;
    ``salesforce_user_for`` the reverse. ``time_zone`` reads date-times that carry no offset.
    """

    hubspot_owner_for: Mapping[str, str] = field(default_factory=dict)
    salesforce_user_for: Mapping[str, str] = field(default_factory=dict)
    owner_emails: Mapping[tuple[Side, str], str] = field(default_factory=dict)
    time_zone: tzinfo = UTC

    @classmethod
    def from_owners(
        cls,
        salesforce: Iterable[Owner],
        hubspot: Iterable[Owner],
        time_zone: tzinfo = UTC,
    ) -> TransformContext:
        """Match Salesforce users and HubSpot owners by e-mail (trimmed, case-insensitive).

        When one e-mail belongs to several owners of a system, the active one is taken; if that
        still leaves more than one, the e-mail matches nobody rather than a guess.
        """
        sf_by_email = _owners_by_email(salesforce)
        hs_by_email = _owners_by_email(hubspot)
        to_hubspot: dict[str, str] = {}
        to_salesforce: dict[str, str] = {}
        for email, sf_id in sf_by_email.items():
            hs_id = hs_by_email.get(email)
            if sf_id is not None and hs_id is not None:
                to_hubspot[sf_id] = hs_id
                to_salesforce[hs_id] = sf_id
        emails: dict[tuple[Side, str], str] = {}
        for side, owners in ((Side.SALESFORCE, salesforce), (Side.HUBSPOT, hubspot)):
            for owner in owners:
                emails[(side, owner.id)] = owner.email
        return cls(
            hubspot_owner_for=MappingProxyType(to_hubspot),
            salesforce_user_for=MappingProxyType(to_salesforce),
            owner_emails=MappingProxyType(emails),
            time_zone=time_zone,
        )


def _owners_by_email(owners: Iterable[Owner]) -> dict[str, str | None]:
    """E-mail → owner id; ``None`` where the e-mail is ambiguous even among active owners."""
    grouped: dict[str, list[Owner]] = {}
    for owner in owners:
        email = owner.email.strip().lower()
        if email:
            grouped.setdefault(email, []).append(owner)
    result: dict[str, str | None] = {}
    for email, group in grouped.items():
        candidates = [o for o in group if o.active] or group
        result[email] = candidates[0].id if len(candidates) == 1 else None
    return result


# --- the wire forms each system reads and writes --------------------------------------------


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
        return _instant_text(value if value.tzinfo else value.replace(tzinfo=UTC), "Z")
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
                return _instant_text(_parse_iso_instant(text), "Z")
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
        return _instant_text(value if value.tzinfo else value.replace(tzinfo=UTC), "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value if isinstance(value, str) else str(value)


def salesforce_wire(value: Any) -> Any:
    """What Salesforce is sent: JSON scalars, ``None`` to clear a field."""
    if isinstance(value, Decimal):
        return _decimal_to_json(value)
    if isinstance(value, datetime):
        return _instant_text(value if value.tzinfo else value.replace(tzinfo=UTC), "+0000")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _decimal_to_json(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _instant_text(value: datetime, utc_suffix: str) -> str:
    """``2024-01-05T10:11:12.000`` + suffix, in UTC, with milliseconds as both vendors write."""
    moment = value.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + utc_suffix


def _parse_iso_instant(text: str) -> datetime:
    # Salesforce writes offsets as "+0000"; fromisoformat reads that and "Z" since Python 3.11.
    return datetime.fromisoformat(text.strip().replace(" ", "T", 1))


# --- the transforms themselves ---------------------------------------------------------------


def _text(name: str, fn: Callable[[str], str]) -> Transform:
    def apply(value: Any, ctx: TransformContext) -> Any:
        return fn(value) if isinstance(value, str) else value

    apply.__name__ = name
    return apply


def _blank_to_null(value: Any, ctx: TransformContext) -> Any:
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


def _number(target: Side) -> Transform:
    def number(value: Any, ctx: TransformContext) -> Any:
        parsed = _parse_decimal(value, "a number")
        if parsed is None:
            return None
        return number_text(parsed) if target is Side.HUBSPOT else _decimal_to_json(parsed)

    return number


def _integer(target: Side) -> Transform:
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


def _boolean(target: Side) -> Transform:
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
            moment = _parse_iso_instant(value)
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
            return _parse_iso_instant(text).astimezone(UTC).date()
        except ValueError:
            pass
    raise ValueRejected(f"expected a date such as 2024-01-05, got {value!r}")


def _date(target: Side) -> Transform:
    # Both systems accept YYYY-MM-DD for a date; HubSpot may answer epoch ms at midnight UTC.
    def as_date(value: Any, ctx: TransformContext) -> Any:
        return None if is_blank(value) else _read_date(value).isoformat()

    return as_date


def _datetime(target: Side, zone: tzinfo | None) -> Transform:
    suffix = "Z" if target is Side.HUBSPOT else "+0000"

    def as_datetime(value: Any, ctx: TransformContext) -> Any:
        if is_blank(value):
            return None
        return _instant_text(_read_instant(value, zone or ctx.time_zone), suffix)

    return as_datetime


def _date_as_datetime(target: Side, zone: tzinfo | None) -> Transform:
    # HubSpot's deal closedate is a datetime property: a Salesforce date lands at midnight UTC.
    def date_time(value: Any, ctx: TransformContext) -> Any:
        if is_blank(value):
            return None
        if target is Side.HUBSPOT:
            return _instant_text(datetime.combine(_read_date(value), time(), UTC), "Z")
        moment = _read_instant(value, zone or ctx.time_zone)
        return moment.astimezone(zone or UTC).date().isoformat()

    return date_time


def _truncate(limit: int) -> Transform:
    def truncate(value: Any, ctx: TransformContext) -> Any:
        return value[:limit] if isinstance(value, str) else value

    return truncate


def _value_map(name: str, table: Mapping[str, str], target: Side) -> Transform:
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


def _owner_by_email(target: Side) -> Transform:
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


# --- the registry ----------------------------------------------------------------------------

Builder = Callable[[Side, str | None, ValueMaps], Transform]


@dataclass(frozen=True)
class TransformDef:
    """One named transform: what it does, whether it takes ``:argument``, how to build it."""

    name: str
    summary: str
    build: Builder
    argument: str | None = None
    argument_required: bool = False
    translates: bool = False


def _no_arg(fn: Callable[[Side], Transform]) -> Builder:
    return lambda target, arg, maps: fn(target)


def _zone_arg(fn: Callable[[Side, tzinfo | None], Transform]) -> Builder:
    return lambda target, arg, maps: fn(target, _zone(arg) if arg else None)


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TransformSpecError(
            f"unknown time zone {name!r} (use an IANA name such as Europe/Paris or UTC)"
        ) from None


def _truncate_arg(target: Side, arg: str | None, maps: ValueMaps) -> Transform:
    if arg is None or not arg.isdigit() or int(arg) < 1:
        raise TransformSpecError(
            f"truncate needs a positive whole number, e.g. truncate:80 (got {arg!r})"
        )
    return _truncate(int(arg))


def _value_map_arg(target: Side, arg: str | None, maps: ValueMaps) -> Transform:
    if arg is None or arg not in maps:
        known = ", ".join(sorted(maps)) or "none defined"
        raise TransformSpecError(
            f"value_map:{arg or ''} names no [value_maps.{arg or 'NAME'}] table in this file "
            f"(defined: {known})"
        )
    return _value_map(arg, maps[arg], target)


REGISTRY: Mapping[str, TransformDef] = MappingProxyType(
    {
        d.name: d
        for d in (
            TransformDef(
                "trim", "strip spaces at both ends", _no_arg(lambda t: _text("trim", str.strip))
            ),
            TransformDef("lower", "lower-case text", _no_arg(lambda t: _text("lower", str.lower))),
            TransformDef("upper", "upper-case text", _no_arg(lambda t: _text("upper", str.upper))),
            TransformDef("title", "Title-Case Text", _no_arg(lambda t: _text("title", str.title))),
            TransformDef(
                "blank_to_null", "empty text becomes no value", _no_arg(lambda t: _blank_to_null)
            ),
            TransformDef("number", "a number (text in HubSpot)", _no_arg(_number)),
            TransformDef("integer", "a whole number; a fraction is rejected", _no_arg(_integer)),
            TransformDef("boolean", "true/false (yes/no, 1/0 accepted)", _no_arg(_boolean)),
            TransformDef("date", "a calendar date, YYYY-MM-DD", _no_arg(_date)),
            TransformDef(
                "datetime",
                "an instant in UTC; datetime:ZONE reads offset-less values in ZONE",
                _zone_arg(_datetime),
                argument="ZONE",
            ),
            TransformDef(
                "date_as_datetime",
                "a Salesforce date as a HubSpot datetime at midnight UTC",
                _zone_arg(_date_as_datetime),
                argument="ZONE",
            ),
            TransformDef(
                "value_map",
                "translate values through [value_maps.NAME] (Salesforce = HubSpot)",
                _value_map_arg,
                argument="NAME",
                argument_required=True,
                translates=True,
            ),
            TransformDef(
                "truncate", "cut text to N characters", _truncate_arg, "N", argument_required=True
            ),
            TransformDef(
                "owner_by_email",
                "Salesforce user id ↔ HubSpot owner id, matched by e-mail",
                _no_arg(_owner_by_email),
                translates=True,
            ),
        )
    }
)


def known_transforms() -> tuple[str, ...]:
    return tuple(REGISTRY)


def translates(spec: str) -> bool:
    """Whether a (valid) transform turns one system's vocabulary into the other's.

    ``value_map`` and ``owner_by_email`` do; the others only format a value, so applying them to
    a value already in the target's form gives that value's canonical form.
    """
    definition = REGISTRY.get(spec.strip().partition(":")[0])
    return definition is not None and definition.translates


def compile_transform(spec: str, target: Side, value_maps: ValueMaps | None = None) -> Transform:
    """``"truncate:80"`` → the function that applies it on the way to ``target``.

    Raises :class:`TransformSpecError` for an unknown name or a bad argument.
    """
    name, sep, arg = spec.strip().partition(":")
    definition = REGISTRY.get(name)
    if definition is None:
        hint = difflib.get_close_matches(name, REGISTRY, n=1)
        did_you_mean = f"did you mean '{hint[0]}'? " if hint else ""
        raise TransformSpecError(
            f"unknown transform '{spec}' ({did_you_mean}known: {', '.join(REGISTRY)})"
        )
    if sep and definition.argument is None:
        raise TransformSpecError(f"transform '{name}' takes no argument (got '{spec}')")
    if definition.argument_required and not arg:
        raise TransformSpecError(
            f"transform '{name}' needs an argument: {name}:{definition.argument}"
        )
    return definition.build(target, arg or None, value_maps or {})


def chain(transforms: Sequence[Transform]) -> Transform:
    """Apply ``transforms`` in order."""

    def chained(value: Any, ctx: TransformContext) -> Any:
        for transform in transforms:
            value = transform(value, ctx)
        return value

    return chained

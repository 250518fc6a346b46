"""Property validation on writes, as a real portal refuses values.

Each refused value becomes a ``PropertyProblem`` with HubSpot's error code and wording, and a
write is refused as a whole when any value is (every problem listed, as real answers list
every invalid property). Codes and texts:

* ``PROPERTY_DOESNT_EXIST``: ``Property "foo" does not exist`` (captured).
* ``READ_ONLY_VALUE``: ``"hubspotscore" is a calculated property; its value cannot be set.``,
  and ``... is a read only property; ...`` for other read-only properties (captured fragments).
* ``INVALID_OPTION``: ``<v> was not one of the allowed options: [...]``, the options printed in
  protobuf text form (``label``, ``value``, ``display_order``, ``double_data``, ``hidden``,
  ``description``, ``read_only`` lines), as in a captured body.
* ``INVALID_EMAIL``: ``Email address <v> is invalid`` (captured).
* ``INVALID_LONG``: ``<v> was not a valid long.`` for numbers and instants that do not parse
  (captured for a number property and for ``createdate``).
* ``INVALID_DATE``: a ``date`` value off midnight UTC: ``<ms> is at H:M:S.ms UTC, not
  midnight!`` (remembered from HubSpot's v1 answers; no capture found).
* ``INVALID_OWNER_ID``: ``<v> is not a valid owner id`` (emulator wording).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from connector.emulators.hubspot.errors import PropertyProblem
from connector.emulators.hubspot.schema import PropertyDef
from connector.emulators.hubspot.values import (
    DAY_MS,
    format_date,
    format_instant,
    parse_instant_text,
    parse_number_text,
    time_of_day,
    wire_text,
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z0-9-]{2,}$")
_LIFECYCLE = "lifecyclestage"


@dataclass(frozen=True)
class CheckedWrite:
    """The normalised values of a write (``None`` clears) and what was refused."""

    changes: dict[str, str | None]
    problems: list[PropertyProblem]


def check_properties(
    schema: Mapping[str, PropertyDef],
    raw: Mapping[str, object],
    owner_ids: Collection[str],
) -> CheckedWrite:
    """Validate and normalise the ``properties`` of one create, update or upsert input."""
    changes: dict[str, str | None] = {}
    problems: list[PropertyProblem] = []
    for name, value in raw.items():
        definition = schema.get(name)
        if definition is None:
            problems.append(
                PropertyProblem(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
            )
            continue
        if definition.read_only_value:
            kind = "a calculated property" if definition.calculated else "a read only property"
            problems.append(
                PropertyProblem(
                    name, "READ_ONLY_VALUE", f'"{name}" is {kind}; its value cannot be set.'
                )
            )
            continue
        # A null clears, like an empty string: hubspot-api-client sends None as null.
        text = "" if value is None else wire_text(value)
        if text == "":
            changes[name] = None
            continue
        normalised, problem = _normalise(definition, text, owner_ids)
        if problem is not None:
            problems.append(problem)
        else:
            changes[name] = normalised
    return CheckedWrite(changes, problems)


def _normalise(
    definition: PropertyDef, text: str, owner_ids: Collection[str]
) -> tuple[str, PropertyProblem | None]:
    name = definition.name
    if definition.type == "number":
        if parse_number_text(text) is None:
            return text, PropertyProblem(name, "INVALID_LONG", f"{text} was not a valid long.")
        return text.strip(), None
    if definition.type == "datetime":
        ms = parse_instant_text(text)
        if ms is None:
            return text, PropertyProblem(name, "INVALID_LONG", f"{text} was not a valid long.")
        return format_instant(ms), None
    if definition.type == "date":
        ms = parse_instant_text(text)
        if ms is None:
            return text, PropertyProblem(name, "INVALID_LONG", f"{text} was not a valid long.")
        if ms % DAY_MS:
            message = f"{ms} is at {time_of_day(ms)} UTC, not midnight!"
            return text, PropertyProblem(name, "INVALID_DATE", message)
        return format_date(ms), None
    if definition.type == "bool":
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            message = f"{text} was not one of the allowed options: [true, false]"
            return text, PropertyProblem(name, "INVALID_OPTION", message)
        return lowered, None
    if definition.type == "enumeration":
        if definition.referenced_object_type == "OWNER":
            if text not in owner_ids:
                message = f"{text} is not a valid owner id"
                return text, PropertyProblem(name, "INVALID_OWNER_ID", message)
            return text, None
        if text not in definition.option_values():
            message = f"{text} was not one of the allowed options: {_options_text(definition)}"
            return text, PropertyProblem(name, "INVALID_OPTION", message)
        return text, None
    if name == "email":
        email = text.strip()
        if not _EMAIL.match(email):
            return text, PropertyProblem(name, "INVALID_EMAIL", f"Email address {text} is invalid")
        # HubSpot keeps e-mail addresses in lower case.
        return email.lower(), None
    return text, None


def _options_text(definition: PropertyDef) -> str:
    """The options as HubSpot prints them in INVALID_OPTION: protobuf text, comma-joined."""
    entries = [
        f'label: "{option.label}"\nvalue: "{option.value}"\n'
        f"display_order: {option.display_order}\ndouble_data: 0.0\n"
        f'hidden: {"true" if option.hidden else "false"}\ndescription: ""\nread_only: false\n'
        for option in definition.options
    ]
    return "[" + ", ".join(entries) + "]"


def hold_lifecycle(
    schema: Mapping[str, PropertyDef],
    current: Mapping[str, str],
    changes: dict[str, str | None],
) -> bool:
    """Drop a backwards ``lifecyclestage`` move from ``changes``; say whether one was dropped.

    HubSpot only moves the lifecycle stage forward through the API: a write of an earlier
    stage is accepted and silently not applied. To move back, clear the value (``""``) in one
    request, then set the earlier stage in another. Source: HubSpot staff answer on
    integrate.hubspot.com "Update Lifecycle Stage Using API" (thread 1333: the call succeeds
    but "the lifecycle stage cannot move backwards ... first set the value to "" (empty
    string), then (in a separate request) set the earlier lifecycle stage value"). The order
    is the options' display order (subscriber ... evangelist, other).
    """
    new = changes.get(_LIFECYCLE)
    old = current.get(_LIFECYCLE)
    definition = schema.get(_LIFECYCLE)
    if new is None or old is None or definition is None:
        return False
    order = {option.value: option.display_order for option in definition.options}
    if new in order and old in order and order[new] < order[old]:
        del changes[_LIFECYCLE]
        return True
    return False

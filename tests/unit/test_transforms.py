"""Named transforms: each direction, round trips, time zones, and bad values with clear errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connector.errors import RecordRejected
from connector.model import Owner, Side
from connector.transforms import (
    OwnerNotMatched,
    TransformContext,
    TransformSpecError,
    UnmappedValue,
    ValueRejected,
    chain,
    comparable,
    compile_transform,
    hubspot_wire,
    known_transforms,
    salesforce_wire,
    translates,
)

HS = Side.HUBSPOT
SF = Side.SALESFORCE
CTX = TransformContext()
MAPS = {"stages": {"Closed Won": "closedwon", "Prospecting": "appointmentscheduled"}}


def run(spec: str, target: Side, value: Any, ctx: TransformContext = CTX) -> Any:
    return compile_transform(spec, target, MAPS)(value, ctx)


@pytest.mark.parametrize(
    ("spec", "target", "given", "expected"),
    [
        ("trim", HS, "  Ada  ", "Ada"),
        ("trim", SF, "\tAda\n", "Ada"),
        ("trim", HS, None, None),
        ("trim", SF, 42, 42),
        ("lower", HS, "Ada@Example.COM", "ada@example.com"),
        ("upper", SF, "fr", "FR"),
        ("title", HS, "ada LOVELACE", "Ada Lovelace"),
        ("blank_to_null", HS, "   ", None),
        ("blank_to_null", SF, "", None),
        ("blank_to_null", SF, "x", "x"),
        # HubSpot property values are text; Salesforce takes JSON numbers.
        ("number", HS, 60.0, "60"),
        ("number", HS, Decimal("60.50"), "60.5"),
        ("number", SF, "60", 60),
        ("number", SF, "60.5", 60.5),
        ("number", SF, "1,250", 1250),
        ("number", SF, "", None),
        ("integer", HS, 60.0, "60"),
        ("integer", SF, "60.0", 60),
        ("integer", SF, None, None),
        ("boolean", HS, True, "true"),
        ("boolean", HS, False, "false"),
        ("boolean", SF, "true", True),
        ("boolean", SF, "No", False),
        ("boolean", SF, "1", True),
        ("boolean", SF, 0, False),
        ("boolean", SF, "", None),
        ("date", HS, "2024-01-05", "2024-01-05"),
        ("date", SF, "2024-01-05", "2024-01-05"),
        ("date", SF, "1704412800000", "2024-01-05"),  # HubSpot: epoch ms at midnight UTC
        ("date", SF, 1704412800000, "2024-01-05"),
        ("date", HS, date(2024, 1, 5), "2024-01-05"),
        ("date", SF, None, None),
        ("datetime", HS, "2024-01-05T10:11:12.000+0000", "2024-01-05T10:11:12.000Z"),
        ("datetime", SF, "2024-01-05T10:11:12.000Z", "2024-01-05T10:11:12.000+0000"),
        ("datetime", SF, "2024-01-05T10:11:12Z", "2024-01-05T10:11:12.000+0000"),
        ("datetime", SF, "1704449472000", "2024-01-05T10:11:12.000+0000"),
        ("datetime", HS, "2024-01-05T11:11:12.000+0100", "2024-01-05T10:11:12.000Z"),
        ("datetime", HS, "2024-01-05T10:11:12", "2024-01-05T10:11:12.000Z"),  # naive: UTC
        ("datetime", HS, datetime(2024, 1, 5, 10, 11, 12, 345000, UTC), "2024-01-05T10:11:12.345Z"),
        ("datetime", HS, "", None),
        ("date_as_datetime", HS, "2024-01-05", "2024-01-05T00:00:00.000Z"),
        ("date_as_datetime", SF, "2024-01-05T00:00:00Z", "2024-01-05"),
        ("value_map:stages", HS, "Closed Won", "closedwon"),
        ("value_map:stages", SF, "closedwon", "Closed Won"),
        ("value_map:stages", HS, " Prospecting ", "appointmentscheduled"),
        ("value_map:stages", HS, None, None),
        ("truncate:5", HS, "Lovelace", "Lovel"),
        ("truncate:5", SF, "Ada", "Ada"),
        ("truncate:5", SF, None, None),
    ],
)
def test_transform_converts_for_its_target(
    spec: str, target: Side, given: Any, expected: Any
) -> None:
    assert run(spec, target, given) == expected


@pytest.mark.parametrize(
    ("spec", "salesforce_value"),
    [
        ("number", 60),
        ("number", 60.25),
        ("integer", 7),
        ("boolean", True),
        ("boolean", False),
        ("date", "2024-02-29"),
        ("datetime", "2024-01-05T10:11:12.345+0000"),
        ("date_as_datetime", "2024-12-31"),
        ("value_map:stages", "Closed Won"),
        ("trim", "Ada"),
    ],
)
def test_round_trip_salesforce_to_hubspot_and_back_is_lossless(
    spec: str, salesforce_value: Any
) -> None:
    to_hubspot = compile_transform(spec, HS, MAPS)
    to_salesforce = compile_transform(spec, SF, MAPS)
    as_hubspot = to_hubspot(salesforce_value, CTX)
    assert isinstance(as_hubspot, str)
    assert to_salesforce(as_hubspot, CTX) == salesforce_value


@pytest.mark.parametrize(
    ("spec", "ctx_zone", "given", "expected"),
    [
        # A zone in the transform reads offset-less values there; winter is UTC+1, summer UTC+2.
        ("datetime:Europe/Paris", UTC, "2024-01-05T10:11:12", "2024-01-05T09:11:12.000Z"),
        ("datetime:Europe/Paris", UTC, "2024-07-05T10:11:12", "2024-07-05T08:11:12.000Z"),
        # An explicit offset wins over the configured zone.
        ("datetime:Europe/Paris", UTC, "2024-01-05T10:11:12Z", "2024-01-05T10:11:12.000Z"),
        # A HubSpot date-time read as a Salesforce date is the day in the configured zone.
        ("date_as_datetime:Europe/Paris", UTC, "2024-01-04T23:00:00Z", "2024-01-05"),
        ("date_as_datetime", ZoneInfo("Europe/Paris"), "2024-01-04T23:00:00Z", "2024-01-05"),
        ("date_as_datetime", UTC, "2024-01-04T23:00:00Z", "2024-01-04"),
        # Without a zone argument, the context's default zone reads naive values.
        (
            "datetime",
            ZoneInfo("America/New_York"),
            "2024-01-05T10:00:00",
            "2024-01-05T15:00:00.000Z",
        ),
        (
            "datetime",
            ZoneInfo("America/New_York"),
            "2024-01-05T10:00:00Z",
            "2024-01-05T10:00:00.000Z",
        ),
    ],
)
def test_datetime_time_zones_are_normalised_to_utc(
    spec: str, ctx_zone: Any, given: str, expected: str
) -> None:
    target = SF if spec.startswith("date_as_datetime") else HS
    assert run(spec, target, given, TransformContext(time_zone=ctx_zone)) == expected


@pytest.mark.parametrize(
    ("spec", "target", "given", "fragment"),
    [
        ("number", SF, "sixty", "expected a number, got 'sixty'"),
        ("number", HS, True, "expected a number, got True"),
        ("number", SF, "NaN", "expected a number, got 'NaN'"),
        ("integer", SF, "60.5", "expected a whole number, got '60.5'"),
        ("boolean", SF, "maybe", "expected true or false, got 'maybe'"),
        ("date", SF, "2024-13-01", "expected a date such as 2024-01-05, got '2024-13-01'"),
        ("date", SF, "1704449472000", "expected a date (midnight UTC)"),
        ("datetime", HS, "yesterday", "got 'yesterday'"),
        ("datetime", HS, ["2024"], "expected a date-time"),
    ],
)
def test_bad_values_are_rejected_naming_the_value(
    spec: str, target: Side, given: Any, fragment: str
) -> None:
    with pytest.raises(ValueRejected) as caught:
        run(spec, target, given)
    assert fragment in str(caught.value)
    assert isinstance(caught.value, RecordRejected)
    assert caught.value.code == "BAD_VALUE"


def test_a_value_missing_from_a_value_map_is_unmapped_never_guessed() -> None:
    with pytest.raises(UnmappedValue) as caught:
        run("value_map:stages", HS, "Closed Won Big")
    message = str(caught.value)
    assert "'Closed Won Big' is not in value map 'stages'" in message
    assert "'Closed Won'" in message  # the known values are listed
    assert caught.value.code == "UNMAPPED_VALUE"


def test_a_many_to_one_value_map_cannot_be_read_back_into_salesforce() -> None:
    maps = {
        "stages": {
            "Needs Analysis": "presentationscheduled",
            "Value Proposition": "presentationscheduled",
        }
    }
    assert compile_transform("value_map:stages", HS, maps)("Value Proposition", CTX) == (
        "presentationscheduled"
    )
    with pytest.raises(TransformSpecError, match="cannot be read backwards into Salesforce"):
        compile_transform("value_map:stages", SF, maps)


# --- owners ----------------------------------------------------------------------------------

SF_USERS = [
    Owner("005A", "ada@example.com"),
    Owner("005B", "Grace@Example.com "),
    Owner("005C", "only-in-salesforce@example.com"),
    Owner("005D", "shared@example.com"),
    Owner("005E", "shared@example.com"),
    Owner("005F", "left@example.com", active=False),
    Owner("005G", "left@example.com"),
]
HS_OWNERS = [
    Owner("101", "ADA@example.com"),
    Owner("102", "grace@example.com"),
    Owner("103", "only-in-hubspot@example.com"),
    Owner("104", "shared@example.com"),
    Owner("105", "left@example.com"),
]
OWNERS = TransformContext.from_owners(SF_USERS, HS_OWNERS)


@pytest.mark.parametrize(
    ("target", "given", "expected"),
    [
        (HS, "005A", "101"),
        (HS, "005B", "102"),  # e-mails compare trimmed and case-insensitive
        (SF, "101", "005A"),
        (SF, "102", "005B"),
        (HS, "005G", "105"),  # the active one of two users sharing an e-mail
        (SF, "105", "005G"),
        (HS, None, None),
        (SF, "", None),
    ],
)
def test_owner_by_email_matches_owners_across_systems(
    target: Side, given: str | None, expected: str | None
) -> None:
    assert run("owner_by_email", target, given, OWNERS) == expected


@pytest.mark.parametrize(
    ("target", "given", "fragment"),
    [
        (HS, "005C", "Salesforce user 005C (only-in-salesforce@example.com) has no HubSpot owner"),
        (SF, "103", "HubSpot owner 103 (only-in-hubspot@example.com) has no Salesforce user"),
        # Two active users share one e-mail: which one is meant is not guessed.
        (HS, "005D", "Salesforce user 005D (shared@example.com) has no HubSpot owner"),
        (SF, "104", "HubSpot owner 104 (shared@example.com) has no Salesforce user"),
        (HS, "005Z", "Salesforce user 005Z has no HubSpot owner"),
    ],
)
def test_an_owner_without_counterpart_raises_not_a_silent_none(
    target: Side, given: str, fragment: str
) -> None:
    with pytest.raises(OwnerNotMatched) as caught:
        run("owner_by_email", target, given, OWNERS)
    assert fragment in str(caught.value)
    assert caught.value.code == "OWNER_NOT_MATCHED"


# --- compile-time errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("trimm", "unknown transform 'trimm' (did you mean 'trim'? known: trim, lower,"),
        ("reverse", "unknown transform 'reverse' (known: trim,"),
        ("trim:3", "transform 'trim' takes no argument (got 'trim:3')"),
        ("truncate", "transform 'truncate' needs an argument: truncate:N"),
        ("truncate:0", "truncate needs a positive whole number, e.g. truncate:80 (got '0')"),
        ("truncate:ten", "truncate needs a positive whole number"),
        (
            "value_map:nope",
            "value_map:nope names no [value_maps.nope] table in this file (defined: stages)",
        ),
        ("value_map", "transform 'value_map' needs an argument: value_map:NAME"),
        ("datetime:Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
    ],
)
def test_a_bad_transform_name_or_argument_fails_at_compile_time(spec: str, fragment: str) -> None:
    with pytest.raises(TransformSpecError) as caught:
        compile_transform(spec, HS, MAPS)
    assert fragment in str(caught.value)


def test_every_registered_transform_compiles_in_both_directions() -> None:
    arguments = {"value_map": "value_map:stages", "truncate": "truncate:3"}
    for name in known_transforms():
        for target in Side:
            transform = compile_transform(arguments.get(name, name), target, MAPS)
            assert transform(None, OWNERS) is None


def test_only_value_maps_and_owners_translate_between_vocabularies() -> None:
    assert {n for n in known_transforms() if translates(n)} == {"value_map", "owner_by_email"}


def test_chain_applies_in_order() -> None:
    steps = [compile_transform("trim", HS), compile_transform("truncate:3", HS)]
    assert chain(steps)("  Lovelace", CTX) == "Lov"
    assert chain(list(reversed(steps)))("  Lovelace", CTX) == "L"


# --- one comparable form ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (60, "60"),
        (60.0, "60"),
        ("60.0", 60),
        (Decimal("60.50"), "60.5"),
        ("", None),
        ("   ", None),
        (True, "true"),
        ("TRUE", True),
        (" Ada ", "Ada"),
        ("2024-01-05T10:11:12.000+0000", "2024-01-05T10:11:12Z"),
        ("2024-01-05T11:11:12+01:00", "2024-01-05T10:11:12.000Z"),
        (datetime(2024, 1, 5, 10, 11, 12, tzinfo=UTC), "2024-01-05T10:11:12.000Z"),
        (date(2024, 1, 5), "2024-01-05"),
    ],
)
def test_values_that_mean_the_same_compare_equal(left: Any, right: Any) -> None:
    assert comparable(left) == comparable(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("McDonald", "Mcdonald"),  # names keep their case
        ("007", "7"),  # codes with leading zeros are text, not numbers
        ("60", "61"),
        ("", "0"),
        ("2024-01-05", "2024-01-06"),
        ("false", None),
    ],
)
def test_values_that_differ_do_not_compare_equal(left: Any, right: Any) -> None:
    assert comparable(left) != comparable(right)


@pytest.mark.parametrize(
    ("value", "hubspot", "salesforce"),
    [
        (None, "", None),  # HubSpot clears a property with an empty string
        (True, "true", True),
        (60.0, "60", 60.0),
        (Decimal("60"), "60", 60),
        (Decimal("60.5"), "60.5", 60.5),
        (date(2024, 1, 5), "2024-01-05", "2024-01-05"),
        (
            datetime(2024, 1, 5, 10, 11, 12, tzinfo=UTC),
            "2024-01-05T10:11:12.000Z",
            "2024-01-05T10:11:12.000+0000",
        ),
        ("Ada", "Ada", "Ada"),
    ],
)
def test_wire_forms(value: Any, hubspot: str, salesforce: Any) -> None:
    assert hubspot_wire(value) == hubspot
    assert salesforce_wire(value) == salesforce

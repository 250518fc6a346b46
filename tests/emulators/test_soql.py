"""SOQL in the Salesforce emulator: what a sync's queries answer, and how bad queries fail."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from simple_salesforce.format import format_soql, quote_soql_value

from connector.emulators.salesforce.soql import (
    Query,
    SoqlError,
    parse,
    run,
    run_count,
)
from connector.emulators.salesforce.soql_ast import Comparison, DateTimeValue, StringValue

# -- a small org -------------------------------------------------------------------------

OBJECTS: dict[str, dict[str, str]] = {
    "User": {
        "Id": "id",
        "Username": "string",
        "Email": "email",
        "Name": "string",
        "IsActive": "boolean",
        "IsDeleted": "boolean",
        "SystemModstamp": "datetime",
    },
    "Lead": {
        "Id": "id",
        "FirstName": "string",
        "LastName": "string",
        "Company": "string",
        "Email": "email",
        "Phone": "phone",
        "Status": "picklist",
        "OwnerId": "reference",
        "IsConverted": "boolean",
        "ConvertedOpportunityId": "reference",
        "NumberOfEmployees": "int",
        "IsDeleted": "boolean",
        "SystemModstamp": "datetime",
        "HubSpot_Contact_Id__c": "string",
        "Lead_Score__c": "double",
        "Recycle_Date__c": "date",
    },
    "Opportunity": {
        "Id": "id",
        "Name": "string",
        "StageName": "picklist",
        "Amount": "currency",
        "CloseDate": "date",
        "OwnerId": "reference",
        "IsDeleted": "boolean",
        "SystemModstamp": "datetime",
    },
}
RELATIONSHIPS = {
    ("Lead", "Owner"): ("OwnerId", "User"),
    ("Lead", "ConvertedOpportunity"): ("ConvertedOpportunityId", "Opportunity"),
    ("Opportunity", "Owner"): ("OwnerId", "User"),
}


def sfid(prefix: str, number: int) -> str:
    """An 18-character id with its case-safe suffix (each letter's case, five at a time)."""
    id15 = f"{prefix}Em0{number:09d}"
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, char in enumerate(id15[start : start + 5]) if char.isupper())
        suffix += "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits]
    return id15 + suffix


class MinimalSchema:
    """Exactly the SoqlSchema protocol, backed by dicts."""

    def __init__(self, records: dict[str, list[dict[str, Any]]]) -> None:
        self.records = records

    def _object(self, name: str) -> str:
        return next(obj for obj in OBJECTS if obj.lower() == name.lower())

    def has_object(self, object_name: str) -> bool:
        return any(obj.lower() == object_name.lower() for obj in OBJECTS)

    def field_type(self, object_name: str, field: str) -> str | None:
        fields = OBJECTS[self._object(object_name)]
        return next((kind for name, kind in fields.items() if name.lower() == field.lower()), None)

    def canonical_field(self, object_name: str, field: str) -> str:
        fields = OBJECTS[self._object(object_name)]
        return next(name for name in fields if name.lower() == field.lower())

    def relationship(self, object_name: str, name: str) -> tuple[str, str] | None:
        obj = self._object(object_name)
        return next(
            (
                v
                for (o, rel), v in RELATIONSHIPS.items()
                if o == obj and rel.lower() == name.lower()
            ),
            None,
        )

    def get(self, object_name: str, record_id: str) -> dict[str, Any] | None:
        for row in self.records.get(self._object(object_name), []):
            if row["Id"] == record_id and not row.get("IsDeleted"):
                return row
        return None


class Schema(MinimalSchema):
    """The protocol plus the optional extras: real-case object names and field lists."""

    def canonical_object(self, object_name: str) -> str:
        return self._object(object_name)

    def field_names(self, object_name: str) -> list[str]:
        return list(OBJECTS[self._object(object_name)])


U1, U2 = sfid("005", 1), sfid("005", 2)
O1 = sfid("006", 1)
L1, L2, L3, L4 = (sfid("00Q", n) for n in (1, 2, 3, 4))
NOW = datetime(2024, 1, 6, 12, 0, tzinfo=UTC)  # a Saturday

USERS = [
    {"Id": U1, "Email": "owner1@example.com", "Name": "Olive Owner", "IsActive": True},
    {"Id": U2, "Email": "owner2@example.com", "Name": "Otto Owner", "IsActive": True},
]
OPPORTUNITIES = [
    {"Id": O1, "Name": "Big deal", "StageName": "Closed Won", "Amount": 1000.0, "OwnerId": U2}
]
LEADS: list[dict[str, Any]] = [
    {
        "Id": L1,
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "Company": "Analytical",
        "Email": "ada@example.com",
        "Status": "Open - Not Contacted",
        "OwnerId": U1,
        "IsConverted": True,
        "ConvertedOpportunityId": O1,
        "NumberOfEmployees": 50,
        "Lead_Score__c": 80.0,
        "Recycle_Date__c": "2024-03-01",
        "SystemModstamp": "2024-01-05T10:11:12.000+0000",
        "IsDeleted": False,
    },
    {
        "Id": L2,
        "FirstName": "Grace",
        "LastName": "Hopper",
        "Company": "Navy",
        "Email": None,
        "Status": "Working - Contacted",
        "OwnerId": U2,
        "IsConverted": False,
        "ConvertedOpportunityId": None,
        "NumberOfEmployees": 7,
        "Lead_Score__c": 45.5,
        "Recycle_Date__c": None,
        "SystemModstamp": "2024-01-05T10:11:12.000+0000",
        "IsDeleted": False,
    },
    {
        "Id": L3,
        "FirstName": "alan",
        "LastName": "Turing",
        "Company": "Bletchley",
        "Email": "alan@example.com",
        "Status": "Nurture",
        "OwnerId": None,
        "IsConverted": None,
        "Lead_Score__c": None,
        "Recycle_Date__c": "2024-01-04",
        "SystemModstamp": "2024-01-06T00:00:00.000+0000",
        "IsDeleted": False,
    },
    {
        "Id": L4,
        "FirstName": "Old",
        "LastName": "Deleted",
        "Company": "Gone",
        "Status": "Nurture",
        "SystemModstamp": "2024-01-07T00:00:00.000+0000",
        "IsDeleted": True,
    },
]
SCHEMA = Schema({"User": USERS, "Opportunity": OPPORTUNITIES, "Lead": LEADS})


def ids(text: str, rows: list[dict[str, Any]] | None = None, **kwargs: Any) -> list[str]:
    records = run(parse(text), SCHEMA, LEADS if rows is None else rows, now=NOW, **kwargs)
    return [record["Id"] for record in records]


def error(text: str, schema: Any = SCHEMA) -> SoqlError:
    with pytest.raises(SoqlError) as caught:
        run(parse(text), schema, LEADS, now=NOW)
    return caught.value


NO_COLUMN = (
    "No such column '{}' on entity '{}'. If you are attempting to use a custom field, be sure "
    "to append the '__c' after the custom field name. Please reference your WSDL or the describe "
    "call for the appropriate names."
)


# -- parsing -----------------------------------------------------------------------------


def test_a_sync_query_parses_into_its_parts() -> None:
    query = parse(
        "SELECT Id, Email, Owner.Email FROM Lead WHERE SystemModstamp >= 2024-01-05T10:11:12Z "
        "ORDER BY SystemModstamp, Id DESC NULLS FIRST LIMIT 2000 OFFSET 10"
    )
    assert query.object_name == "Lead"
    assert query.fields == ("Id", "Email", "Owner.Email")
    assert (query.limit, query.offset, query.count_only) == (2000, 10, False)
    assert [(i.path.text, i.descending, i.nulls_last) for i in query.order_by] == [
        ("SystemModstamp", False, False),
        ("Id", True, False),
    ]
    assert isinstance(query.where, Comparison)
    assert query.where.op == ">="


def test_keywords_and_names_are_case_insensitive() -> None:
    lower = "select id, email from lead where email = 'ADA@example.com' order by id desc limit 5"
    assert ids(lower) == [L1]
    assert [r["Email"] for r in run(parse(lower), SCHEMA, LEADS)] == ["ada@example.com"]


def test_count_answers_a_number_and_no_records() -> None:
    query = parse("SELECT COUNT() FROM Lead WHERE Email != null")
    assert query.count_only
    assert run(query, SCHEMA, LEADS) == []
    assert run_count(query, SCHEMA, LEADS) == 2
    assert run_count(parse("SELECT COUNT() FROM Lead"), SCHEMA, LEADS, include_deleted=True) == 4


def test_parsing_is_cached() -> None:
    # How fast parsing is belongs to bench/emulator_speed.py, not to a timed test.
    text = "SELECT Id FROM Lead WHERE Email = 'x'"
    assert parse(text) is parse(text)
    other = parse("SELECT Id FROM Lead WHERE Email = 'y'")
    assert other is not parse(text)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("SELECT Id FROM Lead GROUP BY Id", "unexpected token: 'GROUP'"),
        ("SELECT Id FROM Lead HAVING COUNT(Id) > 1", "unexpected token: 'HAVING'"),
        ("SELECT Id, (SELECT Id FROM Contacts) FROM Lead", "unexpected token: '('"),
        ("SELECT MAX(Lead_Score__c) FROM Lead", "unexpected token: '('"),
        ("SELECT COUNT(Id) FROM Lead", "unexpected token: 'Id'"),
        ("SELECT toLabel(Status) FROM Lead", "unexpected token: '('"),
        (
            "SELECT Id FROM Lead WHERE OwnerId IN (SELECT Id FROM User)",
            "unexpected token: 'SELECT'",
        ),
        ("SELECT Id FROM Lead WHERE CALENDAR_YEAR(SystemModstamp) = 2024", "unexpected token: '('"),
        ("SELCT Id FROM Lead", "unexpected token: 'SELCT'"),
        ("SELECT Id FORM Lead", "unexpected token: 'FORM'"),
        ("SELECT Id, FROM Lead", "unexpected token: 'FROM'"),
        ("SELECT Id FROM Lead WHERE", "unexpected token: '<EOF>'"),
        ("SELECT Id FROM Lead ORDER BY", "unexpected token: '<EOF>'"),
        ("SELECT Id FROM Lead LIMIT -1", "unexpected token: '-1'"),
        ("SELECT Id FROM Lead LIMIT 1.5", "unexpected token: '1.5'"),
        ("SELECT Id FROM Lead FOR UPDATE", "unexpected token: 'FOR'"),
        ("SELECT Id FROM Lead WITH SECURITY_ENFORCED", "unexpected token: 'WITH'"),
        ("SELECT Id FROM Lead USING SCOPE mine", "unexpected token: 'USING'"),
        ("SELECT Id FROM Lead LIMIT 5 ORDER BY Id", "unexpected token: 'ORDER'"),
        ("SELECT Id FROM Lead.Owner", "unexpected token: '.'"),
        ("SELECT Id FROM Lead WHERE LastName NOT LIKE 'x%'", "unexpected token: 'LIKE'"),
        ("SELECT Id FROM Lead WHERE Email INCLUDES ('a')", "unexpected token: 'INCLUDES'"),
        (
            "SELECT Id FROM Lead WHERE Email = 'a' AND Company = 'b' OR Phone = 'c'",
            "unexpected token: 'OR'",
        ),
        (
            "SELECT Id FROM Lead WHERE Email = 'a' OR NOT Company = 'b' AND Phone = 'c'",
            "unexpected token: 'AND'",
        ),
        (
            "SELECT Id FROM Lead WHERE Recycle_Date__c = LAST_FISCAL_YEAR",
            "unexpected token: 'LAST_FISCAL_YEAR'",
        ),
        ("SELECT Id FROM Lead WHERE Recycle_Date__c = LAST_N_DAYS", "unexpected token: '<EOF>'"),
        ("SELECT Id FROM Lead WHERE Email = :email", "Bind variables only allowed in Apex code"),
        ("SELECT Id FROM Lead;", "line 1:19 no viable alternative at character ';'"),
        (
            'SELECT Id FROM Lead WHERE Email = "a"',
            "line 1:34 no viable alternative at character '\"'",
        ),
        (
            "SELECT Id FROM Lead WHERE SystemModstamp > 2024-01-05T10:11:12",
            "line 1:62 no viable alternative at character '<EOF>'",
        ),
        (
            "SELECT Id FROM Lead WHERE Email = 'open",
            "line 1:39 mismatched character '<EOF>' expecting '''",
        ),
        (
            "SELECT Id FROM Lead WHERE Email = 'a\\qb'",
            "Invalid string literal 'a\\qb'. Illegal character sequence '\\q' in string literal.",
        ),
        ("SELECT Id FROM Lead WHERE Recycle_Date__c = 2024-02-30", "Invalid date: 2024-02-30"),
        (
            "SELECT FIELDS(ALL) FROM Lead",
            "The SOQL FIELDS function must have a LIMIT of at most 200",
        ),
        (
            "SELECT FIELDS(CUSTOM) FROM Lead LIMIT 201",
            "The SOQL FIELDS function must have a LIMIT of at most 200",
        ),
    ],
)
def test_anything_outside_the_grammar_is_a_malformed_query(text: str, detail: str) -> None:
    with pytest.raises(SoqlError) as caught:
        parse(text)
    assert caught.value.code == "MALFORMED_QUERY"
    assert caught.value.message.split("\n")[-1] == detail


def test_malformed_message_points_at_the_token() -> None:
    with pytest.raises(SoqlError) as caught:
        parse("SELECT Id FROM Lead GROUP BY Id")
    assert caught.value.message == (
        "\nSELECT Id FROM Lead GROUP BY Id\n                    ^\n"
        "ERROR at Row:1:Column:21\nunexpected token: 'GROUP'"
    )


# -- names, checked against the schema -----------------------------------------------------


def test_unknown_field_answers_salesforce_message() -> None:
    caught = error("SELECT Id, Foo FROM Lead")
    assert caught.code == "INVALID_FIELD"
    assert caught.message == (
        "\nSELECT Id, Foo FROM Lead\n           ^\nERROR at Row:1:Column:12\n"
        + NO_COLUMN.format("Foo", "Lead")
    )


def test_error_quotes_a_window_of_a_long_line() -> None:
    text = (
        "SELECT Id, FirstName, LastName, Company, Email, Phone, Foo__c, Status, OwnerId, "
        "IsConverted, Lead_Score__c FROM Lead"
    )
    # Salesforce quotes from the first token 30 characters before the spot to the first token
    # reaching 30 characters past it.
    assert error(text).message == (
        "\nLastName, Company, Email, Phone, Foo__c, Status, OwnerId, IsConverted\n"
        + " " * 33
        + "^\nERROR at Row:1:Column:56\n"
        + NO_COLUMN.format("Foo__c", "Lead")
    )


def test_error_row_and_column_count_lines() -> None:
    assert error("SELECT Id\nFROM Lead\nWHERE Email = 5").message == (
        "\nWHERE Email = 5\n              ^\nERROR at Row:3:Column:15\n"
        "value of filter criterion for field 'Email' must be of type string and should be "
        "enclosed in quotes"
    )


def test_unknown_object_is_invalid_type() -> None:
    caught = error("SELECT Id FROM Foo__c")
    assert caught.code == "INVALID_TYPE"
    assert caught.message == (
        "\nSELECT Id FROM Foo__c\n               ^\nERROR at Row:1:Column:16\n"
        "sObject type 'Foo__c' is not supported. If you are attempting to use a custom object, "
        "be sure to append the '__c' after the entity name. Please reference your WSDL or the "
        "describe call for the appropriate names."
    )


def test_unknown_relationship_and_unknown_field_behind_one() -> None:
    caught = error("SELECT Id, Manager.Email FROM Lead")
    assert caught.code == "INVALID_FIELD"
    assert caught.message.endswith(
        "\nDidn't understand relationship 'Manager' in field path. If you are attempting to use "
        "a custom relationship, be sure to append the '__r' after the custom relationship name. "
        "Please reference your WSDL or the describe call for the appropriate names."
    )
    assert error("SELECT Owner.Phone FROM Lead").message.endswith(NO_COLUMN.format("Phone", "User"))
    assert "Column:8\n" in error("SELECT Owner.Phone FROM Lead").message


@pytest.mark.parametrize(
    "text",
    [
        "SELECT Id FROM Lead WHERE Foo = 'x'",
        "SELECT Id FROM Lead ORDER BY Foo",
        "SELECT Id FROM Lead WHERE Owner.Foo = 'x'",
    ],
)
def test_unknown_fields_in_where_and_order_by(text: str) -> None:
    caught = error(text)
    assert caught.code == "INVALID_FIELD"
    assert "No such column 'Foo'" in caught.message


def test_names_are_checked_before_any_row_is_read() -> None:
    with pytest.raises(SoqlError):
        run(parse("SELECT Foo FROM Lead"), SCHEMA, [])


def test_duplicate_fields_are_refused() -> None:
    caught = error("SELECT Id, Email, id FROM Lead")
    assert (caught.code, caught.message) == ("INVALID_FIELD", "duplicate field selected: Id")


# -- rendering ---------------------------------------------------------------------------


def test_records_render_in_the_rest_shape_with_real_case_names() -> None:
    query = parse(
        "select id, email, owner.email, OWNER.name, ConvertedOpportunity.Owner.Email "
        f"from lead where id = '{L1}'"
    )
    (record,) = run(query, SCHEMA, LEADS, api_version="61.0")
    base = "/services/data/v61.0/sobjects"
    assert record == {
        "attributes": {"type": "Lead", "url": f"{base}/Lead/{L1}"},
        "Id": L1,
        "Email": "ada@example.com",
        "Owner": {
            "attributes": {"type": "User", "url": f"{base}/User/{U1}"},
            "Email": "owner1@example.com",
            "Name": "Olive Owner",
        },
        "ConvertedOpportunity": {
            "attributes": {"type": "Opportunity", "url": f"{base}/Opportunity/{O1}"},
            "Owner": {
                "attributes": {"type": "User", "url": f"{base}/User/{U2}"},
                "Email": "owner2@example.com",
            },
        },
    }
    assert list(record) == ["attributes", "Id", "Email", "Owner", "ConvertedOpportunity"]
    assert list(record["Owner"]) == ["attributes", "Email", "Name"]


def test_a_missing_parent_renders_as_null() -> None:
    query = parse("SELECT Id, Owner.Email, ConvertedOpportunity.StageName FROM Lead ORDER BY Id")
    records = run(query, SCHEMA, LEADS)
    assert [(r["Owner"] is None, r["ConvertedOpportunity"] is None) for r in records] == [
        (False, False),
        (False, True),
        (True, True),
    ]
    assert records[0]["attributes"]["url"] == f"/services/data/v59.0/sobjects/Lead/{L1}"


def test_a_path_may_start_with_the_object_name() -> None:
    (record,) = run(parse(f"SELECT Lead.Email FROM Lead WHERE Id = '{L1}'"), SCHEMA, LEADS)
    assert record["Email"] == "ada@example.com"


def test_fields_expands_from_the_schema_and_needs_it() -> None:
    (user,) = run(parse(f"SELECT FIELDS(STANDARD) FROM User WHERE Id = '{U1}'"), SCHEMA, USERS)
    assert list(user)[1:] == list(OBJECTS["User"])
    (lead,) = run(
        parse(f"SELECT FIELDS(CUSTOM) FROM Lead WHERE Id = '{L1}' LIMIT 200"), SCHEMA, LEADS
    )
    assert list(lead)[1:] == ["HubSpot_Contact_Id__c", "Lead_Score__c", "Recycle_Date__c"]
    assert error("SELECT Id, FIELDS(STANDARD) FROM User").message == "duplicate field selected: Id"
    refused = error("SELECT FIELDS(STANDARD) FROM Lead", MinimalSchema({"Lead": LEADS}))
    assert refused.code == "MALFORMED_QUERY"


# -- filtering ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Email = 'ADA@example.com'", [L1]),
        ("Email != 'ada@example.com'", [L2, L3]),
        ("Email <> 'ada@example.com'", [L2, L3]),
        ("Email = null", [L2]),
        ("Email != null", [L1, L3]),
        ("Email = ''", [L2]),
        ("Status IN ('nurture', 'Working - Contacted')", [L2, L3]),
        ("Status NOT IN ('nurture', 'Working - Contacted')", [L1]),
        ("Email IN ('ada@example.com', null)", [L1, L2]),
        ("Email NOT IN ('ada@example.com', null)", [L3]),
        ("LastName LIKE 'l%'", [L1]),
        ("Email LIKE '%@EXAMPLE.com'", [L1, L3]),
        ("FirstName LIKE 'a_a'", [L1]),
        ("FirstName LIKE 'a_'", []),
        ("LastName < 'Lovelace'", [L2]),
        ("Lead_Score__c > 50", [L1]),
        ("Lead_Score__c >= 45.5", [L1, L2]),
        ("Lead_Score__c < 50", [L2]),
        ("Lead_Score__c <= 80", [L1, L2]),
        ("Lead_Score__c = null", [L3]),
        ("NumberOfEmployees = 50", [L1]),
        ("NumberOfEmployees IN (7, 50)", [L1, L2]),
        ("IsConverted = true", [L1]),
        ("IsConverted = false", [L2, L3]),
        ("IsConverted = null", [L2, L3]),
        ("IsConverted != null", [L1]),
        ("Recycle_Date__c = 2024-01-04", [L3]),
        ("Recycle_Date__c > 2024-01-04", [L1]),
        ("Recycle_Date__c != 2024-01-04", [L1, L2]),
        ("SystemModstamp = 2024-01-05T10:11:12Z", [L1, L2]),
        ("SystemModstamp = 2024-01-05T11:11:12+01:00", [L1, L2]),
        ("SystemModstamp = 2024-01-05T02:11:12-08:00", [L1, L2]),
        ("SystemModstamp = 2024-01-05T10:11:12.000+0000", [L1, L2]),
        ("SystemModstamp > 2024-01-05T10:11:12Z", [L3]),
        ("SystemModstamp >= 2024-01-05T10:11:12Z", [L1, L2, L3]),
        ("(Lead_Score__c > 50 OR Email = null) AND Status != 'Nurture'", [L1, L2]),
        ("NOT Status = 'Nurture'", [L1, L2]),
        ("NOT (Lead_Score__c > 50 OR Email = null)", [L3]),
        ("Email != null AND Lead_Score__c > 10 AND Status = 'open - not contacted'", [L1]),
        ("Owner.Email = 'owner1@example.com'", [L1]),
        ("Owner.Email = null", [L3]),
        ("ConvertedOpportunity.StageName = 'Closed Won'", [L1]),
        ("ConvertedOpportunity.Owner.Email LIKE 'owner2%'", [L1]),
    ],
)
def test_where(where: str, expected: list[str]) -> None:
    assert ids(f"SELECT Id FROM Lead WHERE {where} ORDER BY Id") == expected


def test_ids_match_in_either_form_and_any_case_of_the_long_one() -> None:
    assert ids(f"SELECT Id FROM Lead WHERE Id = '{L1[:15]}'") == [L1]
    assert ids(f"SELECT Id FROM Lead WHERE Id = '{L1.lower()}'") == [L1]
    assert ids(f"SELECT Id FROM Lead WHERE OwnerId IN ('{U1}', '{U2[:15]}') ORDER BY Id") == [
        L1,
        L2,
    ]
    assert ids(f"SELECT Id FROM Lead WHERE Id != '{L1}' ORDER BY Id") == [L2, L3]
    # The 15-character form is case-sensitive: a different case is a different record.
    assert ids(f"SELECT Id FROM Lead WHERE Id = '{L1[:15].swapcase()}'") == []


def test_deleted_records_only_with_query_all() -> None:
    assert L4 not in ids("SELECT Id FROM Lead")
    assert ids("SELECT Id FROM Lead WHERE IsDeleted = true", include_deleted=True) == [L4]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("SystemModstamp = TODAY", [L3]),
        ("SystemModstamp = YESTERDAY", [L1, L2]),
        ("SystemModstamp < TODAY", [L1, L2]),
        ("SystemModstamp > YESTERDAY", [L3]),
        ("SystemModstamp = THIS_WEEK", [L1, L2, L3]),
        ("SystemModstamp = THIS_MONTH", [L1, L2, L3]),
        ("SystemModstamp = LAST_MONTH", []),
        ("SystemModstamp = LAST_N_DAYS:1", [L1, L2, L3]),
        ("Recycle_Date__c = LAST_N_DAYS:2", [L3]),
        ("Recycle_Date__c = LAST_N_DAYS:1", []),
        ("Recycle_Date__c = N_DAYS_AGO:2", [L3]),
        ("Recycle_Date__c = NEXT_N_DAYS:60", [L1]),
        ("Recycle_Date__c = NEXT_N_DAYS:50", []),
        ("Recycle_Date__c > TODAY", [L1]),
        ("Recycle_Date__c <= TODAY", [L3]),
        ("Recycle_Date__c = NEXT_QUARTER", []),
        ("Recycle_Date__c = THIS_QUARTER", [L1, L3]),
        ("Recycle_Date__c != THIS_YEAR", [L2]),
        ("Recycle_Date__c = NEXT_N_MONTHS:2", [L1]),
    ],
)
def test_relative_dates_count_from_the_given_now(where: str, expected: list[str]) -> None:
    assert ids(f"SELECT Id FROM Lead WHERE {where} ORDER BY Id") == expected


# -- literal types and operators ---------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "detail"),
    [
        (
            "SystemModstamp >= '2024-01-05T10:11:12Z'",
            "'SystemModstamp' must be of type dateTime and should not",
        ),
        (
            "SystemModstamp >= 2024-01-05",
            "'SystemModstamp' must be of type dateTime and should not",
        ),
        ("Recycle_Date__c = '2024-01-05'", "'Recycle_Date__c' must be of type date and should not"),
        (
            "Recycle_Date__c = 2024-01-05T00:00:00Z",
            "'Recycle_Date__c' must be of type date and should not",
        ),
        ("Lead_Score__c > '50'", "'Lead_Score__c' must be of type double and should not"),
        ("NumberOfEmployees = '5'", "'NumberOfEmployees' must be of type integer and should not"),
        ("IsConverted = 'true'", "'IsConverted' must be of type boolean and should not"),
        ("Email = 5", "'Email' must be of type string and should"),
        ("Email = true", "'Email' must be of type string and should"),
        ("Email = TODAY", "'Email' must be of type string and should"),
        ("Owner.Email IN ('a', 5)", "'Owner.Email' must be of type string and should"),
    ],
)
def test_literal_of_the_wrong_type_is_invalid_field(where: str, detail: str) -> None:
    caught = error(f"SELECT Id FROM Lead WHERE {where}")
    assert caught.code == "INVALID_FIELD"
    assert caught.message.split("\n")[-1] == (
        f"value of filter criterion for field {detail} be enclosed in quotes"
    )


def test_the_datetime_in_quotes_message_in_full() -> None:
    assert error("SELECT Id FROM Lead WHERE SystemModstamp >= '2024-01-05T10:11:12Z'").message == (
        "\nFROM Lead WHERE SystemModstamp >= '2024-01-05T10:11:12Z'\n"
        + " " * 34
        + "^\nERROR at Row:1:Column:45\nvalue of filter criterion for field 'SystemModstamp' must "
        "be of type dateTime and should not be enclosed in quotes"
    )


@pytest.mark.parametrize(
    ("where", "detail"),
    [
        ("Id = 'abc'", "invalid ID field: abc"),
        ("OwnerId IN ('005000000000001', 'nope')", "invalid ID field: nope"),
        (f"Id = '{L1[:15]}ZZZ'", f"invalid ID field: {L1[:15]}ZZZ"),
        ("Id LIKE '00Q%'", "invalid operator on id field"),
        ("Lead_Score__c LIKE '5%'", "invalid operator on double field"),
        ("IsConverted > false", "invalid operator on boolean field"),
        ("Lead_Score__c > null", "invalid operator on null value"),
        ("Email LIKE null", "invalid operator on null value"),
    ],
)
def test_bad_ids_and_operators(where: str, detail: str) -> None:
    caught = error(f"SELECT Id FROM Lead WHERE {where}")
    assert caught.code == "INVALID_QUERY_FILTER_OPERATOR"
    assert caught.message.split("\n")[-1] == detail


# -- ordering and paging -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("Lead_Score__c", [L3, L2, L1]),
        ("Lead_Score__c ASC", [L3, L2, L1]),
        ("Lead_Score__c DESC", [L1, L2, L3]),
        ("Lead_Score__c ASC NULLS LAST", [L2, L1, L3]),
        ("Lead_Score__c DESC NULLS FIRST", [L3, L1, L2]),
        ("Email", [L2, L1, L3]),
        ("FirstName", [L1, L3, L2]),
        ("SystemModstamp, Id", [L1, L2, L3]),
        ("SystemModstamp, Id DESC", [L2, L1, L3]),
        ("SystemModstamp DESC, LastName", [L3, L2, L1]),
        ("SystemModstamp DESC, LastName DESC", [L3, L1, L2]),
        ("Owner.Email", [L3, L1, L2]),
        ("Owner.Email DESC", [L2, L1, L3]),
        ("Recycle_Date__c DESC NULLS LAST", [L1, L3, L2]),
    ],
)
def test_order_by(order: str, expected: list[str]) -> None:
    assert ids(f"SELECT Id FROM Lead ORDER BY {order}") == expected


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ("LIMIT 2", [L2, L1]),
        ("LIMIT 1 OFFSET 1", [L1]),
        ("OFFSET 2", [L3]),
        ("OFFSET 5", []),
        ("LIMIT 0", []),
        ("LIMIT 2000 OFFSET 2000", []),
    ],
)
def test_limit_and_offset(tail: str, expected: list[str]) -> None:
    assert ids(f"SELECT Id FROM Lead ORDER BY LastName {tail}") == expected


def test_offset_past_2000_is_refused() -> None:
    caught = error("SELECT Id FROM Lead LIMIT 10 OFFSET 2001")
    assert (caught.code, caught.message) == (
        "NUMBER_OUTSIDE_VALID_RANGE",
        "Maximum SOQL offset allowed is 2000",
    )


def test_count_respects_limit() -> None:
    assert run_count(parse("SELECT COUNT() FROM Lead LIMIT 2"), SCHEMA, LEADS) == 2


# -- escaping: values are data when escaped, a syntax error when not -----------------------

HOSTILE = [
    "O'Brien",
    "back\\slash",
    "' OR Name != '",
    "x' OR LastName != 'y",
    "100%_done",
    'say "hi"\n\ttoo',
    "SELECT Id FROM User",
]


def _hostile_rows() -> list[dict[str, Any]]:
    names = [*HOSTILE, "100 percent done", "Decoy", "o'brien"]
    return [
        {"Id": sfid("00Q", 100 + n), "LastName": name, "IsConverted": False}
        for n, name in enumerate(names)
    ]


@pytest.mark.parametrize("value", HOSTILE)
def test_an_escaped_value_is_only_data(value: str) -> None:
    rows = _hostile_rows()
    text = format_soql(
        "SELECT Id, LastName FROM Lead WHERE LastName = {} AND IsConverted = false", value
    )
    found = [r["LastName"] for r in run(parse(text), SCHEMA, rows)]
    # Equality is case-insensitive, so O'Brien also finds o'brien, and nothing else.
    assert sorted(found) == sorted(
        r["LastName"] for r in rows if r["LastName"].lower() == value.lower()
    )


@pytest.mark.parametrize(
    "value", ["O'Brien", "back\\slash", "' OR Name != '", "x' OR LastName != 'y"]
)
def test_an_unescaped_value_is_a_malformed_query(value: str) -> None:
    text = f"SELECT Id FROM Lead WHERE LastName = '{value}' AND IsConverted = false"
    with pytest.raises(SoqlError) as caught:
        parse(text)
    assert caught.value.code == "MALFORMED_QUERY"


def test_like_wildcards_match_literally_only_when_escaped() -> None:
    rows = _hostile_rows()
    escaped = format_soql("SELECT LastName FROM Lead WHERE LastName LIKE '{:like}%'", "100%_")
    assert [r["LastName"] for r in run(parse(escaped), SCHEMA, rows)] == ["100%_done"]
    raw = "SELECT LastName FROM Lead WHERE LastName LIKE '100%_%'"
    assert sorted(r["LastName"] for r in run(parse(raw), SCHEMA, rows)) == [
        "100 percent done",
        "100%_done",
    ]
    with pytest.raises(SoqlError) as caught:
        parse("SELECT Id FROM Lead WHERE LastName = '100\\%'")
    assert caught.value.code == "MALFORMED_QUERY"


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_any_escaped_text_round_trips_as_one_literal(value: str) -> None:
    query = parse(format_soql("SELECT Id FROM Lead WHERE LastName = {} AND Email != null", value))
    assert query.where is not None and not isinstance(query.where, Comparison)
    first = query.where.items[0]  # type: ignore[union-attr]
    assert isinstance(first, Comparison) and isinstance(first.values[0], StringValue)
    assert first.values[0].value == value
    row = {"Id": L1, "LastName": value, "Email": "e@x.com"}
    like = format_soql("SELECT Id FROM Lead WHERE LastName LIKE '{:like}'", value)
    assert ids(like, [row]) == ([L1] if value else [])


def test_a_formatted_datetime_is_a_datetime_literal() -> None:
    instant = datetime(2024, 1, 5, 11, 11, 12, 999000, tzinfo=UTC) - timedelta(hours=1)
    query = parse(f"SELECT Id FROM Lead WHERE SystemModstamp >= {quote_soql_value(instant)}")
    assert isinstance(query.where, Comparison)
    assert query.where.values == (
        DateTimeValue("2024-01-05T10:11:12.000+0000", "2024-01-05T10:11:12+00:00", 44),
    )
    assert ids(
        f"SELECT Id FROM Lead WHERE SystemModstamp >= {quote_soql_value(instant)} ORDER BY Id"
    ) == [L1, L2, L3]


# -- speed -------------------------------------------------------------------------------


def _big_table(count: int) -> list[dict[str, Any]]:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for n in range(count):
        # Three records a second, so SystemModstamp ties; every tenth was touched again later.
        moment = start + timedelta(seconds=n // 3 + (50_000 if n % 10 == 0 else 0))
        rows.append(
            {
                "Id": sfid("00Q", n),
                "Email": f"lead{n}@example.com",
                "IsDeleted": n % 97 == 0,
                "SystemModstamp": f"{moment:%Y-%m-%dT%H:%M:%S}.000+0000",
            }
        )
    return rows


def test_an_incremental_read_of_100k_rows_pages_the_right_records() -> None:
    # Its speed is measured by bench/emulator_speed.py, not asserted here.
    rows = _big_table(100_000)
    text = (
        "SELECT Id, Email, SystemModstamp FROM Lead WHERE SystemModstamp >= "
        "2024-01-01T00:10:00Z ORDER BY SystemModstamp, Id LIMIT 2000"
    )
    records = run(parse(text), SCHEMA, rows)
    expected = sorted(
        (r for r in rows if not r["IsDeleted"] and r["SystemModstamp"] >= "2024-01-01T00:10:00"),
        key=lambda r: (r["SystemModstamp"], r["Id"]),
    )[:2000]
    assert [r["Id"] for r in records] == [r["Id"] for r in expected]


def test_a_full_sort_agrees_with_the_heap_page() -> None:
    rows = _big_table(3000)
    random.Random(7).shuffle(rows)
    text = "SELECT Id FROM Lead ORDER BY SystemModstamp DESC, Id DESC"
    everything = [r["Id"] for r in run(parse(text), SCHEMA, rows)]
    page = [r["Id"] for r in run(parse(text + " LIMIT 100 OFFSET 50"), SCHEMA, rows)]
    assert page == everything[50:150]
    assert len(everything) == sum(1 for r in rows if not r["IsDeleted"])


def test_query_is_the_fixed_interface() -> None:
    query = parse("SELECT Id FROM Lead")
    assert isinstance(query, Query)
    assert (query.where, query.order_by, query.limit, query.offset) == (None, (), None, None)


def test_a_query_built_without_text_still_runs() -> None:
    query = Query("Lead", ("Id", "Owner.Email"), None, (), 1, None, False)
    (record,) = run(query, SCHEMA, LEADS)
    assert record["Id"] == L1
    assert record["Owner"]["Email"] == "owner1@example.com"

"""Every write rule a real org enforces, refused with Salesforce's own code, message and fields."""

from __future__ import annotations

from typing import Any

import pytest
from sf_support import Org, lead, reference_json
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound


def _refusal(sf: Salesforce, body: dict[str, Any], lead_id: str | None = None) -> list[Any]:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        if lead_id is None:
            sf.Lead.create(body)
        else:
            sf.Lead.update(lead_id, body)
    assert refused.value.status == 400
    content: list[Any] = refused.value.content
    return content


def test_required_fields_missing(sf: Salesforce) -> None:
    assert _refusal(sf, {"FirstName": "Ada"}) == [
        {
            "message": "Required fields are missing: [LastName, Company]",
            "errorCode": "REQUIRED_FIELD_MISSING",
            "fields": ["LastName", "Company"],
        }
    ]


def test_clearing_a_required_field_on_update(sf: Salesforce) -> None:
    lead_id = sf.Lead.create(lead())["id"]
    assert _refusal(sf, {"Company": ""}, lead_id) == [
        {
            "message": "Required fields are missing: [Company]",
            "errorCode": "REQUIRED_FIELD_MISSING",
            "fields": ["Company"],
        }
    ]


def test_string_too_long(sf: Salesforce) -> None:
    long_name = "x" * 81
    assert _refusal(sf, lead(LastName=long_name)) == [
        {
            "message": f"Last Name: data value too large: {long_name} (max length=80)",
            "errorCode": "STRING_TOO_LONG",
            "fields": ["LastName"],
        }
    ]


def test_invalid_email_address(sf: Salesforce) -> None:
    assert _refusal(sf, lead(Email="not-an-email")) == [
        {
            "message": "Email: invalid email address: not-an-email",
            "errorCode": "INVALID_EMAIL_ADDRESS",
            "fields": ["Email"],
        }
    ]


@pytest.mark.parametrize(
    ("field", "label", "value"),
    [("Status", "Status", "Hot"), ("Disposition_Reason__c", "Disposition Reason", "Bored")],
)
def test_value_outside_a_restricted_picklist(
    sf: Salesforce, field: str, label: str, value: str
) -> None:
    assert _refusal(sf, lead(**{field: value})) == [
        {
            "message": f"{label}: bad value for restricted picklist field: {value}",
            "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "fields": [field],
        }
    ]


def test_unrestricted_picklist_takes_any_value(sf: Salesforce) -> None:
    lead_id = sf.Lead.create(lead(LeadSource="Trade Show"))["id"]
    assert sf.Lead.get(lead_id)["LeadSource"] == "Trade Show"


def test_unknown_field_is_the_recorded_invalid_field_error(sf: Salesforce) -> None:
    recorded = reference_json("fixtures/restforce/write_error_response.json")
    refusal = _refusal(sf, lead(foo="bar"))
    assert [{k: e[k] for k in ("message", "errorCode")} for e in refusal] == [
        {**recorded[0], "message": "No such column 'foo' on sobject of type Lead"}
    ]


def test_read_only_fields_cannot_be_written(sf: Salesforce) -> None:
    lead_id = sf.Lead.create(lead())["id"]
    assert _refusal(sf, {"Name": "X", "IsConverted": True}, lead_id) == [
        {
            "message": "Unable to create/update fields: Name, IsConverted. Please check the "
            "security settings of this field and verify that it is read/write for your profile "
            "or permission set.",
            "errorCode": "INVALID_FIELD_FOR_INSERT_UPDATE",
            "fields": ["Name", "IsConverted"],
        }
    ]


def test_id_cannot_be_given_on_create(sf: Salesforce) -> None:
    assert _refusal(sf, lead(Id="00QEm0000000009AAA")) == [
        {
            "message": "cannot specify Id in an insert call",
            "errorCode": "INVALID_FIELD_FOR_INSERT_UPDATE",
            "fields": ["Id"],
        }
    ]


def test_duplicate_value_on_a_unique_external_id(sf: Salesforce) -> None:
    first = sf.Lead.create(lead(HubSpot_Contact_Id__c="501"))["id"]
    assert _refusal(sf, lead(HubSpot_Contact_Id__c="501")) == [
        {
            "message": "duplicate value found: HubSpot_Contact_Id__c duplicates value on record "
            f"with id: {first[:15]}",
            "errorCode": "DUPLICATE_VALUE",
            "fields": [],
        }
    ]


def test_malformed_owner_id(sf: Salesforce) -> None:
    assert _refusal(sf, lead(OwnerId="005xyz")) == [
        {
            "message": "Owner ID: id value of incorrect type: 005xyz",
            "errorCode": "MALFORMED_ID",
            "fields": ["OwnerId"],
        }
    ]


def test_number_that_cannot_be_read_fails_the_request(sf: Salesforce) -> None:
    refusal = _refusal(sf, lead(Lead_Score__c="lots"))
    assert refusal[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert (
        "Cannot deserialize instance of double from VALUE_STRING value lots"
        in (refusal[0]["message"])
    )


def test_number_outside_the_field_precision(sf: Salesforce) -> None:
    assert _refusal(sf, lead(Lead_Score__c=1e19)) == [
        {
            "message": "Lead Score: value outside of valid range on numeric field: 1e+19",
            "errorCode": "NUMBER_OUTSIDE_VALID_RANGE",
            "fields": ["Lead_Score__c"],
        }
    ]


def test_update_of_a_missing_record_is_not_found(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound):
        sf.Lead.update("00QEm0000009999", {"Title": "x"})


def test_seeded_records_skip_validation(org: Org, sf: Salesforce) -> None:
    ids = org.seed({"Lead": [{"LastName": "Legacy", "Status": "Imported", "Email": "bad"}]})
    record = sf.Lead.get(ids["Lead"][0])
    assert (record["Status"], record["Email"], record["Company"]) == ("Imported", "bad", None)


def test_null_for_a_defaulted_field_on_create_keeps_the_default(sf: Salesforce) -> None:
    lead_id = sf.Lead.create(lead(Status=None, OwnerId=None))["id"]
    record = sf.Lead.get(lead_id)
    assert record["Status"] == "Open - Not Contacted"
    assert record["OwnerId"] is not None


def test_clearing_a_checkbox_unchecks_it(org: Org, sf: Salesforce) -> None:
    ids = org.seed(
        {
            "User": [{"Username": "u@example.com", "Email": "u@example.com", "LastName": "U"}],
        }
    )
    sf.User.update(ids["User"][0], {"IsActive": None})
    assert sf.User.get(ids["User"][0])["IsActive"] is False

"""Single-record REST and describes, through simple-salesforce, compared with real recordings."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sf_support import REFERENCE, VERSION, Org, lead, nango_response, reference_json
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)


def _shape(value: Any) -> Any:
    """Keys and JSON types, recursively: what two payloads must share to be alike."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__ if value is not None else None


def _cassette_body(name: str) -> Any:
    """The JSON body of a one-exchange CumulusCI cassette (a single-quoted, folded YAML string)."""
    text = (REFERENCE / "fixtures" / "cumulusci" / name).read_text()
    quoted = text.split("string: '", 1)[1].rsplit("'", 1)[0]
    return json.loads(re.sub(r"\n\s+", " ", quoted).replace("''", "'"))


def test_create_answers_the_recorded_body_and_status(org: Org) -> None:
    recorded, status = nango_response("create-record", "post")
    response = org.http.post(
        f"{org.api}/sobjects/Account/",
        json={"Name": "Test Account"},
        headers={"Authorization": f"Bearer {org.token()}"},
    )
    assert response.status_code == status == 201
    assert _shape(response.json()) == _shape(recorded)
    assert (
        response.headers["Location"]
        == f"/services/data/v{VERSION}/sobjects/Account/" + (response.json()["id"])
    )


def test_created_lead_reads_back_with_server_filled_fields(org: Org, sf: Salesforce) -> None:
    created = sf.Lead.create(lead(FirstName="Ada", Email="ada@example.com"))
    record = sf.Lead.get(created["id"])
    assert record["attributes"] == {
        "type": "Lead",
        "url": f"/services/data/v{VERSION}/sobjects/Lead/{created['id']}",
    }
    assert record["Name"] == "Ada Lovelace"
    assert record["Status"] == "Open - Not Contacted"
    assert record["IsConverted"] is False and record["IsDeleted"] is False
    user_id = sf.query("SELECT Id FROM User")["records"][0]["Id"]
    assert record["OwnerId"] == record["CreatedById"] == user_id
    assert record["CreatedDate"] == record["SystemModstamp"]
    assert record["CreatedDate"].endswith(".000+0000")
    assert record["HubSpot_Contact_Id__c"] is None


def test_get_answers_a_recorded_record_shape(org: Org, sf: Salesforce) -> None:
    recorded, _ = nango_response("get-record")
    account_id = sf.Account.create({"Name": "Edge Communications"})["id"]
    record = sf.Account.get(account_id)
    for key in ("attributes", "Id", "IsDeleted", "Name", "Website", "Industry", "OwnerId"):
        assert _shape(record[key]) in (_shape(recorded[key]), None)
    assert set(record) <= set(recorded) | {"CreatedById", "LastModifiedById"}


def test_get_with_fields_answers_only_those(sf: Salesforce) -> None:
    lead_id = sf.Lead.create(lead(Email="x@example.com"))["id"]
    record = sf.Lead.get(lead_id, params={"fields": "Email,Company"})
    assert list(record) == ["attributes", "Email", "Company", "Id"]


def test_fifteen_character_ids_are_accepted_and_answered_as_eighteen(sf: Salesforce) -> None:
    lead_id = sf.Lead.create(lead())["id"]
    assert sf.Lead.get(lead_id[:15])["Id"] == lead_id


def test_update_bumps_the_modstamp_and_answers_204(org: Org, sf: Salesforce) -> None:
    lead_id = sf.Lead.create(lead())["id"]
    before = sf.Lead.get(lead_id)
    org.admin("clock/advance", {"seconds": 5})
    assert sf.Lead.update(lead_id, {"Title": "Countess", "Lead_Score__c": "72"}) == 204
    after = sf.Lead.get(lead_id)
    assert after["Title"] == "Countess"
    assert after["Lead_Score__c"] == 72.0
    assert after["SystemModstamp"] > before["SystemModstamp"]
    assert after["CreatedDate"] == before["CreatedDate"]


def test_delete_answers_204_then_the_record_is_gone(org: Org, sf: Salesforce) -> None:
    _, status = nango_response("delete-record", "delete")
    lead_id = sf.Lead.create(lead())["id"]
    assert sf.Lead.delete(lead_id) == status == 204
    with pytest.raises(SalesforceResourceNotFound) as missing:
        sf.Lead.get(lead_id)
    assert missing.value.content == [
        {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
    ]
    assert [r["IsDeleted"] for r in org.records("Lead")] == [True]


def test_upsert_creates_then_updates_by_external_id(sf: Salesforce) -> None:
    created = sf.Lead.upsert("HubSpot_Contact_Id__c/hs-1", lead(), raw_response=True)
    assert created.status_code == 201
    assert created.json() == {
        "id": created.json()["id"],
        "success": True,
        "errors": [],
        "created": True,
    }
    updated = sf.Lead.upsert("HubSpot_Contact_Id__c/HS-1", {"Title": "CEO"}, raw_response=True)
    assert updated.status_code == 200
    assert updated.json() == {
        "id": created.json()["id"],
        "success": True,
        "errors": [],
        "created": False,
    }
    record = sf.Lead.get_by_custom_id("HubSpot_Contact_Id__c", "hs-1")
    assert record["Title"] == "CEO"
    assert record["HubSpot_Contact_Id__c"] == "hs-1"


def test_upsert_before_api_46_answers_204_on_update(org: Org) -> None:
    old = Salesforce(instance_url=org.url, session_id=org.token(), version="45.0", session=org.http)
    assert old.Lead.upsert("HubSpot_Contact_Id__c/hs-2", lead()) == 201
    assert old.Lead.upsert("HubSpot_Contact_Id__c/hs-2", {"Title": "CTO"}) == 204


def test_upsert_matching_several_records_answers_300_with_their_urls(
    org: Org, sf: Salesforce
) -> None:
    ids = org.seed({"Lead": [lead(Email="twin@example.com"), lead(Email="Twin@example.com")]})
    with pytest.raises(SalesforceMoreThanOneRecord) as several:
        sf.Lead.upsert("Email/twin@example.com", {"Title": "x"})
    assert several.value.status == 300
    assert sorted(several.value.content) == sorted(
        f"/services/data/v{VERSION}/sobjects/Lead/{i}" for i in ids["Lead"]
    )


def test_upsert_by_unknown_or_plain_field_is_refused(sf: Salesforce) -> None:
    recorded = reference_json("fixtures/restforce/upsert_error_response.json")
    with pytest.raises(SalesforceResourceNotFound) as unknown:
        sf.Lead.upsert("Namez/x", lead())
    assert unknown.value.content == recorded
    with pytest.raises(SalesforceMalformedRequest) as plain:
        sf.Lead.upsert("Title/x", lead())
    assert plain.value.content == [
        {
            "message": "Field name provided, Title is not an External ID or indexed field for Lead",
            "errorCode": "INVALID_FIELD",
        }
    ]


def test_unknown_object_is_not_found(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound) as missing:
        sf.Foo.describe()
    assert missing.value.content == [
        {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
    ]


@pytest.mark.parametrize("object_name", ["Lead", "Contact", "Opportunity"])
def test_describe_has_the_real_keys_and_field_facts(sf: Salesforce, object_name: str) -> None:
    recorded = reference_json(f"fixtures/cumulusci-derived/{object_name}_describe.json")
    described = getattr(sf, object_name).describe()
    assert set(described) == set(recorded)
    real_fields = {f["name"]: f for f in recorded["fields"]}
    assert set(described["fields"][0]) == set(recorded["fields"][0])
    compared = 0
    for f in described["fields"]:
        real = real_fields.get(f["name"])
        if real is None:
            continue
        compared += 1
        for fact in ("type", "length", "nillable", "createable", "updateable", "referenceTo"):
            assert f[fact] == real[fact], (f["name"], fact)
        for fact in ("relationshipName", "soapType", "precision", "scale", "groupable"):
            assert f[fact] == real[fact], (f["name"], fact)
    assert compared >= 12


def test_describe_lists_crmsync_fields_and_restricted_picklists(sf: Salesforce) -> None:
    fields = {f["name"]: f for f in sf.Lead.describe()["fields"]}
    hubspot_id = fields["HubSpot_Contact_Id__c"]
    assert (hubspot_id["externalId"], hubspot_id["unique"], hubspot_id["length"]) == (
        True,
        True,
        32,
    )
    status = fields["Status"]
    assert status["restrictedPicklist"] is True
    assert [p["value"] for p in status["picklistValues"]][:2] == ["Nurture", "Open - Not Contacted"]
    assert set(status["picklistValues"][0]) == {
        "active",
        "defaultValue",
        "label",
        "validFor",
        "value",
    }
    assert fields["Disposition_Reason__c"]["restrictedPicklist"] is True


def test_global_describe_has_the_recorded_entry_shape(sf: Salesforce) -> None:
    recorded = _cassette_body("GET_sobjects_Global_describe.yaml")
    described = sf.describe()
    assert described["maxBatchSize"] == recorded["maxBatchSize"]
    real_lead = next(s for s in recorded["sobjects"] if s["name"] == "Account")
    ours = {s["name"]: s for s in described["sobjects"]}
    assert set(ours) >= {"Lead", "Contact", "Account", "Opportunity", "User"}
    assert set(ours["Account"]) == set(real_lead)
    assert ours["Account"]["keyPrefix"] == real_lead["keyPrefix"] == "001"

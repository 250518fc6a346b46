"""The admin API: seeding, stored records, reset, and what the versioned root lists."""

from __future__ import annotations

import pytest
from sf_support import Org, lead
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceResourceNotFound


def test_seed_keeps_given_ids_and_links_references(org: Org, sf: Salesforce) -> None:
    ids = org.seed(
        {
            "Lead": [lead(OwnerId="005Em0000000042", Lead_Score__c="55")],
            "User": [
                {
                    "Id": "005Em0000000042",
                    "Username": "rep@example.com",
                    "Email": "rep@example.com",
                    "LastName": "Rep",
                }
            ],
        }
    )
    assert ids["User"] == ["005Em0000000042IAA"]
    record = sf.query("SELECT Owner.Email, Lead_Score__c FROM Lead")["records"][0]
    assert record["Owner"]["Email"] == "rep@example.com"
    assert record["Lead_Score__c"] == 55.0


def test_seed_refuses_unknown_fields_naming_them(org: Org) -> None:
    response = org.http.post(
        f"{org.url}/__emulator__/seed", json={"objects": {"Lead": [lead(Nope=1)]}}
    )
    assert response.status_code == 400
    assert "Nope" in response.json()["error"]


def test_records_are_listed_as_stored_and_reset_empties_the_org(org: Org, sf: Salesforce) -> None:
    sf.Lead.create(lead(Email="a@example.com"))
    stored = org.records("Lead")
    assert [r["Email"] for r in stored] == ["a@example.com"]
    assert "attributes" not in stored[0]
    org.admin("reset")
    assert org.records("Lead") == []
    users = org.records("User")
    assert [u["Username"] for u in users] == ["emulator@crmsync.test"]


def test_updating_a_deleted_record_is_refused(sf: Salesforce) -> None:
    lead_id = sf.Lead.create(lead())["id"]
    sf.Lead.delete(lead_id)
    with pytest.raises(SalesforceResourceNotFound) as refused:
        sf.Lead.update(lead_id, {"Title": "x"})
    assert refused.value.content == [
        {"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}
    ]


def test_version_root_lists_the_resources_used(sf: Salesforce) -> None:
    listed = sf.restful("")
    for name in ("sobjects", "query", "queryAll", "limits", "composite", "jobs"):
        assert listed[name] == f"/services/data/v59.0/{name}"


def test_unsupported_version_is_not_found(org: Org) -> None:
    response = org.http.get(
        f"{org.url}/services/data/v20.0/sobjects",
        headers={"Authorization": f"Bearer {org.token()}"},
    )
    assert response.status_code == 404
    assert response.json() == [
        {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
    ]

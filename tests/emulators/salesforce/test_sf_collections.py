"""sObject Collections: per-record results, allOrNone rollback, limits and record locks."""

from __future__ import annotations

from typing import Any

import pytest
from sf_support import Org, lead, nango_response
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was using "
    "AllOrNone header",
    "fields": [],
}


def _typed(object_name: str, **fields: Any) -> dict[str, Any]:
    return {"attributes": {"type": object_name}, **fields}


def _create(sf: Salesforce, records: list[dict[str, Any]], all_or_none: bool = False) -> Any:
    return sf.restful(
        "composite/sobjects", method="POST", json={"allOrNone": all_or_none, "records": records}
    )


def test_create_answers_the_recorded_result_shape(sf: Salesforce) -> None:
    recorded, status = nango_response("create-sobject-collection", "post")
    results = _create(sf, [_typed("Account", Name="Test Account")])
    assert status == 200
    assert [set(r) for r in results] == [set(r) for r in recorded]
    assert results[0]["success"] is True and results[0]["id"].startswith("001")


def test_failing_record_does_not_stop_its_siblings(org: Org, sf: Salesforce) -> None:
    results = _create(
        sf, [_typed("Lead", **lead()), _typed("Lead", FirstName="NoLast"), _typed("Lead", **lead())]
    )
    assert [r["success"] for r in results] == [True, False, True]
    assert results[1] == {
        "success": False,
        "errors": [
            {
                "statusCode": "REQUIRED_FIELD_MISSING",
                "message": "Required fields are missing: [LastName, Company]",
                "fields": ["LastName", "Company"],
            }
        ],
    }
    assert len(org.records("Lead")) == 2


def test_all_or_none_rolls_everything_back(org: Org, sf: Salesforce) -> None:
    results = _create(sf, [_typed("Lead", **lead()), _typed("Lead", **lead(Email="bad"))], True)
    assert results[0] == {"success": False, "errors": [ROLLED_BACK]}
    assert results[1]["errors"][0]["statusCode"] == "INVALID_EMAIL_ADDRESS"
    assert org.records("Lead") == []


def test_more_than_200_records_is_refused_whole(org: Org, sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        _create(sf, [_typed("Lead", **lead()) for _ in range(201)])
    assert refused.value.content == [
        {
            "message": "record limit reached. cannot submit more than 200 records into this call",
            "errorCode": "EXCEEDED_ID_LIMIT",
        }
    ]
    assert org.records("Lead") == []


def test_update_by_id_with_per_record_errors(sf: Salesforce) -> None:
    created = _create(sf, [_typed("Lead", **lead()), _typed("Lead", **lead())])
    first, second = (r["id"] for r in created)
    results = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [
                _typed("Lead", id=first, Title="Countess"),
                _typed("Lead", id=second, Status="Bogus"),
            ],
        },
    )
    assert results[0] == {"id": first, "success": True, "errors": []}
    assert results[1]["id"] == second and results[1]["success"] is False
    assert sf.Lead.get(first)["Title"] == "Countess"


def test_upsert_by_external_id_reports_created(org: Org, sf: Salesforce) -> None:
    org.seed({"Contact": [{"LastName": "Bluth", "Email": "michael.bluth@example.com"}]})
    results = sf.restful(
        "composite/sobjects/Contact/Email",
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [
                _typed(
                    "Contact",
                    LastName="Bluth",
                    FirstName="Nichael",
                    Email="Michael.Bluth@example.com",
                ),
                _typed(
                    "Contact", LastName="Bluth", FirstName="Annyong", Email="annyong@example.com"
                ),
            ],
        },
    )
    assert [(r["success"], r["created"], list(r)) for r in results] == [
        (True, False, ["id", "success", "errors", "created"]),
        (True, True, ["id", "success", "errors", "created"]),
    ]
    names = sorted(r["FirstName"] for r in org.records("Contact"))
    assert names == ["Annyong", "Nichael"]


def test_upsert_with_the_same_external_id_twice_fails_both(sf: Salesforce) -> None:
    results = sf.restful(
        "composite/sobjects/Lead/HubSpot_Contact_Id__c",
        method="PATCH",
        json={
            "records": [
                _typed("Lead", **lead(HubSpot_Contact_Id__c="7")),
                _typed("Lead", **lead(HubSpot_Contact_Id__c="7")),
            ]
        },
    )
    assert [r["errors"][0]["statusCode"] for r in results] == ["DUPLICATE_EXTERNAL_ID"] * 2


def test_delete_answers_the_recorded_shape(org: Org, sf: Salesforce) -> None:
    recorded, status = nango_response("delete-sobject-collection", "delete")
    ids = org.seed({"Account": [{"Name": "A"}, {"Name": "B"}]})["Account"]
    results = sf.restful(
        "composite/sobjects", method="DELETE", params={"ids": ",".join(ids), "allOrNone": "false"}
    )
    assert status == 200
    assert results == [{"id": i, "success": True, "errors": []} for i in ids]
    assert [set(r) for r in results] == [set(r) for r in recorded]


def test_delete_without_ids_is_the_recorded_refusal(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.restful("composite/sobjects", method="DELETE", params={"ids": ""})
    assert refused.value.content == [
        {"message": "At least 1 Id is required.", "errorCode": "REQUIRED_FIELD_MISSING"}
    ]


def test_retrieve_by_ids_answers_null_for_missing(org: Org, sf: Salesforce) -> None:
    ids = org.seed({"Lead": [lead(Email="a@example.com")]})["Lead"]
    found = sf.restful(
        "composite/sobjects/Lead",
        params={"ids": f"{ids[0]},00QEm0000009999AAA", "fields": "Email"},
    )
    assert found[0]["Email"] == "a@example.com" and found[0]["Id"] == ids[0]
    assert found[1] is None


def test_locked_record_fails_in_its_own_result_then_recovers(org: Org, sf: Salesforce) -> None:
    ids = org.seed({"Lead": [lead(), lead()]})["Lead"]
    org.admin("lock-row", {"id": ids[0], "count": 1})
    body = {"records": [_typed("Lead", id=i, Title="VP") for i in ids]}
    first = sf.restful("composite/sobjects", method="PATCH", json=body)
    assert first[0] == {
        "id": ids[0],
        "success": False,
        "errors": [
            {
                "statusCode": "UNABLE_TO_LOCK_ROW",
                "message": "unable to obtain exclusive access to this record",
                "fields": [],
            }
        ],
    }
    assert first[1]["success"] is True
    second = sf.restful("composite/sobjects", method="PATCH", json=body)
    assert [r["success"] for r in second] == [True, True]

"""Batch endpoints: the 100-input limit, 207 partial answers, upserts, status-code drift."""

from __future__ import annotations

from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId,
)
from hubspot_harness import Emulator, recording

from connector.clock import parse_instant

STANDARD_ERROR_KEYS = {"status", "category", "message", "context", "errors", "links"}


def creates(*emails: str) -> BatchInputSimplePublicObjectBatchInputForCreate:
    return BatchInputSimplePublicObjectBatchInputForCreate(
        inputs=[{"properties": {"email": email}, "associations": []} for email in emails]
    )


@pytest.mark.parametrize(
    ("operation", "item"),
    [
        ("read", {"id": "1"}),
        ("create", {"properties": {"firstname": "x"}}),
        ("update", {"id": "1", "properties": {"firstname": "x"}}),
        ("upsert", {"id": "x@example.com", "idProperty": "email", "properties": {}}),
        ("archive", {"id": "1"}),
    ],
)
def test_a_batch_of_101_inputs_is_refused(
    hubspot: Emulator, operation: str, item: dict[str, Any]
) -> None:
    answer = hubspot.api(
        "POST", f"/crm/v3/objects/contacts/batch/{operation}", {"inputs": [item] * 101}
    )

    assert answer.status_code == 400
    body = answer.json()
    assert body["category"] == "VALIDATION_ERROR"
    assert body["status"] == "error"
    assert "maximum number of inputs supported in a batch request is 100" in body["message"]
    assert hubspot.records("contacts") == []


def test_a_batch_of_100_inputs_is_taken(hubspot: Emulator, client: HubSpot) -> None:
    hubspot.settings(create_status=201)

    done = client.crm.contacts.batch_api.create(creates(*(f"p{n}@example.com" for n in range(100))))

    assert len(done.results) == 100
    assert len(hubspot.records("contacts")) == 100


def test_batch_create_answers_200_like_the_recording(hubspot: Emulator) -> None:
    exchange = recording("batch-create-companies.test.json")["api"]["post"][
        "/crm/v3/objects/companies/batch/create"
    ]

    answer = hubspot.api(
        "POST", "/crm/v3/objects/companies/batch/create", exchange["request"]["data"]
    )

    assert answer.status_code == exchange["status"] == 200
    body = answer.json()
    assert list(body) == list(exchange["response"])
    assert body["status"] == "COMPLETE"
    assert list(body["results"][0]) == list(exchange["response"]["results"][0])
    for name, value in exchange["request"]["data"]["inputs"][0]["properties"].items():
        assert body["results"][0]["properties"][name] == value


def test_batch_update_answers_like_the_recording(hubspot: Emulator) -> None:
    exchange = recording("batch-update-companies.test.json")["api"]["post"][
        "/crm/v3/objects/companies/batch/update"
    ]
    (company,) = hubspot.seed({"companies": [{"properties": {"name": "Test Company 2"}}]})[
        "companies"
    ]
    sent = exchange["request"]["data"]
    sent["inputs"][0]["id"] = company
    hubspot.advance(1)

    answer = hubspot.api("POST", "/crm/v3/objects/companies/batch/update", sent)

    assert answer.status_code == exchange["status"] == 200
    body = answer.json()
    recorded = exchange["response"]
    assert list(body) == list(recorded)
    assert list(body["results"][0]) == list(recorded["results"][0])
    for name, value in sent["inputs"][0]["properties"].items():
        assert body["results"][0]["properties"][name] == value
    result = body["results"][0]
    assert parse_instant(result["updatedAt"]) > parse_instant(result["createdAt"])


def test_batch_create_answers_201_once_chosen_and_the_sdk_reads_it(
    hubspot: Emulator, client: HubSpot
) -> None:
    assert client.crm.contacts.batch_api.create(creates("a@example.com")) is None
    hubspot.settings(create_status=201)

    done, status, _ = client.crm.contacts.batch_api.create_with_http_info(creates("b@example.com"))

    assert status == 201
    assert [r.properties["email"] for r in done.results] == ["b@example.com"]


def test_per_record_failures_answer_207_with_the_successes(
    hubspot: Emulator, client: HubSpot
) -> None:
    done, status, _ = client.crm.contacts.batch_api.create_with_http_info(
        creates("good@example.com", "not-an-email")
    )

    assert status == 207
    assert [r.properties["email"] for r in done.results] == ["good@example.com"]
    assert done.num_errors == 1
    error = done.errors[0]
    assert error.status == "error"
    assert error.category == "VALIDATION_ERROR"
    assert error.message.startswith("Property values were not valid: ")
    assert "INVALID_EMAIL" in error.message
    assert error.errors[0].code == "INVALID_EMAIL"
    assert error.errors[0].context == {"propertyName": ["email"]}


def test_a_207_answer_carries_every_standard_error_field(hubspot: Emulator) -> None:
    body = hubspot.api(
        "POST",
        "/crm/v3/objects/contacts/batch/create",
        {
            "inputs": [
                {"properties": {"email": "ok@example.com"}},
                {"properties": {"lifecyclestage": "bogus"}, "objectWriteTraceId": "row-7"},
            ]
        },
    ).json()

    assert set(body) == {"status", "results", "numErrors", "errors", "startedAt", "completedAt"}
    assert set(body["errors"][0]) >= STANDARD_ERROR_KEYS
    assert body["errors"][0]["context"]["objectWriteTraceId"] == ["row-7"]


def test_duplicate_emails_fail_per_record_with_the_existing_id(
    hubspot: Emulator, client: HubSpot
) -> None:
    (existing,) = hubspot.seed({"contacts": [{"properties": {"email": "old@example.com"}}]})[
        "contacts"
    ]

    done = client.crm.contacts.batch_api.create(
        creates("old@example.com", "new@example.com", "NEW@example.com")
    )

    created = {r.properties["email"]: r.id for r in done.results}
    assert list(created) == ["new@example.com"]
    messages = sorted(error.message for error in done.errors)
    assert messages == sorted(
        [
            f"Contact already exists. Existing ID: {existing}",
            f"Contact already exists. Existing ID: {created['new@example.com']}",
        ]
    )
    assert {error.category for error in done.errors} == {"CONFLICT"}


def test_reject_batch_setting_refuses_the_whole_batch(hubspot: Emulator) -> None:
    (existing,) = hubspot.seed({"contacts": [{"properties": {"email": "old@example.com"}}]})[
        "contacts"
    ]
    hubspot.settings(batch_errors="reject_batch")

    answer = hubspot.api(
        "POST",
        "/crm/v3/objects/contacts/batch/create",
        {
            "inputs": [
                {"properties": {"email": "new@example.com"}},
                {"properties": {"email": "old@example.com"}},
            ]
        },
    )

    assert answer.status_code == 409
    assert answer.json()["message"] == f"Contact already exists. Existing ID: {existing}"
    assert [r["properties"]["email"] for r in hubspot.records("contacts")] == ["old@example.com"]


def test_batch_read_reports_unknown_ids_in_one_error(hubspot: Emulator, client: HubSpot) -> None:
    ids = hubspot.seed(
        {"contacts": [{"properties": {"email": f"p{n}@example.com"}} for n in range(3)]}
    )["contacts"]

    done = client.crm.contacts.batch_api.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[{"id": ids[0]}, {"id": "1"}, {"id": ids[2]}, {"id": "2"}],
            properties=["email"],
            properties_with_history=[],
        )
    )

    assert [r.id for r in done.results] == [ids[0], ids[2]]
    (error,) = done.errors
    assert error.category == "OBJECT_NOT_FOUND"
    assert error.context == {"ids": ["1", "2"]}
    assert error.message == (
        "Could not get some CONTACT objects, they may be deleted or not exist. "
        "Check that ids are valid."
    )


def test_batch_read_by_email(hubspot: Emulator, client: HubSpot) -> None:
    ids = hubspot.seed(
        {"contacts": [{"properties": {"email": f"p{n}@example.com"}} for n in range(2)]}
    )["contacts"]

    done = client.crm.contacts.batch_api.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[{"id": "p1@example.com"}, {"id": "p0@example.com"}],
            id_property="email",
            properties=["email"],
            properties_with_history=[],
        )
    )

    assert [r.id for r in done.results] == [ids[1], ids[0]]


def test_repeated_ids_in_a_batch_are_refused(hubspot: Emulator) -> None:
    (contact,) = hubspot.seed({"contacts": [{"properties": {"firstname": "A"}}]})["contacts"]

    answer = hubspot.api(
        "POST",
        "/crm/v3/objects/contacts/batch/update",
        {"inputs": [{"id": contact, "properties": {}}, {"id": contact, "properties": {}}]},
    )

    assert answer.status_code == 400
    assert answer.json()["message"] == (
        f"Duplicate IDs found in batch input: [{contact}]. IDs must be unique"
    )


def test_batch_update_applies_what_it_can(hubspot: Emulator, client: HubSpot) -> None:
    ids = hubspot.seed(
        {"contacts": [{"properties": {"firstname": "A"}}, {"properties": {"firstname": "B"}}]}
    )["contacts"]

    done = client.crm.contacts.batch_api.update(
        BatchInputSimplePublicObjectBatchInput(
            inputs=[
                {"id": ids[0], "properties": {"firstname": "Ada"}},
                {"id": ids[1], "properties": {"hs_lead_status": "MAYBE"}},
                {"id": "77", "properties": {"firstname": "Nobody"}},
            ]
        )
    )

    assert [(r.id, r.properties["firstname"]) for r in done.results] == [(ids[0], "Ada")]
    categories = {error.category: error.context for error in done.errors}
    assert categories["OBJECT_NOT_FOUND"] == {"ids": ["77"]}
    assert categories["VALIDATION_ERROR"]["ids"] == [ids[1]]
    stored = {r["id"]: r["properties"]["firstname"] for r in hubspot.records("contacts")}
    assert stored == {ids[0]: "Ada", ids[1]: "B"}


def test_upsert_by_email_creates_or_updates(hubspot: Emulator, client: HubSpot) -> None:
    (existing,) = hubspot.seed(
        {"contacts": [{"properties": {"email": "old@example.com", "firstname": "Old"}}]}
    )["contacts"]

    done = client.crm.contacts.batch_api.upsert(
        BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                {
                    "id": "old@example.com",
                    "idProperty": "email",
                    "properties": {"firstname": "Renewed"},
                },
                {
                    "id": "new@example.com",
                    "idProperty": "email",
                    "properties": {"firstname": "Fresh"},
                },
            ]
        )
    )

    by_new = {r.new: r for r in done.results}
    assert by_new[False].id == existing
    assert by_new[False].properties["firstname"] == "Renewed"
    assert by_new[True].properties["email"] == "new@example.com"
    assert len(hubspot.records("contacts")) == 2


def test_upsert_by_a_unique_property(hubspot: Emulator, client: HubSpot) -> None:
    (existing,) = hubspot.seed(
        {"deals": [{"properties": {"dealname": "Old", "salesforce_opportunity_id": "006A"}}]}
    )["deals"]
    from hubspot.crm.deals import BatchInputSimplePublicObjectBatchInputUpsert as DealUpsert

    done = client.crm.deals.batch_api.upsert(
        DealUpsert(
            inputs=[
                {
                    "id": "006A",
                    "idProperty": "salesforce_opportunity_id",
                    "properties": {"amount": "10"},
                },
                {
                    "id": "006B",
                    "idProperty": "salesforce_opportunity_id",
                    "properties": {"dealname": "New"},
                },
            ]
        )
    )

    results = sorted(done.results, key=lambda r: r.new)
    assert (results[0].id, results[0].new, results[0].properties["amount"]) == (
        existing,
        False,
        "10",
    )
    assert results[1].new is True
    assert results[1].properties["salesforce_opportunity_id"] == "006B"


def test_upsert_on_a_property_without_unique_values_is_refused(hubspot: Emulator) -> None:
    body = hubspot.api(
        "POST",
        "/crm/v3/objects/contacts/batch/upsert",
        {"inputs": [{"id": "Ada", "idProperty": "firstname", "properties": {}}]},
    ).json()

    assert body["numErrors"] == 1
    assert body["errors"][0]["category"] == "VALIDATION_ERROR"
    assert "firstname is not a unique property" in body["errors"][0]["message"]


def test_batch_archive_answers_204(hubspot: Emulator, client: HubSpot) -> None:
    ids = hubspot.seed({"contacts": [{"properties": {}}, {"properties": {}}]})["contacts"]

    client.crm.contacts.batch_api.archive(
        BatchInputSimplePublicObjectId(inputs=[{"id": ids[0]}, {"id": "12345"}])
    )

    assert [r["archived"] for r in hubspot.records("contacts")] == [True, False]


def test_a_backwards_lifecycle_stage_in_a_batch_is_not_applied(
    hubspot: Emulator, client: HubSpot
) -> None:
    (contact,) = hubspot.seed(
        {"contacts": [{"properties": {"lifecyclestage": "customer", "firstname": "A"}}]}
    )["contacts"]

    _, status, _ = client.crm.contacts.batch_api.update_with_http_info(
        BatchInputSimplePublicObjectBatchInput(
            inputs=[{"id": contact, "properties": {"lifecyclestage": "lead", "firstname": "B"}}]
        )
    )

    assert status == 200
    (stored,) = hubspot.records("contacts")
    assert stored["properties"]["lifecyclestage"] == "customer"
    assert stored["properties"]["firstname"] == "B"

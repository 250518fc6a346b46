"""Property validation: each refusal as HubSpot words it, and the lifecycle-stage rule."""

from __future__ import annotations

import json
from typing import Any

from hubspot import HubSpot
from hubspot.crm.contacts import SimplePublicObjectInput
from hubspot_harness import Emulator


def create_contact(hubspot: Emulator, **properties: Any) -> tuple[int, dict[str, Any]]:
    answer = hubspot.api("POST", "/crm/v3/objects/contacts", {"properties": properties})
    return answer.status_code, answer.json()


def results_of(message: str) -> list[dict[str, Any]]:
    prefix = "Property values were not valid: "
    assert message.startswith(prefix)
    found: list[dict[str, Any]] = json.loads(message[len(prefix) :])
    return found


def test_unknown_property_is_refused_as_property_doesnt_exist(hubspot: Emulator) -> None:
    status, body = create_contact(hubspot, email="a@example.com", favourite_colour="teal")

    assert status == 400
    assert list(body) == ["status", "message", "correlationId", "errors", "category"]
    assert body["category"] == "VALIDATION_ERROR"
    (result,) = results_of(body["message"])
    assert result == {
        "isValid": False,
        "message": 'Property "favourite_colour" does not exist',
        "error": "PROPERTY_DOESNT_EXIST",
        "name": "favourite_colour",
        "localizedErrorMessage": 'Property "favourite_colour" does not exist',
        "portalId": hubspot.service.portal.settings.portal_id,
    }
    assert body["errors"] == [
        {
            "message": 'Property "favourite_colour" does not exist',
            "code": "PROPERTY_DOESNT_EXIST",
            "context": {"propertyName": ["favourite_colour"]},
        }
    ]
    assert hubspot.records("contacts") == []


def test_enumeration_value_outside_the_options_is_invalid_option(hubspot: Emulator) -> None:
    status, body = create_contact(hubspot, lifecyclestage="hot")

    assert status == 400
    (result,) = results_of(body["message"])
    assert result["error"] == "INVALID_OPTION"
    assert result["name"] == "lifecyclestage"
    assert result["message"].startswith(
        'hot was not one of the allowed options: [label: "Subscriber"\nvalue: "subscriber"\n'
        'display_order: 0\ndouble_data: 0.0\nhidden: false\ndescription: ""\nread_only: false\n, '
        'label: "Lead"\n'
    )


def test_invalid_email_is_refused(hubspot: Emulator) -> None:
    status, body = create_contact(hubspot, email="ada.example.com")

    assert status == 400
    (result,) = results_of(body["message"])
    assert (result["error"], result["message"]) == (
        "INVALID_EMAIL",
        "Email address ada.example.com is invalid",
    )


def test_every_refused_property_is_listed(hubspot: Emulator) -> None:
    _, body = create_contact(
        hubspot, email="nope", hs_lead_status="LOST", hubspotscore="90", nosuch="x"
    )

    assert {(r["name"], r["error"]) for r in results_of(body["message"])} == {
        ("email", "INVALID_EMAIL"),
        ("hs_lead_status", "INVALID_OPTION"),
        ("hubspotscore", "READ_ONLY_VALUE"),
        ("nosuch", "PROPERTY_DOESNT_EXIST"),
    }
    assert len(body["errors"]) == 4


def test_duplicate_email_on_create_is_a_409_naming_the_existing_contact(
    hubspot: Emulator,
) -> None:
    (existing,) = hubspot.seed({"contacts": [{"properties": {"email": "ada@example.com"}}]})[
        "contacts"
    ]

    status, body = create_contact(hubspot, email="Ada@Example.com")

    assert status == 409
    assert list(body) == ["status", "message", "correlationId", "category"]
    assert body["message"] == f"Contact already exists. Existing ID: {existing}"
    assert body["category"] == "CONFLICT"


def test_taking_another_contacts_email_on_update_is_a_409(hubspot: Emulator) -> None:
    first, second = hubspot.seed(
        {
            "contacts": [
                {"properties": {"email": "a@example.com"}},
                {"properties": {"email": "b@example.com"}},
            ]
        }
    )["contacts"]

    answer = hubspot.api(
        "PATCH", f"/crm/v3/objects/contacts/{second}", {"properties": {"email": "a@example.com"}}
    )

    assert answer.status_code == 409
    assert answer.json()["message"] == f"Contact already exists. Existing ID: {first}"


def test_duplicate_unique_property_value_is_a_conflict(hubspot: Emulator) -> None:
    (existing,) = hubspot.seed({"contacts": [{"properties": {"salesforce_lead_id": "00Q1"}}]})[
        "contacts"
    ]

    status, body = create_contact(hubspot, salesforce_lead_id="00Q1")

    assert status == 409
    assert body["category"] == "CONFLICT"
    assert body["message"].endswith(f"Existing ID: {existing}")
    assert "salesforce_lead_id" in body["message"]


def test_calculated_property_is_read_only(hubspot: Emulator) -> None:
    status, body = create_contact(hubspot, hubspotscore=75)

    assert status == 400
    (result,) = results_of(body["message"])
    assert (result["error"], result["message"]) == (
        "READ_ONLY_VALUE",
        '"hubspotscore" is a calculated property; its value cannot be set.',
    )


def test_server_maintained_property_is_read_only(hubspot: Emulator) -> None:
    _, body = create_contact(hubspot, hs_analytics_source="OFFLINE")

    (result,) = results_of(body["message"])
    assert result["error"] == "READ_ONLY_VALUE"
    assert (
        result["message"]
        == '"hs_analytics_source" is a read only property; its value cannot be set.'
    )


def test_lifecycle_stage_does_not_move_backwards_until_cleared(
    hubspot: Emulator, client: HubSpot
) -> None:
    (contact,) = hubspot.seed({"contacts": [{"properties": {"lifecyclestage": "opportunity"}}]})[
        "contacts"
    ]
    contacts = client.crm.contacts.basic_api

    # HubSpot accepts the call and keeps the later stage.
    contacts.update(contact, SimplePublicObjectInput(properties={"lifecyclestage": "lead"}))
    held = contacts.get_by_id(contact, properties=["lifecyclestage"]).properties["lifecyclestage"]
    # Forward moves apply at once.
    contacts.update(contact, SimplePublicObjectInput(properties={"lifecyclestage": "customer"}))
    forward = contacts.get_by_id(contact, properties=["lifecyclestage"]).properties[
        "lifecyclestage"
    ]
    # The documented way back: clear it, then set the earlier stage in another request.
    contacts.update(contact, SimplePublicObjectInput(properties={"lifecyclestage": ""}))
    contacts.update(contact, SimplePublicObjectInput(properties={"lifecyclestage": "lead"}))
    back = contacts.get_by_id(contact, properties=["lifecyclestage"]).properties["lifecyclestage"]

    assert (held, forward, back) == ("opportunity", "customer", "lead")


def test_date_property_must_be_midnight_utc(hubspot: Emulator) -> None:
    status, body = create_contact(hubspot, recycle_date=1767225600001)

    assert status == 400
    (result,) = results_of(body["message"])
    assert result["error"] == "INVALID_DATE"
    assert result["message"] == "1767225600001 is at 0:0:0.1 UTC, not midnight!"


def test_date_property_takes_midnight_ms_or_a_calendar_date(hubspot: Emulator) -> None:
    _, from_ms = create_contact(hubspot, recycle_date=1767225600000)
    _, from_text = create_contact(hubspot, recycle_date="2026-01-01")

    assert from_ms["properties"]["recycle_date"] == from_text["properties"]["recycle_date"]
    assert from_ms["properties"]["recycle_date"] == "2026-01-01"


def test_number_property_must_parse(hubspot: Emulator) -> None:
    status, body = create_contact(hubspot, closed_loop_amount="lots")

    assert status == 400
    (result,) = results_of(body["message"])
    assert (result["error"], result["message"]) == ("INVALID_LONG", "lots was not a valid long.")


def test_numbers_are_stored_as_sent(hubspot: Emulator) -> None:
    _, body = create_contact(hubspot, closed_loop_amount=15000)
    _, decimal = create_contact(hubspot, closed_loop_amount="5000.00")

    assert body["properties"]["closed_loop_amount"] == "15000"
    assert decimal["properties"]["closed_loop_amount"] == "5000.00"


def test_owner_must_exist(hubspot: Emulator) -> None:
    (owner,) = hubspot.seed({"owners": [{"email": "rep@example.com"}]})["owners"]

    good_status, good = create_contact(hubspot, hubspot_owner_id=owner)
    bad_status, bad = create_contact(hubspot, hubspot_owner_id="999")

    assert good_status == 200
    assert good["properties"]["hubspot_owner_id"] == owner
    assert bad_status == 400
    assert results_of(bad["message"])[0]["error"] == "INVALID_OWNER_ID"


def test_empty_string_clears_a_value(hubspot: Emulator, client: HubSpot) -> None:
    (contact,) = hubspot.seed({"contacts": [{"properties": {"jobtitle": "CTO"}}]})["contacts"]

    client.crm.contacts.basic_api.update(
        contact, SimplePublicObjectInput(properties={"jobtitle": ""})
    )

    found = client.crm.contacts.basic_api.get_by_id(contact, properties=["jobtitle"])
    assert found.properties["jobtitle"] is None

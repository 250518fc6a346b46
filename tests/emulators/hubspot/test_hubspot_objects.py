"""Single-record CRUD and lists, compared with answers recorded from real portals."""

from __future__ import annotations

import re

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import SimplePublicObjectInput, SimplePublicObjectInputForCreate
from hubspot.crm.contacts.exceptions import ApiException, NotFoundException
from hubspot.crm.deals import SimplePublicObjectInput as DealInput
from hubspot_harness import Emulator, recorded_response, recording

INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def new_contact(**properties: str) -> SimplePublicObjectInputForCreate:
    return SimplePublicObjectInputForCreate(properties=properties, associations=[])


def test_create_answers_200_as_real_portals_do_and_the_sdk_returns_none(client: HubSpot) -> None:
    data, status, _ = client.crm.contacts.basic_api.create_with_http_info(
        new_contact(email="ada@example.com")
    )
    recorded_status, _ = recorded_response(
        "create-contact.test.json", "post", "/crm/v3/objects/contacts"
    )

    assert status == recorded_status == 200
    # hubspot-api-client only maps the documented 201, so a real portal's 200 reads as None.
    assert data is None


def test_create_answers_201_once_the_documented_status_is_chosen(
    hubspot: Emulator, client: HubSpot
) -> None:
    hubspot.settings(create_status=201)

    data, status, _ = client.crm.contacts.basic_api.create_with_http_info(
        new_contact(email="ada@example.com")
    )

    assert status == 201
    assert data.properties["email"] == "ada@example.com"


def test_created_record_has_the_recorded_shape(hubspot: Emulator) -> None:
    exchange = recording("create-contact.test.json")["api"]["post"]["/crm/v3/objects/contacts"]
    sent = exchange["request"]["data"]

    answer = hubspot.api("POST", "/crm/v3/objects/contacts", sent)
    body = answer.json()
    recorded = exchange["response"]

    assert answer.status_code == exchange["status"]
    assert list(body) == list(recorded)
    assert {key: type(value) for key, value in body.items()} == {
        key: type(value) for key, value in recorded.items()
    }
    for name, value in sent["properties"].items():
        assert body["properties"][name] == value
    assert body["properties"]["hs_object_id"] == body["id"]
    assert body["properties"]["createdate"] == body["createdAt"] == body["updatedAt"]
    assert body["properties"]["lastmodifieddate"] == body["updatedAt"]
    assert body["properties"]["lifecyclestage"] == recorded["properties"]["lifecyclestage"]
    assert INSTANT.match(body["createdAt"])
    assert body["url"].endswith(f"/record/0-1/{body['id']}")
    assert list(body["properties"]) == sorted(body["properties"])
    assert UUID.match(answer.headers["x-hubspot-correlation-id"])


def test_read_returns_the_requested_properties_like_the_recorded_read(
    hubspot: Emulator, client: HubSpot
) -> None:
    (contact_id,) = hubspot.seed(
        {"contacts": [{"properties": {"email": "ada@example.com", "firstname": "Ada"}}]}
    )["contacts"]
    _, recorded = recorded_response(
        "get-contact.test.json", "get", "/crm/v3/objects/contacts/713492963559"
    )

    found = client.crm.contacts.basic_api.get_by_id(
        contact_id, properties=["email", "firstname", "lastname"]
    )

    assert set(found.properties) == set(recorded["properties"])
    # Asked for but never set: present, as null.
    assert found.properties["lastname"] is None
    assert found.properties["firstname"] == "Ada"


def test_unknown_requested_properties_are_left_out(hubspot: Emulator, client: HubSpot) -> None:
    (contact_id,) = hubspot.seed({"contacts": [{"properties": {"email": "a@example.com"}}]})[
        "contacts"
    ]

    found = client.crm.contacts.basic_api.get_by_id(contact_id, properties=["email", "nosuch"])

    assert "nosuch" not in found.properties
    assert found.properties["email"] == "a@example.com"


def test_read_by_email_through_id_property(hubspot: Emulator, client: HubSpot) -> None:
    (contact_id,) = hubspot.seed({"contacts": [{"properties": {"email": "ada@example.com"}}]})[
        "contacts"
    ]

    found = client.crm.contacts.basic_api.get_by_id("Ada@Example.com", id_property="email")

    assert found.id == contact_id


def test_read_by_unique_property_through_id_property(hubspot: Emulator, client: HubSpot) -> None:
    (contact_id,) = hubspot.seed(
        {"contacts": [{"properties": {"salesforce_lead_id": "00Q000000000001AAA"}}]}
    )["contacts"]

    found = client.crm.contacts.basic_api.get_by_id(
        "00Q000000000001AAA", id_property="salesforce_lead_id"
    )

    assert found.id == contact_id


def test_unknown_numeric_id_answers_resource_not_found(client: HubSpot) -> None:
    with pytest.raises(NotFoundException) as caught:
        client.crm.contacts.basic_api.get_by_id("999")

    body = caught.value.body
    assert caught.value.status == 404
    assert '"message":"resource not found"' in body
    assert "category" not in body


def test_non_numeric_id_answers_object_not_found(hubspot: Emulator) -> None:
    answer = hubspot.api("GET", "/crm/v3/objects/contacts/abc")

    assert answer.status_code == 404
    assert answer.json()["message"] == "Object not found.  objectId are usually numeric."
    assert answer.json()["category"] == "OBJECT_NOT_FOUND"
    assert answer.json()["context"] == {"id": ["abc"]}


def test_update_answers_what_was_written_and_moves_the_modification_time(
    hubspot: Emulator, client: HubSpot
) -> None:
    (contact_id,) = hubspot.seed(
        {"contacts": [{"properties": {"email": "ada@example.com", "firstname": "Ada"}}]}
    )["contacts"]
    before = client.crm.contacts.basic_api.get_by_id(contact_id)
    hubspot.advance(5)
    _, recorded = recorded_response(
        "update-contact.test.json", "patch", "/crm/v3/objects/contacts/713492963559"
    )

    updated = client.crm.contacts.basic_api.update(
        contact_id, SimplePublicObjectInput(properties={"firstname": "Augusta", "lastname": "King"})
    )

    assert updated.properties["firstname"] == "Augusta"
    assert {"firstname", "lastname", "createdate", "hs_object_id", "lastmodifieddate"} <= set(
        recorded["properties"]
    )
    assert {"firstname", "lastname", "createdate", "hs_object_id", "lastmodifieddate"} <= set(
        updated.properties
    )
    # Like the recorded update, the answer does not repeat properties that were not sent.
    assert "email" not in updated.properties
    assert updated.updated_at > before.updated_at
    assert updated.created_at == before.created_at


def test_an_update_that_changes_nothing_leaves_the_modification_time(
    hubspot: Emulator, client: HubSpot
) -> None:
    (contact_id,) = hubspot.seed({"contacts": [{"properties": {"firstname": "Ada"}}]})["contacts"]
    before = client.crm.contacts.basic_api.get_by_id(contact_id)
    hubspot.advance(5)

    client.crm.contacts.basic_api.update(
        contact_id, SimplePublicObjectInput(properties={"firstname": "Ada"})
    )

    assert client.crm.contacts.basic_api.get_by_id(contact_id).updated_at == before.updated_at


def test_deal_values_are_stored_as_the_recorded_update_shows(
    hubspot: Emulator, client: HubSpot
) -> None:
    exchange = recording("update-deal.test.json")["api"]["patch"][
        "/crm/v3/objects/deals/493593663734"
    ]
    (deal_id,) = hubspot.seed({"deals": [{"properties": {"dealname": "Old"}}]})["deals"]

    updated = client.crm.deals.basic_api.update(
        deal_id, DealInput(properties=exchange["request"]["data"]["properties"])
    )

    for name in ("amount", "closedate", "dealname", "dealstage"):
        assert updated.properties[name] == exchange["response"]["properties"][name]


def test_archive_answers_204_and_the_record_is_only_listed_as_archived(
    hubspot: Emulator, client: HubSpot
) -> None:
    (contact_id,) = hubspot.seed({"contacts": [{"properties": {"email": "a@example.com"}}]})[
        "contacts"
    ]

    answer = hubspot.api("DELETE", f"/crm/v3/objects/contacts/{contact_id}")
    recorded_status, recorded_body = recorded_response(
        "delete-contact.test.json", "delete", "/crm/v3/objects/contacts/735218133199"
    )

    assert answer.status_code == recorded_status == 204
    assert answer.content == recorded_body.encode()
    assert client.crm.contacts.basic_api.get_page().results == []
    archived = client.crm.contacts.basic_api.get_page(archived=True).results
    assert [record.id for record in archived] == [contact_id]
    assert archived[0].archived is True
    with pytest.raises(ApiException):
        client.crm.contacts.basic_api.get_by_id(contact_id)


def test_list_pages_at_most_100_records_in_id_order(hubspot: Emulator, client: HubSpot) -> None:
    ids = hubspot.seed(
        {"contacts": [{"properties": {"email": f"p{i}@example.com"}} for i in range(150)]}
    )["contacts"]

    first = client.crm.contacts.basic_api.get_page(limit=500)
    second = client.crm.contacts.basic_api.get_page(limit=100, after=first.paging.next.after)

    assert [record.id for record in first.results] == ids[:100]
    assert [record.id for record in second.results] == ids[100:]
    assert first.paging.next.link.startswith(hubspot.url)
    assert second.paging is None


def test_list_answers_the_recorded_deal_properties(hubspot: Emulator, client: HubSpot) -> None:
    exchange = recording("list-deals.test.json")["api"]["get"]["/crm/v3/objects/deals"]
    hubspot.seed({"deals": [{"properties": {"dealname": "A", "pipeline": "default"}}]})
    requested = exchange["request"]["params"]["properties"].split(",")

    page = client.crm.deals.basic_api.get_page(limit=100, properties=requested)

    assert set(page.results[0].properties) == set(exchange["response"]["results"][0]["properties"])


def test_default_properties_when_none_are_asked_for(hubspot: Emulator) -> None:
    hubspot.seed({"companies": [{"properties": {"name": "Acme", "city": "Paris"}}]})

    body = hubspot.api("GET", "/crm/v3/objects/companies").json()

    assert list(body["results"][0]["properties"]) == [
        "createdate",
        "domain",
        "hs_lastmodifieddate",
        "hs_object_id",
        "name",
    ]


def test_read_with_associations_lists_the_linked_records(
    hubspot: Emulator, client: HubSpot
) -> None:
    company = hubspot.seed({"companies": [{"properties": {"name": "Acme"}}]})["companies"][0]
    (contact_id,) = hubspot.seed(
        {
            "contacts": [
                {"properties": {"email": "a@example.com"}, "associations": {"companies": [company]}}
            ]
        }
    )["contacts"]

    found = client.crm.contacts.basic_api.get_by_id(contact_id, associations=["companies"])

    linked = found.associations["companies"].results
    assert [(link.id, link.type) for link in linked] == [(company, "contact_to_company_unlabeled")]


def test_create_with_associations_links_both_ways(hubspot: Emulator, client: HubSpot) -> None:
    company = hubspot.seed({"companies": [{"properties": {"name": "Acme"}}]})["companies"][0]
    hubspot.settings(create_status=201)

    contact = client.crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(
            properties={"email": "a@example.com"},
            associations=[
                {
                    "to": {"id": company},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
                }
            ],
        )
    )

    found = client.crm.companies.basic_api.get_by_id(company, associations=["contacts"])
    assert [link.id for link in found.associations["contacts"].results] == [contact.id]


def test_unknown_object_type_is_refused(hubspot: Emulator) -> None:
    answer = hubspot.api("GET", "/crm/v3/objects/widgets")

    assert answer.status_code == 400
    assert answer.json()["message"] == "Unable to infer object type from: widgets"

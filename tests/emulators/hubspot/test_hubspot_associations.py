"""Associations: v4 default and labelled links, batches, reads; the recorded v3 batch create."""

from __future__ import annotations

from hubspot import HubSpot
from hubspot.crm.associations.v4 import (
    AssociationSpec,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
)
from hubspot_harness import Emulator, recording


def contact_and_company(hubspot: Emulator) -> tuple[str, str]:
    (company,) = hubspot.seed({"companies": [{"properties": {"name": "Acme"}}]})["companies"]
    (contact,) = hubspot.seed({"contacts": [{"properties": {"email": "a@example.com"}}]})[
        "contacts"
    ]
    return contact, company


def test_put_default_links_both_ways(hubspot: Emulator, client: HubSpot) -> None:
    contact, company = contact_and_company(hubspot)

    done = client.crm.associations.v4.basic_api.create_default(
        "contacts", contact, "companies", company
    )

    specs = {(r._from.id, r.to.id, r.association_spec.association_type_id) for r in done.results}
    assert specs == {(contact, company, 279), (company, contact, 280)}
    listed = client.crm.associations.v4.basic_api.get_page("companies", company, "contacts")
    assert [(t.to_object_id, [a.type_id for a in t.association_types]) for t in listed.results] == [
        (contact, [280])
    ]


def test_labelled_put_answers_201_with_the_labels(hubspot: Emulator, client: HubSpot) -> None:
    contact, company = contact_and_company(hubspot)

    pair = client.crm.associations.v4.basic_api.create(
        "contacts",
        contact,
        "companies",
        company,
        [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)],
    )

    assert (pair.from_object_id, pair.to_object_id, pair.labels) == (contact, company, ["Primary"])
    assert (pair.from_object_type_id, pair.to_object_type_id) == ("0-1", "0-2")


def test_batch_create_answers_200_like_real_portals(hubspot: Emulator, client: HubSpot) -> None:
    contact, company = contact_and_company(hubspot)
    body = BatchInputPublicAssociationMultiPost(
        inputs=[
            {
                "from": {"id": contact},
                "to": {"id": company},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
            }
        ]
    )

    data, status, _ = client.crm.associations.v4.batch_api.create_with_http_info(
        "contacts", "companies", body
    )

    # HubSpot/hubspot-api-python#448: 200 since 2025-08-21, which the client reads as None.
    assert (status, data) == (200, None)
    stored = hubspot.records("contacts")[0]["associations"]
    assert stored == {"companies": [company]}


def test_batch_create_answers_201_once_chosen(hubspot: Emulator, client: HubSpot) -> None:
    contact, company = contact_and_company(hubspot)
    hubspot.settings(create_status=201)

    done = client.crm.associations.v4.batch_api.create(
        "contacts",
        "companies",
        BatchInputPublicAssociationMultiPost(
            inputs=[
                {
                    "from": {"id": contact},
                    "to": {"id": company},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
                }
            ]
        ),
    )

    (pair,) = done.results
    assert (pair.from_object_id, pair.to_object_id, pair.labels) == (contact, company, [])


def test_batch_create_reports_unknown_records_per_input(hubspot: Emulator) -> None:
    contact, company = contact_and_company(hubspot)
    spec = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]

    answer = hubspot.api(
        "POST",
        "/crm/v4/associations/contacts/companies/batch/create",
        {
            "inputs": [
                {"from": {"id": contact}, "to": {"id": company}, "types": spec},
                {"from": {"id": contact}, "to": {"id": "4242"}, "types": spec},
            ]
        },
    )

    assert answer.status_code == 207
    body = answer.json()
    assert len(body["results"]) == 1
    assert body["numErrors"] == 1
    assert body["errors"][0]["context"] == {"objectIds": ["4242"]}


def test_batch_associate_default_and_batch_read(hubspot: Emulator, client: HubSpot) -> None:
    deals = hubspot.seed(
        {"deals": [{"properties": {"dealname": "A"}}, {"properties": {"dealname": "B"}}]}
    )["deals"]
    (contact,) = hubspot.seed({"contacts": [{"properties": {}}]})["contacts"]
    batch = client.crm.associations.v4.batch_api

    batch.create_default(
        "deals",
        "contacts",
        BatchInputPublicDefaultAssociationMultiPost(
            inputs=[{"from": {"id": deals[0]}, "to": {"id": contact}}]
        ),
    )
    read = batch.get_page(
        "deals",
        "contacts",
        BatchInputPublicFetchAssociationsBatchRequest(inputs=[{"id": deals[0]}, {"id": deals[1]}]),
    )

    (found,) = read.results
    assert found._from.id == deals[0]
    assert [(t.to_object_id, [a.type_id for a in t.association_types]) for t in found.to] == [
        (contact, [3])
    ]
    (error,) = read.errors
    assert error.context == {"fromObjectId": [deals[1]]}


def test_v3_batch_create_answers_like_the_recording(hubspot: Emulator) -> None:
    exchange = recording("create-association.test.json")["api"]["post"][
        "/crm/v3/associations/contacts/companies/batch/create"
    ]
    contact, company = contact_and_company(hubspot)
    sent = {
        "inputs": [{"from": {"id": contact}, "to": {"id": company}, "type": "contact_to_company"}]
    }

    answer = hubspot.api("POST", "/crm/v3/associations/contacts/companies/batch/create", sent)

    assert answer.status_code == exchange["status"] == 200
    body = answer.json()
    assert list(body) == list(exchange["response"])
    recorded_types = [r["type"] for r in exchange["response"]["results"]]
    assert [r["type"] for r in body["results"]] == recorded_types
    assert body["results"][0] == {
        "from": {"id": company},
        "to": {"id": contact},
        "type": "company_to_contact",
    }


def test_removing_a_link(hubspot: Emulator, client: HubSpot) -> None:
    contact, company = contact_and_company(hubspot)
    client.crm.associations.v4.basic_api.create_default("contacts", contact, "companies", company)

    client.crm.associations.v4.basic_api.archive("contacts", contact, "companies", company)

    assert (
        client.crm.associations.v4.basic_api.get_page("contacts", contact, "companies").results
        == []
    )

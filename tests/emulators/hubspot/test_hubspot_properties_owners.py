"""Property definitions, owners and the deal pipeline, compared with recorded answers."""

from __future__ import annotations

from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.owners.exceptions import NotFoundException
from hubspot.crm.properties import PropertyCreate
from hubspot_harness import Emulator, recorded_response, recording


def recorded_properties() -> dict[str, dict[str, Any]]:
    _, body = recorded_response("fetch-properties.test.json", "get", "/crm/v3/properties/companies")
    return {prop["name"]: prop for prop in body["results"]}


def test_every_definition_has_the_recorded_fields(hubspot: Emulator) -> None:
    recorded = recorded_properties()
    always = set.intersection(*(set(prop) for prop in recorded.values()))

    for object_type in ("contacts", "companies", "deals"):
        body = hubspot.api("GET", f"/crm/v3/properties/{object_type}").json()
        for prop in body["results"]:
            assert always <= set(prop), prop["name"]
            assert set(prop["modificationMetadata"]) >= {
                "archivable",
                "readOnlyDefinition",
                "readOnlyValue",
            }


@pytest.mark.parametrize("name", ["lifecyclestage", "hs_lead_status"])
def test_taxonomy_enumerations_match_the_recorded_portal(hubspot: Emulator, name: str) -> None:
    recorded = recorded_properties()[name]

    ours = hubspot.api("GET", f"/crm/v3/properties/contacts/{name}").json()

    def options(prop: dict[str, Any]) -> list[tuple[str, str, int, bool]]:
        return [(o["label"], o["value"], o["displayOrder"], o["hidden"]) for o in prop["options"]]

    assert options(ours) == options(recorded)
    assert (ours["type"], ours["fieldType"]) == (recorded["type"], recorded["fieldType"])
    assert ours["externalOptions"] == recorded["externalOptions"]


def test_crmsync_properties_are_present_with_their_types(client: HubSpot) -> None:
    found = {p.name: p for p in client.crm.properties.core_api.get_all("contacts").results}

    assert found["salesforce_lead_id"].has_unique_value is True
    assert found["salesforce_contact_id"].has_unique_value is True
    assert found["salesforce_lead_id"].hubspot_defined is None
    assert [o.value for o in found["lead_disposition_reason"].options] == [
        "not_ready",
        "mid_contract_competitor",
        "lost_deal",
        "no_fit",
        "bad_data",
        "duplicate",
        "unresponsive",
    ]
    assert [o.value for o in found["closed_loop_outcome"].options] == ["open", "won", "lost"]
    for name in ("recycle_date", "contract_end_date", "closed_loop_date"):
        assert found[name].type == "date"
    assert found["closed_loop_amount"].type == "number"
    assert found["hubspotscore"].calculated is True
    assert found["hubspotscore"].modification_metadata.read_only_value is True


def test_deal_schema(client: HubSpot) -> None:
    found = {p.name: p for p in client.crm.properties.core_api.get_all("deals").results}

    assert [o.value for o in found["dealstage"].options] == [
        "appointmentscheduled",
        "qualifiedtobuy",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
        "closedwon",
        "closedlost",
    ]
    assert found["salesforce_opportunity_id"].has_unique_value is True
    assert found["hs_lastmodifieddate"].modification_metadata.read_only_value is True
    assert "lastmodifieddate" not in found


def test_unknown_property_answers_404(hubspot: Emulator) -> None:
    answer = hubspot.api("GET", "/crm/v3/properties/contacts/shoe_size")

    assert answer.status_code == 404
    assert answer.json()["category"] == "OBJECT_NOT_FOUND"


def test_a_created_property_can_be_written(hubspot: Emulator, client: HubSpot) -> None:
    before = hubspot.api("POST", "/crm/v3/objects/contacts", {"properties": {"shoe_size": "44"}})

    created = client.crm.properties.core_api.create(
        "contacts",
        PropertyCreate(
            name="shoe_size",
            label="Shoe size",
            type="number",
            field_type="number",
            group_name="contactinformation",
        ),
    )
    after = hubspot.api("POST", "/crm/v3/objects/contacts", {"properties": {"shoe_size": "44"}})
    again = hubspot.api(
        "POST",
        "/crm/v3/properties/contacts",
        {
            "name": "shoe_size",
            "label": "x",
            "type": "string",
            "fieldType": "text",
            "groupName": "g",
        },
    )

    assert before.status_code == 400
    assert created.name == "shoe_size"
    assert created.hubspot_defined is None
    assert after.status_code == 200
    assert after.json()["properties"]["shoe_size"] == "44"
    assert again.status_code == 409


OWNERS = [
    {"id": "32900489", "email": "rep@example.com", "firstName": "Rita", "lastName": "Rep"},
    {"email": "boss@example.com", "firstName": "Bo", "lastName": "Boss"},
    {"email": "gone@example.com", "firstName": "Gus", "lastName": "Gone", "archived": True},
]


def test_owners_have_the_recorded_shape(hubspot: Emulator) -> None:
    hubspot.seed({"owners": OWNERS})
    _, recorded = recorded_response("owners.test.json", "get", "/crm/v3/owners")

    body = hubspot.api("GET", "/crm/v3/owners", params={"limit": 100}).json()

    assert list(body) == list(recorded)
    assert [list(owner) for owner in body["results"]] == [list(recorded["results"][0])] * 2
    assert [type(v) for v in body["results"][0].values()] == [
        type(v) for v in recorded["results"][0].values()
    ]
    assert body["results"][0]["userId"] == 32900489


def test_owners_through_the_sdk(hubspot: Emulator, client: HubSpot) -> None:
    ids = hubspot.seed({"owners": OWNERS})["owners"]
    owners = client.crm.owners.owners_api

    active = owners.get_page()
    by_email = owners.get_page(email="BOSS@example.com")
    archived = owners.get_page(archived=True)
    one = owners.get_by_id(ids[0])

    assert [o.email for o in active.results] == ["rep@example.com", "boss@example.com"]
    assert [o.id for o in by_email.results] == [ids[1]]
    assert [o.email for o in archived.results] == ["gone@example.com"]
    assert (one.first_name, one.last_name, one.archived) == ("Rita", "Rep", False)
    with pytest.raises(NotFoundException):
        owners.get_by_id("1")


def test_owners_page(hubspot: Emulator, client: HubSpot) -> None:
    hubspot.seed({"owners": [{"email": f"o{n}@example.com"} for n in range(5)]})

    first = client.crm.owners.owners_api.get_page(limit=3)
    second = client.crm.owners.owners_api.get_page(limit=3, after=first.paging.next.after)

    assert len(first.results) == 3
    assert [o.email for o in second.results] == ["o3@example.com", "o4@example.com"]
    assert second.paging is None


def test_recorded_single_owner_shape(hubspot: Emulator) -> None:
    (owner,) = hubspot.seed({"owners": OWNERS[:1]})["owners"]
    exchange = recording("get-owner.test.json")["api"]["get"]["/crm/v3/owners/534941"]

    body = hubspot.api("GET", f"/crm/v3/owners/{owner}").json()

    assert list(body) == list(exchange["response"])


def test_default_deal_pipeline(client: HubSpot) -> None:
    (pipeline,) = client.crm.pipelines.pipelines_api.get_all("deals").results

    assert pipeline.id == "default"
    assert [s.id for s in pipeline.stages][-2:] == ["closedwon", "closedlost"]
    assert pipeline.stages[-1].metadata["isClosed"] == "true"

"""The admin API: seed, stored records, updates behind the API's back, settings, request log."""

from __future__ import annotations

from hubspot import HubSpot
from hubspot_harness import Emulator


def test_seed_answers_ids_in_order_and_skips_validation(hubspot: Emulator) -> None:
    ids = hubspot.seed(
        {
            "contacts": [
                {"properties": {"email": "first@example.com", "lifecyclestage": "legacy-stage"}},
                {"properties": {"email": "not an email"}},
            ],
            "owners": [{"email": "rep@example.com"}],
        }
    )

    stored = hubspot.records("contacts")
    assert [record["id"] for record in stored] == ids["contacts"]
    assert stored[0]["properties"]["lifecyclestage"] == "legacy-stage"
    assert stored[1]["properties"]["email"] == "not an email"
    assert [owner["id"] for owner in hubspot.records("owners")] == ids["owners"]


def test_records_are_shown_as_stored(hubspot: Emulator) -> None:
    (company,) = hubspot.seed({"companies": [{"properties": {"name": "Acme"}}]})["companies"]
    (contact,) = hubspot.seed(
        {
            "contacts": [
                {
                    "id": "500",
                    "properties": {"email": "a@example.com", "createdate": "2024-01-05T10:11:12Z"},
                    "associations": {"companies": [company]},
                }
            ]
        }
    )["contacts"]

    (record,) = hubspot.records("contacts")

    assert contact == "500"
    assert list(record) == [
        "id",
        "properties",
        "createdAt",
        "updatedAt",
        "archived",
        "associations",
    ]
    assert record["createdAt"] == "2024-01-05T10:11:12Z"
    assert record["properties"]["createdate"] == "2024-01-05T10:11:12Z"
    assert record["properties"]["hs_object_id"] == "500"
    assert record["associations"] == {"companies": [company]}


def test_update_changes_read_only_values_and_bumps_the_modification_time(
    hubspot: Emulator, client: HubSpot
) -> None:
    (contact,) = hubspot.seed({"contacts": [{"properties": {"email": "a@example.com"}}]})[
        "contacts"
    ]
    before = client.crm.contacts.basic_api.get_by_id(contact)
    hubspot.advance(3)

    stored = hubspot.admin(
        "POST", "update", {"object": "contacts", "id": contact, "properties": {"hubspotscore": 72}}
    )
    after = client.crm.contacts.basic_api.get_by_id(contact, properties=["hubspotscore"])

    assert stored["properties"]["hubspotscore"] == "72"
    assert after.properties["hubspotscore"] == "72"
    assert after.updated_at > before.updated_at
    assert after.properties["lastmodifieddate"] == stored["updatedAt"]


def test_settings_are_read_back_and_checked(hubspot: Emulator) -> None:
    hubspot.settings(burst_limit=50, search_lag_ms=250)

    current = hubspot.admin("GET", "settings")
    refused = hubspot.http.post(f"{hubspot.url}/__emulator__/settings", json={"create_status": 202})

    assert (current["burst_limit"], current["search_lag_ms"], current["create_status"]) == (
        50,
        250,
        200,
    )
    assert refused.status_code == 400


def test_request_log_counts_records(hubspot: Emulator) -> None:
    hubspot.seed({"contacts": [{"properties": {}} for _ in range(3)]})
    hubspot.admin("POST", "requests/clear")

    hubspot.api("GET", "/crm/v3/objects/contacts", params={"limit": 2})
    hubspot.api("POST", "/crm/v3/objects/contacts/search", {})
    hubspot.api("GET", "/crm/v3/objects/contacts", token="bad")

    log = hubspot.admin("GET", "requests")
    assert [(e["method"], e["path"], e["status"], e["records"]) for e in log] == [
        ("GET", "/crm/v3/objects/contacts", 200, 2),
        ("POST", "/crm/v3/objects/contacts/search", 200, 3),
        ("GET", "/crm/v3/objects/contacts", 401, 0),
    ]


def test_reset_forgets_everything(hubspot: Emulator) -> None:
    hubspot.seed({"contacts": [{"properties": {}}], "owners": [{"email": "o@example.com"}]})
    hubspot.settings(create_status=201)

    hubspot.admin("POST", "reset")

    assert hubspot.records("contacts") == []
    assert hubspot.records("owners") == []
    assert hubspot.admin("GET", "settings")["create_status"] == 200


def test_unknown_record_kind_answers_404(hubspot: Emulator) -> None:
    answer = hubspot.http.get(f"{hubspot.url}/__emulator__/records/widgets")

    assert answer.status_code == 404


def test_a_fault_rule_posted_without_its_rules_list_is_refused(hubspot: Emulator) -> None:
    bare = {"path": "/crm/v3/objects/contacts", "status": 503}

    refused = hubspot.http.post(f"{hubspot.url}/__emulator__/faults", json=bare)
    installed = hubspot.admin("GET", "faults")

    assert refused.status_code == 400
    assert '"rules"' in refused.json()["error"]
    assert installed == {"rules": 0}

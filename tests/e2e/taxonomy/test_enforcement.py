"""The taxonomy enforced each cycle: who may move a stage, values that map to nothing, reasons."""

from __future__ import annotations

from typing import Any

from connector.model import Side
from connector.state import AuditOutcome
from tests.e2e.taxonomy.conftest import World, writes_of


def lead(email: str, **fields: Any) -> dict[str, Any]:
    return {
        "FirstName": email.split("@")[0].title(),
        "LastName": "Lead",
        "Company": "Acme",
        "Email": email,
        "Status": "Open - Not Contacted",
        **fields,
    }


def contact_writes(world: World) -> list[dict[str, Any]]:
    return [
        entry
        for entry in world.requests("hubspot")
        if entry["method"] == "POST" and entry["path"].startswith("/crm/v3/objects/contacts/batch")
    ]


def test_a_marketer_moving_a_lead_to_sql_in_hubspot_is_restored_and_reported(
    world: World,
) -> None:
    (lead_id,) = world.seed_sf("Lead", lead("ada@example.com"))
    world.sync("leads")
    contact_id = world.sf_record("Lead", lead_id)["HubSpot_Contact_Id__c"]
    assert world.contact(contact_id)["lifecyclestage"] == "marketingqualifiedlead"

    # Marketing may move a prospect to mql; sql is sales' call, made in Salesforce.
    world.hs_edit("contacts", contact_id, lifecyclestage="salesqualifiedlead")
    world.hs("requests/clear", {})
    world.sync("leads")

    restored = world.contact(contact_id)
    assert (restored["lifecyclestage"], restored["hs_lead_status"]) == (
        "marketingqualifiedlead",
        "OPEN",
    )
    assert world.sf_record("Lead", lead_id)["Status"] == "Open - Not Contacted"
    (rejected,) = [a for a in world.audit("leads") if a.outcome is AuditOutcome.REJECTED]
    assert rejected.system is Side.HUBSPOT
    assert (rejected.from_stage, rejected.to_stage) == ("mql", "sql")
    assert rejected.actor == "hubspot"
    assert rejected.at == world.now
    assert "restored to mql" in rejected.why and "changed there at" in rejected.why
    assert rejected.record.endswith(f"contacts {contact_id}")
    # HubSpot moves lifecyclestage backwards only once cleared: the adapter, knowing the stage
    # the cycle had just read, cleared it, then set it (two updates of the one contact, and no
    # second read of it).
    calls = [(e["path"].rsplit("/", 1)[-1], e["records"]) for e in contact_writes(world)]
    assert calls[-2:] == [("update", 1), ("update", 1)]
    assert calls[-3:-2] != [("read", 1)]
    assert [c for c in calls if c[0] == "update"] == [("update", 1), ("update", 1)]
    # Restored once: the next cycle sees its own write and leaves it alone.
    assert writes_of(world.sync("leads")) == 0
    assert len([a for a in world.audit("leads") if a.outcome is AuditOutcome.REJECTED]) == 1


def test_a_sales_move_in_salesforce_is_written_to_hubspot_with_who_made_it(world: World) -> None:
    (rep,) = world.seed_sf(
        "User", {"Username": "rep@corp.test", "Email": "rep@corp.test", "LastName": "Rep"}
    )
    (lead_id,) = world.seed_sf("Lead", lead("bo@example.com"))
    world.sync("leads")

    world.sf_edit("Lead", lead_id, by=rep, Status="Working - Contacted")
    world.sync("leads")

    contact = world.contact_by_email("bo@example.com")
    assert (contact["lifecyclestage"], contact["hs_lead_status"]) == (
        "marketingqualifiedlead",
        "IN_PROGRESS",
    )
    (move,) = [a for a in world.audit("leads") if a.to_stage == "sal"]
    assert (move.system, move.from_stage, move.outcome) == (
        Side.SALESFORCE,
        "mql",
        AuditOutcome.WRITTEN,
    )
    assert move.actor == "rep@corp.test"


def test_an_unknown_status_is_a_dead_letter_and_every_other_record_syncs(world: World) -> None:
    good, legacy = world.seed_sf(
        "Lead",
        lead("good@example.com"),
        lead("legacy@example.com", Status="Contacted - Old Process"),
    )
    (odd,) = world.seed_hs(
        "contacts",
        {
            "email": "odd@example.com",
            "lifecyclestage": "marketingqualifiedlead",
            "hs_lead_status": "SOMETHING_NEW",
        },
    )

    run = world.cli_sync()

    assert run.code == 1, run.output
    letters = {letter.record_id: letter for letter in world.dead_letters()}
    assert set(letters) == {legacy, odd}
    assert letters[legacy].error_code == "UNMAPPED_VALUE"
    assert letters[legacy].payload["field"] == "Status"
    assert "'Contacted - Old Process' maps to no stage" in letters[legacy].error_message
    assert letters[odd].payload["field"] == "hs_lead_status"
    assert "'SOMETHING_NEW'" in letters[odd].error_message
    # Never written through: no contact for the legacy lead, no lead for the odd contact.
    emails = {c["properties"].get("email") for c in world.records("hubspot", "contacts")}
    assert emails == {"good@example.com", "odd@example.com"}
    assert world.leads_by_email("odd@example.com") == []
    assert world.contact(odd)["hs_lead_status"] == "SOMETHING_NEW"
    # Everything else went through.
    assert world.contact_by_email("good@example.com")["salesforce_lead_id"] == good


def test_a_disqualified_lead_without_a_reason_is_sent_back_to_sales(world: World) -> None:
    (lead_id,) = world.seed_sf("Lead", lead("cy@example.com"))
    world.sync("leads")
    contact_id = world.sf_record("Lead", lead_id)["HubSpot_Contact_Id__c"]

    world.sf_edit("Lead", lead_id, Status="Closed - Not Converted")
    (result,) = world.sync("leads")

    assert result.dead_lettered == 1
    (letter,) = world.dead_letters()
    assert letter.record_id == lead_id
    assert letter.error_code == "DISPOSITION_REASON_MISSING"
    message = letter.error_message
    assert "'Closed - Not Converted' but has no disposition reason" in message
    assert "Not Ready" in message and "Mid-Contract with Competitor" in message
    # Nothing was passed on: marketing still sees the lead where it was.
    assert world.contact(contact_id)["lifecyclestage"] == "marketingqualifiedlead"

    # Once sales picks a reason, the lead goes through.
    world.sf_edit("Lead", lead_id, Disposition_Reason__c="No Fit")
    world.sync("leads")
    contact = world.contact(contact_id)
    assert (contact["lifecyclestage"], contact["lead_disposition_reason"]) == ("other", "no_fit")
    assert contact["hs_lead_status"] == "UNQUALIFIED"
    assert not contact.get("recycle_date")  # no_fit is never recycled


def test_marketing_marking_a_contact_other_without_a_reason_is_restored(world: World) -> None:
    (lead_id,) = world.seed_sf("Lead", lead("di@example.com"))
    world.sync("leads")
    contact_id = world.sf_record("Lead", lead_id)["HubSpot_Contact_Id__c"]

    world.hs_edit("contacts", contact_id, lifecyclestage="other")
    world.sync("leads")

    assert world.contact(contact_id)["lifecyclestage"] == "marketingqualifiedlead"
    assert world.sf_record("Lead", lead_id)["Status"] == "Open - Not Contacted"
    (rejected,) = [a for a in world.audit("leads") if a.outcome is AuditOutcome.REJECTED]
    assert (rejected.from_stage, rejected.to_stage) == ("mql", "disqualified")

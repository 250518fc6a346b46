"""Dispositions and recycling: recycle dates in both systems, and leads coming back on the day."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from connector.model import Side
from connector.state import AuditOutcome
from tests.e2e.taxonomy.conftest import World, writes_of


def lead(email: str, **fields: Any) -> dict[str, Any]:
    return {
        "LastName": email.split("@")[0].title(),
        "Company": "Acme",
        "Email": email,
        "Status": "Open - Not Contacted",
        # Far below the lead definition's threshold: nothing lifts the lead back to mql.
        "Lead_Score__c": 5,
        **fields,
    }


def day(world: World, days: int) -> str:
    return (world.now.date() + timedelta(days=days)).isoformat()


def test_not_ready_recycles_after_90_days_in_both_systems(world: World) -> None:
    (rep,) = world.seed_sf(
        "User", {"Username": "rep@corp.test", "Email": "rep@corp.test", "LastName": "Rep"}
    )
    (lead_id,) = world.seed_sf("Lead", lead("nora@example.com"))
    world.sync("leads")
    contact_id = world.sf_record("Lead", lead_id)["HubSpot_Contact_Id__c"]
    world.hs_edit("contacts", contact_id, hubspotscore="5")

    world.sf_edit(
        "Lead",
        lead_id,
        by=rep,
        Status="Closed - Not Converted",
        Disposition_Reason__c="Not Ready",
    )
    world.sync("leads")

    contact = world.contact(contact_id)
    assert (contact["lifecyclestage"], contact["hs_lead_status"]) == ("other", "BAD_TIMING")
    assert contact["lead_disposition_reason"] == "not_ready"
    assert contact["recycle_date"] == day(world, 90)
    assert world.sf_record("Lead", lead_id)["Recycle_Date__c"] == day(world, 90)

    # The day before, nothing moves; later cycles keep the date set on the disposition day.
    world.sync("leads", at=world.now + timedelta(days=89))
    assert world.contact(contact_id)["lifecyclestage"] == "other"
    assert world.contact(contact_id)["recycle_date"] == day(world, 90)

    # Past the recycle date, a sync (no record changed) brings the lead back for nurture.
    world.hs("requests/clear", {})
    run = world.cli_sync("--pipeline", "leads", at=world.now + timedelta(days=91))
    assert run.code == 0, run.output

    back = world.sf_record("Lead", lead_id)
    assert back["Status"] == "Nurture"
    assert back["Disposition_Reason__c"] is None and back["Recycle_Date__c"] is None
    contact = world.contact(contact_id)
    assert (contact["lifecyclestage"], contact["hs_lead_status"]) == ("lead", "NEW")
    assert not contact.get("lead_disposition_reason") and not contact.get("recycle_date")
    # "other" → "lead" is backwards for HubSpot: cleared first, then set.
    updates = [
        e["records"]
        for e in world.requests("hubspot")
        if e["path"] == "/crm/v3/objects/contacts/batch/update"
    ]
    assert updates == [1, 1]
    # The history is kept: the disposition and the return, in both systems.
    trail = [(a.system, a.from_stage, a.to_stage, a.actor) for a in world.audit("leads")]
    assert (Side.SALESFORCE, "mql", "disqualified/not_ready", "rep@corp.test") in trail
    recycled = [a for a in world.audit("leads") if a.actor == "recycling"]
    assert {a.system for a in recycled} == {Side.SALESFORCE, Side.HUBSPOT}
    assert all(
        a.from_stage == "disqualified/not_ready" and a.to_stage == "prospect" for a in recycled
    )
    assert all(f"recycle date {day(world, 90)} reached" in a.why for a in recycled)
    assert all(a.outcome is AuditOutcome.WRITTEN for a in recycled)
    # Back at prospect, it stays there.
    assert writes_of(world.sync("leads", at=world.now + timedelta(days=92))) == 0


def test_mid_contract_recycles_90_days_before_the_contract_ends(world: World) -> None:
    ends = world.now.date() + timedelta(days=200)
    with_end, without_end = world.seed_sf("Lead", lead("kim@example.com"), lead("lou@example.com"))
    world.sync("leads")
    without_contact = world.sf_record("Lead", without_end)["HubSpot_Contact_Id__c"]

    world.sf_edit(
        "Lead",
        with_end,
        Status="Closed - Not Converted",
        Disposition_Reason__c="Mid-Contract with Competitor",
        Contract_End_Date__c=ends.isoformat(),
    )
    world.sf_edit(
        "Lead",
        without_end,
        Status="Closed - Not Converted",
        Disposition_Reason__c="Mid-Contract with Competitor",
    )
    (result,) = world.sync("leads")

    expected = (ends - timedelta(days=90)).isoformat()
    assert world.sf_record("Lead", with_end)["Recycle_Date__c"] == expected
    contact = world.contact_by_email("kim@example.com")
    assert contact["recycle_date"] == expected
    assert contact["contract_end_date"] == ends.isoformat()
    assert (contact["lead_disposition_reason"], contact["hs_lead_status"]) == (
        "mid_contract_competitor",
        "BAD_TIMING",
    )
    # Without a contract end date there is no recycle date: a dead letter a rep can act on.
    assert result.dead_lettered == 1
    (letter,) = world.dead_letters()
    assert (letter.record_id, letter.error_code) == (without_end, "CONTRACT_END_MISSING")
    assert "Fill in Contract End Date" in letter.error_message
    assert world.contact(without_contact)["lifecyclestage"] == "marketingqualifiedlead"


def test_a_contract_ending_within_90_days_recycles_at_once(world: World) -> None:
    (lead_id,) = world.seed_sf("Lead", lead("max@example.com"))
    world.sync("leads")

    soon = world.now.date() + timedelta(days=30)
    world.sf_edit(
        "Lead",
        lead_id,
        Status="Closed - Not Converted",
        Disposition_Reason__c="Mid-Contract with Competitor",
        Contract_End_Date__c=soon.isoformat(),
    )
    world.sync("leads")

    # The recycle date (30 - 90 days from now) has passed already: back to nurture at once.
    assert world.sf_record("Lead", lead_id)["Status"] == "Nurture"
    assert world.contact_by_email("max@example.com")["lifecyclestage"] == "lead"
    trail = [(a.system, a.from_stage, a.to_stage) for a in world.audit("leads")]
    assert (Side.SALESFORCE, "mql", "disqualified/mid_contract_competitor") in trail
    assert (Side.SALESFORCE, "disqualified/mid_contract_competitor", "prospect") in trail
    # HubSpot never showed the disqualification: what it was written is mql → prospect.
    assert (Side.HUBSPOT, "mql", "prospect") in trail

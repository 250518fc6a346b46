"""Closed loop: a converted lead's opportunity reaches the HubSpot contact and its deal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from connector.model import Side
from tests.e2e.taxonomy.conftest import World, writes_of


def converted(world: World) -> tuple[str, str, dict[str, str]]:
    """A lead synced to HubSpot, then converted by a rep: (lead id, contact id, conversion)."""
    (lead_id,) = world.seed_sf(
        "Lead",
        {
            "FirstName": "Opal",
            "LastName": "Deal",
            "Company": "Globex",
            "Email": "opal@globex.test",
            "Status": "Qualified",
        },
    )
    world.sync()
    contact_id = world.sf_record("Lead", lead_id)["HubSpot_Contact_Id__c"]
    conversion: dict[str, str] = world.sf("convert-lead", {"lead_id": lead_id})
    return lead_id, contact_id, conversion


def deal_of(world: World, opportunity_id: str) -> dict[str, Any]:
    return next(
        d
        for d in world.records("hubspot", "deals")
        if d["properties"].get("salesforce_opportunity_id") == opportunity_id
    )


def test_conversion_is_followed_and_the_deal_is_associated_with_the_contact(world: World) -> None:
    _lead_id, contact_id, conversion = converted(world)

    world.sync()

    # The HubSpot contact follows the lead to its new Contact: linked, not duplicated.
    contacts = world.records("hubspot", "contacts")
    assert [c["id"] for c in contacts] == [contact_id]
    contact = world.contact(contact_id)
    assert contact["salesforce_contact_id"] == conversion["contactId"]
    assert (contact["lifecyclestage"], contact["hs_lead_status"]) == ("opportunity", "OPEN_DEAL")
    assert contact["closed_loop_outcome"] == "open"
    # The opportunity is a deal, associated with that contact.
    deal = deal_of(world, conversion["opportunityId"])
    assert deal["properties"]["dealstage"] == "appointmentscheduled"
    assert deal["associations"] == {"contacts": [contact_id]}
    opportunity = world.sf_record("Opportunity", conversion["opportunityId"])
    assert opportunity["HubSpot_Deal_Id__c"] == deal["id"]
    trail = [(a.system, a.from_stage, a.to_stage) for a in world.audit("leads")]
    assert (Side.SALESFORCE, "sql", "opportunity") in trail
    assert writes_of(world.sync()) == 0


def test_a_lost_opportunity_reaches_the_contact_and_the_deal(world: World) -> None:
    _lead_id, contact_id, conversion = converted(world)
    world.sync()
    opportunity_id = conversion["opportunityId"]

    # Sales loses the deal. The lead itself does not change: only its opportunity does.
    world.sf_edit(
        "Opportunity",
        opportunity_id,
        StageName="Closed Lost",
        Amount=48000,
        Loss_Reason__c="Price",
        CloseDate=world.now.date().isoformat(),
    )
    # A dry run shows what the contact will be told, and writes nothing.
    preview = world.cli_sync("--dry-run")
    assert preview.code == 0, preview.output
    assert "closed_loop_outcome: 'open' → 'lost'" in preview.stdout
    assert world.contact(contact_id)["closed_loop_outcome"] == "open"

    run = world.cli_sync()
    assert run.code == 0, run.output

    deal = deal_of(world, opportunity_id)["properties"]
    assert deal["dealstage"] == "closedlost"
    assert deal["amount"] == "48000"
    assert deal["closed_lost_reason"] == "Price"
    contact = world.contact(contact_id)
    assert contact["closed_loop_outcome"] == "lost"
    assert contact["closed_loop_amount"] == "48000"
    assert contact["closed_loop_reason"] == "Price"
    assert contact["closed_loop_date"] == world.now.date().isoformat()
    # A lost deal disqualifies the lead for marketing too, to come back after 180 days.
    assert (contact["lifecyclestage"], contact["hs_lead_status"]) == ("other", "UNQUALIFIED")
    assert contact["lead_disposition_reason"] == "lost_deal"
    assert contact["recycle_date"] == (world.now.date() + timedelta(days=180)).isoformat()
    lost = [a for a in world.audit("leads") if a.to_stage == "disqualified/lost_deal"]
    assert [(a.system, a.from_stage) for a in lost] == [(Side.SALESFORCE, "opportunity")]
    # Told once: the next cycles write nothing, and keep the recycle date.
    assert writes_of(world.sync(at=world.now + timedelta(days=1))) == 0
    assert world.contact(contact_id)["recycle_date"] == contact["recycle_date"]


def test_a_won_opportunity_makes_the_contact_a_customer(world: World) -> None:
    _lead_id, contact_id, conversion = converted(world)
    world.sync()

    world.sf_edit("Opportunity", conversion["opportunityId"], StageName="Closed Won", Amount=9900)
    world.sync()

    contact = world.contact(contact_id)
    assert (contact["lifecyclestage"], contact["closed_loop_outcome"]) == ("customer", "won")
    assert contact["closed_loop_amount"] == "9900"
    assert deal_of(world, conversion["opportunityId"])["properties"]["dealstage"] == "closedwon"


def test_a_deal_is_associated_with_the_contacts_of_its_contact_roles(world: World) -> None:
    # No lead: a Contact and its opportunity created by sales in Salesforce.
    (account,) = world.seed_sf("Account", {"Name": "Initech"})
    (person,) = world.seed_sf(
        "Contact",
        {"LastName": "Lumbergh", "Email": "bill@initech.test", "AccountId": account},
    )
    (opportunity,) = world.seed_sf(
        "Opportunity",
        {
            "Name": "Initech renewal",
            "AccountId": account,
            "StageName": "Qualification",
            "CloseDate": world.now.date().isoformat(),
        },
    )
    world.seed_sf(
        "OpportunityContactRole",
        {"OpportunityId": opportunity, "ContactId": person, "IsPrimary": True},
    )

    world.sync()

    contact = world.contact_by_email("bill@initech.test")
    deal = deal_of(world, opportunity)
    assert deal["properties"]["dealstage"] == "qualifiedtobuy"
    assert deal["associations"] == {"contacts": [contact["hs_object_id"]]}

"""The lead definition and the handoff gate, scores and owners, through `crmsync sync`."""

from __future__ import annotations

from connector.model import Side
from tests.e2e.taxonomy.conftest import World, writes_of

HOT = {
    "email": "hot@example.com",
    "firstname": "Hana",
    "lastname": "Hot",
    "company": "Acme",
    "jobtitle": "CTO",
    "hubspotscore": "60",
    "lifecyclestage": "lead",
}
COLD = {**HOT, "email": "cold@example.com", "firstname": "Carl", "hubspotscore": "40"}
NO_TITLE = {**HOT, "email": "notitle@example.com", "firstname": "Nia", "jobtitle": ""}


def test_a_sales_ready_contact_becomes_a_salesforce_lead_and_others_stay_in_hubspot(
    world: World,
) -> None:
    hot, cold, no_title = world.seed_hs("contacts", HOT, COLD, NO_TITLE)

    world.sync()

    (lead,) = world.leads_by_email("hot@example.com")
    assert lead["Status"] == "Open - Not Contacted"
    assert lead["Lead_Score__c"] == 60
    assert lead["HubSpot_Contact_Id__c"] == hot
    assert (lead["Company"], lead["Title"]) == ("Acme", "CTO")
    contact = world.contact(hot)
    assert contact["lifecyclestage"] == "marketingqualifiedlead"
    assert contact["hs_lead_status"] == "OPEN"
    assert contact["salesforce_lead_id"] == lead["Id"]
    # Below the threshold, or missing a fit criterion: not ready, so sales never sees them.
    assert world.leads_by_email("cold@example.com") == []
    assert world.leads_by_email("notitle@example.com") == []
    for other in (cold, no_title):
        assert world.contact(other)["lifecyclestage"] == "lead"
    # The move is in the audit trail, with why.
    moves = {(a.system, a.from_stage, a.to_stage, a.why) for a in world.audit("leads")}
    assert (Side.HUBSPOT, "prospect", "mql", "lead definition met") in moves
    assert (Side.SALESFORCE, None, "mql", "created in Salesforce at mql") in moves
    # And a second cycle has nothing left to do.
    assert writes_of(world.sync()) == 0


def test_a_score_rising_past_the_threshold_hands_the_contact_over_and_scores_follow(
    world: World,
) -> None:
    (cold,) = world.seed_hs("contacts", COLD)
    world.sync()
    assert world.leads_by_email("cold@example.com") == []

    world.hs_edit("contacts", cold, hubspotscore="55")
    world.sync()
    (lead,) = world.leads_by_email("cold@example.com")
    assert lead["Status"] == "Open - Not Contacted"
    assert lead["Lead_Score__c"] == 55

    # HubSpot keeps scoring; Salesforce follows, and never the other way round.
    world.hs_edit("contacts", cold, hubspotscore="80")
    world.sf_edit("Lead", lead["Id"], Lead_Score__c=1)
    world.sync()
    assert world.sf_record("Lead", lead["Id"])["Lead_Score__c"] == 80
    assert world.contact(cold)["hubspotscore"] == "80"


def test_owners_are_matched_by_email_and_one_without_a_match_is_reported_not_guessed(
    world: World,
) -> None:
    ana, bob = world.seed_sf(
        "User",
        {"Username": "ana@corp.test", "Email": "ana@corp.test", "LastName": "Ana"},
        {"Username": "bob@corp.test", "Email": "bob@corp.test", "LastName": "Bob"},
    )
    (owner_ana,) = world.hs("seed", {"objects": {"owners": [{"email": "ANA@corp.test"}]}})["ids"][
        "owners"
    ]
    matched, unmatched = world.seed_sf(
        "Lead",
        {
            "LastName": "Matched",
            "Company": "Acme",
            "Email": "m@example.com",
            "Status": "Open - Not Contacted",
            "OwnerId": ana,
        },
        {
            "LastName": "Unmatched",
            "Company": "Acme",
            "Email": "u@example.com",
            "Status": "Open - Not Contacted",
            "OwnerId": bob,
        },
    )

    (leads, *_) = world.sync()

    assert world.contact_by_email("m@example.com")["hubspot_owner_id"] == owner_ana
    assert not world.contact_by_email("u@example.com").get("hubspot_owner_id")
    reported = [note for note in leads.notes if "bob@corp.test" in note]
    assert reported and "never guessed" in reported[0]
    # The unmatched owner is not a failure of the record: everything else synced.
    assert world.dead_letters() == []
    assert world.sf_record("Lead", unmatched)["HubSpot_Contact_Id__c"]
    assert world.sf_record("Lead", matched)["OwnerId"] == ana

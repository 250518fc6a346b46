"""Who wins when the systems disagree: the side that changed, else the newer change; blanks never
overwrite under "prefer X unless blank"; owners are matched by e-mail, never guessed."""

from __future__ import annotations

from typing import Any

from connector.model import Side
from tests.e2e.sync.harness import BO_EMAIL, CY_EMAIL, SyncEnv, lead, mql_contact


def linked(env: SyncEnv, count: int, **fields: Any) -> list[tuple[str, str]]:
    """``count`` leads synced into contacts: (lead id, contact id) pairs, in agreement."""
    ids = env.seed_leads([lead(n, **fields) for n in range(count)])
    env.sync()
    env.sync()  # the echoes of the first cycle's writes
    by_lead = {c["salesforce_lead_id"]: c["id"] for c in env.contacts()}
    return [(lead_id, by_lead[lead_id]) for lead_id in ids]


def lead_by_id(env: SyncEnv, lead_id: str) -> dict[str, Any]:
    return next(r for r in env.leads() if r["Id"] == lead_id)


def contact_by_id(env: SyncEnv, contact_id: str) -> dict[str, Any]:
    return next(c for c in env.contacts() if c["id"] == contact_id)


def test_a_change_on_one_side_wins_whichever_record_is_newer(env: SyncEnv) -> None:
    (lead_a, contact_a), (lead_b, contact_b) = linked(env, 2)
    # HubSpot's record of pair A is touched later on a field crmsync does not map: the
    # Salesforce change to a mapped field must still win, because only Salesforce changed it.
    env.edit_lead(lead_a, Title="VP Sales")
    env.advance(5)
    env.edit_contact(contact_a, phone="+46 8 123 456")
    env.edit_contact(contact_b, company="Renamed Buyer AB")

    env.sync()

    assert contact_by_id(env, contact_a)["jobtitle"] == "VP Sales"
    assert lead_by_id(env, lead_b)["Company"] == "Renamed Buyer AB"
    env.assert_converged()


def test_edited_on_both_sides_the_newer_change_wins(env: SyncEnv) -> None:
    (lead_a, contact_a), (lead_b, contact_b) = linked(env, 2)
    env.edit_contact(contact_a, jobtitle="Title typed in HubSpot first")
    env.edit_lead(lead_b, Title="Title typed in Salesforce first")
    env.advance(5)
    env.edit_lead(lead_a, Title="Title typed in Salesforce later")
    env.edit_contact(contact_b, jobtitle="Title typed in HubSpot later")

    result = env.sync()

    assert lead_by_id(env, lead_a)["Title"] == "Title typed in Salesforce later"
    assert contact_by_id(env, contact_a)["jobtitle"] == "Title typed in Salesforce later"
    assert lead_by_id(env, lead_b)["Title"] == "Title typed in HubSpot later"
    assert contact_by_id(env, contact_b)["jobtitle"] == "Title typed in HubSpot later"
    assert result.dead_lettered == 0
    env.assert_converged()
    env.clear_log()
    env.sync()
    env.sync()
    assert env.writes(Side.SALESFORCE) == [] and env.writes(Side.HUBSPOT) == []


def test_prefer_salesforce_unless_blank_fills_a_blank_and_never_blanks_a_value(
    env: SyncEnv,
) -> None:
    lead_ids = env.seed_leads(
        [
            lead(1, Email="blank.source@buyer.example", LeadSource=None),
            lead(2, Email="both.sources@buyer.example", LeadSource="Web"),
        ]
    )
    env.advance(5)  # HubSpot's records are newer: the rule, not the time, decides
    contact_ids = env.seed_contacts(
        [
            mql_contact(1, email="blank.source@buyer.example", lead_source="Partner Referral"),
            mql_contact(2, email="both.sources@buyer.example", lead_source="Event"),
        ]
    )

    env.sync()

    assert lead_by_id(env, lead_ids[0])["LeadSource"] == "Partner Referral"
    assert contact_by_id(env, contact_ids[1])["lead_source"] == "Web"
    env.assert_converged()

    # A rep clears the source in Salesforce: blank is not a value to prefer, HubSpot's stands.
    env.edit_lead(lead_ids[1], LeadSource=None)
    env.sync()

    assert lead_by_id(env, lead_ids[1])["LeadSource"] == "Web"
    assert contact_by_id(env, contact_ids[1])["lead_source"] == "Web"
    env.assert_converged()


def test_first_match_of_two_way_fields_never_overwrites_a_value_with_a_blank(
    env: SyncEnv,
) -> None:
    [lead_id] = env.seed_leads([lead(1, Email="pat@buyer.example", Title=None)])
    env.advance(5)
    [contact_id] = env.seed_contacts(
        [mql_contact(1, email="pat@buyer.example", jobtitle="CFO", company=None)]
    )
    env.advance(5)
    env.edit_lead(lead_id, FirstName="Patricia")  # Salesforce's record is now the newer

    env.sync()

    assert lead_by_id(env, lead_id)["Title"] == "CFO"
    assert contact_by_id(env, contact_id)["company"] == "Buyer 1 Ltd"
    assert contact_by_id(env, contact_id)["firstname"] == "Patricia"
    env.assert_converged()


def test_an_owner_without_a_login_on_the_other_side_is_reported_and_left(
    env: SyncEnv,
) -> None:
    team = env.team
    lead_ids = env.seed_leads(
        [
            lead(1, OwnerId=team.bo_user),  # Bo has no HubSpot seat
            lead(2, OwnerId=team.ann_user),
        ]
    )

    first = env.sync()

    contacts = {c["salesforce_lead_id"]: c for c in env.contacts()}
    bo_contact, ann_contact = contacts[lead_ids[0]], contacts[lead_ids[1]]
    assert not bo_contact.get("hubspot_owner_id")  # not guessed, not someone else
    assert ann_contact["hubspot_owner_id"] == team.ann_owner
    assert any("bo.park@team.example" in note and lead_ids[0] in note for note in first.notes)
    assert first.dead_lettered == 0  # the rest of the record synced
    env.assert_converged()

    # Ann hands the lead to Bo in Salesforce; HubSpot keeps Ann rather than a guess or a blank.
    env.edit_lead(lead_ids[1], OwnerId=team.bo_user, Title="Buyer")
    second = env.sync()

    assert contact_by_id(env, ann_contact["id"])["hubspot_owner_id"] == team.ann_owner
    assert contact_by_id(env, ann_contact["id"])["jobtitle"] == "Buyer"
    assert any(lead_ids[1] in note and "bo.park@team.example" in note for note in second.notes)
    assert second.dead_lettered == 0


def test_a_hubspot_owner_fills_salesforce_only_while_salesforce_has_none_of_its_own(
    env: SyncEnv,
) -> None:
    team = env.team
    [lead_id] = env.seed_leads([lead(1, Email="owned@buyer.example")])
    [contact_id] = env.seed_contacts(
        [mql_contact(1, email="owned@buyer.example", hubspot_owner_id=team.cy_owner)]
    )

    env.sync()

    # Salesforce decides owners: Ann's lead makes the HubSpot owner Ann, not Cy.
    assert lead_by_id(env, lead_id)["OwnerId"] == team.ann_user
    assert contact_by_id(env, contact_id)["hubspot_owner_id"] == team.ann_owner
    env.assert_converged()


def test_a_contact_owned_by_someone_without_a_salesforce_login_still_hands_over(
    env: SyncEnv,
) -> None:
    team = env.team
    contact_id, _ = env.seed_contacts(
        [mql_contact(1, hubspot_owner_id=team.cy_owner), mql_contact(2)]
    )

    result = env.sync()

    leads = {r["HubSpot_Contact_Id__c"]: r for r in env.leads()}
    assert contact_id in leads and len(leads) == 2
    assert leads[contact_id]["OwnerId"] not in (team.ann_user, team.bo_user)  # no guess
    assert any(CY_EMAIL in note and contact_id in note for note in result.notes)
    assert contact_by_id(env, contact_id)["hubspot_owner_id"] == team.cy_owner
    assert result.dead_lettered == 0


def test_a_lead_handed_from_an_unmatched_owner_to_a_matched_one_updates_hubspot(
    env: SyncEnv,
) -> None:
    team = env.team
    [lead_id] = env.seed_leads([lead(1, OwnerId=team.bo_user)])
    env.sync()
    env.sync()
    [contact] = env.contacts()
    assert not contact.get("hubspot_owner_id")

    # The only change: Bo (no HubSpot seat) hands the lead to Ann, who has one.
    env.edit_lead(lead_id, OwnerId=team.ann_user)
    env.sync()

    assert contact_by_id(env, contact["id"])["hubspot_owner_id"] == team.ann_owner
    env.assert_converged()


def test_a_lead_handed_to_an_owner_without_a_hubspot_seat_is_reported(env: SyncEnv) -> None:
    team = env.team
    [lead_id] = env.seed_leads([lead(1, OwnerId=team.ann_user)])
    env.sync()
    env.sync()

    # The only change: Ann hands the lead to Bo, who has no HubSpot seat.
    env.edit_lead(lead_id, OwnerId=team.bo_user)
    result = env.sync()

    [contact] = env.contacts()
    assert contact["hubspot_owner_id"] == team.ann_owner  # left as it is, not guessed
    assert any(lead_id in note and BO_EMAIL in note for note in result.notes), result.notes


def test_a_lead_left_for_its_unmatched_owner_is_an_echo_once_synced(env: SyncEnv) -> None:
    env.seed_leads([lead(1, OwnerId=env.team.bo_user), lead(2)])
    env.sync()
    env.clear_log()

    echoes = env.sync()  # the leads come back stamped by crmsync's own id write-back

    # Recognised as echoes: no partner read, no write, no note repeated every cycle.
    hubspot_reads = [e for e in env.calls(Side.HUBSPOT) if e["path"].endswith("/batch/read")]
    assert hubspot_reads == []
    assert env.writes(Side.SALESFORCE) == [] and env.writes(Side.HUBSPOT) == []
    assert echoes.notes == []
    assert echoes.counts[Side.SALESFORCE].unchanged == echoes.counts[Side.SALESFORCE].read == 2

"""Records a system refuses, or that cannot be matched safely, go to dead letters with the reason;
the rest of their batch is written, and nothing is created twice."""

from __future__ import annotations

import re
from pathlib import Path

from connector.model import Side
from tests.e2e.sync.harness import SyncEnv, lead, mql_contact


def test_mixed_case_duplicate_emails_in_salesforce_never_make_two_contacts(env: SyncEnv) -> None:
    first, second, other = env.seed_leads(
        [
            lead(1, Email="Nora.Quist@Dup.example"),
            lead(2, Email="  nora.quist@dup.example "),
            lead(3),
        ]
    )

    result = env.sync()
    env.sync()

    noras = [c for c in env.contacts() if c["email"] == "nora.quist@dup.example"]
    assert len(noras) == 1
    assert noras[0]["salesforce_lead_id"] == first  # the older record keeps the match
    [letter] = env.dead_letters()
    assert letter.error_code == "DUPLICATE_MATCH_KEY"
    assert letter.record_id == second
    assert first in letter.error_message and "nora.quist@dup.example" in letter.error_message
    assert result.dead_lettered == 1
    env.assert_no_duplicates(seeded_lead_duplicates={"nora.quist@dup.example"})
    env.assert_converged(except_leads=[second])
    assert any(c["salesforce_lead_id"] == other for c in env.contacts())


def test_mixed_case_duplicate_contacts_hand_over_one_lead(env: SyncEnv) -> None:
    older, newer, _ = env.seed_contacts(
        [
            mql_contact(1, email="Olle.Dahl@Dup.example"),
            mql_contact(2, email="olle.dahl@dup.example"),
            mql_contact(3),
        ]
    )

    env.sync()
    env.sync()

    olles = [r for r in env.leads() if str(r["Email"]).lower() == "olle.dahl@dup.example"]
    assert len(olles) == 1
    assert olles[0]["HubSpot_Contact_Id__c"] == older
    [letter] = env.dead_letters()
    assert letter.error_code == "DUPLICATE_MATCH_KEY"
    assert letter.record_id == newer and older in letter.error_message
    assert len(env.leads()) == 2
    env.assert_no_duplicates(seeded_contact_duplicates={"olle.dahl@dup.example"})


def test_a_lead_hubspot_refuses_in_a_batch_is_dead_lettered_and_the_batch_is_written(
    env: SyncEnv,
) -> None:
    leads = env.seed_leads([lead(n) for n in range(5)] + [lead(5, Email="broken@@buyer.example")])

    result = env.sync()

    batches = env.write_paths(Side.HUBSPOT)
    assert batches[("POST", "/crm/v3/objects/contacts/batch/upsert")] == 1
    contacts = {c["salesforce_lead_id"]: c for c in env.contacts()}
    assert set(contacts) == set(leads[:5])
    [letter] = env.dead_letters()
    assert letter.record_id == leads[5]
    assert letter.side is Side.HUBSPOT
    # HubSpot's own words: the 207 row's category and message, which names the rule broken.
    assert letter.error_code == "VALIDATION_ERROR"
    assert "Email address broken@@buyer.example is invalid" in letter.error_message
    assert "INVALID_EMAIL" in letter.error_message
    assert result.counts[Side.HUBSPOT].created == 5
    assert result.dead_lettered == 1
    env.assert_converged(except_leads=[leads[5]])
    env.assert_no_duplicates()


def _hot_sql_in_hubspot(mappings: Path) -> None:
    """The taxonomy names an hs_lead_status option the portal does not have."""
    taxonomy = mappings / "taxonomy.toml"
    text = taxonomy.read_text(encoding="utf-8")
    text, replaced = re.subn(
        r'(\[stages\.sql\][^\[]*hubspot_lead_status = )"CONNECTED"', r'\1"HOT_LEAD"', text
    )
    assert replaced == 1
    taxonomy.write_text(text, encoding="utf-8")


def test_an_enumeration_option_hubspot_lacks_fails_that_record_only(env: SyncEnv) -> None:
    env.use_mappings(_hot_sql_in_hubspot)
    leads = env.seed_leads([lead(n) for n in range(4)])
    env.sync()
    env.sync()
    env.edit_lead(leads[0], Status="Working - Contacted")
    env.edit_lead(leads[1], Status="Qualified")  # -> hs_lead_status HOT_LEAD: no such option
    env.edit_lead(leads[2], Status="Working - Contacted", Title="Buyer")
    env.clear_log()

    result = env.sync()

    assert env.write_paths(Side.HUBSPOT) == {("POST", "/crm/v3/objects/contacts/batch/update"): 1}
    [batch] = env.writes(Side.HUBSPOT)
    assert batch["status"] == 207
    contacts = {c["salesforce_lead_id"]: c for c in env.contacts()}
    assert contacts[leads[0]]["hs_lead_status"] == "IN_PROGRESS"
    assert contacts[leads[2]]["jobtitle"] == "Buyer"
    assert contacts[leads[1]]["hs_lead_status"] == "OPEN"  # unchanged
    [letter] = env.dead_letters()
    assert letter.record_id == contacts[leads[1]]["id"]  # the record HubSpot refused
    assert letter.side is Side.HUBSPOT
    assert "HOT_LEAD was not one of the allowed options" in letter.error_message
    assert "INVALID_OPTION" in letter.error_message
    assert result.counts[Side.HUBSPOT].updated == 2
    assert result.dead_lettered == 1
    env.assert_no_duplicates()


def _hot_sql_in_salesforce(mappings: Path) -> None:
    """The taxonomy names a Lead.Status value the org's restricted picklist lacks."""
    taxonomy = mappings / "taxonomy.toml"
    text = taxonomy.read_text(encoding="utf-8")
    text, replaced = re.subn(
        r'(\[stages\.sql\]\nsalesforce_status = )"Qualified"', r'\1"Qualified - Hot"', text
    )
    assert replaced == 1
    taxonomy.write_text(text, encoding="utf-8")


def test_a_restricted_picklist_refusal_is_dead_lettered_with_salesforces_message(
    env: SyncEnv,
) -> None:
    env.use_mappings(_hot_sql_in_salesforce)
    contacts = env.seed_contacts(
        [
            mql_contact(1),
            mql_contact(2, lifecyclestage="salesqualifiedlead", hs_lead_status="CONNECTED"),
            mql_contact(3),
        ]
    )

    result = env.sync()

    # One collection upserted all three; Salesforce wrote two and refused one.
    [collection] = [e for e in env.writes(Side.SALESFORCE) if "HubSpot_Contact_Id__c" in e["path"]]
    assert collection["records"] == 2
    leads = {r["HubSpot_Contact_Id__c"]: r for r in env.leads()}
    assert set(leads) == {contacts[0], contacts[2]}
    [letter] = env.dead_letters()
    assert letter.record_id == contacts[1]
    assert letter.side is Side.SALESFORCE
    assert letter.error_code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert (
        letter.error_message == "Status: bad value for restricted picklist field: Qualified - Hot"
    )
    assert result.counts[Side.SALESFORCE].created == 2
    env.assert_no_duplicates()

    # Nothing changed since: the refused record is not retried behind the admin's back, and
    # the others are quiet.
    env.clear_log()
    env.sync()
    assert len(env.dead_letters()) == 1
    assert env.writes(Side.SALESFORCE) == []

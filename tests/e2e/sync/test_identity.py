"""Identity: a person is one lead and one contact, whatever the e-mail's case or spacing, and a
create that is retried, or re-run after its answer was lost, never makes a second record."""

from __future__ import annotations

from typing import Any

import pytest

from connector.engine.cycle import CHUNK
from connector.errors import SystemUnreachable
from connector.model import Side
from tests.e2e.sync.harness import SyncEnv, lead, mql_contact


def test_an_existing_lead_is_linked_by_email_ignoring_case_and_spaces(env: SyncEnv) -> None:
    [lead_id] = env.seed_leads([lead(1, Email="  Jane.Roe@Match.example ", Status="Nurture")])
    [contact_id] = env.seed_contacts([mql_contact(1, email="jane.roe@match.example")])

    env.sync()

    [only_lead] = env.leads()
    [only_contact] = env.contacts()
    assert only_lead["Id"] == lead_id and only_contact["id"] == contact_id
    assert only_lead["HubSpot_Contact_Id__c"] == contact_id
    assert only_contact["salesforce_lead_id"] == lead_id
    env.assert_converged()


def test_a_contact_reaching_the_gate_links_to_a_lead_created_meanwhile(env: SyncEnv) -> None:
    """A rep types in a lead by hand while the cycle runs: the contact that reaches mql in the
    same cycle is linked to it, never handed over as a second lead."""
    env.seed_leads([lead(1)])  # something for the Salesforce half of the cycle to do
    # Legacy data: the contact's e-mail was imported with spaces and capitals.
    [contact_id] = env.seed_contacts([mql_contact(7, email=" KIM.EK@match.example ")])
    typed_in: list[str] = []

    def rep_types_in_the_lead() -> None:
        if not typed_in:
            typed_in.extend(
                env.seed_leads([lead(7, Email="Kim.Ek@Match.example", Status="Nurture")])
            )

    result, _ = env.sync_with_pause(rep_types_in_the_lead)

    kims = [r for r in env.leads() if "kim.ek" in str(r["Email"]).lower()]
    assert [r["Id"] for r in kims] == typed_in
    assert kims[0]["HubSpot_Contact_Id__c"] == contact_id
    assert result.counts[Side.SALESFORCE].created == 0
    env.sync()
    env.assert_converged()
    env.assert_no_duplicates()


def dropped(path: str, method: str, count: int) -> dict[str, Any]:
    return {"path": path, "method": method, "disconnect": True, "count": count}


def test_a_dropped_upsert_is_retried_into_one_record(env: SyncEnv) -> None:
    env.seed_leads([lead(n) for n in range(3)])
    env.seed_contacts([mql_contact(n) for n in range(3)])
    env.hs.faults(dropped("/crm/v3/objects/contacts/batch/upsert", "POST", 1))
    env.sf.faults(dropped("/composite/sobjects/Lead/HubSpot_Contact_Id__c", "PATCH", 1))

    result = env.sync()

    for side in Side:
        assert [e for e in env.calls(side) if e["status"] == 0], f"no dropped call in {side}"
    assert result.dead_lettered == 0
    assert len(env.leads()) == 6 and len(env.contacts()) == 6
    env.assert_no_duplicates()
    env.assert_converged()


def test_a_lead_created_whose_answer_was_lost_is_not_created_again(env: SyncEnv) -> None:
    [contact_id] = env.seed_contacts([mql_contact(1)])
    # Every answer to the upsert is lost on the way back; the run gives up.
    env.sf.faults(dropped("/composite/sobjects/Lead/HubSpot_Contact_Id__c", "PATCH", 100))
    with pytest.raises(SystemUnreachable):
        env.sync()
    env.sf.post("/faults/clear")
    # ...but Salesforce had applied it: the lead exists, keyed by the contact's id.
    [applied] = env.seed_leads(
        [lead(1, Email="hugo1@prospect.example", HubSpot_Contact_Id__c=contact_id)]
    )

    again = env.sync()

    [only] = env.leads()
    assert only["Id"] == applied
    assert again.counts[Side.SALESFORCE].created == 0
    assert again.dead_lettered == 0
    [contact] = env.contacts()
    assert contact["salesforce_lead_id"] == applied
    env.assert_converged()


def test_a_contact_created_whose_answer_was_lost_is_not_created_again(env: SyncEnv) -> None:
    [lead_id] = env.seed_leads([lead(1)])
    env.hs.faults(dropped("/crm/v3/objects/contacts/batch/upsert", "POST", 100))
    with pytest.raises(SystemUnreachable):
        env.sync()
    env.hs.post("/faults/clear")
    # HubSpot had applied the upsert: the contact exists under the lead's e-mail.
    [applied] = env.seed_contacts(
        [mql_contact(1, email="lena1@buyer.example", salesforce_lead_id=lead_id)]
    )

    env.sync()

    [only] = env.contacts()
    assert only["id"] == applied
    [the_lead] = env.leads()
    assert the_lead["HubSpot_Contact_Id__c"] == applied
    env.assert_converged()


def test_leads_sharing_an_email_in_consecutive_chunks_make_one_contact(env: SyncEnv) -> None:
    """The next chunk is paired while the one before it is still being written: a lead whose
    e-mail that chunk is creating a contact for must find it taken, as it would one chunk after
    the other, and go to dead letters instead of claiming the same contact."""
    shared = "twin@buyer.example"
    leads = [lead(n) for n in range(CHUNK + 1)]
    leads[0]["Email"] = shared
    leads[CHUNK]["Email"] = " TWIN@Buyer.example "
    ids = env.seed_leads(leads)
    # Slow creates: the next chunk's look-up by e-mail runs before the contact exists.
    slow = {"path": "/crm/v3/objects/contacts/batch/upsert", "method": "POST", "delay_ms": 400}
    env.hs.faults(slow)

    env.sync()

    twins = [c for c in env.contacts() if str(c.get("email")).lower() == shared]
    assert len(twins) == 1
    linked = [r["Id"] for r in env.leads() if r.get("HubSpot_Contact_Id__c") == twins[0]["id"]]
    assert linked == [ids[0]]
    letters = [letter for letter in env.dead_letters() if letter.record_id == ids[CHUNK]]
    assert [letter.error_code for letter in letters] == ["DUPLICATE_MATCH_KEY"]
    env.assert_no_duplicates(seeded_lead_duplicates=[shared])

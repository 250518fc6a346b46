"""Seed both systems, sync: every mapped field agrees, and the next cycle writes nothing."""

from __future__ import annotations

from connector.model import Side
from tests.e2e.sync.harness import SyncEnv, contact, lead, mql_contact


def test_first_sync_agrees_on_every_mapped_field_and_the_second_writes_nothing(
    env: SyncEnv,
) -> None:
    leads = env.seed_leads(
        [
            lead(1),
            lead(2, Status="Working - Contacted", LeadSource=None),
            lead(3, Status="Nurture"),
            # The same person as a HubSpot contact below, typed differently.
            lead(4, Email="  Maja.Holm@Shared.example "),
        ]
    )
    contacts = env.seed_contacts(
        [
            mql_contact(1),
            contact(2),  # a prospect: stays in HubSpot
            contact(3, hubspotscore="75"),  # meets the lead definition: becomes mql
            mql_contact(4, email="maja.holm@shared.example", lead_source="Event"),
        ]
    )

    first = env.sync()

    pairs = env.assert_converged()
    env.assert_no_duplicates()
    assert len(pairs) == 6  # four leads, plus leads for the mql contact and the qualified one
    assert len(env.leads()) == 6 and len(env.contacts()) == 7
    shared = next(c for c in env.contacts() if c["email"] == "maja.holm@shared.example")
    assert shared["id"] == contacts[3]
    assert shared["salesforce_lead_id"] == leads[3]
    prospect = next(c for c in env.contacts() if c["id"] == contacts[1])
    assert "salesforce_lead_id" not in prospect or not prospect["salesforce_lead_id"]
    assert first.dead_lettered == 0

    env.clear_log()
    second = env.sync()

    assert env.writes(Side.SALESFORCE) == []
    assert env.writes(Side.HUBSPOT) == []
    assert sum(c.created + c.updated for c in second.counts.values()) == 0
    env.assert_converged()


def test_every_record_read_is_counted_as_written_unchanged_or_dead_lettered(
    env: SyncEnv,
) -> None:
    leads = env.seed_leads([lead(n) for n in range(4)])
    env.seed_contacts([contact(1), mql_contact(2)])  # a prospect stays; the mql hands over

    first = env.sync()

    sf, hs = first.counts[Side.SALESFORCE], first.counts[Side.HUBSPOT]
    assert sf.read == 4 and hs.created == 4
    # HubSpot's changes: the two seeded contacts, and the four just created (echoes).
    assert hs.read == 6
    assert hs.unchanged == 5  # the prospect and the echoes; the mql contact became a lead
    assert sf.unchanged == 0  # every lead was written to HubSpot

    echoes = env.sync()  # crmsync's own writes come back, and are recognised
    for side in Side:
        counts = echoes.counts[side]
        assert counts.unchanged == counts.read, side
        assert counts.created == counts.updated == 0

    env.edit_lead(leads[0], Title="Buyer")
    edited = env.sync()
    assert edited.counts[Side.SALESFORCE].read == 1
    assert edited.counts[Side.SALESFORCE].unchanged == 0
    assert edited.counts[Side.HUBSPOT].updated == 1

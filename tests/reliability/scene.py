"""The data a crash test starts from: a realistic small portal pair, with planted bad records.

Salesforce holds 600 leads (plus four bad ones); HubSpot holds 300 contacts:

- 150 share a lead's e-mail and were never linked (one lead types its e-mail in mixed case);
  they are seeded after the leads, so HubSpot's values are the newer ones (two-way rows flow
  to Salesforce);
- 40 are already named by their lead's ``HubSpot_Contact_Id__c`` (another connector ran
  before crmsync): paired by that id, through a HubSpot read by id; seeded before the leads,
  so Salesforce's values are the newer ones;
- 50 are marketing-qualified with no lead: the handoff gate creates their leads;
- 60 are prospects below the gate: they stay in HubSpot alone.

Planted bad records, each of which must end as exactly one open dead letter: a lead whose
e-mail HubSpot refuses, a lead whose status maps to no canonical stage, and the second of two
leads whose e-mails differ only in case (a duplicate match key).

``change_scene`` is what happens between two syncs in the incremental scenario: reps and
marketers edit, new records arrive, prospects qualify, and one more bad record is typed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.e2e.sync.harness import SyncEnv, contact, lead, mql_contact

LEADS = 600
OVERLAP = 150
PARTNERED = 40
HANDOFF = 50
PROSPECTS = 60
# The lead whose e-mail is typed in mixed case; its contact has it in lower case.
MIXED_CASE = 7
TWIN_EMAILS = ("twin@buyer.example", "TWIN@Buyer.Example")
# HubSpot refuses this as an e-mail address; Salesforce took it (seeded data skips validation).
BAD_EMAIL = "lena900 at buyer"
UNMAPPED_STATUS = "Legacy - Imported"
# HubSpot's burst limit is raised so that no test is rate-bound.
BURST_LIMIT = 100_000


@dataclass
class Planted:
    """Where the planted bad records are: their lead ids and dead-letter record keys."""

    lead_ids: list[str] = field(default_factory=list)
    # E-mail keys seeded more than once in Salesforce, and how often.
    shared_emails: dict[str, int] = field(default_factory=dict)

    @property
    def record_keys(self) -> set[str]:
        return {lead_key(lead_id) for lead_id in self.lead_ids}


def lead_key(lead_id: str) -> str:
    """The record key a dead letter of a Salesforce lead carries."""
    return f"salesforce:Lead:{lead_id}"


def contact_key(contact_id: str) -> str:
    """The record key a dead letter of a HubSpot contact carries."""
    return f"hubspot:contacts:{contact_id}"


def _status(n: int) -> str:
    # Mostly sales-ready leads, some being worked, some back in nurture.
    if n % 10 == 0:
        return "Working - Contacted"
    if n % 10 == 1:
        return "Nurture"
    return "Open - Not Contacted"


def _email(n: int) -> str:
    return f"lena{n}@buyer.example"


def seed_scene(env: SyncEnv) -> Planted:
    """Reset both systems and the state, then seed the scene; answer where the bad records are."""
    env.reset()
    env.hs.post("/settings", {"burst_limit": BURST_LIMIT})
    partnered = range(OVERLAP, OVERLAP + PARTNERED)
    early = [contact(n, email=_email(n), firstname=f"Partner{n}") for n in partnered]
    early += [mql_contact(1000 + n, hubspotscore="75") for n in range(HANDOFF)]
    early += [contact(2000 + n) for n in range(PROSPECTS)]
    early_ids = env.seed_contacts(early)
    partner_of = dict(zip(partnered, early_ids, strict=False))
    # Newest wins by modification time, and Salesforce stamps whole seconds: each batch of
    # records is seeded in a later second than the one before, or who wins would be chance.
    env.advance(2)

    leads = []
    for n in range(LEADS):
        record = lead(n, Status=_status(n))
        if n == MIXED_CASE:
            record["Email"] = "Lena7@Buyer.EXAMPLE"
        if n in partner_of:
            record["HubSpot_Contact_Id__c"] = partner_of[n]
        leads.append(record)
    bad = [
        lead(900, Email=BAD_EMAIL),
        lead(901, Status=UNMAPPED_STATUS),
        lead(902, Email=TWIN_EMAILS[0]),
        lead(903, Email=TWIN_EMAILS[1]),
    ]
    ids = env.seed_leads(leads + bad)
    bad_email, unmapped, _twin, second_twin = ids[LEADS:]
    env.advance(2)

    env.seed_contacts(
        [
            contact(n, email=_email(n), hubspotscore="70", company=f"Buyer {n} Group")
            for n in range(OVERLAP)
        ]
    )
    return Planted(
        lead_ids=[bad_email, unmapped, second_twin],
        shared_emails={TWIN_EMAILS[0]: 2},
    )


def change_scene(env: SyncEnv, planted: Planted) -> None:
    """What people do between two syncs; one more bad record joins ``planted``."""
    # Salesforce stamps whole seconds: start the edits in a later second than the last sync.
    env.advance(2)
    leads = {str(r["Email"]).lower(): r["Id"] for r in env.leads() if r.get("Email")}
    contacts = {str(c["email"]): c["id"] for c in env.contacts() if c.get("email")}
    for n in range(200, 240):
        env.edit_lead(leads[_email(n)], Title=f"Director {n}")
    for n in range(20, 40):
        env.edit_contact(contacts[_email(n)], company=f"Renamed {n} GmbH")
    # Both sides edit the same field; the later edit (HubSpot's) wins.
    for n in range(300, 305):
        env.edit_lead(leads[_email(n)], Title=f"VP {n}")
    env.advance(1)
    for n in range(300, 305):
        env.edit_contact(contacts[_email(n)], jobtitle=f"Chief {n}")
    # Prospects qualify in HubSpot: the handoff gate now creates their leads.
    for n in range(8):
        email = f"hugo{2000 + n}@prospect.example"
        env.edit_contact(
            contacts[email], lifecyclestage="marketingqualifiedlead", hs_lead_status="OPEN"
        )
    env.seed_contacts([mql_contact(3000 + n, hubspotscore="80") for n in range(15)])
    new_leads = [lead(700 + n) for n in range(19)]
    # A new lead for a HubSpot-only prospect: it pairs by e-mail instead of creating a contact.
    new_leads.append(lead(719, Email=f"hugo{2000 + PROSPECTS - 1}@prospect.example"))
    new_leads.append(lead(950, Email="broken at example"))
    ids = env.seed_leads(new_leads)
    planted.lead_ids.append(ids[-1])

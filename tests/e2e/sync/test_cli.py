"""``crmsync sync`` as an admin runs it: --dry-run shows every planned change and writes nothing;
a real run ends with a summary per system and the exit code says whether records failed."""

from __future__ import annotations

import re

from connector.model import Side
from tests.e2e.sync.harness import SyncEnv, lead, mql_contact

STATE_TABLES = ("runs", "cursors", "links", "snapshots", "dead_letters", "audit")


def test_dry_run_prints_each_create_field_by_field_and_writes_nothing(env: SyncEnv) -> None:
    lead_id, _, duplicate = env.seed_leads(
        [
            lead(1, Title="Head of Operations"),
            lead(3, Email="Dup@Twice.example"),
            lead(4, Email="dup@twice.example"),
        ]
    )
    [contact_id] = env.seed_contacts([mql_contact(2)])
    env.clear_log()

    run = env.cli("sync", "--dry-run")

    assert run.code == 0, run.output
    out = run.stdout
    assert "leads (dry run: nothing is written)" in out
    # The lead would become a contact (upserted by its e-mail), and the contact a lead.
    assert "create  hubspot contacts email=lena1@buyer.example" in out
    assert f"create  salesforce Lead HubSpot_Contact_Id__c={contact_id}" in out
    assert "jobtitle: None → 'Head of Operations'" in out
    assert f"salesforce_lead_id: None → '{lead_id}'" in out
    assert "lifecyclestage: None → 'marketingqualifiedlead'" in out
    assert "Status: None → 'Open - Not Contacted'" in out
    [refused] = [row for row in out.splitlines() if "dead letter" in row]
    assert duplicate in refused and "DUPLICATE_MATCH_KEY" in refused
    assert env.writes(Side.SALESFORCE) == [] and env.writes(Side.HUBSPOT) == []
    assert len(env.leads()) == 3 and len(env.contacts()) == 1
    rows = env.state_rows()
    assert all(not rows.get(table) for table in STATE_TABLES), rows


def test_dry_run_after_edits_shows_old_and_new_and_leaves_the_state_file_alone(
    env: SyncEnv,
) -> None:
    [lead_id] = env.seed_leads([lead(1)])
    env.sync()
    env.sync()
    [contact] = env.contacts()
    env.edit_lead(lead_id, Title="Chief Buyer")
    env.edit_contact(contact["id"], company="Buyer One Group")
    before = env.state_rows()
    env.clear_log()

    run = env.cli("sync", "--dry-run")

    assert run.code == 0, run.output
    out = run.stdout
    assert f"update  hubspot contacts {contact['id']}" in out
    assert "jobtitle: 'Head of Operations' → 'Chief Buyer'" in out
    assert f"update  salesforce Lead {lead_id}" in out
    assert "Company: 'Buyer 1 Ltd' → 'Buyer One Group'" in out
    assert env.writes(Side.SALESFORCE) == [] and env.writes(Side.HUBSPOT) == []
    assert env.state_rows() == before
    # Nothing was consumed: the real run that follows still does the work.
    result = env.sync()
    assert result.counts[Side.HUBSPOT].updated == 1
    assert result.counts[Side.SALESFORCE].updated == 1


def summary_line(output: str, pipeline: str) -> dict[str, dict[str, int]]:
    """The run summary's counts per system, as printed for ``pipeline``."""
    [line] = [row for row in output.splitlines() if row.startswith(f"{pipeline}: ")]
    found: dict[str, dict[str, int]] = {}
    for part in line[len(pipeline) + 2 :].split("; "):
        system, _, counts = part.partition(": ")
        found[system] = {
            name.strip(): int(value)
            for value_name in counts.split(", ")
            for name, value in [_name_value(value_name)]
        }
    return found


def _name_value(text: str) -> tuple[str, str]:
    match = re.fullmatch(r"(.+?) (\d+)", text.strip())
    assert match, text
    return match.group(1), match.group(2)


def test_the_run_summary_counts_every_outcome_per_system_and_exit_1_means_dead_letters(
    env: SyncEnv,
) -> None:
    env.seed_leads([lead(1), lead(2), lead(3, Email="broken@@buyer.example")])
    env.seed_contacts([mql_contact(1)])

    run = env.cli("sync")

    assert run.code == 1, run.output
    counts = summary_line(run.stdout, "leads")
    assert set(counts) == {"salesforce", "hubspot"}
    assert counts["hubspot"]["created"] == 2
    assert counts["hubspot"]["dead-lettered"] == 1
    assert counts["salesforce"]["created"] == 1
    assert counts["salesforce"]["read"] == 3
    assert counts["salesforce"]["API calls"] == len(env.calls(Side.SALESFORCE))
    assert counts["hubspot"]["API calls"] == len(env.calls(Side.HUBSPOT))
    for system in counts.values():
        assert {"read", "created", "updated", "unchanged", "dead-lettered", "API calls"} <= set(
            system
        ), system


def test_a_clean_run_exits_0_and_reports_an_owner_it_could_not_match(env: SyncEnv) -> None:
    [lead_id] = env.seed_leads([lead(1, OwnerId=env.team.bo_user)])

    run = env.cli("sync")

    assert run.code == 0, run.output
    assert summary_line(run.stdout, "leads")["hubspot"]["created"] == 1
    # Bo has no HubSpot seat: the admin is told which record and which owner, not left to guess.
    assert lead_id in run.output and "bo.park@team.example" in run.output

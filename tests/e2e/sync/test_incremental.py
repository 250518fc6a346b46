"""Incremental reads lose nothing: edits right after a sync, in the same instant, still sync."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connector.clock import parse_instant
from connector.model import Side
from tests.e2e.sync.harness import SyncEnv, lead


def test_an_edit_in_the_same_second_as_the_last_read_syncs(env: SyncEnv) -> None:
    [lead_id] = env.seed_leads([lead(1)])
    env.sync()
    # Salesforce stamps whole seconds: a rep's edit in the second after crmsync read the lead
    # carries the very stamp the cursor stopped at. Try until the edit lands in that second.
    for attempt in range(5):
        env.start_of_a_second()
        env.edit_lead(lead_id, Title=f"Director {attempt}a")
        env.sync()
        read_at = env.leads()[0]["SystemModstamp"]
        env.edit_lead(lead_id, Title=f"Director {attempt}b")
        if env.leads()[0]["SystemModstamp"] == read_at:
            break
    else:
        pytest.fail("no edit landed in the second of the last read (machine too slow?)")

    result = env.sync()

    assert result.counts[Side.SALESFORCE].read == 1
    [contact] = env.contacts()
    assert contact["jobtitle"] == f"Director {attempt}b"
    env.assert_converged()


def test_a_value_put_back_in_the_same_second_after_a_sync_syncs(env: SyncEnv) -> None:
    [lead_id] = env.seed_leads([lead(1)])
    env.sync()
    # Within one Salesforce second: Title A (synced), B (synced), then A again. The lead now
    # reads exactly as it did when crmsync processed A, but HubSpot holds B.
    for attempt in range(5):
        env.start_of_a_second()
        env.edit_lead(lead_id, Title=f"Buyer {attempt}")
        env.sync()
        first_stamp = env.leads()[0]["SystemModstamp"]
        env.edit_lead(lead_id, Title=f"Director {attempt}")
        env.sync()
        env.edit_lead(lead_id, Title=f"Buyer {attempt}")
        if env.leads()[0]["SystemModstamp"] == first_stamp:
            break
    else:
        pytest.fail("the three edits never fitted in one second (machine too slow?)")

    env.sync()

    [contact] = env.contacts()
    assert contact["jobtitle"] == f"Buyer {attempt}"
    env.assert_converged()


def test_a_lead_committed_after_later_stamped_ones_were_read_still_syncs(env: SyncEnv) -> None:
    """Salesforce stamps a record when its transaction writes it, and shows it only once that
    transaction commits: a long transaction's lead can appear after leads stamped later were
    read. Changes younger than the commit lag (5 s) wait for the next read, so the cursor never
    passes a stamp that may still be committing."""
    # As a real org is configured (the emulators' own configs say 0: they commit at once).
    text = env.config_path.read_text(encoding="utf-8")
    env.config_path.write_text(text.replace("commit_lag_s = 0", "commit_lag_s = 5"))
    t0 = env.emulator_now()
    [early] = env.seed_leads([lead(1)])
    env.advance(58)
    [recent] = env.seed_leads([lead(2)])
    stamps = {r["Id"]: parse_instant(r["SystemModstamp"]) for r in env.leads()}

    first = env.sync(at=t0 + timedelta(seconds=60))

    assert first.counts[Side.SALESFORCE].read == 1  # the lead stamped 2 s ago waits
    # The long transaction commits now: its lead carries a stamp from before the read.
    late_stamp = stamps[recent] - timedelta(seconds=1)
    wire = late_stamp.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    [late] = env.seed_leads([lead(3, SystemModstamp=wire)])
    stored = {r["Id"]: parse_instant(r["SystemModstamp"]) for r in env.leads()}
    assert stored[late] == late_stamp

    env.sync(at=t0 + timedelta(seconds=70))

    synced = {c.get("salesforce_lead_id") for c in env.contacts()}
    assert {early, recent, late} <= synced
    env.assert_converged()

"""Incremental reads lose nothing: edits right after a sync, in the same instant, still sync."""

from __future__ import annotations

import pytest

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

"""Trouble on the wire: an expired session mid-cycle, 429 storms, 503s, a run that gives up.

Every test ends the same way: the good records written, both sides in agreement, nothing
duplicated, and a following cycle that writes nothing. Waits are simulated (the harness moves
the emulators' clocks instead of sleeping).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from connector.errors import SystemUnreachable
from connector.model import Side
from tests.e2e.sync.harness import SyncEnv, lead, mql_contact

SF_WRITES = r"/composite/sobjects"
HS_CONTACTS = r"/crm/v3/objects/contacts/"


def assert_settled(env: SyncEnv) -> None:
    """Good records written, none lost to a dead letter, nobody twice, and then quiet."""
    assert env.dead_letters() == []
    env.assert_converged()
    env.assert_no_duplicates()
    env.sync()  # echoes of the last writes
    env.clear_log()
    env.sync()
    assert env.writes(Side.SALESFORCE) == [] and env.writes(Side.HUBSPOT) == []


def statuses(env: SyncEnv, side: Side) -> Counter[int]:
    return Counter(int(e["status"]) for e in env.calls(side))


def test_a_session_expired_between_chunks_logs_in_again_and_finishes(env: SyncEnv) -> None:
    env.seed_leads([lead(n) for n in range(450)])  # three chunks of changes
    expired: list[int] = []

    def expire_once() -> None:
        # A Salesforce admin's session timeout strikes after the first chunk is committed.
        if not expired:
            env.sf.post("/expire-tokens")
            expired.append(1)

    result, salesforce = env.sync_with_pause(expire_once)

    assert expired
    refused = [e for e in env.calls(Side.SALESFORCE) if e["status"] == 401]
    assert refused, "the expired session was never used"
    tokens = [e for e in env.calls(Side.SALESFORCE) if e["path"].endswith("/oauth2/token")]
    assert len(tokens) == 2  # the first login, and one more after the expiry
    assert salesforce.extra["reauths"] == 1
    assert result.counts[Side.HUBSPOT].created == 450
    assert result.dead_lettered == 0
    assert_settled(env)


def test_an_invalid_session_answer_mid_write_logs_in_again_and_finishes(env: SyncEnv) -> None:
    env.seed_contacts([mql_contact(n) for n in range(30)])
    env.sf.faults(
        {"path": SF_WRITES, "method": "PATCH", "status": 401, "count": 1},
    )

    result = env.sync()

    assert statuses(env, Side.SALESFORCE)[401] == 1
    assert result.counts[Side.SALESFORCE].created == 30
    assert result.dead_lettered == 0
    assert len(env.leads()) == 30
    assert_settled(env)


def storm(path: str, method: str | None, status: int, probability: float, count: int) -> Any:
    rule: dict[str, Any] = {
        "path": path,
        "status": status,
        "probability": probability,
        "count": count,
    }
    if method is not None:
        rule["method"] = method
    return rule


def test_429_storms_and_503s_on_both_sides_converge_without_duplicates(env: SyncEnv) -> None:
    # Seeded storms, at most five refusals in a row for any one call: the sixth attempt the
    # retry policy allows gets through.
    env.seed_leads([lead(n) for n in range(300)])
    env.seed_contacts([mql_contact(n) for n in range(150)])
    env.sf.post(
        "/faults",
        {
            "seed": 7,
            "rules": [
                storm(SF_WRITES, "PATCH", 429, 0.5, 3) | {"retry_after": 2},
                storm(SF_WRITES, "PATCH", 503, 0.5, 2),
                storm(r"/query", "GET", 503, 0.3, 3),
            ],
        },
    )
    env.hs.post(
        "/faults",
        {
            "seed": 11,
            "rules": [
                storm(HS_CONTACTS + "batch/", "POST", 429, 0.5, 3),
                storm(HS_CONTACTS + "batch/", "POST", 503, 0.4, 2),
                storm(HS_CONTACTS + "search", "POST", 429, 0.5, 3) | {"error_code": "SECONDLY"},
            ],
        },
    )

    result = env.sync()

    assert statuses(env, Side.SALESFORCE)[429] >= 1 and statuses(env, Side.SALESFORCE)[503] >= 1
    assert statuses(env, Side.HUBSPOT)[429] >= 1 and statuses(env, Side.HUBSPOT)[503] >= 1
    assert result.dead_lettered == 0
    assert result.counts[Side.HUBSPOT].created == 300
    assert result.counts[Side.SALESFORCE].created == 150
    assert len(env.leads()) == 450 and len(env.contacts()) == 450
    # Retries are counted as calls spent: the summary tells the truth about the allocation.
    assert result.api_calls[Side.HUBSPOT] == len(env.calls(Side.HUBSPOT))
    assert result.api_calls[Side.SALESFORCE] == len(env.calls(Side.SALESFORCE))
    assert_settled(env)


def test_a_run_that_gives_up_moves_no_cursor_and_the_next_run_converges(env: SyncEnv) -> None:
    env.seed_leads([lead(n) for n in range(250)])
    # HubSpot is down for the whole first run: every batch write answers 503.
    env.hs.faults(storm(HS_CONTACTS + "batch/upsert", "POST", 503, 1.0, 1000))

    with pytest.raises(SystemUnreachable):
        env.sync()

    env.hs.post("/faults/clear")
    again = env.sync()

    assert again.counts[Side.SALESFORCE].read == 250  # nothing was skipped by the failed run
    assert again.counts[Side.HUBSPOT].created == 250
    assert again.dead_lettered == 0
    assert_settled(env)

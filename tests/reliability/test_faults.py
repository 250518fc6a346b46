"""Faults scripted through the emulators: every run ends converged or stops clearly, losing nothing.

Each test seeds leads in Salesforce and qualified contacts in HubSpot, scripts a fault through
the emulators' admin API (``faults``, HubSpot ``settings``, Salesforce ``limits``,
``expire-tokens``, ``lock-row``), runs ``crmsync sync`` (in-process with simulated sleep, or
as a real subprocess where the exit code and message are the point), then checks what a user
relies on: every e-mail once on each side, linked, fields agreeing, and dead letters for the
records meant to be refused and for no other (``Bench.assert_no_loss``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from connector.errors import SystemUnreachable
from connector.model import Side
from tests.fakes import EmulatorAdmin
from tests.reliability import fault_support
from tests.reliability.fault_support import Bench, lead

# Fixtures of this suite (this folder's conftest.py belongs to another suite).
bench_emulators = fault_support.bench_emulators
bench = fault_support.bench

SF_DATA = r"^/services/data/"
SF_QUERY = r"/query"
SF_COLLECTIONS = r"/composite/sobjects"
HS_SEARCH = r"/crm/v3/objects/contacts/search$"
HS_BATCH = r"/crm/v3/objects/contacts/batch/"
HS_UPSERT = r"/crm/v3/objects/contacts/batch/upsert$"


def statuses(bench_admin_log: list[dict[str, object]], status: int) -> int:
    return sum(1 for entry in bench_admin_log if entry["status"] == status)


# -- rate limits ----------------------------------------------------------------------------


def test_salesforce_429_burst_waits_what_retry_after_asks_then_converges(bench: Bench) -> None:
    expected = bench.scene(leads=8, contacts=4)
    bench.sf.faults(
        {"path": SF_DATA, "status": 429, "retry_after": 7, "count": 3},
    )

    result = bench.sync()

    assert statuses(bench.sf.requests(), 429) == 3
    assert bench.time.sleeps.count(7.0) == 3, bench.time.sleeps
    assert result.dead_lettered == 0
    bench.assert_no_loss(expected)
    bench.assert_settled()


def test_hubspot_429_burst_waits_the_named_policy_out_then_converges(bench: Bench) -> None:
    expected = bench.scene(leads=8, contacts=4)
    # The HubSpot emulator's injected 429 names TEN_SECONDLY_ROLLING and carries no
    # Retry-After (its fault answer ignores ``retry_after``), so crmsync waits the window.
    bench.hs.faults({"path": HS_BATCH, "status": 429, "count": 3})

    result = bench.sync()

    assert statuses(bench.hs.requests(), 429) == 3
    assert bench.time.sleeps.count(10.0) == 3, bench.time.sleeps
    assert result.dead_lettered == 0
    bench.assert_no_loss(expected)


def test_a_small_hubspot_burst_limit_is_paced_not_hit(bench: Bench) -> None:
    expected = bench.scene(leads=30, contacts=5)
    bench.hs.post("/settings", {"burst_limit": 3})

    bench.sync()

    # The budget read the limit from the headers and waited before HubSpot had to refuse.
    assert statuses(bench.hs.requests(), 429) <= 1
    assert bench.time.sleeps, "no pause was taken although the limit was 3 calls per 10 s"
    bench.assert_no_loss(expected)


def test_429_with_retry_after_through_the_real_command(bench: Bench) -> None:
    expected = bench.scene(leads=5, contacts=2)
    bench.sf.faults({"path": SF_QUERY, "status": 429, "retry_after": 1, "count": 2})

    started = time.monotonic()
    outcome = bench.cli("sync")

    assert outcome.code == 0, outcome.output
    assert time.monotonic() - started >= 2.0  # it really waited twice as asked
    assert statuses(bench.sf.requests(), 429) == 2
    bench.assert_no_loss(expected)


def test_a_429_asking_for_a_longer_wait_than_a_run_takes_stops_clearly_and_resumes(
    bench: Bench, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = bench.scene(leads=5, contacts=2)
    bench.sf.faults({"path": SF_QUERY, "status": 429, "retry_after": 3600, "count": 1})

    stopped = bench.run(capsys, "sync")

    assert stopped.code == 3, stopped.output
    assert "wait of 3600 s" in stopped.stderr and "Traceback" not in stopped.output
    assert 3600.0 not in bench.time.sleeps  # it did not sit out the hour inside the run

    bench.sync()
    bench.assert_no_loss(expected)


# -- daily allocations ----------------------------------------------------------------------


def test_hubspot_daily_limit_stops_with_exit_3_saying_when_and_a_later_run_resumes(
    bench: Bench,
) -> None:
    expected = bench.scene(leads=250, contacts=5)
    # The first 200 leads' two batches and the next chunk's look-up are in flight together, in
    # any order: two calls past the first batch's place always include a batch and never all
    # three.
    limit = _limit_stopping_after_the_first_write(bench, expected, bench.hs, "/batch/upsert", 2)
    bench.reset()
    expected = bench.scene(leads=250, contacts=5)
    bench.hs.post("/settings", {"daily_limit": limit})

    stopped = bench.cli("sync")

    assert stopped.code == 3, stopped.output
    assert "Traceback" not in stopped.output
    assert "daily" in stopped.stderr and "HubSpot" in stopped.stderr
    assert "midnight" in stopped.stderr and " h." in stopped.stderr  # when it can resume
    assert 0 < len(bench.contacts()) - 5 < 250  # it stopped midway through the creates
    status = json.loads(bench.cli("status", "--json").stdout)
    assert status[0]["outcome"] == "failed"

    # The next day: the count starts afresh, and the allowance is whole again (the small
    # limit stood for a day's calls mostly spent by other apps).
    bench.advance(24 * 3600)
    bench.hs.post("/settings", {"daily_limit": 625_000})
    bench.sync()

    bench.assert_no_loss(expected)


def test_salesforce_daily_allocation_stops_with_exit_3_and_a_later_run_resumes(
    bench: Bench,
) -> None:
    expected = bench.scene(leads=5, contacts=250)
    limit = _limit_stopping_before_the_last_write(bench, expected, bench.sf, "/composite/sobjects")
    bench.reset()
    expected = bench.scene(leads=5, contacts=250)
    bench.sf.post("/limits", {"daily_api_requests": limit})

    stopped = bench.cli("sync")

    assert stopped.code == 3, stopped.output
    assert "Traceback" not in stopped.output
    assert "daily API request" in stopped.stderr
    assert "24 hours" in stopped.stderr  # when it can resume: as older calls age out
    assert 0 < len(bench.leads()) - 5 < 250  # it stopped midway through the creates

    # A rolling day later the old calls have aged out (and the allocation is whole again).
    bench.advance(24 * 3600 + 120)
    bench.sf.post("/limits", {"daily_api_requests": 100_000})
    bench.sync()

    bench.assert_no_loss(expected)


def _limit_stopping_before_the_last_write(
    bench: Bench, expected: set[str], admin: EmulatorAdmin, write_path: str
) -> int:
    """A daily limit that lets a clean first sync of this scene make every call but its last
    write, found by running it once and reading the emulator's log.

    Both limits count API calls only (not Salesforce logins); crmsync stops while one call
    (its 5 % reserve of so small a limit) is left, so a limit of n + 1 stops it after n calls.
    """
    bench.sync()
    bench.assert_no_loss(expected)
    writes = _write_positions(admin, write_path)
    return writes[-1] + 1


def _limit_stopping_after_the_first_write(
    bench: Bench, expected: set[str], admin: EmulatorAdmin, write_path: str, calls_past: int
) -> int:
    """A daily limit that lets a clean first sync make the calls before its first write and
    ``calls_past`` more (see ``_limit_stopping_before_the_last_write``)."""
    bench.sync()
    bench.assert_no_loss(expected)
    writes = _write_positions(admin, write_path)
    return writes[0] + calls_past + 1


def _write_positions(admin: EmulatorAdmin, write_path: str) -> list[int]:
    counted = [e for e in admin.requests() if not str(e["path"]).startswith("/services/oauth2")]
    writes = [i for i, e in enumerate(counted) if write_path in str(e["path"])]
    assert len(writes) >= 2, counted
    return writes


# -- server errors, dropped connections, timeouts --------------------------------------------


def test_5xx_on_reads_and_writes_of_both_sides_are_retried_and_converge(bench: Bench) -> None:
    expected = bench.scene(leads=8, contacts=4)
    bench.sf.faults(
        {"path": SF_QUERY, "status": 503, "count": 2},
        {"path": SF_COLLECTIONS, "method": "PATCH", "status": 500, "count": 2},
    )
    bench.hs.faults(
        {"path": HS_SEARCH, "status": 502, "count": 1},
        {"path": HS_UPSERT, "status": 503, "count": 2},
        {"path": r"/batch/read$", "status": 504, "count": 1},
    )

    result = bench.sync()

    assert statuses(bench.sf.requests(), 503) + statuses(bench.sf.requests(), 500) == 4
    assert sum(statuses(bench.hs.requests(), s) for s in (502, 503, 504)) == 4
    assert result.dead_lettered == 0
    bench.assert_no_loss(expected)
    bench.assert_settled()


def test_an_outage_longer_than_the_retries_stops_the_run_and_the_next_run_converges(
    bench: Bench,
) -> None:
    expected = bench.scene(leads=8, contacts=4)
    bench.hs.faults({"path": HS_UPSERT, "status": 503, "count": 1000})

    with pytest.raises(SystemUnreachable, match="HubSpot") as caught:
        bench.sync()
    assert "attempts" in str(caught.value)

    bench.hs.post("/faults/clear")
    bench.sync()
    bench.assert_no_loss(expected)


def test_dropped_connections_on_reads_and_writes_are_retried_and_converge(bench: Bench) -> None:
    expected = bench.scene(leads=8, contacts=4)
    bench.sf.faults(
        {"path": SF_QUERY, "disconnect": True, "count": 1},
        {"path": SF_COLLECTIONS, "method": "PATCH", "disconnect": True, "count": 1},
    )
    bench.hs.faults(
        {"path": HS_SEARCH, "disconnect": True, "count": 1},
        {"path": HS_UPSERT, "disconnect": True, "count": 1},
    )

    result = bench.sync()

    assert statuses(bench.sf.requests(), 0) == 2  # the emulator logs a drop as status 0
    assert statuses(bench.hs.requests(), 0) == 2
    assert result.dead_lettered == 0
    bench.assert_no_loss(expected)
    bench.assert_settled()


def test_answers_slower_than_the_timeout_are_retried_without_duplicates(bench: Bench) -> None:
    bench.write_config(salesforce={"timeout_s": 1.0}, hubspot={"timeout_s": 1.0})
    expected = bench.scene(leads=6, contacts=3)
    # The slow writes are still applied by the server after crmsync gave up on them: the
    # retried upserts must not create anything twice.
    bench.sf.faults({"path": SF_COLLECTIONS, "method": "PATCH", "delay_ms": 2500, "count": 1})
    bench.hs.faults({"path": HS_UPSERT, "delay_ms": 2500, "count": 1})

    result = bench.sync()

    assert result.dead_lettered == 0
    # Until the slow originals have been answered as well (the server logs a call on answering).
    _wait_for(
        lambda: (
            len(bench.hs.calls("POST", "/batch/upsert")) >= 2
            and len(bench.sf.calls("PATCH", "/composite/sobjects")) >= 3
        )
    )
    bench.assert_no_loss(expected)
    # The late duplicate writes changed nothing: the next cycle has nothing to write.
    again = bench.sync()
    assert sum(c.created + c.updated for c in again.counts.values()) == 0
    bench.assert_no_loss(expected)


def _wait_for(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)


# -- sessions, locks, partial batches, search lag ---------------------------------------------


def test_a_session_expiring_mid_batch_logs_in_again_and_converges(bench: Bench) -> None:
    expected = bench.scene(leads=3, contacts=250)
    # The second sObject Collections write meets a 503; while crmsync backs off, the org
    # expires every session: the retry gets INVALID_SESSION_ID and must log in again.
    bench.sf.faults(
        {"path": SF_COLLECTIONS, "method": "PATCH", "status": 503, "count": 1, "after": 1}
    )
    expired: list[float] = []

    def expire_once(seconds: float) -> None:
        if not expired:
            expired.append(seconds)
            bench.sf.post("/expire-tokens")

    bench.on_sleep.append(expire_once)

    result = bench.sync()

    assert expired, "the scripted 503 never made crmsync back off"
    log = bench.sf.requests()
    assert statuses(log, 401) >= 1
    assert len([e for e in log if e["path"] == "/services/oauth2/token"]) == 2
    assert result.dead_lettered == 0
    bench.assert_no_loss(expected)
    bench.assert_settled()


def _locked_scene(bench: Bench) -> tuple[set[str], list[dict[str, Any]]]:
    """Six linked pairs; then marketing edits every contact, so each lead needs an update."""
    expected = bench.scene(leads=6, contacts=0)
    bench.sync()
    bench.assert_no_loss(expected)
    contacts = bench.contacts()
    for contact in contacts:
        bench.hs.post(
            "/update",
            {"object": "contacts", "id": contact["id"], "properties": {"jobtitle": "CFO"}},
        )
    return expected, contacts


def test_locked_rows_are_retried_and_a_lasting_lock_is_one_dead_letter(bench: Bench) -> None:
    _, contacts = _locked_scene(bench)
    brief, lasting = contacts[0]["salesforce_lead_id"], contacts[1]["salesforce_lead_id"]
    bench.sf.post("/lock-row", {"id": brief, "count": 2})
    bench.sf.post("/lock-row", {"id": lasting, "count": 1000})

    result = bench.sync()

    assert result.counts[Side.SALESFORCE].dead_lettered == 1
    [letter] = bench.dead_letters()
    assert letter.error_code == "UNABLE_TO_LOCK_ROW"
    assert letter.record_id == lasting
    assert "exclusive access" in letter.error_message  # Salesforce's own words
    titles = {r["Id"]: r["Title"] for r in bench.leads()}
    assert titles.pop(lasting) == "Head of Operations"
    assert set(titles.values()) == {"CFO"}  # the briefly locked one too, on a later round


def test_errors_retry_writes_the_change_a_lasting_lock_held_up(bench: Bench) -> None:
    """Fails today (engine): the letter of a refused Salesforce update is keyed by the target
    lead (``cycle._letter`` takes ``pair.record(rejection.side)`` first), so ``errors retry``
    (``engine/retry.py``) re-reads that lead, finds it equal to its last agreed snapshot, skips
    it as an echo, writes nothing, and still marks the letter retried: the HubSpot edit is
    lost for good, since the HubSpot cursor has already moved past it."""
    expected, contacts = _locked_scene(bench)
    lasting = contacts[1]["salesforce_lead_id"]
    bench.sf.post("/lock-row", {"id": lasting, "count": 1000})
    bench.sync()
    assert len(bench.dead_letters()) == 1

    bench.sf.post("/lock-row", {"id": lasting, "count": 0})  # the other process let go
    bench.retry_letters()

    assert {r["Title"] for r in bench.leads()} == {"CFO"}
    assert bench.dead_letters() == []
    bench.assert_no_loss(expected)


@pytest.mark.parametrize("batch_errors", ["multi_status", "reject_batch"])
def test_records_hubspot_refuses_are_dead_letters_and_the_rest_of_the_batch_goes_on(
    bench: Bench, batch_errors: str
) -> None:
    bench.hs.post("/settings", {"batch_errors": batch_errors})
    bad = ["no-at-sign.example", "two@@signs.example"]
    bench.seed_leads(
        [lead(n) for n in range(20)] + [lead(90 + i, Email=b) for i, b in enumerate(bad)]
    )
    expected = {f"lena{n}@buyer.example" for n in range(20)} | set(bad)

    result = bench.sync()

    assert result.counts[Side.HUBSPOT].dead_lettered == 2
    letters = {str(letter.payload["record"]["Email"]): letter for letter in bench.dead_letters()}
    assert sorted(letters) == sorted(bad)
    for email, letter in letters.items():
        # HubSpot's own category and message, naming the value it refused.
        assert letter.error_code == "VALIDATION_ERROR"
        assert f"Email address {email} is invalid" in letter.error_message
    bench.assert_no_loss(expected, refused={b: Side.HUBSPOT for b in bad})


def test_a_lagging_search_index_delays_changes_but_loses_none(bench: Bench) -> None:
    expected = bench.scene(leads=4, contacts=4)
    bench.sync()
    bench.sync()  # reads back crmsync's own writes (echoes): nothing is pending after it
    bench.hs.post("/settings", {"search_lag_ms": 8000})
    for contact in bench.contacts():
        bench.hs.post(
            "/update",
            {"object": "contacts", "id": contact["id"], "properties": {"company": "Lagging Inc"}},
        )

    too_soon = bench.sync()
    # The edits are not searchable yet: nothing of them can be read, so nothing is written.
    assert {r.get("Company") for r in bench.leads()} != {"Lagging Inc"}
    assert too_soon.counts[Side.SALESFORCE].updated == 0

    bench.advance(10)
    bench.sync()
    assert {r.get("Company") for r in bench.leads()} == {"Lagging Inc"}
    bench.assert_no_loss(expected)

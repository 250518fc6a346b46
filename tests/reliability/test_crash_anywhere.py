"""Crash anywhere: ``crmsync sync`` and ``backfill`` killed with SIGKILL at chosen API calls.

Each scenario takes a reference run of its command on the scene (``scene.py``), draws moments
from the calls it made (``moments.choose`` with the suite's seed), and drills each one
(``drill.Drill.run``): kill, check, restart, check, final sync, check. A scenario's moments are
split over ``PARTS`` tests (the reference run is made once per worker), so that
``pytest -n 2`` shares them out. A failure prints the table of the test's moments and their
outcomes, then each failed moment's problems.

Moments: 16 in a first sync, 10 in an incremental sync, 10 in a backfill, and 3 in each of
two ``backfill --resume`` runs that follow a backfill killed at one of its writes: 42, all
different.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from connector.model import Cursor, Side
from connector.state import DeadLetterStatus, NewDeadLetter, StateStore
from tests.e2e.sync.harness import lead
from tests.reliability import invariants
from tests.reliability.drill import (
    BACKFILL,
    RESUME,
    SYNC,
    Command,
    Drill,
    Prepare,
    Reference,
    Row,
    details,
    table,
)
from tests.reliability.moments import Mode, Moment, candidates, choose
from tests.reliability.scene import Planted, change_scene, lead_key, seed_scene

# Each scenario's moments are drilled in this many tests, so that workers share them out.
PARTS = 2

Call = dict[str, Any]


def _fresh(drill: Drill) -> Prepare:
    def prepare() -> tuple[Planted, list[str]]:
        return seed_scene(drill.env), []

    return prepare


def _after_a_sync(drill: Drill) -> Prepare:
    """The scene synced once, then edited by people: the next sync is incremental."""

    def prepare() -> tuple[Planted, list[str]]:
        env = drill.env
        planted = seed_scene(env)
        first = env.cli("sync")
        problems = [] if first.code in (0, 1) else [f"the first sync exited {first.code}"]
        change_scene(env, planted)
        return planted, problems

    return prepare


def _after_a_killed_backfill(drill: Drill, moment: Moment) -> Prepare:
    """The scene after a backfill killed at ``moment``: what ``--resume`` resumes."""

    def prepare() -> tuple[Planted, list[str]]:
        planted = seed_scene(drill.env)
        hit, problems = drill.crash(moment, planted)
        return planted, [f"the first backfill's crash at {hit.landed}: {p}" for p in problems]

    return prepare


def _reference(drill: Drill, prepare: Prepare, command: Command) -> Reference:
    reference = drill.reference(prepare, command)
    assert not reference.problems, (
        f"an uninterrupted `{' '.join(command)}` already breaks a promise (not a crash "
        "problem):\n" + "\n".join(reference.problems[:20])
    )
    return reference


def _drill_all(
    drill: Drill,
    moments: list[Moment],
    prepare: Prepare,
    *,
    restart: Command,
    expected: invariants.Outcome,
    context: str = "",
) -> list[Row]:
    return [
        drill.run(moment, prepare, restart=restart, expected=expected, context=context)
        for moment in moments
    ]


def _assert_all_kept(rows: list[Row], expected: int) -> None:
    assert len({(row.context, row.moment) for row in rows}) == len(rows) == expected, (
        "the reference runs offered too few moments"
    )
    report = table(rows)
    print(report)
    failed = [row for row in rows if row.problems]
    assert not failed, (
        f"{len(failed)} of {len(rows)} crash moments broke a promise:\n{report}\n\n{details(rows)}"
    )


def _cached(
    references: dict[str, Reference], key: str, drill: Drill, prepare: Prepare, command: Command
) -> Reference:
    """A reference run, made once per worker: tests that share it skip repeating it."""
    if key not in references:
        references[key] = _reference(drill, prepare, command)
    return references[key]


@pytest.mark.parametrize("part", range(PARTS))
def test_a_first_sync_killed_anywhere_converges_without_duplicates(
    crash_drill: Drill, crash_seed: int, crash_references: dict[str, Reference], part: int
) -> None:
    prepare = _fresh(crash_drill)
    reference = _cached(crash_references, "sync", crash_drill, prepare, SYNC)
    moments = choose(reference.moments(), 16, random.Random(crash_seed))[part::PARTS]
    rows = _drill_all(crash_drill, moments, prepare, restart=SYNC, expected=reference.outcome)
    _assert_all_kept(rows, 8)


@pytest.mark.parametrize("part", range(PARTS))
def test_an_incremental_sync_killed_anywhere_loses_no_change(
    crash_drill: Drill, crash_seed: int, crash_references: dict[str, Reference], part: int
) -> None:
    prepare = _after_a_sync(crash_drill)
    reference = _cached(crash_references, "incremental", crash_drill, prepare, SYNC)
    moments = choose(reference.moments(), 10, random.Random(crash_seed + 1))[part::PARTS]
    rows = _drill_all(crash_drill, moments, prepare, restart=SYNC, expected=reference.outcome)
    _assert_all_kept(rows, 5)


@pytest.mark.parametrize("part", range(PARTS))
def test_a_backfill_killed_anywhere_reconciles_on_rerun(
    crash_drill: Drill, crash_seed: int, crash_references: dict[str, Reference], part: int
) -> None:
    prepare = _fresh(crash_drill)
    reference = _cached(crash_references, "backfill", crash_drill, prepare, BACKFILL)
    moments = choose(reference.moments(), 10, random.Random(crash_seed + 2))[part::PARTS]
    rows = _drill_all(crash_drill, moments, prepare, restart=BACKFILL, expected=reference.outcome)
    _assert_all_kept(rows, 5)


@pytest.mark.parametrize("first", range(2))
def test_a_resumed_backfill_killed_anywhere_resumes_again(
    crash_drill: Drill, crash_seed: int, crash_references: dict[str, Reference], first: int
) -> None:
    backfill = _cached(crash_references, "backfill", crash_drill, _fresh(crash_drill), BACKFILL)
    # The first backfill dies at one of its writes, early enough that the resume has work
    # done and work left.
    writes = [m for m in backfill.moments() if m.is_write]
    last = Counter[tuple[Side, str, str]]()
    for m in writes:
        last[(m.side, m.method, m.path)] = max(last[(m.side, m.method, m.path)], m.n)
    early = sorted(
        (m for m in writes if m.n <= max(1, last[(m.side, m.method, m.path)] * 2 // 3)),
        key=Moment.sort_key,
    )
    killed = random.Random(crash_seed + 3).sample(early, 2)[first]
    prepare = _after_a_killed_backfill(crash_drill, killed)
    resume = _reference(crash_drill, prepare, RESUME)
    assert invariants.differences(backfill.outcome, resume.outcome) == [], (
        "a resumed backfill must leave what a whole one leaves"
    )
    moments = choose(resume.moments(), 3, random.Random(crash_seed + 4 + first))
    context = f"backfill killed first: {killed.label()} {killed.mode.value}"
    rows = _drill_all(
        crash_drill, moments, prepare, restart=RESUME, expected=backfill.outcome, context=context
    )
    _assert_all_kept(rows, 3)


def _call(method: str, path: str, query: str = "", status: int = 200, records: int = 1) -> Call:
    return {"method": method, "path": path, "query": query, "status": status, "records": records}


SF_API = "/services/data/v59.0"
HS_CONTACTS = "/crm/v3/objects/contacts"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_moments_are_drawn_from_the_seed_covering_every_kind_of_call(seed: int) -> None:
    calls = {
        Side.SALESFORCE: [
            _call("POST", "/services/oauth2/token", records=0),
            _call("GET", f"{SF_API}/query/", "q=SELECT+Id+FROM+Lead+ORDER+BY+SystemModstamp"),
            _call("GET", f"{SF_API}/query/", "q=SELECT+Id+FROM+User+ORDER+BY+Id"),
            _call("PATCH", f"{SF_API}/composite/sobjects"),
            _call("PATCH", f"{SF_API}/composite/sobjects"),
        ],
        Side.HUBSPOT: [
            _call("POST", f"{HS_CONTACTS}/batch/read", status=207),
            _call("POST", f"{HS_CONTACTS}/batch/upsert"),
            # Every input refused: nothing was written, so no answer to lose.
            _call("POST", f"{HS_CONTACTS}/batch/upsert", status=207, records=0),
            _call("POST", f"{HS_CONTACTS}/search"),
        ],
    }
    pool = candidates(SYNC, calls)
    assert {m.kind for m in pool if m.side is Side.SALESFORCE} == {
        "sf-login",
        "sf-changes",
        "sf-owners",
        "sf-update",
    }
    first = choose(pool, 10, random.Random(seed))
    assert first == choose(pool, 10, random.Random(seed))
    assert len(set(first)) == 10
    # First every kind of write in every mode and every kind of main read killed while held;
    # no stratum twice while another is left uncovered.
    strata = [(m.kind, m.mode) for m in first]
    assert set(strata[:9]) == {
        *((kind, mode) for kind in ("sf-update", "hs-upsert") for mode in Mode),
        ("sf-changes", Mode.BEFORE),
        ("hs-search", Mode.BEFORE),
        ("hs-read", Mode.BEFORE),
    }
    assert len(set(strata)) == len(strata)
    # A lost answer is only drilled on a write that wrote; "after" needs a next call.
    assert [m.label() for m in pool if m.mode is Mode.LOST] == [
        "salesforce PATCH composite/sobjects #1",
        "salesforce PATCH composite/sobjects #2",
        "hubspot POST contacts/batch/upsert #1",
    ]
    assert not [m for m in pool if m.mode is Mode.AFTER and m.kind == "hs-search"]
    assert choose(pool, 10, random.Random(seed)) != choose(pool, 10, random.Random(seed + 100))


def test_the_checks_catch_what_a_bad_crash_would_leave_behind(crash_drill: Drill) -> None:
    env = crash_drill.env
    planted = seed_scene(env)
    assert env.cli("sync").code == 1
    assert invariants.problems_after_recovery(env, planted, None) == []
    synced = invariants.outcome(env)
    by_email = {str(r["Email"]).lower(): r for r in env.leads()}
    edited = by_email["lena3@buyer.example"]
    env.edit_lead(edited["Id"], Title="Edited")
    env.clear_log()
    env.cli("sync")
    assert invariants.quiet(env) == [
        "the final sync wrote again: hubspot POST /crm/v3/objects/contacts/batch/update: 1"
    ]
    assert invariants.differences(synced, invariants.outcome(env)) == [
        "contact lena3@buyer.example: jobtitle 'Edited' (uninterrupted: 'Engineer')",
        "lead lena3@buyer.example: Title 'Edited' (uninterrupted: 'Engineer')",
    ]

    # What a broken crash could leave: a lead twice, cursors past records never written, a
    # dead letter for a healthy record, a planted one settled, a pair that disagrees.
    [twin_id] = env.seed_leads([lead(5)])
    healthy = by_email["lena6@buyer.example"]
    contact = next(c for c in env.contacts() if c["email"] == "lena8@buyer.example")
    env.edit_contact(contact["id"], jobtitle="Changed behind the cursor")
    future = Cursor(position=datetime(2100, 1, 1, tzinfo=UTC))
    with StateStore.open(env.config().file.state.url) as store, store.transaction() as tx:
        tx.set_cursor("leads", Side.SALESFORCE, "Lead", future)
        tx.set_cursor("leads", Side.HUBSPOT, "contacts", future)
        letter = NewDeadLetter(
            side=Side.HUBSPOT,
            object="contacts",
            record_key=lead_key(healthy["Id"]),
            payload={},
            error_code="PLANTED",
            error_message="planted by the test",
        )
        tx.add_dead_letters("leads", None, [letter])
        dropped = tx.list_dead_letters("leads", record_key=lead_key(planted.lead_ids[0]))[0]
        tx.mark_dead_letter(dropped.id, DeadLetterStatus.DROPPED)

    assert invariants.duplicates(env, planted) == [
        "2 records with lead e-mail 'lena5@buyer.example'"
    ]
    behind = invariants.cursors_behind_writes(env)
    assert (
        f"lead {twin_id} (lena5@buyer.example) is behind the Salesforce cursor but has no "
        "HubSpot contact and no dead letter"
    ) in behind
    assert any("!= jobtitle 'Changed behind the cursor'" in p for p in behind), behind
    letters = invariants.dead_letters(env, planted, complete=True)
    assert any(f"for a healthy record {lead_key(healthy['Id'])}" in p for p in letters)
    assert f"dead letter {dropped.id} ({dropped.record_key}) is dropped" in letters

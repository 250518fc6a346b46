"""The state store's contract, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from connector.errors import ConfigError, CredentialsRefused, SystemUnreachable
from connector.model import Cursor, Side
from connector.state import (
    AuditEntry,
    AuditOutcome,
    DeadLetterStatus,
    LinkConflict,
    NewDeadLetter,
    NewLink,
    NewSnapshot,
    RunKind,
    RunOutcome,
    StateStore,
)
from connector.state.migrate import head_revision
from connector.state.tables import metadata

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)
SF, HS = Side.SALESFORCE, Side.HUBSPOT


class MutableClock:
    """A clock the test moves by hand; shared by threads, so reads and moves are locked."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta


@pytest.fixture
def clock() -> MutableClock:
    return MutableClock(T0)


@pytest.fixture
def store(state_url: str, clock: MutableClock) -> Iterator[StateStore]:
    opened = StateStore.open(state_url, clock=clock)
    yield opened
    opened.close()


def lead_link(n: int, email: str | None = None) -> NewLink:
    return NewLink("Lead", f"00Q{n:015d}", "contacts", str(1000 + n), email)


def statements(store: StateStore) -> list[str]:
    """A live list of the SQL statements the store's engine sends from now on."""
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    sa.event.listen(store.engine, "before_cursor_execute", record)
    return seen


# --- opening and migrating -------------------------------------------------------------------


def test_open_migrates_to_head_and_reopening_changes_nothing(
    state_url: str, clock: MutableClock
) -> None:
    first = StateStore.open(state_url, clock=clock)
    with first.transaction() as tx:
        tx.set_cursor("leads", SF, "Lead", Cursor(T0, frozenset({"a"})))
    first.close()

    second = StateStore.open(state_url, clock=clock)
    third = StateStore.open(state_url, clock=clock)
    with third.transaction() as tx:
        assert tx.get_cursor("leads", SF, "Lead") == Cursor(T0, frozenset({"a"}))
        version = tx.connection.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    assert [row[0] for row in version] == [head_revision()]
    second.close()
    third.close()


def test_migrated_schema_matches_the_table_definitions(store: StateStore) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_a_database_from_a_newer_crmsync_is_refused_with_a_message(
    state_url: str, clock: MutableClock
) -> None:
    StateStore.open(state_url, clock=clock).close()
    engine = sa.create_engine(state_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(ConfigError, match="newer than this crmsync"):
        StateStore.open(state_url, clock=clock)


def test_sqlite_directory_is_created_and_in_memory_works(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "state.db"
    StateStore.open(f"sqlite:///{path}").close()
    assert path.is_file()
    with StateStore.open("sqlite://") as memory, memory.transaction() as tx:
        tx.set_cursor("p", HS, "contacts", Cursor(T0))
        assert tx.get_cursor("p", HS, "contacts").position == T0


# --- cursors, snapshots and the transaction they share -----------------------------------------


def test_cursor_round_trip(store: StateStore, clock: MutableClock) -> None:
    with store.transaction() as tx:
        assert tx.get_cursor("leads", SF, "Lead") == Cursor()
        tx.set_cursor("leads", SF, "Lead", Cursor(T0, frozenset({"00Q1", "00Q2"})))
        tx.set_cursor("leads", HS, "contacts", Cursor(None))
    clock.advance(timedelta(minutes=5))
    with store.transaction() as tx:
        tx.set_cursor("leads", HS, "contacts", Cursor(T0 + timedelta(seconds=1), frozenset({"9"})))
    with store.transaction(readonly=True) as tx:
        assert tx.get_cursor("leads", SF, "Lead") == Cursor(T0, frozenset({"00Q1", "00Q2"}))
        states = tx.list_cursors("leads")
    assert [(s.side, s.object, s.cursor.seen_ids) for s in states] == [
        (HS, "contacts", frozenset({"9"})),
        (SF, "Lead", frozenset({"00Q1", "00Q2"})),
    ]
    assert states[0].updated_at == T0 + timedelta(minutes=5)
    assert states[1].updated_at == T0


def test_timestamps_round_trip_as_aware_utc(store: StateStore) -> None:
    paris = datetime(2026, 7, 14, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=2)))
    with store.transaction() as tx:
        tx.set_cursor("leads", SF, "Lead", Cursor(paris))
        [link] = tx.upsert_links("leads", [lead_link(1)])
        tx.put_snapshot(link.id, HS, {"email": "a@example.com"}, modified_at=paris)
    with store.transaction() as tx:
        position = tx.get_cursor("leads", SF, "Lead").position
        snapshot = tx.get_snapshot(link.id, HS)
    assert snapshot is not None
    for value in (position, snapshot.modified_at, snapshot.synced_at, link.created_at):
        assert value is not None
        assert value.tzinfo is UTC
    assert position == paris
    assert position is not None and (position.hour, position.microsecond) == (21, 999999)
    assert snapshot.synced_at == T0


def test_naive_datetimes_are_refused(store: StateStore) -> None:
    with pytest.raises(sa.exc.StatementError, match="aware datetimes only"):  # noqa: SIM117
        with store.transaction() as tx:
            tx.set_cursor("leads", SF, "Lead", Cursor(datetime(2026, 1, 1)))


def test_cursor_moves_with_its_snapshots_in_one_transaction(state_url: str) -> None:
    writer = StateStore.open(state_url)
    reader = StateStore.open(state_url)
    with writer.transaction() as tx:
        [link] = tx.upsert_links("leads", [lead_link(1)])
        tx.put_snapshot(link.id, SF, {"Email": "old@example.com"})
        tx.set_cursor("leads", SF, "Lead", Cursor(T0))

    with writer.transaction() as tx:
        tx.put_snapshot(link.id, SF, {"Email": "new@example.com"})
        tx.set_cursor("leads", SF, "Lead", Cursor(T0 + timedelta(hours=1), frozenset({"x"})))
        # Until commit, nobody else sees either of them move.
        with reader.transaction(readonly=True) as other:
            assert other.get_cursor("leads", SF, "Lead") == Cursor(T0)
            snap = other.get_snapshot(link.id, SF)
            assert snap is not None and snap.fields == {"Email": "old@example.com"}

    with reader.transaction(readonly=True) as other:
        assert other.get_cursor("leads", SF, "Lead").position == T0 + timedelta(hours=1)
        snap = other.get_snapshot(link.id, SF)
        assert snap is not None and snap.fields == {"Email": "new@example.com"}
    writer.close()
    reader.close()


def test_failure_inside_a_transaction_rolls_everything_back(store: StateStore) -> None:
    with store.transaction() as tx:
        [link] = tx.upsert_links("leads", [lead_link(1)])
        tx.put_snapshot(link.id, HS, {"lifecyclestage": "lead"}, modified_at=T0)
        tx.set_cursor("leads", HS, "contacts", Cursor(T0, frozenset({"1001"})))

    with pytest.raises(RuntimeError, match="target refused"):  # noqa: SIM117
        with store.transaction() as tx:
            tx.put_snapshot(link.id, HS, {"lifecyclestage": "marketingqualifiedlead"})
            tx.upsert_links("leads", [lead_link(2)])
            tx.set_cursor("leads", HS, "contacts", Cursor(T0 + timedelta(days=1)))
            raise RuntimeError("target refused the batch")

    with store.transaction() as tx:
        assert tx.get_cursor("leads", HS, "contacts") == Cursor(T0, frozenset({"1001"}))
        snap = tx.get_snapshot(link.id, HS)
        assert snap is not None
        assert (snap.fields, snap.modified_at) == ({"lifecyclestage": "lead"}, T0)
        assert [x.salesforce_id for x in tx.links_for("leads")] == [link.salesforce_id]


def test_snapshots_in_bulk_with_one_statement_per_batch(store: StateStore) -> None:
    with store.transaction() as tx:
        links = tx.upsert_links("leads", [lead_link(n) for n in range(200)])
    seen = statements(store)
    with store.transaction() as tx:
        tx.put_snapshots(
            [NewSnapshot(x.id, HS, {"n": i, "tags": ["a", None]}, T0) for i, x in enumerate(links)]
        )
        writes = len(seen)
        found = tx.snapshots_for([x.id for x in links] + [10**9])
        reads = len(seen) - writes
    assert writes <= 2 and reads <= 2, seen
    assert len(found) == 200
    assert found[(links[7].id, HS)].fields == {"n": 7, "tags": ["a", None]}
    assert (links[7].id, SF) not in found

    with store.transaction() as tx:
        tx.put_snapshots([NewSnapshot(links[7].id, HS, {"n": "replaced"})])
        tx.delete_links([links[8].id])
        found = tx.snapshots_for([links[7].id, links[8].id])
    assert found[(links[7].id, HS)].fields == {"n": "replaced"}
    assert found[(links[7].id, HS)].modified_at is None
    assert (links[8].id, HS) not in found


# --- links ---------------------------------------------------------------------------------


def test_links_are_created_once_and_found_in_bulk(store: StateStore) -> None:
    with store.transaction() as tx:
        created = tx.upsert_links(
            "leads", [lead_link(1, " Ada@Example.COM "), lead_link(2), lead_link(3, "b@x.io")]
        )
        again = tx.upsert_link(
            "leads",
            salesforce_object="Lead",
            salesforce_id=created[0].salesforce_id,
            hubspot_object="contacts",
            hubspot_id="1001",
        )
        assert again.id == created[0].id
        assert again.match_key == "ada@example.com"
    seen = statements(store)
    with store.transaction() as tx:
        by_sf = tx.links_by_salesforce_ids(
            "leads", "Lead", [lead_link(n).salesforce_id for n in range(1, 201)]
        )
        by_hs = tx.links_by_hubspot_ids("leads", "contacts", ["1002", "1003", "404"])
        by_key = tx.links_by_match_keys("leads", ["ADA@example.com", "nobody@x.io"])
        assert tx.get_link_by_hubspot("leads", "contacts", "1001") == created[0]
        assert tx.get_link_by_salesforce("other", "Lead", created[0].salesforce_id) is None
    # One statement per index asked (a Salesforce id may be a link's current or previous id).
    assert len(seen) <= 8, seen
    assert set(by_sf) == {x.salesforce_id for x in created}
    assert {k: v.salesforce_id for k, v in by_hs.items()} == {
        "1002": created[1].salesforce_id,
        "1003": created[2].salesforce_id,
    }
    assert by_key == {"ada@example.com": [created[0]]}


def test_link_look_ups_search_an_index_instead_of_scanning_the_pipeline(tmp_path: Path) -> None:
    """Each chunk looks links up by id; a scan of the pipeline's links per chunk would make a
    backfill slower with every record it links (quadratic in the records)."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    with StateStore.open(url) as store:
        with store.transaction() as tx:
            tx.upsert_links("leads", [lead_link(n) for n in range(1, 50)])
        asked: list[tuple[str, Any]] = []

        def record(*args: Any) -> None:
            if str(args[2]).lstrip().upper().startswith("SELECT") and "FROM links" in args[2]:
                asked.append((args[2], args[3]))

        sa.event.listen(store.engine, "before_cursor_execute", record)
        sf_ids = [lead_link(n).salesforce_id for n in range(1, 5)]
        with store.transaction() as tx:
            tx.links_by_salesforce_ids("leads", "Lead", sf_ids)
            tx.links_by_hubspot_ids("leads", "contacts", ["1001", "1002"])
            tx.upsert_links("leads", [lead_link(n) for n in range(1, 5)] + [lead_link(60)])
        sa.event.remove(store.engine, "before_cursor_execute", record)
        assert len(asked) >= 4
        with store.engine.connect() as conn:
            for statement, parameters in asked:
                plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
                details = [str(row[-1]) for row in plan]
                assert all("SEARCH links USING INDEX" in d and "_id=?" in d for d in details), (
                    statement,
                    details,
                )


def test_a_record_cannot_link_to_a_second_partner(store: StateStore) -> None:
    with store.transaction() as tx:
        [first] = tx.upsert_links("leads", [lead_link(1)])
        # The same ids in another pipeline are another link.
        tx.upsert_links("deals", [NewLink("Lead", first.salesforce_id, "contacts", "77")])

    steal_sf = NewLink("Lead", first.salesforce_id, "contacts", "9999")
    steal_hs = NewLink("Lead", "00Qother", "contacts", first.hubspot_id)
    for thief in (steal_sf, steal_hs):
        with pytest.raises(LinkConflict) as caught, store.transaction() as tx:
            tx.upsert_links("leads", [lead_link(2), thief])
        assert caught.value.code == "LINK_CONFLICT"
        assert caught.value.conflicts[0][0] == thief
        assert first.salesforce_id in str(caught.value)

    twice = [NewLink("Lead", "00Qx", "contacts", "1"), NewLink("Lead", "00Qx", "contacts", "2")]
    with pytest.raises(LinkConflict), store.transaction() as tx:
        tx.upsert_links("leads", twice)

    with store.transaction() as tx:
        assert [x.hubspot_id for x in tx.links_for("leads")] == [first.hubspot_id]
        assert [x.hubspot_id for x in tx.links_for("deals")] == ["77"]


def test_lead_conversion_repoints_the_link_and_keeps_its_history(
    store: StateStore, clock: MutableClock
) -> None:
    with store.transaction() as tx:
        [link] = tx.upsert_links("leads", [lead_link(1, "ada@example.com")])
        tx.put_snapshot(link.id, HS, {"lifecyclestage": "salesqualifiedlead"})
    clock.advance(timedelta(hours=2))
    with store.transaction() as tx:
        moved = tx.repoint_link(
            "leads", "Lead", link.salesforce_id, to_object="Contact", to_id="003A"
        )
        assert (
            tx.repoint_link("leads", "Lead", link.salesforce_id, to_object="Contact", to_id="003A")
            == moved
        )
        assert (
            tx.repoint_link("leads", "Lead", "00Qnone", to_object="Contact", to_id="003B") is None
        )
    assert moved is not None
    assert (moved.id, moved.salesforce_object, moved.salesforce_id) == (link.id, "Contact", "003A")
    assert (moved.previous_salesforce_object, moved.previous_salesforce_id) == (
        "Lead",
        link.salesforce_id,
    )
    with store.transaction() as tx:
        assert tx.get_link_by_salesforce("leads", "Contact", "003A") == moved
        # Changes still read from the converted Lead reach the same HubSpot contact.
        assert tx.get_link_by_salesforce("leads", "Lead", link.salesforce_id) == moved
        assert tx.get_link_by_hubspot("leads", "contacts", link.hubspot_id) == moved
        assert tx.get_snapshot(link.id, HS) is not None
        [change] = tx.link_history(link.id)
        assert (change.from_object, change.from_id, change.to_object, change.to_id) == (
            "Lead",
            link.salesforce_id,
            "Contact",
            "003A",
        )
        assert change.changed_at == T0 + timedelta(hours=2)
        [other] = tx.upsert_links("leads", [lead_link(2)])
    with pytest.raises(LinkConflict), store.transaction() as tx:
        tx.repoint_link("leads", "Lead", other.salesforce_id, to_object="Contact", to_id="003A")


# --- runs, dead letters, audit, checkpoints --------------------------------------------------


def test_runs_are_recorded_and_listed_newest_first(store: StateStore, clock: MutableClock) -> None:
    with store.transaction() as tx:
        first = tx.start_run("leads", RunKind.SYNC)
    clock.advance(timedelta(minutes=1))
    with store.transaction() as tx:
        tx.finish_run(first.id, RunOutcome.DEAD_LETTERS, {"hubspot": {"read": 5, "updated": 2}})
        second = tx.start_run("leads", RunKind.BACKFILL)
        tx.start_run("deals", RunKind.RETRY)
        with pytest.raises(ValueError, match="RUNNING"):
            tx.finish_run(second.id, RunOutcome.RUNNING, {})
    with store.transaction() as tx:
        runs = tx.last_runs("leads")
        assert len(tx.last_runs()) == 3
    assert [r.id for r in runs] == [second.id, first.id]
    assert runs[0].outcome is RunOutcome.RUNNING and runs[0].finished_at is None
    assert runs[1].outcome is RunOutcome.DEAD_LETTERS
    assert runs[1].counts == {"hubspot": {"read": 5, "updated": 2}}
    assert runs[1].finished_at == T0 + timedelta(minutes=1)
    assert isinstance(runs[1].id, uuid.UUID)


def test_dead_letter_lifecycle(store: StateStore, clock: MutableClock) -> None:
    refused = NewDeadLetter(
        side=SF,
        object="Lead",
        record_key="1001",
        payload={"Email": "not-an-email"},
        error_code="INVALID_EMAIL_ADDRESS",
        error_message="Email: invalid email address: not-an-email",
    )
    with store.transaction() as tx:
        run = tx.start_run("leads", RunKind.SYNC)
        letter = tx.add_dead_letter("leads", run.id, refused)
        tx.add_dead_letters("leads", run.id, [NewDeadLetter(HS, "contacts", "00Q1", {}, "X", "y")])
    assert (letter.status, letter.attempts, letter.run_id) == (DeadLetterStatus.OPEN, 1, run.id)

    clock.advance(timedelta(hours=1))
    with store.transaction() as tx:
        again = tx.add_dead_letter(
            "leads", None, NewDeadLetter(SF, "Lead", "1001", {"Email": "x"}, "E2", "still bad")
        )
        assert tx.count_dead_letters() == {"leads": 2}
    assert (again.id, again.attempts, again.error_code) == (letter.id, 2, "E2")
    assert (again.created_at, again.updated_at) == (T0, T0 + timedelta(hours=1))

    with store.transaction() as tx:
        assert tx.mark_dead_letter(letter.id, DeadLetterStatus.RETRIED)
        assert not tx.mark_dead_letter(letter.id, DeadLetterStatus.DROPPED)
        open_keys = [x.record_key for x in tx.list_dead_letters("leads")]
        settled = tx.list_dead_letters("leads", status=DeadLetterStatus.RETRIED)
    assert open_keys == ["00Q1"]
    assert [x.id for x in settled] == [letter.id]

    # The same record failing after its letter was settled opens a new letter.
    with store.transaction() as tx:
        fresh = tx.add_dead_letter("leads", None, refused)
        all_letters = tx.list_dead_letters(status=None)
    assert fresh.id != letter.id and fresh.attempts == 1
    assert len(all_letters) == 3


def test_audit_and_checkpoints(store: StateStore) -> None:
    rejected = AuditEntry(
        pipeline="leads",
        system=HS,
        record="contact 1001",
        from_stage="mql",
        to_stage="sql",
        outcome=AuditOutcome.REJECTED,
        why="sql is set by sales in Salesforce",
        at=T0,
        actor="marketer@example.com",
    )
    written = AuditEntry(
        "leads",
        SF,
        "Lead 00Q1",
        "sql",
        "opportunity",
        AuditOutcome.WRITTEN,
        "converted",
        T0 - timedelta(days=1),
    )
    with store.transaction() as tx:
        tx.add_audit([rejected, written])
        tx.set_checkpoint("leads", HS, "contacts", {"after": "1500", "window": [1, 2]})
        tx.set_checkpoint("leads", SF, "Lead", "0x1")
        with pytest.raises(ValueError, match="clear_checkpoint"):
            tx.set_checkpoint("leads", SF, "Lead", None)
    with store.transaction() as tx:
        entries = tx.list_audit("leads")
        only_rejected = tx.list_audit(outcome=AuditOutcome.REJECTED, since=T0)
        assert tx.get_checkpoint("leads", HS, "contacts") == {"after": "1500", "window": [1, 2]}
        assert tx.clear_checkpoint("leads", SF) == 1
        assert tx.get_checkpoint("leads", SF, "Lead") is None
        assert tx.clear_checkpoint("leads") == 1
        assert tx.get_checkpoint("leads", HS, "contacts") is None
    assert [e.record for e in entries] == ["Lead 00Q1", "contact 1001"]
    assert entries[1].actor == "marketer@example.com" and entries[1].id is not None
    assert [e.why for e in only_rejected] == [rejected.why]


# --- leases --------------------------------------------------------------------------------


def test_lease_is_held_renewed_expired_and_released(store: StateStore, clock: MutableClock) -> None:
    ttl = timedelta(seconds=30)
    assert store.acquire_lease("leads", "replica-a", ttl)
    assert not store.acquire_lease("leads", "replica-b", ttl)
    clock.advance(timedelta(seconds=20))
    assert store.acquire_lease("leads", "replica-a", ttl)  # renew: 30 s from now
    clock.advance(timedelta(seconds=20))
    assert not store.acquire_lease("leads", "replica-b", ttl)
    with store.transaction() as tx:
        lease = tx.get_lease("leads")
        assert tx.holds_lease("leads", "replica-a")
    assert lease is not None
    assert (lease.holder, lease.acquired_at, lease.expires_at) == (
        "replica-a",
        T0,
        T0 + timedelta(seconds=50),
    )

    clock.advance(timedelta(seconds=11))  # replica-a stopped renewing: its lease expired
    assert store.acquire_lease("leads", "replica-b", ttl)
    with store.transaction() as tx:
        assert not tx.holds_lease("leads", "replica-a")
        lease = tx.get_lease("leads")
    assert lease is not None and (lease.holder, lease.acquired_at) == ("replica-b", clock())

    assert not store.release_lease("leads", "replica-a")
    assert store.release_lease("leads", "replica-b")
    assert store.acquire_lease("leads", "replica-a", ttl)


def race_for_lease(stores: list[StateStore], pipeline: str, racers: int) -> list[str]:
    """Let ``racers`` threads, spread over ``stores``, try to take one lease at once."""
    barrier = threading.Barrier(racers)
    wins: list[str] = []

    def race(i: int) -> None:
        barrier.wait()
        if stores[i % len(stores)].acquire_lease(pipeline, f"replica-{i}", timedelta(seconds=30)):
            wins.append(f"replica-{i}")

    threads = [threading.Thread(target=race, args=(i,)) for i in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return wins


def test_racing_replicas_never_both_win_a_lease(state_url: str, clock: MutableClock) -> None:
    stores = [StateStore.open(state_url, clock=clock) for _ in range(2)]
    for round_ in range(4):
        wins = race_for_lease(stores, f"pipeline-{round_}", racers=6)
        assert len(wins) == 1, wins
        with stores[0].transaction() as tx:
            lease = tx.get_lease(f"pipeline-{round_}")
        assert lease is not None and lease.holder == wins[0]
    # Once it has expired, a new race again has exactly one winner.
    clock.advance(timedelta(seconds=31))
    assert len(race_for_lease(stores, "pipeline-0", racers=6)) == 1
    for s in stores:
        s.close()


# --- concurrency ---------------------------------------------------------------------------


def test_concurrent_threads_lose_no_writes(state_url: str, clock: MutableClock) -> None:
    stores = [StateStore.open(state_url, clock=clock) for _ in range(2)]
    per_thread, threads_n = 15, 4
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(per_thread):
                with stores[n % 2].transaction() as tx:
                    tx.upsert_links(f"p{n}", [lead_link(i)])
                    tx.set_cursor(f"p{n}", SF, "Lead", Cursor(T0 + timedelta(seconds=i)))
                    tx.lock_pipeline("shared")
                    count = tx.get_checkpoint("shared", HS, "contacts") or 0
                    tx.set_checkpoint("shared", HS, "contacts", count + 1)
        except BaseException as error:  # reported below, with the thread's failure
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with stores[0].transaction() as tx:
        assert tx.get_checkpoint("shared", HS, "contacts") == per_thread * threads_n
        for n in range(threads_n):
            assert len(tx.links_for(f"p{n}")) == per_thread
            last = T0 + timedelta(seconds=per_thread - 1)
            assert tx.get_cursor(f"p{n}", SF, "Lead").position == last
    for s in stores:
        s.close()


WORKER = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime, timedelta
    from pathlib import Path
    from connector.model import Cursor, Side
    from connector.state import NewLink, StateStore

    url, name, count, gate = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    Path(f"{gate}.{name}").touch()
    while not gate.exists():  # start together, so both migrate the new database at once
        time.sleep(0.005)
    store = StateStore.open(url)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(count):
        with store.transaction() as tx:
            tx.upsert_links(name, [NewLink("Lead", f"{name}-{i}", "contacts", f"{name}-{i}")])
            tx.set_cursor(name, Side.SALESFORCE, "Lead", Cursor(t0 + timedelta(seconds=i)))
            tx.lock_pipeline("shared")
            n = tx.get_checkpoint("shared", Side.HUBSPOT, "contacts") or 0
            tx.set_checkpoint("shared", Side.HUBSPOT, "contacts", n + 1)
    store.close()
    """
)


def test_two_processes_open_a_new_database_and_write_together(
    state_url: str, tmp_path: Path
) -> None:
    gate, count, names = tmp_path / "gate", 20, ["alpha", "beta"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, state_url, name, str(count), str(gate)],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    ready = [Path(f"{gate}.{name}") for name in names]
    deadline = datetime.now(UTC) + timedelta(seconds=30)
    while not all(p.exists() for p in ready) and datetime.now(UTC) < deadline:
        threading.Event().wait(0.01)
    gate.touch()
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    with StateStore.open(state_url) as store, store.transaction() as tx:
        assert tx.get_checkpoint("shared", HS, "contacts") == count * len(names)
        for name in names:
            assert len(tx.links_for(name)) == count
            assert tx.get_cursor(name, SF, "Lead").position == datetime(
                2026, 1, 1, 0, 0, count - 1, tzinfo=UTC
            )


# --- failures the user sees ----------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_unreachable_postgres_names_it_without_the_password() -> None:
    url = f"postgresql+psycopg://crmsync:s3cret-pw@127.0.0.1:{closed_port()}/crmsync"
    with pytest.raises(SystemUnreachable) as caught:
        StateStore.open(url, connect_attempts=2)
    message = str(caught.value)
    assert "s3cret-pw" not in message
    assert "crmsync:***@127.0.0.1" in message and "\n" not in message


@pytest.mark.postgres
def test_refused_postgres_login_is_credentials_refused(postgresql_url: str) -> None:
    url = sa.make_url(postgresql_url).set(password="wrong-pw-123")
    with pytest.raises(CredentialsRefused) as caught:
        StateStore.open(url.render_as_string(hide_password=False))
    assert "wrong-pw-123" not in str(caught.value)
    assert "***" in str(caught.value)


@pytest.mark.parametrize(
    "url", ["not a url", "mysql://root:pw@localhost/db", "postgresql+psycopg2://u:pw@h/db"]
)
def test_malformed_or_unsupported_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        StateStore.open(url)
    assert ":pw@" not in str(caught.value)


def test_sqlite_directory_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match=str(blocker / "sub" / "state.db")):
        StateStore.open(f"sqlite:///{blocker / 'sub' / 'state.db'}")


def test_read_only_sqlite_database_is_named(sqlite_url: str, tmp_path: Path) -> None:
    StateStore.open(sqlite_url).close()
    path = sa.make_url(sqlite_url).database
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    with StateStore.open(read_only) as store:
        with store.transaction(readonly=True) as tx:
            assert tx.get_cursor("leads", SF, "Lead") == Cursor()
        with pytest.raises(ConfigError, match="read-only") as caught, store.transaction() as tx:
            tx.set_cursor("leads", SF, "Lead", Cursor(T0))
    assert str(path) in str(caught.value)
    with pytest.raises(ConfigError, match="cannot open"):
        StateStore.open(f"sqlite:///file:{tmp_path / 'missing.db'}?mode=ro&uri=true")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database file" * 100)
    with pytest.raises(ConfigError, match=f"{garbage}: cannot open"):
        StateStore.open(f"sqlite:///{garbage}")


def test_locked_sqlite_database_waits_then_names_the_file(sqlite_url: str) -> None:
    StateStore.open(sqlite_url).close()
    path = sa.make_url(sqlite_url).database
    assert path is not None
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with StateStore.open(sqlite_url, busy_timeout_s=0.2) as store:
            # A reader is not held up by the writer (WAL) ...
            with store.transaction(readonly=True) as tx:
                assert tx.get_cursor("leads", SF, "Lead") == Cursor()
            # ... a writer waits out the busy timeout, then gets a message, not a traceback.
            with pytest.raises(SystemUnreachable, match="locked") as caught:  # noqa: SIM117
                with store.transaction() as tx:
                    tx.set_cursor("leads", SF, "Lead", Cursor(T0))
        assert path in str(caught.value)
    finally:
        holder.rollback()
        holder.close()

"""One cycle of one pipeline: read, pair, plan, write in full batches, dead-letter, checkpoint.

Changes are read side by side, Salesforce first, in chunks in modification order. Each chunk is
paired (id links first, then the match key), planned, written in batches of the target's size,
and committed together with its links, snapshots, dead letters, audit entries and the cursor
that covers it: the cursor moves only after the writes it covers are durable in the target and
in the state store. A crash between chunks loses nothing; the next cycle re-reads the chunk and
its echoes write nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from connector.clock import Clock
from connector.engine.cursors import advance, after_cursor
from connector.engine.in_flight import side_by_side
from connector.engine.jsonsafe import json_safe
from connector.engine.matching import (
    already_linked,
    claimed_partners,
    duplicate,
    id_order,
    make_pair,
    missing_partner,
)
from connector.engine.outcome import Outcome, dead_letter
from connector.engine.pairs import Pair, PairPlan, PlannedWrite, Rejection
from connector.engine.pipeline import ChunkPipeline
from connector.engine.plan import (
    HUBSPOT_ID_PROPERTY,
    PlanContext,
    created_record,
    is_echo,
    plan_pair,
    with_partner,
)
from connector.errors import Transient
from connector.mapping import FieldMap
from connector.model import Cursor, Record, Side, WriteResult
from connector.state import (
    AuditEntry,
    AuditOutcome,
    Link,
    NewLink,
    NewSnapshot,
    StateStore,
    StateTx,
)
from connector.systems.base import CrmSystem, chunked

log = logging.getLogger(__name__)

CHUNK = 200
NOTES_KEPT = 200


class LeaseLost(Transient):
    """The pipeline's lease passed to another daemon mid-run: stop without committing."""


@dataclass
class SideCounts:
    """What one cycle did in one system."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dead_lettered: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class CycleResult:
    """A cycle's summary: counts per system, the plans (for --dry-run), notes for the log."""

    pipeline: str
    counts: dict[Side, SideCounts] = field(
        default_factory=lambda: {Side.SALESFORCE: SideCounts(), Side.HUBSPOT: SideCounts()}
    )
    plans: list[PairPlan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    notes_dropped: int = 0
    api_calls: dict[Side, int] = field(default_factory=dict)
    failed_keys: set[str] = field(default_factory=set)

    @property
    def dead_lettered(self) -> int:
        return sum(c.dead_lettered for c in self.counts.values())

    def add_notes(self, notes: Iterable[str]) -> None:
        """Keep the first notes of a run and count the rest: a backfill must not grow with them."""
        for note in notes:
            if len(self.notes) < NOTES_KEPT:
                self.notes.append(note)
            else:
                self.notes_dropped += 1

    def merge(self, other: CycleResult) -> None:
        """Add what ``other`` (one chunk's result) counted to this one."""
        for side, counts in other.counts.items():
            mine = self.counts[side]
            for name, value in counts.as_dict().items():
                setattr(mine, name, getattr(mine, name) + value)
        self.plans.extend(other.plans)
        self.add_notes(other.notes)
        self.notes_dropped += other.notes_dropped
        self.failed_keys |= other.failed_keys

    def as_counts(self) -> dict[str, dict[str, int]]:
        out = {side.value: counts.as_dict() for side, counts in self.counts.items()}
        for side, calls in self.api_calls.items():
            out[side.value]["api_calls"] = calls
        return out


@dataclass(frozen=True)
class Prepared:
    """A chunk paired and planned, not yet written: what ``Cycle.finish`` takes."""

    side: Side
    chunk: list[Record]
    plans: list[PairPlan]
    # The side's cursor once this chunk is committed (``None``: cursors are left alone).
    cursor: Cursor | None

    def identities(self, identity_key: Callable[[Record], str | None]) -> set[str]:
        """Every record id and match key this chunk's plans touch, on either side."""
        found: set[str] = set()
        for plan in self.plans:
            for record in (plan.pair.salesforce, plan.pair.hubspot):
                if record is None:
                    continue
                found.add(f"{record.side.value}:{record.id}")
                key = identity_key(record)
                if key is not None:
                    found.add(f"key:{key}")
        return found


ContextFactory = Callable[[], PlanContext]
AfterWrite = Callable[
    ["Cycle", Sequence[tuple[PairPlan, Pair]]], Sequence[tuple[PairPlan, Rejection]]
]
AfterRun = Callable[["Cycle", CycleResult], None]


@dataclass
class Cycle:
    """Runs one pipeline's cycle against two systems and a state store."""

    pipeline: str
    field_map: FieldMap
    salesforce: CrmSystem
    hubspot: CrmSystem
    store: StateStore
    context: ContextFactory
    clock: Clock
    dry_run: bool = False
    run_id: uuid.UUID | None = None
    should_stop: Callable[[], bool] = lambda: False
    # Follow-ups a pipeline adds (engine/followups.py): ``after_write`` sees the pairs of a
    # chunk whose writes succeeded, before they are committed, and may fail some (dead
    # letters); ``after_run`` runs once the changes since the cursors are all processed.
    after_write: AfterWrite | None = None
    after_run: AfterRun | None = None
    # The daemon's lease holder id: a chunk commits only while this holder still holds the
    # pipeline's lease, checked inside the commit's own transaction.
    lease_holder: str | None = None
    _ctx: PlanContext | None = None

    def system(self, side: Side) -> CrmSystem:
        return self.salesforce if side is Side.SALESFORCE else self.hubspot

    def object(self, side: Side) -> str:
        fmap = self.field_map
        return fmap.salesforce_object if side is Side.SALESFORCE else fmap.hubspot_object

    def fields(self, side: Side) -> Sequence[str]:
        fmap = self.field_map
        return fmap.salesforce_fields() if side is Side.SALESFORCE else fmap.hubspot_fields()

    def plan_context(self) -> PlanContext:
        # Built on first need: owners cost API calls, and a quiet cycle must not spend them.
        if self._ctx is None:
            self._ctx = self.context()
        return self._ctx

    def run(self, result: CycleResult | None = None) -> CycleResult:
        """Read every change since the cursors and bring both sides into agreement."""
        result = result or CycleResult(self.pipeline)
        for side in (Side.SALESFORCE, Side.HUBSPOT):
            with self.store.transaction(readonly=True) as tx:
                cursor = tx.get_cursor(self.pipeline, side, self.object(side))
            # Read the side's changes in full before writing anything: the writes of this cycle
            # re-order what a paged, time-sorted read would return next, and a page could skip.
            changes = list(
                self.system(side).read_changes(
                    self.object(side), self.fields(side), cursor.position
                )
            )
            with ChunkPipeline(self, result) as pipeline:
                for chunk in chunked(after_cursor(changes, cursor), CHUNK):
                    cursor = pipeline.submit(side, chunk, cursor) or cursor
                    if self.should_stop():
                        # Leaving the block waits for the chunks being written to commit.
                        return result
        if self.after_run is not None:
            self.after_run(self, result)
        return result

    def identity_key(self, record: Record) -> str | None:
        """The match key of ``record`` (its normalised e-mail, for leads and contacts)."""
        identity = self.field_map.identity
        name = identity.salesforce if record.side is Side.SALESFORCE else identity.hubspot
        return identity.key(record.get(name))

    def process(
        self, side: Side, chunk: list[Record], cursor: Cursor | None, result: CycleResult
    ) -> Cursor | None:
        """Pair, plan, write and commit one chunk of records read from ``side``.

        ``cursor`` is the side's cursor before the chunk; ``None`` leaves cursors alone (a
        backfill or a retry reads outside the incremental order and must not move them).
        """
        return self.finish(self.prepare(side, chunk, cursor), result)

    def prepare(self, side: Side, chunk: list[Record], cursor: Cursor | None) -> Prepared:
        """Pair and plan one chunk: reads only, nothing written and nothing counted yet.

        Kept apart from ``finish`` so that the next chunk can be prepared while this one is
        written (``engine/pipeline.py``), and prepared again if this one changed its partners.
        """
        ctx = self.plan_context()
        with self.store.transaction(readonly=True) as tx:
            pairs, rejected = self.pair(tx, side, chunk, ctx)
        plans = [plan_pair(pair, ctx) for pair in pairs]
        plans += rejected
        new_cursor = advance(cursor, chunk) if cursor is not None else None
        return Prepared(side, chunk, plans, new_cursor)

    def finish(
        self,
        prepared: Prepared,
        result: CycleResult,
        before_commit: Callable[[], None] | None = None,
    ) -> Cursor | None:
        """Write a prepared chunk in full batches and commit it; count what it did.

        ``before_commit`` is called between the writes and the commit: the pipeline waits
        there for the chunk before this one, so commits (and cursors) stay in order.
        """
        side, chunk, plans = prepared.side, prepared.chunk, prepared.plans
        result.counts[side].read += len(chunk)
        if self.dry_run:
            # Only a dry run prints plans; kept otherwise they would grow with a backfill.
            result.plans.extend(p for p in plans if not p.is_noop)
        # Fix: "unchanged" used to count only plans without writes, always under Salesforce,
        # and never the echoes skipped while pairing; a record read from ``side`` that needs
        # no write and no dead letter is unchanged there, echoes included, so read adds up.
        # (tests/e2e/sync/test_converge.py::
        # test_every_record_read_is_counted_as_written_unchanged_or_dead_lettered)
        result.counts[side].unchanged += len(chunk) - sum(1 for p in plans if not p.is_noop)
        for plan in plans:
            result.add_notes(plan.notes)
        if self.dry_run:
            return prepared.cursor
        outcome = self.execute(plans, result)
        if self.after_write is not None:
            for plan, rejection in self.after_write(self, list(outcome.succeeded())):
                outcome.fail(plan, rejection)
        if before_commit is not None:
            before_commit()
        self.commit(side, outcome, prepared.cursor, result)
        return prepared.cursor

    def pair(
        self, tx: StateTx, side: Side, chunk: list[Record], ctx: PlanContext
    ) -> tuple[list[Pair], list[PairPlan]]:
        """Give each changed record its partner: by link, else by match key."""
        other = side.other
        fmap = self.field_map
        ids = [r.id for r in chunk]
        if side is Side.SALESFORCE:
            links = tx.links_by_salesforce_ids(self.pipeline, fmap.salesforce_object, ids)
        else:
            links = tx.links_by_hubspot_ids(self.pipeline, fmap.hubspot_object, ids)
        snapshots = tx.snapshots_for(link.id for link in links.values())
        pairs: list[Pair] = []
        rejected: list[PairPlan] = []
        need_partner: dict[str, tuple[Record, Link]] = {}
        for record in chunk:
            link = links.get(record.id)
            if link is None:
                continue
            snap = snapshots.get((link.id, Side.SALESFORCE))
            if snap is not None and is_echo(record, snap.fields, ctx):
                continue
            partner_id = link.hubspot_id if side is Side.SALESFORCE else link.salesforce_id
            need_partner[partner_id] = (record, link)
        partners = self._read_by_ids(other, list(need_partner))
        for partner_id, (record, link) in need_partner.items():
            partner = partners.get(partner_id)
            snap = snapshots.get((link.id, Side.SALESFORCE))
            if partner is None:
                rejected.append(missing_partner(record, link, other))
                continue
            pairs.append(make_pair(record, partner, link.id, snap.fields if snap else None))
        unlinked = [r for r in chunk if r.id not in links]
        pairs += self._match(tx, side, unlinked, rejected)
        return pairs, rejected

    def _read_by_ids(self, side: Side, ids: list[str]) -> dict[str, Record]:
        system = self.system(side)

        def read(batch: list[str]) -> list[Record]:
            return system.read_by_ids(self.object(side), batch, self.fields(side))

        batches = list(chunked(ids, system.limits.read_by_ids_batch))
        answers = side_by_side(read, batches, system.limits.in_flight)
        return {record.id: record for answer in answers for record in answer}

    def _partner_id_field(self, side: Side) -> str | None:
        """The field on ``side`` that holds its partner's id, if the mapping keeps one."""
        fmap = self.field_map
        if side is Side.SALESFORCE:
            row = fmap.row(Side.HUBSPOT, HUBSPOT_ID_PROPERTY)
            return row.salesforce if row is not None else None
        row = fmap.row(Side.SALESFORCE, "Id")
        return row.hubspot if row is not None else None

    def _points_elsewhere(self, candidate: Record, record: Record) -> bool:
        """Whether ``candidate`` already names another record as its partner."""
        holder = self._partner_id_field(candidate.side)
        if holder is None:
            return False
        value = candidate.get(holder)
        return value not in (None, "") and str(value) != record.id

    def _match(
        self, tx: StateTx, side: Side, unlinked: list[Record], rejected: list[PairPlan]
    ) -> list[Pair]:
        """Pair unlinked records: by the partner id a record carries, else by match key.

        A record that already carries its partner's id (written by an earlier sync, or by
        another connector before crmsync) is paired with that partner first, so an e-mail
        shared by duplicates never steals it. One partner per key, never two creates.
        """
        other = side.other
        pairs: list[Pair] = []
        by_partner_id: dict[str, Record] = {}
        holder = self._partner_id_field(side)
        if holder is not None:
            for record in unlinked:
                value = record.get(holder)
                if value not in (None, ""):
                    by_partner_id.setdefault(str(value), record)
        claimed: set[str] = set()
        if by_partner_id:
            found = self._read_by_ids(other, list(by_partner_id))
            taken = self._linked_ids(tx, other, list(found))
            for partner_id, record in by_partner_id.items():
                partner = found.get(partner_id)
                if (
                    partner is None
                    or partner_id in taken
                    or self._points_elsewhere(partner, record)
                ):
                    continue
                pairs.append(make_pair(record, partner, None, None))
                claimed.add(record.id)
        rest = [r for r in unlinked if r.id not in claimed]
        identity = self.field_map.identity
        key_field = identity.salesforce if side is Side.SALESFORCE else identity.hubspot
        other_field = identity.hubspot if side is Side.SALESFORCE else identity.salesforce
        keyed: dict[str, list[Record]] = {}
        for record in rest:
            key = identity.key(record.get(key_field))
            if key is None:
                pairs.append(make_pair(record, None, None, None))
                continue
            keyed.setdefault(key, []).append(record)
        candidates: dict[str, list[Record]] = {}
        system = self.system(other)

        def find(batch: list[str]) -> list[Record]:
            return system.find_by_values(self.object(other), other_field, batch, self.fields(other))

        batches = list(chunked(list(keyed), system.limits.read_by_ids_batch))
        for answer in side_by_side(find, batches, system.limits.in_flight):
            for found_record in answer:
                key = identity.key(found_record.get(other_field))
                if key is not None:
                    candidates.setdefault(key, []).append(found_record)
        taken = self._linked_ids(tx, other, [r.id for rs in candidates.values() for r in rs])
        for key, records in keyed.items():
            first, *duplicates = sorted(records, key=id_order)
            for dup in duplicates:
                rejected.append(duplicate(dup, first, key))
            everyone = candidates.get(key, [])
            free = sorted(
                (
                    c
                    for c in everyone
                    if c.id not in taken
                    and c.id not in claimed_partners(pairs, other)
                    and not self._points_elsewhere(c, first)
                ),
                key=id_order,
            )
            if everyone and not free:
                rejected.append(already_linked(first, everyone[0], key))
                continue
            partner = free[0] if free else None
            pairs.append(make_pair(first, partner, None, None, match_key=key))
        return pairs

    def _linked_ids(self, tx: StateTx, side: Side, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        if side is Side.SALESFORCE:
            return set(tx.links_by_salesforce_ids(self.pipeline, self.object(side), ids))
        return set(tx.links_by_hubspot_ids(self.pipeline, self.object(side), ids))

    def execute(self, plans: list[PairPlan], result: CycleResult) -> Outcome:
        """Write every planned change in full batches; creates get their follow-up writes."""
        outcome = Outcome()
        by_side: dict[Side, list[tuple[PairPlan, PlannedWrite]]] = {s: [] for s in Side}
        for plan in plans:
            if plan.rejection is not None:
                outcome.fail(plan, plan.rejection)
                continue
            if not plan.writes:
                outcome.succeed(plan, plan.pair)
                continue
            for write in plan.writes:
                by_side[write.side].append((plan, write))
        followups: list[PairPlan] = []
        for side, items in by_side.items():
            for plan, write, res in self._write(side, items):
                if not res.ok:
                    outcome.fail(
                        plan,
                        Rejection(
                            side,
                            res.error_code or "REJECTED",
                            res.error_message or "refused without a message",
                            ",".join(res.error_fields) or None,
                        ),
                        write=write,
                    )
                    continue
                counts = result.counts[side]
                if res.created or write.reason == "create":
                    counts.created += 1
                    assert res.id is not None
                    new = created_record(write, res.id, self.clock())
                    pair = with_partner(plan.pair, new)
                    outcome.link(plan, pair)
                    followup = plan_pair(pair, self.plan_context())
                    # The follow-up replaces the create's plan when committed; the stage
                    # changes to record are the create's (e.g. the handoff), not its echo.
                    followups.append(replace(followup, events=plan.events))
                else:
                    counts.updated += 1
                outcome.succeed(plan, plan.pair)
        if followups:
            self._write_followups(followups, outcome, result)
        return outcome

    def _write_followups(
        self, followups: list[PairPlan], outcome: Outcome, result: CycleResult
    ) -> None:
        """After a create, the source learns the new record's id (and nothing else changes)."""
        by_side: dict[Side, list[tuple[PairPlan, PlannedWrite]]] = {s: [] for s in Side}
        for plan in followups:
            outcome.replan(plan)
            for write in plan.writes:
                by_side[write.side].append((plan, write))
        for side, items in by_side.items():
            for plan, write, res in self._write(side, items):
                if not res.ok:
                    outcome.fail(
                        plan,
                        Rejection(side, res.error_code or "REJECTED", res.error_message or ""),
                        write=write,
                    )
                else:
                    result.counts[side].updated += 1

    def _write(
        self, side: Side, items: list[tuple[PairPlan, PlannedWrite]]
    ) -> Iterator[tuple[PairPlan, PlannedWrite, WriteResult]]:
        system = self.system(side)
        # One object and one kind per batch: the APIs take them that way.
        groups: dict[tuple[str, str, str | None], list[tuple[PairPlan, PlannedWrite]]] = {}
        for plan, write in items:
            groups.setdefault((write.op.object, write.op.kind, write.op.key_field), []).append(
                (plan, write)
            )
        size = system.limits.write_batch
        batches = [batch for group in groups.values() for batch in chunked(group, size)]

        def send(batch: list[tuple[PairPlan, PlannedWrite]]) -> list[WriteResult]:
            return system.write_batch([w.op for _, w in batch])

        # The batches of one chunk touch different records, so they may be in flight together.
        answers = side_by_side(send, batches, system.limits.in_flight)
        for batch, results in zip(batches, answers, strict=True):
            for (plan, write), res in zip(batch, results, strict=True):
                yield plan, write, res

    def commit(
        self, side: Side, outcome: Outcome, cursor: Cursor | None, result: CycleResult
    ) -> None:
        """Links, snapshots, dead letters, audit and the cursor: one transaction."""
        now = self.clock()
        with self.store.transaction() as tx:
            if self.lease_holder is not None and not tx.holds_lease(
                self.pipeline, self.lease_holder
            ):
                raise LeaseLost(
                    f"pipeline {self.pipeline}: another daemon took the lease; this chunk's "
                    "writes are left for it to see as echoes, nothing is committed here"
                )
            new_links = [
                NewLink(
                    salesforce_object=pair.salesforce.object,
                    salesforce_id=pair.salesforce.id,
                    hubspot_object=pair.hubspot.object,
                    hubspot_id=pair.hubspot.id,
                    match_key=pair.match_key,
                )
                for pair in outcome.pairs_to_link()
                if pair.salesforce is not None and pair.hubspot is not None
            ]
            stored = tx.upsert_links(self.pipeline, new_links) if new_links else []
            link_ids = {(lk.salesforce_object, lk.salesforce_id): lk.id for lk in stored}
            snapshots: list[NewSnapshot] = []
            audit: list[AuditEntry] = []
            for plan, pair in outcome.succeeded():
                link_id = pair.link_id
                if link_id is None and pair.salesforce is not None:
                    link_id = link_ids.get((pair.salesforce.object, pair.salesforce.id))
                if link_id is None:
                    continue
                snapshots.append(NewSnapshot(link_id, Side.SALESFORCE, json_safe(plan.agreed), now))
                audit += [
                    AuditEntry(
                        pipeline=self.pipeline,
                        system=Side(event.system),
                        record=pair.label,
                        from_stage=event.from_stage,
                        to_stage=event.to_stage,
                        outcome=AuditOutcome(event.outcome),
                        why=event.why,
                        at=now,
                        actor=event.actor,
                        link_id=link_id,
                    )
                    for event in plan.events
                ]
            if snapshots:
                tx.put_snapshots(snapshots)
            if audit:
                tx.add_audit(audit)
            letters = [
                dead_letter(plan, rejection, write) for plan, rejection, write in outcome.failed
            ]
            if letters:
                tx.add_dead_letters(self.pipeline, self.run_id, letters)
            for letter, (_plan, rejection, _write) in zip(letters, outcome.failed, strict=True):
                result.counts[rejection.side].dead_lettered += 1
                result.failed_keys.add(letter.record_key)
            if cursor is not None:
                tx.set_cursor(self.pipeline, side, self.object(side), cursor)


def summarise(results: Sequence[CycleResult]) -> Counter[str]:
    """Totals over pipelines, for the closing line of a run."""
    total: Counter[str] = Counter()
    for result in results:
        for counts in result.counts.values():
            total.update(counts.as_dict())
    return total

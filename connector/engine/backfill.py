"""A backfill: every record of both sides re-read and reconciled by the cycle's own rules.

It streams (never loads a whole object), writes in full batches, and checkpoints as it goes:
the checkpoint holds when this backfill started, and every record it reconciled carries a
snapshot stamped at or after that time, so ``--resume`` skips those records (re-reading them
is cheap; writing them again is what must not happen). Cursors are left alone: a backfill reads
in id order, not in modification order, and incremental syncs keep their own place.

HubSpot is read first. Most creates a backfill makes go from Salesforce to HubSpot (every lead
gets its contact; only contacts past the handoff become leads), and the side read second
re-reads the records the first one created, each a call-costing echo: reading HubSpot second
would spend one list call per 100 records it had just written, under HubSpot's rate limit.
The next chunk is read while the current one is reconciled (``in_flight.read_ahead``), and
prepared while the one before it is written (``pipeline.ChunkPipeline``).
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import datetime
from typing import TYPE_CHECKING

from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from connector.clock import parse_instant
from connector.engine.cycle import CHUNK, CycleResult
from connector.engine.in_flight import read_ahead
from connector.engine.pipeline import ChunkPipeline
from connector.errors import CrmsyncError
from connector.mapping import FieldMap
from connector.model import Record, Side
from connector.state import RunKind, RunOutcome
from connector.systems.base import chunked

if TYPE_CHECKING:
    from connector.engine.runner import Runner

log = logging.getLogger(__name__)

PLAIN_EVERY = 1000


class Backfill:
    """One pipeline's backfill."""

    def __init__(self, runner: Runner, pipeline: str, field_map: FieldMap) -> None:
        self.runner = runner
        self.pipeline = pipeline
        self.field_map = field_map

    def run(self, *, since: datetime | None, resume: bool) -> CycleResult:
        store = self.runner.store
        cycle = self.runner.cycle(self.pipeline, self.field_map)
        started = self._started_at(resume)
        result = CycleResult(self.pipeline)
        with store.transaction() as tx:
            run = tx.start_run(self.pipeline, RunKind.BACKFILL)
            tx.set_checkpoint(
                self.pipeline, Side.SALESFORCE, "backfill", {"started_at": started.isoformat()}
            )
        cycle.run_id = run.id
        try:
            with _progress() as progress:
                for side in (Side.HUBSPOT, Side.SALESFORCE):
                    records = cycle.system(side).read_all(
                        cycle.object(side), cycle.fields(side), since
                    )
                    task = progress.start(f"{self.pipeline} {side.value} {cycle.object(side)}")
                    with ChunkPipeline(cycle, result) as pipeline:
                        for chunk in read_ahead(chunked(records, CHUNK)):
                            todo = self._not_done(side, chunk, started) if resume else chunk
                            progress.advance(task, len(chunk))
                            if todo:
                                pipeline.submit(side, todo, None)
                            if cycle.should_stop():
                                raise KeyboardInterrupt
        except (CrmsyncError, KeyboardInterrupt) as exc:
            with store.transaction() as tx:
                tx.finish_run(run.id, RunOutcome.FAILED, result.as_counts(), error=repr(exc))
            raise
        with store.transaction() as tx:
            outcome = RunOutcome.DEAD_LETTERS if result.dead_lettered else RunOutcome.SUCCEEDED
            tx.finish_run(run.id, outcome, result.as_counts())
            tx.clear_checkpoint(self.pipeline, Side.SALESFORCE, "backfill")
        return result

    def _started_at(self, resume: bool) -> datetime:
        if resume:
            with self.runner.store.transaction(readonly=True) as tx:
                token = tx.get_checkpoint(self.pipeline, Side.SALESFORCE, "backfill")
            if isinstance(token, dict) and isinstance(token.get("started_at"), str):
                return parse_instant(token["started_at"])
            log.info("%s: no interrupted backfill to resume; starting a full one", self.pipeline)
        return self.runner.clock()

    def _not_done(self, side: Side, chunk: list[Record], started: datetime) -> list[Record]:
        """The records of ``chunk`` this backfill has not reconciled yet."""
        ids = [r.id for r in chunk]
        with self.runner.store.transaction(readonly=True) as tx:
            if side is Side.SALESFORCE:
                links = tx.links_by_salesforce_ids(self.pipeline, chunk[0].object, ids)
            else:
                links = tx.links_by_hubspot_ids(self.pipeline, chunk[0].object, ids)
            snapshots = tx.snapshots_for(link.id for link in links.values())
        done = set()
        for record_id, link in links.items():
            snap = snapshots.get((link.id, Side.SALESFORCE))
            if snap is not None and snap.synced_at >= started:
                done.add(record_id)
        return [r for r in chunk if r.id not in done]


class _Progress:
    """A Rich progress bar per system on a terminal; a plain line every so often otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed} records"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
        )
        self._tasks: dict[int, tuple[str, int, float, TaskID | None]] = {}

    def __enter__(self) -> _Progress:
        if self.tty:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.tty:
            self.bar.__exit__(None, None, None)
            return
        for name, done, started, _ in self._tasks.values():
            _plain_line(name, done, started, final=True)

    def start(self, description: str) -> int:
        bar_task = self.bar.add_task(description, total=None, rate="") if self.tty else None
        key = len(self._tasks) + 1
        self._tasks[key] = (description, 0, time.monotonic(), bar_task)
        return key

    def advance(self, key: int, count: int) -> None:
        name, done, started, bar_task = self._tasks[key]
        before = done // PLAIN_EVERY
        done += count
        self._tasks[key] = (name, done, started, bar_task)
        rate = done / max(time.monotonic() - started, 1e-6)
        if bar_task is not None:
            self.bar.update(bar_task, advance=count, rate=f"{rate:,.0f}/s")
        elif done // PLAIN_EVERY > before:
            _plain_line(name, done, started)


def _plain_line(name: str, done: int, started: float, final: bool = False) -> None:
    rate = done / max(time.monotonic() - started, 1e-6)
    tail = " (done)" if final else ""
    print(f"{name}: {done} records, {rate:,.0f}/s{tail}", file=sys.stderr, flush=True)


def _progress() -> _Progress:
    return _Progress()

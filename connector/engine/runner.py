"""Runs pipelines end to end: systems built once, a run row per pipeline, cycles, summaries.

``crmsync sync``, ``backfill``, ``errors retry``, the daemon and the demo all come through here,
so every way of running records its run and its counts the same way.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from connector.clock import Clock, system_clock
from connector.config import Config, PipelineConfig
from connector.engine.cycle import Cycle, CycleResult
from connector.engine.followups import followups_for
from connector.engine.plan import PlanContext
from connector.engine.stages import make_stage_step
from connector.errors import CrmsyncError
from connector.mapping import FieldMap, SalesforceStage, compile_mapping
from connector.model import Side
from connector.state import RunKind, RunOutcome, StateStore
from connector.systems.base import CrmSystem
from connector.transforms import TransformContext

OWNERS_TTL_S = 3600.0


class Runner:
    """Two systems, one store, and the pipelines to run against them."""

    def __init__(
        self,
        salesforce: CrmSystem,
        hubspot: CrmSystem,
        store: StateStore,
        clock: Clock = system_clock,
    ) -> None:
        self.salesforce = salesforce
        self.hubspot = hubspot
        self.store = store
        self.clock = clock
        self._owners: TransformContext | None = None
        self._owners_read_at = 0.0

    def transforms(self) -> TransformContext:
        """Owners matched by e-mail; read again after an hour, so a daemon sees new people."""
        now = time.monotonic()
        if self._owners is None or now - self._owners_read_at > OWNERS_TTL_S:
            self._owners = TransformContext.from_owners(
                self.salesforce.list_owners(), self.hubspot.list_owners()
            )
            self._owners_read_at = now
        return self._owners

    def cycle(self, name: str, field_map: FieldMap, *, dry_run: bool = False) -> Cycle:
        followups = followups_for(field_map)

        def context() -> PlanContext:
            transforms = self.transforms()
            return PlanContext(
                field_map=field_map,
                transforms=transforms,
                now=self.clock(),
                # The owners' e-mails name who made a move in the audit trail.
                stage_step=make_stage_step(field_map, transforms.owner_emails),
                # Salesforce records are created only by the handoff gate (leads); contacts and
                # opportunities are created by sales, in Salesforce.
                creates_salesforce=field_map.salesforce_stage is SalesforceStage.LEAD_STATUS
                and field_map.taxonomy is not None,
                creates_hubspot=True,
            )

        return Cycle(
            pipeline=name,
            field_map=field_map,
            salesforce=self.salesforce,
            hubspot=self.hubspot,
            store=self.store,
            context=context,
            clock=self.clock,
            dry_run=dry_run,
            # Closed loop and recycling (issue 5): engine/followups.py picks them per pipeline.
            after_write=followups.after_write,
            after_run=followups.after_run,
        )

    def run_pipeline(
        self,
        name: str,
        field_map: FieldMap,
        *,
        dry_run: bool = False,
        kind: RunKind = RunKind.SYNC,
        should_stop: Callable[[], bool] | None = None,
        run_id: uuid.UUID | None = None,
        lease_holder: str | None = None,
    ) -> CycleResult:
        """One cycle with its run row: started, finished with counts, or failed with the error.

        For the daemon: ``should_stop`` is asked between chunks (a stop leaves the run finished
        with its committed chunks), and ``run_id`` lets its log lines carry the run row's id.
        """
        cycle = self.cycle(name, field_map, dry_run=dry_run)
        if should_stop is not None:
            cycle.should_stop = should_stop
        cycle.lease_holder = lease_holder
        calls_before = {side: self._calls(side) for side in Side}
        result = CycleResult(name)
        if dry_run:
            cycle.run(result)
            self._count_calls(result, calls_before)
            return result
        with self.store.transaction() as tx:
            run = tx.start_run(name, kind, run_id or uuid.uuid4())
        cycle.run_id = run.id
        try:
            cycle.run(result)
        except BaseException as exc:
            # Whatever stopped it (an error, a bug, Ctrl-C), the run row must not stay "running".
            self._count_calls(result, calls_before)
            message = str(exc) if isinstance(exc, CrmsyncError) else repr(exc)
            with self.store.transaction() as tx:
                tx.finish_run(run.id, RunOutcome.FAILED, result.as_counts(), error=message)
            raise
        self._count_calls(result, calls_before)
        outcome = RunOutcome.DEAD_LETTERS if result.dead_lettered else RunOutcome.SUCCEEDED
        with self.store.transaction() as tx:
            tx.finish_run(run.id, outcome, result.as_counts())
        return result

    def _calls(self, side: Side) -> int:
        system = self.salesforce if side is Side.SALESFORCE else self.hubspot
        return system.stats().calls

    def _count_calls(self, result: CycleResult, before: dict[Side, int]) -> None:
        for side in Side:
            result.api_calls[side] = self._calls(side) - before[side]


def sync_pipelines(
    config: Config,
    pipelines: Sequence[PipelineConfig],
    *,
    dry_run: bool = False,
    clock: Clock = system_clock,
) -> list[CycleResult]:
    """``crmsync sync``: every selected pipeline once; mappings compiled before any read."""
    from connector.systems.factory import build_systems

    maps = [(p.name, compile_mapping(config.mapping_path(p))) for p in pipelines]
    salesforce, hubspot = build_systems(config)
    with StateStore.open(config.file.state.url) as store:
        runner = Runner(salesforce, hubspot, store, clock)
        return [runner.run_pipeline(name, fmap, dry_run=dry_run) for name, fmap in maps]


def backfill_pipelines(
    config: Config,
    pipelines: Sequence[PipelineConfig],
    *,
    since: datetime | None,
    resume: bool,
    clock: Clock = system_clock,
) -> list[CycleResult]:
    """``crmsync backfill``: every record re-read and reconciled, resumable after a crash."""
    from connector.engine.backfill import Backfill
    from connector.systems.factory import build_systems

    maps = [(p.name, compile_mapping(config.mapping_path(p))) for p in pipelines]
    salesforce, hubspot = build_systems(config)
    with StateStore.open(config.file.state.url) as store:
        runner = Runner(salesforce, hubspot, store, clock)
        return [Backfill(runner, name, fmap).run(since=since, resume=resume) for name, fmap in maps]


def retry_dead_letters(
    config: Config,
    letter_ids: Sequence[int],
    *,
    pipeline: str | None,
    clock: Clock = system_clock,
) -> list[CycleResult]:
    """``crmsync errors retry``: re-read the records behind open dead letters and sync them.

    A letter is marked retried only once its record went through; one that fails again stays
    open with one more attempt counted and the new error. Nothing is dropped here.
    """
    from connector.engine.retry import retry_letters
    from connector.systems.factory import build_systems

    if pipeline is not None:
        config.pipeline(pipeline)
    maps = {p.name: compile_mapping(config.mapping_path(p)) for p in config.file.pipelines}
    salesforce, hubspot = build_systems(config)
    with StateStore.open(config.file.state.url) as store:
        runner = Runner(salesforce, hubspot, store, clock)
        return retry_letters(runner, maps, letter_ids, pipeline=pipeline)

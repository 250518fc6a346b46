"""The daemon itself: pipelines on their schedules, one at a time, under leases, with metrics.

Runs go through one worker thread. The adapters keep per-system budgets and call counters that
are not built for concurrent callers, the runner counts a run's API calls as the difference of
those counters, and SQLite takes one writer at a time; pipelines sharing two rate-limited APIs
gain little from running side by side. A tick that finds its pipeline still running is skipped
(``max_instances=1``); ticks missed while busy run once (``coalesce``).

A failed run (a system unreachable, a transient failure that outlasted the retries, refused
credentials) is logged and counted and the next tick tries again; a spent API allocation
(``LimitExhausted``) pauses the pipelines until the time it names. Configuration is checked in
full before anything starts, so a ``ConfigError`` ends the daemon at once with exit code 2.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from connector.clock import Clock, system_clock
from connector.config import Config
from connector.daemon.leases import LeaseHold, Leases, holder_id
from connector.daemon.pauses import Pauses
from connector.engine.cycle import CycleResult
from connector.engine.runner import Runner
from connector.engine.stages import make_stage_step
from connector.errors import ConfigError, CrmsyncError, LimitExhausted
from connector.health import HealthReport, HealthServer, health_report, is_loopback
from connector.logs import log_context
from connector.mapping import FieldMap, compile_mapping
from connector.metrics import Metrics
from connector.model import Side
from connector.schedule import Schedule, ScheduleKind, parse_cron, pipeline_schedule
from connector.state import Counts, RunKind, RunOutcome, StateStore
from connector.systems.base import CrmSystem

log = logging.getLogger(__name__)

# Recycle dates are days: once a day, just after midnight UTC, each taxonomy pipeline runs.
RECYCLE_CRON = "5 0 * * *"
RECYCLE_GRACE_S = 6 * 3600
# While stopping, a retry or throttle wait is cut to this, so the chunk in flight finishes or
# fails within seconds instead of sleeping out a long backoff.
STOPPING_WAIT_S = 0.5


@dataclass(frozen=True)
class PipelineJob:
    """A pipeline as the daemon runs it: its compiled mapping and its schedule."""

    name: str
    field_map: FieldMap
    schedule: Schedule

    @property
    def recycles(self) -> bool:
        """Whether its records carry the taxonomy's recycle dates (a stage step runs)."""
        return make_stage_step(self.field_map) is not None


def pipeline_jobs(config: Config) -> list[PipelineJob]:
    """Every enabled pipeline, its mapping compiled and its schedule parsed (ConfigError if not)."""
    selected = config.selected(None)
    if not selected:
        raise ConfigError(str(config.path), "no enabled pipeline to run", key="[[pipelines]]")
    return [
        PipelineJob(p.name, compile_mapping(config.mapping_path(p)), pipeline_schedule(config, p))
        for p in selected
    ]


class Daemon:
    """Schedules, leases, pauses, metrics and the health server around one ``Runner``."""

    def __init__(
        self,
        *,
        jobs: Sequence[PipelineJob],
        runner: Runner,
        store: StateStore,
        leases: Leases,
        metrics: Metrics,
        stop: threading.Event,
        clock: Clock = system_clock,
    ) -> None:
        self.jobs = list(jobs)
        self.runner = runner
        self.store = store
        self.leases = leases
        self.metrics = metrics
        self.stop = stop
        self.clock = clock
        self.pauses = Pauses()
        self.started_at = clock()
        self.server: HealthServer | None = None
        logging.getLogger("apscheduler.scheduler").addFilter(_drop_busy_skips)
        self.scheduler: Any = BackgroundScheduler(
            timezone="UTC",
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1},
        )

    @classmethod
    def build(cls, config: Config, stop: threading.Event) -> Daemon:
        """Check the config in full, then build systems, store, runner, metrics and server."""
        from connector.systems.factory import build_systems

        jobs = pipeline_jobs(config)
        section = config.file.daemon

        def sleep(seconds: float) -> None:
            deadline = time.monotonic() + seconds
            if stop.wait(seconds):
                time.sleep(max(0.0, min(deadline - time.monotonic(), STOPPING_WAIT_S)))

        salesforce, hubspot = build_systems(config, sleep=sleep)
        store = StateStore.open(config.file.state.url)
        try:
            runner = Runner(salesforce, hubspot, store)
            metrics = Metrics()
            systems: Mapping[Side, CrmSystem] = {Side.SALESFORCE: salesforce, Side.HUBSPOT: hubspot}
            metrics.watch_systems(systems)
            metrics.watch_cursors(store, [job.name for job in jobs], system_clock)
            leases = Leases(store, holder_id(), timedelta(seconds=section.lease_ttl_s))
            daemon = cls(
                jobs=jobs, runner=runner, store=store, leases=leases, metrics=metrics, stop=stop
            )
            daemon.server = _serve(config, metrics, daemon.health)
        except BaseException:
            store.close()
            raise
        return daemon

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Serve health and metrics, and schedule every pipeline (interval ones run at once)."""
        if self.server is not None:
            self.server.start()
        now = self.clock()
        for job in self.jobs:
            options: dict[str, Any] = {}
            if job.schedule.kind is ScheduleKind.INTERVAL:
                options["next_run_time"] = now
            self.scheduler.add_job(
                self.run_job,
                job.schedule.trigger,
                args=[job, "sync"],
                id=f"sync:{job.name}",
                name=f"sync {job.name}",
                misfire_grace_time=max(1, int(job.schedule.period.total_seconds())),
                **options,
            )
            if job.recycles:
                self.scheduler.add_job(
                    self.run_job,
                    parse_cron(RECYCLE_CRON),
                    args=[job, "recycle"],
                    id=f"recycle:{job.name}",
                    name=f"daily recycle check {job.name}",
                    misfire_grace_time=RECYCLE_GRACE_S,
                )
        self.scheduler.start()
        log.info(
            "crmsync daemon started as %s: %s",
            self.leases.holder,
            ", ".join(f"{job.name} every {job.schedule.text}" for job in self.jobs),
        )

    def shutdown(self) -> None:
        """Let the run in progress commit its chunk, give the leases back, stop serving."""
        self.stop.set()
        if self.scheduler.running:
            # Waits for the run in progress; queued runs see the stop and return at once.
            self.scheduler.shutdown(wait=True)
        self.leases.release_all()
        if self.server is not None:
            self.server.stop()
        self.store.close()
        log.info("crmsync daemon stopped")

    def health(self) -> HealthReport:
        now = self.clock()

        def paused_until(_: str) -> datetime | None:
            paused = self.pauses.active(now)
            return paused[1] if paused else None

        return health_report(
            self.store,
            {job.name: job.schedule for job in self.jobs},
            started_at=self.started_at,
            now=now,
            paused_until=paused_until,
        )

    # -- one tick ----------------------------------------------------------------------------

    def run_job(self, job: PipelineJob, purpose: str) -> None:
        """One scheduled tick of ``job``: unless paused or leased elsewhere, one run."""
        if self.stop.is_set():
            return
        with log_context(pipeline=job.name):
            paused = self.pauses.active(self.clock())
            if paused is not None:
                system, until = paused
                log.info(
                    "%s: %s run skipped: %s is paused until %s (its API allocation is spent)",
                    job.name,
                    purpose,
                    system,
                    until.isoformat(timespec="seconds"),
                )
                self.metrics.run_skipped(job.name, "paused")
                return
            try:
                won = self.leases.acquire(job.name)
            except CrmsyncError as exc:
                log.error(
                    "%s: could not take the lease (%s); trying at the next tick", job.name, exc
                )
                self.metrics.run_skipped(job.name, "store_unavailable")
                return
            if not won:
                log.info("%s: %s run skipped: another daemon holds the lease", job.name, purpose)
                self.metrics.run_skipped(job.name, "lease_held")
                return
            run_id = uuid.uuid4()
            with (
                log_context(pipeline=job.name, run_id=str(run_id)),
                self.leases.kept(job.name) as hold,
            ):
                self._run(job, purpose, run_id, hold)

    def _run(self, job: PipelineJob, purpose: str, run_id: uuid.UUID, hold: LeaseHold) -> None:
        started_at = self.clock()
        began = time.monotonic()
        log.info("%s: %s run started", job.name, purpose)
        outcome = RunOutcome.FAILED
        counts: Counts = {}
        result: CycleResult | None = None
        try:
            result = self.runner.run_pipeline(
                job.name,
                job.field_map,
                kind=RunKind.SYNC,
                should_stop=lambda: self.stop.is_set() or hold.lost.is_set(),
                run_id=run_id,
                lease_holder=self.leases.holder,
            )
        except LimitExhausted as exc:
            until = self.pauses.pause_for(exc, self.clock())
            log.warning(
                "%s: run stopped: %s; every pipeline waits until %s",
                job.name,
                exc,
                until.isoformat(timespec="seconds"),
            )
        except CrmsyncError as exc:
            log.error("%s: run failed: %s; trying again at the next tick", job.name, exc)
        except Exception as exc:
            log.exception(
                "%s: run failed on an unexpected error; trying at the next tick", job.name
            )
            self._close_run(run_id, exc)
        else:
            outcome = RunOutcome.DEAD_LETTERS if result.dead_lettered else RunOutcome.SUCCEEDED
            counts = result.as_counts()
        duration = time.monotonic() - began
        if result is None:
            counts = self._stored_counts(run_id)
        else:
            log.info("%s: run finished in %.2f s: %s", job.name, duration, _summary(result))
            if self.stop.is_set() or hold.lost.is_set():
                log.info("%s: stopped early, after committing its last chunk", job.name)
        self.metrics.run_finished(job.name, outcome.value, counts, duration, time.time())
        slot = job.schedule.slot_after(started_at).total_seconds()
        if purpose == "sync" and duration > slot:
            log.warning(
                "%s: the run took %.1f s, longer than its schedule (%s) leaves between runs "
                "(%.0f s); the runs due meanwhile are folded into the next one",
                job.name,
                duration,
                job.schedule.text,
                slot,
            )

    def _stored_counts(self, run_id: uuid.UUID) -> Counts:
        """What a failed run had done before it failed, as its run row recorded it."""
        try:
            with self.store.transaction(readonly=True) as tx:
                run = tx.get_run(run_id)
        except CrmsyncError:
            return {}
        return run.counts if run is not None else {}

    def _close_run(self, run_id: uuid.UUID, error: Exception) -> None:
        """Mark a run that died on a bug as failed, so it is not shown running forever."""
        try:
            with self.store.transaction() as tx:
                run = tx.get_run(run_id)
                if run is not None and run.outcome is RunOutcome.RUNNING:
                    tx.finish_run(
                        run_id, RunOutcome.FAILED, run.counts, error=f"{type(error).__name__}"
                    )
        except CrmsyncError as exc:
            log.warning("could not record the failed run: %s", exc)


def _serve(config: Config, metrics: Metrics, health: Callable[[], HealthReport]) -> HealthServer:
    """Bind the health server on ``[daemon] listen``; a bad address is a ConfigError."""
    listen = config.file.daemon.listen
    host = listen.rpartition(":")[0].strip("[]")
    if not is_loopback(host):
        log.warning(
            "[daemon] listen = %s is not a loopback address: anyone who can reach it can read "
            "/healthz and /metrics; keep it on 127.0.0.1 behind a proxy that checks callers",
            listen,
        )
    try:
        return HealthServer(listen, metrics.registry, health)
    except OSError as exc:
        raise config.doc.error(
            ["daemon", "listen"], f"cannot serve health and metrics on {listen} ({exc.strerror})"
        ) from None


def _summary(result: CycleResult) -> str:
    parts = []
    for side in (Side.SALESFORCE, Side.HUBSPOT):
        c = result.counts[side]
        parts.append(
            f"{side.value} read {c.read}, created {c.created}, updated {c.updated}, "
            f"dead-lettered {c.dead_lettered}, API calls {result.api_calls.get(side, 0)}"
        )
    return "; ".join(parts)


def _drop_busy_skips(record: logging.LogRecord) -> bool:
    """Drop APScheduler's warning for a tick that finds the pipeline still running.

    It comes at every such tick; the overrun warning logged when the run ends says the same
    once, with how long the run took.
    """
    return "maximum number of running instances" not in str(record.msg)

"""The daemon's Prometheus metrics, in a registry of its own (never the process-global one).

Counted as runs finish: records read, written and dead-lettered per pipeline and system, runs
by outcome, runs skipped (lease held elsewhere, system paused), run durations. Read at scrape
time: API calls and 429s per system from the adapters' ``stats()``, and cursor lag (how far
behind now each pipeline's cursor stands) from the state store, so a stuck daemon shows a
growing lag even though it counts nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from connector.clock import Clock
from connector.model import Side
from connector.state import Counts, StateStore
from connector.systems.base import CrmSystem

log = logging.getLogger(__name__)

# Seconds; a cycle with no changes takes well under one, a backfill-sized catch-up minutes.
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)


class Metrics:
    """Every metric the daemon exports, registered in ``registry``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        per_system = ["pipeline", "system"]
        self.records_read = Counter(
            "crmsync_records_read",
            "Records read from a system by a pipeline's runs.",
            per_system,
            registry=self.registry,
        )
        self.records_written = Counter(
            "crmsync_records_written",
            "Records created or updated in a system by a pipeline's runs.",
            per_system,
            registry=self.registry,
        )
        self.records_dead_lettered = Counter(
            "crmsync_records_dead_lettered",
            "Records of a system that went to dead letters in a pipeline's runs.",
            per_system,
            registry=self.registry,
        )
        self.runs = Counter(
            "crmsync_runs",
            "Runs of a pipeline by outcome (succeeded, dead_letters, failed).",
            ["pipeline", "outcome"],
            registry=self.registry,
        )
        self.skipped = Counter(
            "crmsync_runs_skipped",
            "Scheduled runs not started: another daemon holds the lease, or a system is paused.",
            ["pipeline", "reason"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "crmsync_run_duration_seconds",
            "How long a pipeline's runs took.",
            ["pipeline"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.last_success = Gauge(
            "crmsync_last_success_timestamp_seconds",
            "When this daemon last finished a run of the pipeline (Unix time).",
            ["pipeline"],
            registry=self.registry,
        )

    def watch_systems(self, systems: Mapping[Side, CrmSystem]) -> None:
        """Export the adapters' call counters at each scrape."""
        self.registry.register(_CallsCollector(systems))

    def watch_cursors(self, store: StateStore, pipelines: Sequence[str], clock: Clock) -> None:
        """Export each pipeline's cursor lag at each scrape."""
        self.registry.register(_CursorLagCollector(store, pipelines, clock))

    def run_finished(
        self, pipeline: str, outcome: str, counts: Counts, duration_s: float, finished_at: float
    ) -> None:
        """Count one run (``counts`` as a run row stores them) and how long it took."""
        for system, per in counts.items():
            self.records_read.labels(pipeline, system).inc(per.get("read", 0))
            written = per.get("created", 0) + per.get("updated", 0)
            self.records_written.labels(pipeline, system).inc(written)
            self.records_dead_lettered.labels(pipeline, system).inc(per.get("dead_lettered", 0))
        self.runs.labels(pipeline, outcome).inc()
        self.duration.labels(pipeline).observe(duration_s)
        if outcome != "failed":
            self.last_success.labels(pipeline).set(finished_at)

    def run_skipped(self, pipeline: str, reason: str) -> None:
        self.skipped.labels(pipeline, reason).inc()


class _CallsCollector(Collector):
    """API calls and rate-limited answers per system, as the adapters count them."""

    def __init__(self, systems: Mapping[Side, CrmSystem]) -> None:
        self._systems = systems

    def collect(self) -> Iterable[Metric]:
        calls = CounterMetricFamily(
            "crmsync_api_calls", "API calls sent to a system.", labels=["system"]
        )
        limited = CounterMetricFamily(
            "crmsync_api_rate_limited",
            "API calls a system answered as rate-limited (429 or its equivalent).",
            labels=["system"],
        )
        retries = CounterMetricFamily(
            "crmsync_api_retries", "API calls tried again after a failure.", labels=["system"]
        )
        for side, system in self._systems.items():
            stats = system.stats()
            calls.add_metric([side.value], stats.calls)
            limited.add_metric([side.value], stats.rate_limited)
            retries.add_metric([side.value], stats.retries)
        return [calls, limited, retries]


class _CursorLagCollector(Collector):
    """Seconds between now and each pipeline's cursor, per system (the oldest of its objects)."""

    def __init__(self, store: StateStore, pipelines: Sequence[str], clock: Clock) -> None:
        self._store = store
        self._pipelines = set(pipelines)
        self._clock = clock

    def describe(self) -> Iterable[Metric]:
        # Describing must not touch the database (registration happens before it is needed).
        return [self._family()]

    def collect(self) -> Iterable[Metric]:
        family = self._family()
        try:
            with self._store.transaction(readonly=True) as tx:
                cursors = tx.list_cursors()
        except Exception as exc:
            # A scrape must answer even when the store does not; the lag is then unknown.
            log.warning("cursor lag unavailable: %s", exc)
            return [family]
        now = self._clock()
        lag: dict[tuple[str, str], float] = {}
        for state in cursors:
            position = state.cursor.position
            if state.pipeline not in self._pipelines or position is None:
                continue
            key = (state.pipeline, state.side.value)
            lag[key] = max(lag.get(key, 0.0), (now - position).total_seconds())
        for (pipeline, system), seconds in sorted(lag.items()):
            family.add_metric([pipeline, system], max(seconds, 0.0))
        return [family]

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "crmsync_cursor_lag_seconds",
            "Seconds between now and the newest change a pipeline has fully processed.",
            labels=["pipeline", "system"],
        )

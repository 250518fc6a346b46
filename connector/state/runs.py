"""Runs: one row per sync, backfill or retry of a pipeline, with its outcome and counts.

``crmsync status`` reads them back; a run left ``running`` by a killed process stays visible
as such, which is the truth about it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from connector.state.tables import runs
from connector.state.txbase import TxBase

# counts[system][counter]: counts["hubspot"]["updated"] == 12, counts["salesforce"]["api_calls"].
Counts = Mapping[str, Mapping[str, int]]


class RunKind(StrEnum):
    """What started the run."""

    SYNC = "sync"
    BACKFILL = "backfill"
    RETRY = "retry"


class RunOutcome(StrEnum):
    """How the run ended; ``RUNNING`` until it does."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    DEAD_LETTERS = "dead_letters"
    FAILED = "failed"


@dataclass(frozen=True)
class Run:
    """A stored run."""

    id: uuid.UUID
    pipeline: str
    kind: RunKind
    started_at: datetime
    finished_at: datetime | None
    outcome: RunOutcome
    counts: Counts = field(default_factory=dict)
    error: str | None = None


def _run(row: Any) -> Run:
    return Run(
        id=row.id,
        pipeline=row.pipeline,
        kind=RunKind(row.kind),
        started_at=row.started_at,
        finished_at=row.finished_at,
        outcome=RunOutcome(row.outcome),
        counts=row.counts,
        error=row.error,
    )


class RunsMixin(TxBase):
    """Start, finish and list runs."""

    def start_run(self, pipeline: str, kind: RunKind, run_id: uuid.UUID | None = None) -> Run:
        """Record a run as started now.

        Start it in a transaction of its own, so ``crmsync status`` shows it while it runs.
        """
        run = Run(
            id=run_id or uuid.uuid4(),
            pipeline=pipeline,
            kind=kind,
            started_at=self._now(),
            finished_at=None,
            outcome=RunOutcome.RUNNING,
        )
        self._conn.execute(
            sa.insert(runs).values(
                id=run.id,
                pipeline=pipeline,
                kind=kind.value,
                started_at=run.started_at,
                finished_at=None,
                outcome=run.outcome.value,
                counts={},
                error=None,
            )
        )
        return run

    def finish_run(
        self,
        run_id: uuid.UUID,
        outcome: RunOutcome,
        counts: Counts,
        error: str | None = None,
    ) -> Run:
        """Record how a run ended; ``error`` is a one-line message, never a secret."""
        if outcome is RunOutcome.RUNNING:
            raise ValueError("a finished run needs an outcome other than RUNNING")
        self._conn.execute(
            sa.update(runs)
            .where(runs.c.id == run_id)
            .values(
                finished_at=self._now(),
                outcome=outcome.value,
                counts={system: dict(c) for system, c in counts.items()},
                error=error,
            )
        )
        return self._get_run_or_fail(run_id)

    def get_run(self, run_id: uuid.UUID) -> Run | None:
        row = self._conn.execute(sa.select(runs).where(runs.c.id == run_id)).one_or_none()
        return None if row is None else _run(row)

    def last_runs(self, pipeline: str | None = None, limit: int = 20) -> list[Run]:
        """The most recent runs first (of one pipeline when given)."""
        query = sa.select(runs).order_by(runs.c.started_at.desc(), runs.c.id).limit(limit)
        if pipeline is not None:
            query = query.where(runs.c.pipeline == pipeline)
        return [_run(row) for row in self._conn.execute(query)]

    def _get_run_or_fail(self, run_id: uuid.UUID) -> Run:
        run = self.get_run(run_id)
        if run is None:
            raise KeyError(f"no run {run_id}")
        return run

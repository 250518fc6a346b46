"""The SLA section: the engine's mql periods and breaches, summed up and named for the reader.

What an mql period is, and when it breaches, is defined once, in ``connector.engine.sla``
(from the audit trail: the first written entry to ``mql`` starts the clock, the next written
move elsewhere stops it). This adds what a manager asks next: how many were measured, how many
were on time, and who the late ones are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from connector.engine.sla import DEFAULT_THRESHOLD, mql_periods, sla_breaches
from connector.engine.sla import SlaBreach as EngineBreach
from connector.report.model import SlaBreach, SlaState, SlaSummary
from connector.state import AuditEntry, StateStore

DEFAULT_SLA = DEFAULT_THRESHOLD


def sla_summary(
    store: StateStore,
    audit: Mapping[str, Sequence[AuditEntry]],
    now: datetime,
    limit: timedelta = DEFAULT_SLA,
    names: Mapping[int, str] | None = None,
) -> SlaSummary:
    """Periods measured, those on time, and every breach (late first, then waiting).

    ``audit`` is each pipeline's trail (already read); ``names`` the person behind a link id.
    """
    names = names or {}
    touched = [
        period
        for entries in audit.values()
        for period in mql_periods(entries)
        if period.touched_at is not None
    ]
    found = [b for pipeline in audit for b in sla_breaches(store, pipeline, now, limit)]
    found.sort(key=lambda b: (not b.late, -b.waited, b.record))
    return SlaSummary(
        hours=limit.total_seconds() / 3600,
        measured=len(touched),
        within=sum(1 for p in touched if p.waited(now) <= limit),
        breaches=tuple(_breach(b, names) for b in found),
    )


def _breach(breach: EngineBreach, names: Mapping[int, str]) -> SlaBreach:
    period = breach.period
    return SlaBreach(
        pipeline=period.pipeline,
        record=period.record,
        link_id=period.link_id,
        name=names.get(period.link_id, ""),
        mql_at=period.mql_at,
        touched_at=period.touched_at,
        hours=breach.hours,
        state=SlaState.LATE if breach.late else SlaState.WAITING,
    )


def all_entries(audit: Mapping[str, Sequence[AuditEntry]]) -> Iterable[AuditEntry]:
    return (entry for entries in audit.values() for entry in entries)

"""The mql → first sales touch SLA, measured on the audit trail.

A record's clock starts at the first written entry that takes it to ``mql`` (the lead
definition's move, or crmsync creating its twin at mql: it has been an mql at least since then)
and stops at the next written move out of ``mql`` (``sal`` normally; a rep who qualifies or
disqualifies at once has touched it too). A period that ended later than the SLA is a *late*
breach; an mql still waiting longer than the SLA now is a *waiting* one. A pair first seen at
mql on both sides leaves no entry, and is not measured.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from connector.report.model import SlaBreach, SlaState, SlaSummary
from connector.report.records import parse_stage_label
from connector.state import AuditEntry, AuditOutcome
from connector.taxonomy import Stage

DEFAULT_SLA = timedelta(hours=24)


def sla_summary(
    entries: Iterable[AuditEntry],
    now: datetime,
    limit: timedelta = DEFAULT_SLA,
    names: Mapping[int, str] | None = None,
) -> SlaSummary:
    """Measured periods, those within the SLA, and every breach (late first, then waiting).

    ``names`` gives the person behind a link id, for the reader.
    """
    names = names or {}
    started: dict[int, AuditEntry] = {}
    measured = within = 0
    breaches: list[SlaBreach] = []
    for entry in sorted(entries, key=lambda e: (e.at, e.id or 0)):
        if entry.link_id is None or entry.outcome is not AuditOutcome.WRITTEN:
            continue
        target = parse_stage_label(entry.to_stage)
        if target is not None and target.stage is Stage.MQL:
            started.setdefault(entry.link_id, entry)
            continue
        start = started.pop(entry.link_id, None)
        source = parse_stage_label(entry.from_stage)
        if start is None or source is None or source.stage is not Stage.MQL:
            continue
        measured += 1
        elapsed = entry.at - start.at
        if elapsed <= limit:
            within += 1
            continue
        breaches.append(_breach(start, entry.at, elapsed, SlaState.LATE, names))
    for start in started.values():
        elapsed = now - start.at
        if elapsed > limit:
            breaches.append(_breach(start, None, elapsed, SlaState.WAITING, names))
    breaches.sort(key=lambda b: (b.state != SlaState.LATE, -b.hours, b.record))
    return SlaSummary(
        hours=limit.total_seconds() / 3600,
        measured=measured,
        within=within,
        breaches=tuple(breaches),
    )


def _breach(
    start: AuditEntry,
    touched: datetime | None,
    elapsed: timedelta,
    state: SlaState,
    names: Mapping[int, str],
) -> SlaBreach:
    assert start.link_id is not None
    return SlaBreach(
        pipeline=start.pipeline,
        record=start.record,
        link_id=start.link_id,
        name=names.get(start.link_id, ""),
        mql_at=start.at,
        touched_at=touched,
        hours=round(elapsed.total_seconds() / 3600, 2),
        state=state,
    )

"""The handoff SLA: how long each mql waited for its first sales touch, from the audit trail.

No table of its own: every stage change crmsync writes is an audit entry (``record``,
``system``, from, to, why, when), so the SLA is computed from them. A record's clock starts at
the first written entry that takes it to ``mql`` (the lead definition met, a marketer's move, a
lead created at mql) and stops at the next written entry that takes it anywhere else (``sal``
normally; a rep who qualifies, disqualifies or converts at once has touched it too). Entries are
grouped by link, so the entries of a record's two systems count once. A record that comes back
to ``mql`` later (after recycling) starts a new period.

``sla_breaches(store, pipeline, now, threshold)`` is what ``crmsync report`` lists; the
threshold is ``[sla] mql_to_sal_hours`` of ``taxonomy.toml`` (``Taxonomy.sla_mql_to_sal``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.state import AuditEntry, AuditOutcome, StateStore
from connector.taxonomy import Stage

DEFAULT_THRESHOLD = timedelta(hours=24)


@dataclass(frozen=True)
class MqlPeriod:
    """One stretch of a record at mql: when it started, and when sales first touched it."""

    pipeline: str
    link_id: int
    record: str
    mql_at: datetime
    touched_at: datetime | None
    touched_to: str | None

    def waited(self, now: datetime) -> timedelta:
        """How long it waited: until the touch, or until ``now`` if none came yet."""
        return (self.touched_at or now) - self.mql_at


@dataclass(frozen=True)
class SlaBreach:
    """An mql whose first touch came later than the SLA (``late``) or has not come (waiting)."""

    period: MqlPeriod
    waited: timedelta
    late: bool

    @property
    def record(self) -> str:
        return self.period.record

    @property
    def hours(self) -> float:
        return round(self.waited.total_seconds() / 3600, 2)


def mql_periods(entries: Iterable[AuditEntry]) -> list[MqlPeriod]:
    """Every period at mql found in ``entries`` (one pipeline's audit trail), oldest first."""
    open_: dict[int, AuditEntry] = {}
    periods: list[MqlPeriod] = []
    for entry in sorted(entries, key=lambda e: (e.at, e.id or 0)):
        if entry.link_id is None or entry.outcome is not AuditOutcome.WRITTEN:
            continue
        target = _stage(entry.to_stage)
        if target is Stage.MQL:
            open_.setdefault(entry.link_id, entry)
            continue
        start = open_.pop(entry.link_id, None)
        if start is not None:
            periods.append(_period(start, entry.at, entry.to_stage))
    periods += [_period(start, None, None) for start in open_.values()]
    periods.sort(key=lambda p: (p.mql_at, p.link_id))
    return periods


def sla_breaches(
    store: StateStore,
    pipeline: str,
    now: datetime,
    threshold: timedelta = DEFAULT_THRESHOLD,
) -> list[SlaBreach]:
    """The mqls of ``pipeline`` that waited longer than ``threshold`` for a first sales touch.

    Late touches first, then those still waiting, each longest first.
    """
    with store.transaction(readonly=True) as tx:
        entries = tx.list_audit(pipeline, outcome=AuditOutcome.WRITTEN)
    breaches = [
        SlaBreach(period, waited, late=period.touched_at is not None)
        for period in mql_periods(entries)
        if (waited := period.waited(now)) > threshold
    ]
    breaches.sort(key=lambda b: (not b.late, -b.waited, b.record))
    return breaches


def _period(start: AuditEntry, touched_at: datetime | None, to: str | None) -> MqlPeriod:
    assert start.link_id is not None
    return MqlPeriod(start.pipeline, start.link_id, start.record, start.at, touched_at, to)


def _stage(label: str | None) -> Stage | None:
    if not label:
        return None
    try:
        return Stage(label.partition("/")[0])
    except ValueError:
        return None

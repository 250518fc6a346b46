"""The funnel: records per stage, conversion rates between stages, and dispositions.

A record counts for every stage it reached: the stage it is in now (and every stage before it
in the funnel), and the stages the audit trail shows it passed through, so a lead disqualified
at ``sal`` still counts as having reached ``mql`` and ``sal``. A lost deal reached
``opportunity`` by definition.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise

from connector.model import Side
from connector.report.model import (
    NO_SOURCE,
    UNMAPPED,
    ConversionStep,
    SourceDispositions,
    SystemConversions,
    SystemDispositions,
    SystemFunnel,
    UnmappedValue,
)
from connector.report.records import Classified, parse_stage_label
from connector.state import AuditEntry, AuditOutcome
from connector.taxonomy import FUNNEL, Mapped, Stage, Taxonomy, Unmapped

STAGE_COLUMNS: tuple[str, ...] = (*(s.value for s in FUNNEL), Stage.DISQUALIFIED.value, UNMAPPED)
CONVERSION_STAGES: tuple[Stage, ...] = (
    Stage.MQL,
    Stage.SAL,
    Stage.SQL,
    Stage.OPPORTUNITY,
    Stage.CUSTOMER,
)


def stage_counts(
    system: Side, objects: Sequence[str], records: Sequence[Classified]
) -> SystemFunnel:
    """How many records of one system stand at each stage (unmapped ones counted apart)."""
    counts = dict.fromkeys(STAGE_COLUMNS, 0)
    unmapped: Counter[tuple[str, str]] = Counter()
    for item in records:
        if isinstance(item.reading, Unmapped):
            counts[UNMAPPED] += 1
            value = "" if item.reading.value is None else str(item.reading.value)
            unmapped[(item.reading.field, value)] += 1
        else:
            counts[item.reading.stage.value] += 1
    values = tuple(
        UnmappedValue(field, value, n)
        for (field, value), n in sorted(unmapped.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return SystemFunnel(system, tuple(objects), len(records), counts, values)


def furthest(taxonomy: Taxonomy, reading: Mapped | None) -> int | None:
    """How far down the funnel a stage reading shows a record got (None: nowhere known)."""
    if reading is None:
        return None
    if reading.stage is Stage.DISQUALIFIED:
        # Only an opportunity can be lost: the record was an opportunity before.
        if reading.reason == taxonomy.lost_reason:
            return taxonomy.rank(Stage.OPPORTUNITY)
        return None
    return taxonomy.rank(reading.stage)


def passed_stages(
    taxonomy: Taxonomy, entries: Iterable[AuditEntry], ids_by_link: Mapping[int, Sequence[str]]
) -> dict[str, int]:
    """The furthest stage the audit trail shows each record id at (by funnel rank).

    A written move's both ends were reached; a refused move's only its start (the stage the
    record was restored to).
    """
    best: dict[str, int] = {}
    for entry in entries:
        if entry.link_id is None or entry.link_id not in ids_by_link:
            continue
        labels = [entry.from_stage]
        if entry.outcome is AuditOutcome.WRITTEN:
            labels.append(entry.to_stage)
        ranks = [furthest(taxonomy, parse_stage_label(label)) for label in labels]
        known = [r for r in ranks if r is not None]
        if not known:
            continue
        rank = max(known)
        for record_id in ids_by_link[entry.link_id]:
            if rank > best.get(record_id, -1):
                best[record_id] = rank
    return best


def conversions(
    taxonomy: Taxonomy, system: Side, records: Sequence[Classified], passed: Mapping[str, int]
) -> SystemConversions:
    """Records that reached each stage from mql on, and each step's conversion rate."""
    ranks: list[int] = []
    for item in records:
        now = furthest(taxonomy, item.reading if isinstance(item.reading, Mapped) else None)
        candidates = [r for r in (now, passed.get(item.record.id)) if r is not None]
        if candidates:
            ranks.append(max(candidates))
    reached: dict[str, int] = {}
    for stage in CONVERSION_STAGES:
        rank = taxonomy.rank(stage)
        assert rank is not None
        reached[stage.value] = sum(1 for r in ranks if r >= rank)
    steps = tuple(
        ConversionStep(a.value, b.value, reached[a.value], reached[b.value])
        for a, b in pairwise(CONVERSION_STAGES)
    )
    first, last = CONVERSION_STAGES[0].value, CONVERSION_STAGES[-1].value
    overall = ConversionStep(first, last, reached[first], reached[last])
    return SystemConversions(system, reached, steps, overall)


def dispositions(
    taxonomy: Taxonomy, system: Side, records: Sequence[Classified]
) -> SystemDispositions:
    """Disqualified records by reason, and every lead source's records and dispositions."""
    reasons = list(taxonomy.reasons)
    by_reason = dict.fromkeys(reasons, 0)
    totals: Counter[str] = Counter()
    per_source: dict[str, Counter[str]] = {}
    for item in records:
        totals[item.source] += 1
        per_source.setdefault(item.source, Counter())
        if item.stage is Stage.DISQUALIFIED and item.reason is not None:
            by_reason[item.reason] = by_reason.get(item.reason, 0) + 1
            per_source[item.source][item.reason] += 1
    never = {name for name, reason in taxonomy.reasons.items() if not reason.recycles}
    sources = sorted(totals, key=lambda s: (s == NO_SOURCE, s.casefold(), s))
    rows = tuple(
        SourceDispositions(
            source=source,
            records=totals[source],
            disqualified=sum(per_source[source].values()),
            not_a_lead=sum(n for reason, n in per_source[source].items() if reason in never),
            by_reason={reason: per_source[source][reason] for reason in reasons},
        )
        for source in sources
    )
    return SystemDispositions(system, by_reason, rows)

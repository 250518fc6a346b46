"""Drift: linked pairs whose two sides disagree, field by field.

Each mapped row is compared the way the engine compares it (``FieldRow.comparable_pair``), so
a value that is only spelled differently (``60`` and ``"60.0"``, a date and its instant) is
not drift; and the stage is compared as the taxonomy reads it. What the engine deliberately
leaves alone is not drift either: rows with rule ``none``, owners with no counterpart, and a
converted lead's fields other than the ones Salesforce always sends. After a clean cycle there
is none; a record edited on one side since is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from connector.mapping import FieldMap, SalesforceStage, SyncRule
from connector.model import Record
from connector.report.model import DriftRecord, DriftSummary, FieldDrift
from connector.report.records import person, read_stage, stage_label
from connector.state import Link
from connector.transforms import OwnerNotMatched, TransformContext, ValueRejected, comparable

SAMPLE_SIZE = 25
STAGE = "stage"
RECORD = "record"


@dataclass(frozen=True)
class LinkedPipeline:
    """One pipeline's links and the records both systems hold now, by id."""

    name: str
    field_map: FieldMap
    links: Sequence[Link]
    salesforce: Mapping[str, Record]
    hubspot: Mapping[str, Record]

    def pair(self, link: Link) -> tuple[Record | None, Record | None]:
        sf = self.salesforce.get(link.salesforce_id)
        if sf is None and link.previous_salesforce_id is not None:
            # A lead conversion re-points a link to the Contact; the Lead is what is read here.
            sf = self.salesforce.get(link.previous_salesforce_id)
        return sf, self.hubspot.get(link.hubspot_id)


def drift_summary(
    pipelines: Sequence[LinkedPipeline], ctx: TransformContext, sample_size: int = SAMPLE_SIZE
) -> DriftSummary:
    checked = 0
    disagreeing: list[DriftRecord] = []
    by_field: Counter[str] = Counter()
    by_pipeline = {p.name: 0 for p in pipelines}
    for pipeline in pipelines:
        for link in pipeline.links:
            checked += 1
            sf, hs = pipeline.pair(link)
            fields = _missing(link, sf, hs) or compare(pipeline.field_map, sf, hs, ctx)
            if not fields:
                continue
            by_pipeline[pipeline.name] += 1
            for field in fields:
                by_field[field.key] += 1
            named = sf or hs
            assert named is not None
            disagreeing.append(
                DriftRecord(
                    pipeline=pipeline.name,
                    salesforce=f"{link.salesforce_object} {link.salesforce_id}",
                    hubspot=f"{link.hubspot_object} {link.hubspot_id}",
                    name=person(named).name,
                    fields=fields,
                )
            )
    ordered = dict(sorted(by_field.items(), key=lambda kv: (-kv[1], kv[0])))
    return DriftSummary(
        pairs_checked=checked,
        records=len(disagreeing),
        by_field=ordered,
        by_pipeline=by_pipeline,
        sample=tuple(disagreeing[:sample_size]),
    )


def compare(
    field_map: FieldMap, sf: Record | None, hs: Record | None, ctx: TransformContext
) -> tuple[FieldDrift, ...]:
    """Every synced field (and the stage) on which the two records disagree."""
    if sf is None or hs is None:
        return ()
    taxonomy = field_map.taxonomy
    converted_field = taxonomy.salesforce_fields.converted if taxonomy else "IsConverted"
    converted = sf.object == "Lead" and bool(sf.get(converted_field))
    found: list[FieldDrift] = []
    for row in field_map.rows:
        if row.rule is SyncRule.NONE:
            continue
        if converted and row.rule is not SyncRule.ALWAYS_SALESFORCE:
            # The engine freezes a converted lead; its Contact's pipeline carries the person.
            continue
        sf_value, hs_value = sf.get(row.salesforce), hs.get(row.hubspot)
        try:
            left, right = row.comparable_pair(sf_value, hs_value, ctx)
        except OwnerNotMatched:
            continue
        except ValueRejected:
            left, right = comparable(sf_value), comparable(hs_value)
        if left != right:
            found.append(FieldDrift(row.salesforce, row.hubspot, _text(left), _text(right)))
    if taxonomy is not None and field_map.salesforce_stage is SalesforceStage.LEAD_STATUS:
        left_stage = stage_label(read_stage(taxonomy, sf))
        right_stage = stage_label(read_stage(taxonomy, hs))
        if left_stage != right_stage:
            found.append(FieldDrift(STAGE, STAGE, left_stage, right_stage))
    return tuple(found)


def _missing(link: Link, sf: Record | None, hs: Record | None) -> tuple[FieldDrift, ...]:
    if sf is not None and hs is not None:
        return ()
    return (
        FieldDrift(
            RECORD,
            RECORD,
            link.salesforce_id if sf is not None else None,
            link.hubspot_id if hs is not None else None,
        ),
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)

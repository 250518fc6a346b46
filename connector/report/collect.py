"""Gathering the report's numbers: both systems read once, the state store read once.

Every pipeline's records are read in full from both systems through the adapters (one read
per object, with every field any part of the report needs); the state store gives the links,
the audit trail, the runs and the dead letters, in one read-only transaction so a daemon
writing at the same time is neither blocked nor seen half-way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import sqlalchemy as sa

from connector.clock import Clock, system_clock
from connector.config import Config
from connector.mapping import FieldMap, SalesforceStage, compile_mapping
from connector.model import Record, Side
from connector.report.drift import LinkedPipeline, drift_summary
from connector.report.funnel import conversions, dispositions, passed_stages, stage_counts
from connector.report.model import (
    RecycleQueue,
    Report,
    StateSummary,
    SystemConversions,
    SystemDispositions,
    SystemFunnel,
)
from connector.report.queue import RENEWAL_WINDOW_DAYS, recycle_queue
from connector.report.records import Classified, classify, fields_for_stage, person
from connector.report.sla import DEFAULT_SLA, all_entries, sla_summary
from connector.report.wording import system_name
from connector.state import AuditEntry, Link, StateStore
from connector.state.tables import runs
from connector.systems.base import CrmSystem
from connector.taxonomy import Taxonomy
from connector.transforms import TransformContext

ObjectKey = tuple[Side, str]


@dataclass(frozen=True)
class _Pipeline:
    name: str
    field_map: FieldMap

    def object(self, side: Side) -> str:
        fm = self.field_map
        return fm.salesforce_object if side is Side.SALESFORCE else fm.hubspot_object

    def stage_objects(self) -> tuple[ObjectKey, ...]:
        """The objects whose records this pipeline gives a canonical stage to."""
        fm = self.field_map
        if fm.taxonomy is None:
            return ()
        if fm.salesforce_stage is SalesforceStage.LEAD_STATUS:
            return ((Side.SALESFORCE, fm.salesforce_object), (Side.HUBSPOT, fm.hubspot_object))
        # A Contact's stage lives on the lead it came from: only the HubSpot side is counted.
        return ((Side.HUBSPOT, fm.hubspot_object),)


@dataclass(frozen=True)
class _State:
    summary: StateSummary
    links: Mapping[str, Sequence[Link]]
    audit: Mapping[str, Sequence[AuditEntry]]


def build_report(
    config: Config,
    store: StateStore,
    *,
    clock: Clock = system_clock,
    systems: tuple[CrmSystem, CrmSystem] | None = None,
    sla: timedelta | None = None,
) -> Report:
    """Read both systems and the state store, and compute every number of the report.

    ``systems`` (Salesforce, HubSpot) default to the adapters the config describes; ``sla``
    to the taxonomy's ``[sla] mql_to_sal_hours``.
    """
    now = clock()
    pipelines = [
        _Pipeline(p.name, compile_mapping(config.mapping_path(p))) for p in config.file.pipelines
    ]
    if systems is None:
        from connector.systems.factory import build_systems

        systems = build_systems(config)
    by_side: dict[Side, CrmSystem] = {Side.SALESFORCE: systems[0], Side.HUBSPOT: systems[1]}
    state = _read_state(store, pipelines)
    taxonomy = next((p.field_map.taxonomy for p in pipelines if p.field_map.taxonomy), None)
    records = _read_records(by_side, _fields_to_read(pipelines, taxonomy))

    sections = _stage_sections(pipelines, taxonomy, records, state, now.date())
    context = TransformContext.from_owners(
        by_side[Side.SALESFORCE].list_owners(), by_side[Side.HUBSPOT].list_owners()
    )
    drift = drift_summary(
        [
            LinkedPipeline(
                p.name,
                p.field_map,
                state.links.get(p.name, ()),
                records[(Side.SALESFORCE, p.object(Side.SALESFORCE))],
                records[(Side.HUBSPOT, p.object(Side.HUBSPOT))],
            )
            for p in pipelines
        ],
        context,
    )
    report = Report(
        generated_at=now,
        today=now.date(),
        state=state.summary,
        notices=(),
        funnel=sections.funnel,
        conversions=sections.conversions,
        dispositions=sections.dispositions,
        recycle=sections.recycle,
        sla=sla_summary(
            store,
            state.audit,
            now,
            sla or _sla_limit(taxonomy),
            _names_by_link(pipelines, state, records),
        ),
        drift=drift,
    )
    return _with_notices(report, has_taxonomy=taxonomy is not None)


@dataclass(frozen=True)
class _StageSections:
    funnel: tuple[SystemFunnel, ...] = ()
    conversions: tuple[SystemConversions, ...] = ()
    dispositions: tuple[SystemDispositions, ...] = ()
    recycle: RecycleQueue = field(default_factory=lambda: RecycleQueue((), (), RENEWAL_WINDOW_DAYS))


def _stage_sections(
    pipelines: Sequence[_Pipeline],
    taxonomy: Taxonomy | None,
    records: Mapping[ObjectKey, Mapping[str, Record]],
    state: _State,
    today: date,
) -> _StageSections:
    """Everything counted by stage: the funnel, conversions, dispositions, the recycle queue."""
    if taxonomy is None:
        return _StageSections()
    stage_objects = list(dict.fromkeys(key for p in pipelines for key in p.stage_objects()))
    classified: dict[Side, list[Classified]] = {side: [] for side in Side}
    for side, object_name in stage_objects:
        classified[side] += [classify(taxonomy, r) for r in records[(side, object_name)].values()]
    funnel, converted, disposed = [], [], []
    for side in Side:
        objects = [name for s, name in stage_objects if s is side]
        funnel.append(stage_counts(side, objects, classified[side]))
        ids = _ids_by_link(state.links, side)
        passed = passed_stages(taxonomy, all_entries(state.audit), ids)
        converted.append(conversions(taxonomy, side, classified[side], passed))
        disposed.append(dispositions(taxonomy, side, classified[side]))
    # Salesforce decides dispositions; a HubSpot contact is listed only when it has no partner.
    linked = {(lk.hubspot_object, lk.hubspot_id) for ls in state.links.values() for lk in ls}
    queued = classified[Side.SALESFORCE] + [
        c for c in classified[Side.HUBSPOT] if (c.record.object, c.record.id) not in linked
    ]
    return _StageSections(
        tuple(funnel),
        tuple(converted),
        tuple(disposed),
        recycle_queue(taxonomy, queued, today),
    )


def _names_by_link(
    pipelines: Sequence[_Pipeline],
    state: _State,
    records: Mapping[ObjectKey, Mapping[str, Record]],
) -> dict[int, str]:
    """Who each link of a pipeline with stages is, as its Salesforce (else HubSpot) record says."""
    names: dict[int, str] = {}
    for p in pipelines:
        if p.field_map.taxonomy is None:
            continue
        sf = records[(Side.SALESFORCE, p.object(Side.SALESFORCE))]
        hs = records[(Side.HUBSPOT, p.object(Side.HUBSPOT))]
        for link in state.links.get(p.name, ()):
            found = sf.get(link.salesforce_id) or sf.get(link.previous_salesforce_id or "")
            found = found or hs.get(link.hubspot_id)
            if found is not None:
                names[link.id] = person(found).name
    return names


def _sla_limit(taxonomy: Taxonomy | None) -> timedelta:
    return taxonomy.sla_mql_to_sal if taxonomy is not None else DEFAULT_SLA


def _fields_to_read(
    pipelines: Sequence[_Pipeline], taxonomy: Taxonomy | None
) -> dict[ObjectKey, tuple[str, ...]]:
    """Per object, every field any pipeline or part of the report reads: one read each."""
    wanted: dict[ObjectKey, list[str]] = {}
    for p in pipelines:
        fm = p.field_map
        wanted.setdefault((Side.SALESFORCE, fm.salesforce_object), []).extend(
            fm.salesforce_fields()
        )
        wanted.setdefault((Side.HUBSPOT, fm.hubspot_object), []).extend(fm.hubspot_fields())
        if taxonomy is not None:
            for key in p.stage_objects():
                wanted[key].extend(fields_for_stage(taxonomy, key[0]))
    return {key: tuple(dict.fromkeys(names)) for key, names in wanted.items()}


def _read_records(
    systems: Mapping[Side, CrmSystem], wanted: Mapping[ObjectKey, Sequence[str]]
) -> dict[ObjectKey, dict[str, Record]]:
    return {
        (side, name): {r.id: r for r in systems[side].read_all(name, fields)}
        for (side, name), fields in wanted.items()
    }


def _read_state(store: StateStore, pipelines: Iterable[_Pipeline]) -> _State:
    with store.transaction(readonly=True) as tx:
        links = {p.name: tx.links_for(p.name) for p in pipelines}
        audit = {p.name: tx.list_audit(p.name) for p in pipelines if p.field_map.taxonomy}
        run_count = tx.connection.execute(sa.select(sa.func.count()).select_from(runs)).scalar()
        last = tx.last_runs(limit=1)
        letters = sum(tx.count_dead_letters().values())
    summary = StateSummary(
        store=store.display_url,
        runs=int(run_count or 0),
        last_run_at=last[0].started_at if last else None,
        links=sum(len(ls) for ls in links.values()),
        open_dead_letters=letters,
    )
    return _State(summary, links, audit)


def _ids_by_link(links: Mapping[str, Sequence[Link]], side: Side) -> dict[int, list[str]]:
    """Each link's record ids on one side (a converted lead's old id included)."""
    found: dict[int, list[str]] = {}
    for pipeline_links in links.values():
        for link in pipeline_links:
            if side is Side.HUBSPOT:
                found[link.id] = [link.hubspot_id]
            else:
                ids = [link.salesforce_id]
                if link.previous_salesforce_id is not None:
                    ids.append(link.previous_salesforce_id)
                found[link.id] = ids
    return found


def _with_notices(report: Report, *, has_taxonomy: bool) -> Report:
    return replace(report, notices=tuple(notices(report, has_taxonomy=has_taxonomy)))


def notices(report: Report, *, has_taxonomy: bool = True) -> list[str]:
    """What a reader must know before trusting the numbers, in plain words."""
    found: list[str] = []
    state = report.state
    if not state.has_state:
        found.append(
            f"No sync has run yet against {state.store}: the stages below are read live from "
            "both systems, but there are no links, no audit trail and no history yet, so "
            "drift and SLA breaches cannot be measured. Run `crmsync sync` first."
        )
    if not has_taxonomy:
        found.append("No pipeline's mapping uses the taxonomy: there is no funnel to count.")
    for funnel in report.funnel:
        unmapped = funnel.stages.get("unmapped", 0)
        if unmapped:
            found.append(
                f"{unmapped} {system_name(funnel.system)} record(s) hold a value the taxonomy "
                "maps to no stage; they are counted as unmapped and are not synced."
            )
    if state.open_dead_letters:
        found.append(
            f"{state.open_dead_letters} record(s) could not be written and wait in dead "
            "letters: see `crmsync errors list`."
        )
    if report.drift.records:
        found.append(
            f"{report.drift.records} linked record(s) disagree between the two systems (see drift)."
        )
    return found

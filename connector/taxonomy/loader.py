"""``mappings/taxonomy.toml``: its schema, its checks, and the compiled :class:`Taxonomy`.

Every problem an admin can make is caught here, once, with the file, line and key: a stage
without a value in a system, one value read as two stages, a reason that cannot be written or
recycled, a move naming an unknown stage or moving a record backwards.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from connector.taxonomy.compiled import (
    HubSpotStageFields,
    Outcome,
    SalesforceStageFields,
    StageValues,
    Taxonomy,
)
from connector.taxonomy.moves import MoveRule, is_backwards
from connector.taxonomy.reasons import Reason
from connector.taxonomy.stages import CONVERSION_STAGES, Actor, Stage
from connector.tomlsource import KeyPath, TomlDoc, load_toml

SUPPORTED_VERSION = 1


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SalesforceFieldsSpec(_Spec):
    """``[salesforce_fields]``: the Lead fields that hold the stage."""

    status: str = "Status"
    disposition_reason: str = "Disposition_Reason__c"
    recycle_date: str = "Recycle_Date__c"
    converted: str = "IsConverted"
    opportunity_stage: str = "ConvertedOpportunity.StageName"
    contract_end_date: str = "Contract_End_Date__c"
    last_modified_by: str = "LastModifiedById"


class HubSpotFieldsSpec(_Spec):
    """``[hubspot_fields]``: the contact properties that hold the stage."""

    lifecyclestage: str = "lifecyclestage"
    lead_status: str = "hs_lead_status"
    disposition_reason: str = "lead_disposition_reason"
    recycle_date: str = "recycle_date"


class StageSpec(_Spec):
    """``[stages.NAME]``: the value a stage writes in each system."""

    salesforce_status: str | None = None
    hubspot_lifecyclestage: str | None = None
    hubspot_lead_status: str | None = None


class StagesSpec(_Spec):
    """``[stages]``: one table per canonical stage, all of them required."""

    prospect: StageSpec
    mql: StageSpec
    sal: StageSpec
    sql: StageSpec
    opportunity: StageSpec
    customer: StageSpec
    disqualified: StageSpec


class AliasesSpec(_Spec):
    """``[aliases.*]``: values that read as a stage but are never written."""

    salesforce_status: dict[str, str] = {}
    hubspot_lifecyclestage: dict[str, str] = {}
    hubspot_lead_status: dict[str, str] = {}


class ReasonSpec(_Spec):
    """``[reasons.NAME]``: a disposition reason."""

    salesforce: str | None = None
    hubspot: str | None = None
    hubspot_lead_status: str | None = None
    recycle_after_days: int | None = None
    recycle_before_contract_end_days: int | None = None
    recycle: Literal["never"] | None = None
    requires: tuple[Literal["contract_end_date"], ...] = ()


class OpportunitySpec(_Spec):
    """``[opportunity]``: how a converted lead's opportunity stage reads."""

    open: tuple[str, ...]
    won: tuple[str, ...]
    lost: tuple[str, ...]
    lost_reason: str
    without_opportunity: str | None = None


class MoveSpec(_Spec):
    """``[[moves]]``: who may move a record between which stages."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    sources: tuple[str, ...] = Field(alias="from")
    to: tuple[str, ...]
    by: tuple[str, ...]
    reasons: tuple[str, ...] = ()


class SlaSpec(_Spec):
    """``[sla]``: how long an mql may wait for its first sales touch."""

    mql_to_sal_hours: float = 24


class TaxonomySpec(_Spec):
    """The whole file."""

    version: int
    salesforce_fields: SalesforceFieldsSpec = SalesforceFieldsSpec()
    hubspot_fields: HubSpotFieldsSpec = HubSpotFieldsSpec()
    stages: StagesSpec
    aliases: AliasesSpec = AliasesSpec()
    reasons: dict[str, ReasonSpec]
    opportunity: OpportunitySpec
    moves: tuple[MoveSpec, ...]
    sla: SlaSpec = SlaSpec()


def load_taxonomy(path: Path) -> Taxonomy:
    """Read, check and compile a taxonomy file; any problem is a ``ConfigError``."""
    doc = load_toml(path)
    _check_stage_names(doc)
    spec = doc.validate(TaxonomySpec)
    if spec.version != SUPPORTED_VERSION:
        raise doc.error(
            ["version"],
            f"unsupported version {spec.version} (this crmsync reads version {SUPPORTED_VERSION})",
        )
    stages = _stage_values(doc, spec)
    reasons = _reasons(doc, spec)
    outcomes = _outcomes(doc, spec, reasons)
    reads = _ReadTables.build(doc, spec, stages, reasons)
    without = spec.opportunity.without_opportunity
    if spec.sla.mql_to_sal_hours <= 0:
        raise doc.error(
            ["sla", "mql_to_sal_hours"],
            f"the SLA must be a positive number of hours (got {spec.sla.mql_to_sal_hours:g})",
        )
    return Taxonomy(
        path=path,
        version=spec.version,
        salesforce_fields=SalesforceStageFields(**spec.salesforce_fields.model_dump()),
        hubspot_fields=HubSpotStageFields(**spec.hubspot_fields.model_dump()),
        stages=MappingProxyType(stages),
        reasons=MappingProxyType(reasons),
        moves=_moves(doc, spec, reasons),
        opportunity_outcomes=MappingProxyType(outcomes),
        lost_reason=spec.opportunity.lost_reason,
        without_opportunity=(
            _stage(doc, ["opportunity", "without_opportunity"], without) if without else None
        ),
        salesforce_status_reads=MappingProxyType(reads.salesforce_status),
        lifecyclestage_reads=MappingProxyType(_frozen(reads.lifecyclestage)),
        lead_status_reads=MappingProxyType(_frozen(reads.lead_status)),
        sla_mql_to_sal=timedelta(hours=spec.sla.mql_to_sal_hours),
    )


def _check_stage_names(doc: TomlDoc) -> None:
    # Caught before the schema, which would only say that the correctly spelt stage is missing.
    stages = doc.data.get("stages")
    if isinstance(stages, dict):
        for name in stages:
            _stage(doc, ["stages", name], name)


_SYSTEM_KEYS = ("salesforce_status", "hubspot_lifecyclestage", "hubspot_lead_status")


def _stage_values(doc: TomlDoc, spec: TaxonomySpec) -> dict[Stage, StageValues]:
    values: dict[Stage, StageValues] = {}
    for stage in Stage:
        entry: StageSpec = getattr(spec.stages, stage.value)
        for key in _SYSTEM_KEYS:
            value = getattr(entry, key)
            if key == "hubspot_lead_status" and stage is Stage.DISQUALIFIED:
                if value is not None:
                    raise doc.error(
                        ["stages", stage.value, key],
                        "a disqualified record's hs_lead_status comes from its reason; set "
                        "hubspot_lead_status in each [reasons.*] table instead",
                    )
                continue
            if value is None or not value.strip():
                raise doc.error(
                    ["stages", stage.value, key],
                    f"stage '{stage}' has no value in this system; every stage needs one",
                )
        values[stage] = StageValues(
            salesforce_status=entry.salesforce_status or "",
            hubspot_lifecyclestage=entry.hubspot_lifecyclestage or "",
            hubspot_lead_status=entry.hubspot_lead_status,
        )
    _check_written_values_unique(doc, values)
    return values


def _check_written_values_unique(doc: TomlDoc, values: Mapping[Stage, StageValues]) -> None:
    # A converted lead reads from its opportunity, so opportunity and customer may share a status.
    conversion = {values[s].salesforce_status for s in CONVERSION_STAGES}
    status_owner: dict[str, Stage] = {}
    pair_owner: dict[tuple[str, str | None], Stage] = {}
    for stage, stage_values in values.items():
        if stage not in CONVERSION_STAGES:
            status = stage_values.salesforce_status
            if status in conversion:
                raise doc.error(
                    ["stages", stage.value, "salesforce_status"],
                    f"{status!r} is the status of a converted lead (opportunity, customer); "
                    f"stage '{stage}' needs its own",
                )
            if status in status_owner:
                raise doc.error(
                    ["stages", stage.value, "salesforce_status"],
                    f"{status!r} is already the Salesforce status of stage "
                    f"'{status_owner[status]}'; each stage needs its own",
                )
            status_owner[status] = stage
        pair = (stage_values.hubspot_lifecyclestage, stage_values.hubspot_lead_status)
        if stage is Stage.DISQUALIFIED:
            sharing = [
                s
                for s, v in values.items()
                if s is not stage and v.hubspot_lifecyclestage == pair[0]
            ]
            if sharing:
                raise doc.error(
                    ["stages", stage.value, "hubspot_lifecyclestage"],
                    f"{pair[0]!r} is also the lifecycle stage of '{sharing[0]}'; disqualified "
                    "needs a lifecycle stage of its own",
                )
            continue
        if pair in pair_owner:
            raise doc.error(
                ["stages", stage.value, "hubspot_lead_status"],
                f"lifecyclestage {pair[0]!r} with hs_lead_status {pair[1]!r} is already stage "
                f"'{pair_owner[pair]}'; two stages cannot write the same values",
            )
        pair_owner[pair] = stage


_RECYCLE_KEYS = ("recycle_after_days", "recycle_before_contract_end_days", "recycle")


def _reasons(doc: TomlDoc, spec: TaxonomySpec) -> dict[str, Reason]:
    if not spec.reasons:
        raise doc.error(["reasons"], "at least one disposition reason is needed")
    reasons: dict[str, Reason] = {}
    labels: dict[str, str] = {}
    hubspot_values: dict[str, str] = {}
    for name, entry in spec.reasons.items():
        keys: list[str | int] = ["reasons", name]
        if not entry.salesforce or not entry.salesforce.strip():
            raise doc.error(
                [*keys, "salesforce"],
                f"reason '{name}' has no Salesforce label (its disposition picklist value)",
            )
        if not entry.hubspot_lead_status or not entry.hubspot_lead_status.strip():
            raise doc.error(
                [*keys, "hubspot_lead_status"],
                f"reason '{name}' has no hs_lead_status value for HubSpot",
            )
        # In the file's order, so that the second rule written is the one pointed at.
        rules = [k for k in doc.data["reasons"][name] if k in _RECYCLE_KEYS]
        if not rules:
            raise doc.error(
                keys,
                f"reason '{name}' has no recycle rule: set recycle_after_days = N, "
                'recycle_before_contract_end_days = N, or recycle = "never"',
            )
        if len(rules) > 1:
            raise doc.error([*keys, rules[1]], f"reason '{name}' has more than one recycle rule")
        for key in ("recycle_after_days", "recycle_before_contract_end_days"):
            days = getattr(entry, key)
            if days is not None and days < 0:
                raise doc.error([*keys, key], f"days cannot be negative (got {days})")
        hubspot = entry.hubspot or name
        for seen, value, key, system in (
            (labels, entry.salesforce, "salesforce", "Salesforce label"),
            (hubspot_values, hubspot, "hubspot", "HubSpot value"),
        ):
            if value in seen:
                raise doc.error(
                    [*keys, key],
                    f"{system} {value!r} is already reason '{seen[value]}'; each needs its own",
                )
            seen[value] = name
        reasons[name] = Reason(
            name=name,
            salesforce=entry.salesforce,
            hubspot=hubspot,
            hubspot_lead_status=entry.hubspot_lead_status,
            recycle_after_days=entry.recycle_after_days,
            recycle_before_contract_end_days=entry.recycle_before_contract_end_days,
            requires_contract_end=(
                "contract_end_date" in entry.requires
                or entry.recycle_before_contract_end_days is not None
            ),
        )
    return reasons


def _outcomes(
    doc: TomlDoc, spec: TaxonomySpec, reasons: Mapping[str, Reason]
) -> dict[str, Outcome]:
    opportunity = spec.opportunity
    if opportunity.lost_reason not in reasons:
        raise doc.error(
            ["opportunity", "lost_reason"],
            f"unknown reason {opportunity.lost_reason!r} (known: {', '.join(reasons)})",
        )
    outcomes: dict[str, Outcome] = {}
    for outcome in Outcome:
        for name in getattr(opportunity, outcome.value):
            if name in outcomes:
                raise doc.error(
                    ["opportunity", outcome.value],
                    f"opportunity stage {name!r} is listed as both {outcomes[name]} and {outcome}",
                )
            outcomes[name] = outcome
    return outcomes


class _ReadTables:
    """Which stage(s) each system value reads as: written values, then aliases."""

    def __init__(self) -> None:
        self.salesforce_status: dict[str, Stage] = {}
        self.lifecyclestage: defaultdict[str, set[Stage]] = defaultdict(set)
        self.lead_status: defaultdict[str, set[Stage]] = defaultdict(set)

    @classmethod
    def build(
        cls,
        doc: TomlDoc,
        spec: TaxonomySpec,
        stages: Mapping[Stage, StageValues],
        reasons: Mapping[str, Reason],
    ) -> _ReadTables:
        tables = cls()
        for stage, values in stages.items():
            if stage not in CONVERSION_STAGES:
                tables.salesforce_status[values.salesforce_status] = stage
            tables.lifecyclestage[values.hubspot_lifecyclestage].add(stage)
            if values.hubspot_lead_status is not None:
                tables.lead_status[values.hubspot_lead_status].add(stage)
        for reason in reasons.values():
            tables.lead_status[reason.hubspot_lead_status].add(Stage.DISQUALIFIED)
        written_statuses = {v.salesforce_status for v in stages.values()}
        written_cycles = set(tables.lifecyclestage)
        written_lead = set(tables.lead_status)
        aliases = spec.aliases
        for value, name in aliases.salesforce_status.items():
            keys: KeyPath = ["aliases", "salesforce_status", value]
            stage = _alias_target(doc, keys, value, name, written_statuses)
            if stage in CONVERSION_STAGES:
                raise doc.error(
                    keys,
                    "a converted lead's stage is read from its opportunity; an alias cannot "
                    f"point at '{stage}'",
                )
            tables.salesforce_status[value] = stage
        for value, name in aliases.hubspot_lifecyclestage.items():
            keys = ["aliases", "hubspot_lifecyclestage", value]
            tables.lifecyclestage[value].add(_alias_target(doc, keys, value, name, written_cycles))
        for value, name in aliases.hubspot_lead_status.items():
            keys = ["aliases", "hubspot_lead_status", value]
            tables.lead_status[value].add(_alias_target(doc, keys, value, name, written_lead))
        return tables


def _alias_target(
    doc: TomlDoc, keys: KeyPath, value: str, name: str, written: Iterable[str]
) -> Stage:
    if value in set(written):
        raise doc.error(
            keys,
            f"{value!r} is already written by a stage; an alias is for values no stage writes",
        )
    return _stage(doc, keys, name)


def _moves(doc: TomlDoc, spec: TaxonomySpec, reasons: Mapping[str, Reason]) -> tuple[MoveRule, ...]:
    rules: list[MoveRule] = []
    for index, move in enumerate(spec.moves):
        keys: list[str | int] = ["moves", index]
        sources = frozenset(_stage(doc, [*keys, "from"], s) for s in move.sources)
        targets = frozenset(_stage(doc, [*keys, "to"], s) for s in move.to)
        actors: set[Actor] = set()
        for actor in move.by:
            try:
                actors.add(Actor(actor))
            except ValueError:
                raise doc.error(
                    [*keys, "by"],
                    f"unknown actor {actor!r} (known: {', '.join(a.value for a in Actor)})",
                ) from None
        for reason in move.reasons:
            if reason not in reasons:
                raise doc.error(
                    [*keys, "reasons"],
                    f"unknown reason {reason!r} (known: {', '.join(reasons)})",
                )
        if move.reasons and targets != {Stage.DISQUALIFIED}:
            raise doc.error(
                [*keys, "reasons"], 'reasons only apply to a move with to = ["disqualified"]'
            )
        backwards = sorted(f"{s} → {t}" for s in sources for t in targets if is_backwards(s, t))
        if backwards and actors != {Actor.RECYCLING}:
            raise doc.error(
                [*keys, "by"],
                f"{', '.join(backwards)} moves backwards, and only recycling may do that",
            )
        rules.append(MoveRule(sources, targets, frozenset(actors), frozenset(move.reasons)))
    return tuple(rules)


def _stage(doc: TomlDoc, keys: KeyPath, name: str) -> Stage:
    try:
        return Stage(name)
    except ValueError:
        known = ", ".join(s.value for s in Stage)
        raise doc.error(keys, f"unknown stage {name!r} (known: {known})") from None


def _frozen(table: Mapping[str, set[Stage]]) -> dict[str, frozenset[Stage]]:
    return {value: frozenset(stages) for value, stages in table.items()}

"""The taxonomy step of a plan: one canonical stage per pair, written into both systems.

Each side's values are read as a canonical stage (an unmapped value rejects the pair: never a
guess). Against the last agreed stage, a side that moved is checked against who may make that
move: an allowed move becomes the agreed stage, a forbidden one is refused and that side is
restored. Then crmsync's own moves apply: the lead definition lifts a prospect to ``mql``, and a
disqualified record whose recycle date has come returns to ``prospect``. Both systems are then
given the agreed stage's values.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from connector.engine.pairs import STAGE_KEY, Pair, Rejection, StageEvent
from connector.engine.plan import StageDecision, StageStep
from connector.lead_rule import LeadDefinition
from connector.mapping import FieldMap, SalesforceStage
from connector.model import Record, Side
from connector.taxonomy import Actor, Mapped, Stage, Taxonomy, Unmapped
from connector.taxonomy.reasons import ContractEndMissing
from connector.transforms import ValueRejected

_HANDOFF_STAGES = frozenset({Stage.MQL, Stage.SAL, Stage.SQL})
_ACTOR = {Side.SALESFORCE: Actor.SALESFORCE, Side.HUBSPOT: Actor.HUBSPOT}


def encode(reading: Mapped) -> str:
    return f"{reading.stage.value}/{reading.reason}" if reading.reason else reading.stage.value


def decode(text: Any) -> Mapped | None:
    if not isinstance(text, str) or not text:
        return None
    stage, _, reason = text.partition("/")
    try:
        return Mapped(Stage(stage), reason or None)
    except ValueError:
        return None


def make_stage_step(field_map: FieldMap) -> StageStep | None:
    """The taxonomy step for a pipeline whose mapping turns the taxonomy on."""
    taxonomy = field_map.taxonomy
    if taxonomy is None or field_map.salesforce_stage is SalesforceStage.CONVERSION:
        # A converted Contact's stage is carried by the lead it came from (the leads pipeline
        # reads it from the lead's opportunity); two pipelines must never both write it.
        return None
    step = _StageStep(taxonomy, field_map.lead_definition)
    return step.decide


class _StageStep:
    def __init__(self, taxonomy: Taxonomy, lead_definition: LeadDefinition | None) -> None:
        self.taxonomy = taxonomy
        self.lead_definition = lead_definition

    def read(self, record: Record) -> Mapped | Unmapped:
        t = self.taxonomy
        if record.side is Side.SALESFORCE:
            f = t.salesforce_fields
            return t.stage_from_salesforce(
                record.get(f.status),
                record.get(f.disposition_reason),
                bool(record.get(f.converted)),
                record.get(f.opportunity_stage),
            )
        h = t.hubspot_fields
        return t.stage_from_hubspot(
            record.get(h.lifecyclestage),
            record.get(h.lead_status),
            record.get(h.disposition_reason),
        )

    def decide(self, pair: Pair, now: datetime) -> StageDecision | Rejection:
        readings: dict[Side, Mapped] = {}
        for side in Side:
            record = pair.record(side)
            if record is None:
                continue
            reading = self.read(record)
            if side is Side.HUBSPOT and _disqualified_without_reason(reading, self.taxonomy):
                # Marketing marked the contact "other" with no reason. Disqualifying is sales'
                # move, so this reads as a move HubSpot may not make: restored, never passed on.
                reading = Mapped(Stage.DISQUALIFIED, None)
            if isinstance(reading, Unmapped):
                error = reading.rejection()
                return Rejection(
                    side.other, error.code, f"{record.object} {record.id}: {error}", reading.field
                )
            readings[side] = reading
        previous = decode(pair.snapshot.get(STAGE_KEY)) if pair.snapshot else None
        events: list[StageEvent] = []
        agreed = self._agree(readings, previous, events)
        if agreed.stage is Stage.DISQUALIFIED and agreed.reason is None:
            # Only a HubSpot-only contact gets here: nothing to write, nothing to hand over.
            return StageDecision(
                salesforce={},
                hubspot={},
                agreed=None,
                create_allowed=False,
                notes=(f"{pair.label}: disqualified in HubSpot without a reason; not handed over",),
            )
        try:
            recycle_on = self._recycle_date(pair, agreed, now)
        except (ContractEndMissing, ValueRejected) as exc:
            return Rejection(Side.HUBSPOT, exc.code, str(exc), exc.field)
        if (
            agreed.stage is Stage.DISQUALIFIED
            and recycle_on is not None
            and recycle_on <= now.date()
        ):
            events.append(
                StageEvent(
                    "hubspot",
                    encode(agreed),
                    Stage.PROSPECT.value,
                    "written",
                    f"recycled: recycle date {recycle_on.isoformat()} reached",
                    Actor.RECYCLING.value,
                )
            )
            agreed, recycle_on = Mapped(Stage.PROSPECT), None
        # The lead definition is evaluated after recycling, so one cycle converges.
        agreed = self._connector_moves(pair, agreed, now, events)
        t = self.taxonomy
        salesforce = t.salesforce_values(agreed.stage, agreed.reason, recycle_on)
        hubspot: Mapping[str, Any] = t.hubspot_values(agreed.stage, agreed.reason, recycle_on)
        if pair.salesforce is not None and readings[Side.SALESFORCE].stage in (
            Stage.OPPORTUNITY,
            Stage.CUSTOMER,
        ):
            salesforce = {}
        create_allowed = True
        if pair.salesforce is None:
            # The handoff gate: sales never receives a lead the shared definition says is not
            # ready. Stages past sql belong to a converted lead, which only sales can make.
            create_allowed = agreed.stage in _HANDOFF_STAGES
        notes: tuple[str, ...] = ()
        if not create_allowed and pair.hubspot is not None:
            notes = (f"contacts {pair.hubspot.id}: {agreed.stage.value}, stays in HubSpot only",)
        return StageDecision(
            salesforce=_changed(pair.salesforce, salesforce),
            hubspot=_changed(pair.hubspot, hubspot),
            agreed=encode(agreed),
            events=tuple(events),
            notes=notes,
            create_allowed=create_allowed,
        )

    def _agree(
        self, readings: dict[Side, Mapped], previous: Mapped | None, events: list[StageEvent]
    ) -> Mapped:
        """The stage both sides should hold, from what each shows and what was agreed last."""
        if previous is None:
            # First sync of this pair: Salesforce, the system of record for sales stages, wins
            # unless HubSpot is the only side or further down the funnel on marketing's stages.
            sf = readings.get(Side.SALESFORCE)
            hs = readings.get(Side.HUBSPOT)
            if sf is None:
                assert hs is not None
                return hs
            return sf
        agreed = previous
        for side in (Side.SALESFORCE, Side.HUBSPOT):
            reading = readings.get(side)
            if reading is None or reading in (previous, agreed):
                continue
            actor = _ACTOR[side]
            if self.taxonomy.allowed(actor, previous.stage, reading.stage, reading.reason):
                events.append(
                    StageEvent(
                        side.value,
                        encode(previous),
                        encode(reading),
                        "written",
                        f"moved in {side.value}",
                        actor.value,
                    )
                )
                if agreed == previous:
                    agreed = reading
            else:
                events.append(
                    StageEvent(
                        side.value,
                        encode(previous),
                        encode(reading),
                        "rejected",
                        f"{side.value} may not move {previous.stage.value} → "
                        f"{reading.stage.value}; restored to {agreed.stage.value}",
                        actor.value,
                    )
                )
        return agreed

    def _connector_moves(
        self, pair: Pair, agreed: Mapped, now: datetime, events: list[StageEvent]
    ) -> Mapped:
        if (
            agreed.stage is Stage.PROSPECT
            and self.lead_definition is not None
            and pair.hubspot is not None
        ):
            verdict = self.lead_definition.evaluate(pair.hubspot.fields)
            if verdict.matches:
                events.append(
                    StageEvent(
                        "hubspot",
                        Stage.PROSPECT.value,
                        Stage.MQL.value,
                        "written",
                        "lead definition met",
                        Actor.CONNECTOR.value,
                    )
                )
                return Mapped(Stage.MQL)
        return agreed

    def _recycle_date(self, pair: Pair, agreed: Mapped, now: datetime) -> date | None:
        if agreed.stage is not Stage.DISQUALIFIED or agreed.reason is None:
            return None
        t = self.taxonomy
        stored = None
        if pair.salesforce is not None:
            stored = _as_date(pair.salesforce.get(t.salesforce_fields.recycle_date))
        contract_end = None
        if pair.salesforce is not None:
            contract_end = _as_date(pair.salesforce.get(t.salesforce_fields.contract_end_date))
        if contract_end is None and pair.hubspot is not None:
            contract_end = _as_date(pair.hubspot.get("contract_end_date"))
        computed = t.recycle_date(agreed.reason, now.date(), contract_end)
        if computed is None:
            return None
        reason = t.reasons[agreed.reason]
        if stored is not None and reason.recycle_after_days is not None:
            # The date was set when the lead was disqualified; later cycles keep it.
            return stored
        return computed


def _disqualified_without_reason(reading: Mapped | Unmapped, taxonomy: Taxonomy) -> bool:
    return (
        isinstance(reading, Unmapped)
        and reading.field == taxonomy.hubspot_fields.disposition_reason
        and reading.value in (None, "")
    )


def _changed(record: Record | None, values: Mapping[str, Any]) -> dict[str, Any]:
    if record is None:
        return dict(values)
    return {
        name: value
        for name, value in values.items()
        if FieldMap.comparable(record.get(name)) != FieldMap.comparable(value)
    }


def _as_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    text = str(value)
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000).date()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None

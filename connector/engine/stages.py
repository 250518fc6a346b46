"""The taxonomy step of a plan: one canonical stage per pair, written into both systems.

Each side's values are read as a canonical stage (an unmapped value rejects the pair: never a
guess). Against the last agreed stage, a side that moved is checked against who may make that
move: an allowed move becomes the agreed stage, a forbidden one is refused and that side is
restored. Then crmsync's own moves apply: a disqualified record whose recycle date has come
returns to ``prospect``, and the lead definition lifts a prospect to ``mql``. Both systems are
then given the agreed stage's values.

Every stage change the step writes or refuses becomes a :class:`StageEvent` for the audit
trail: a person's move (in the system where it was made, naming who made it and when), a
refused move, crmsync's own moves (one entry per system written), a first sync that overwrote a
side, and a record created at a stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from connector.engine.pairs import STAGE_KEY, Pair, Rejection, StageEvent
from connector.engine.plan import StageDecision, StageStep
from connector.lead_rule import LeadDefinition
from connector.mapping import FieldMap, SalesforceStage
from connector.model import Record, Side
from connector.taxonomy import Actor, Mapped, Stage, Taxonomy, Unmapped
from connector.taxonomy.reasons import ContractEndMissing
from connector.transforms import ValueRejected, is_blank

_HANDOFF_STAGES = frozenset({Stage.MQL, Stage.SAL, Stage.SQL})
_ACTOR = {Side.SALESFORCE: Actor.SALESFORCE, Side.HUBSPOT: Actor.HUBSPOT}
_SYSTEM = {Side.SALESFORCE: "Salesforce", Side.HUBSPOT: "HubSpot"}

# (system, user id) -> e-mail: how the audit trail names the person behind a move.
People = Mapping[tuple[Side, str], str]


def encode(reading: Mapped) -> str:
    """A stage as snapshots and the audit trail hold it: ``stage`` or ``stage/reason``."""
    return f"{reading.stage.value}/{reading.reason}" if reading.reason else reading.stage.value


def decode(text: Any) -> Mapped | None:
    if not isinstance(text, str) or not text:
        return None
    stage, _, reason = text.partition("/")
    try:
        return Mapped(Stage(stage), reason or None)
    except ValueError:
        return None


def make_stage_step(field_map: FieldMap, people: People | None = None) -> StageStep | None:
    """The taxonomy step for a pipeline whose mapping turns the taxonomy on.

    ``people`` names the users behind moves in the audit trail (their e-mail); without it the
    audit names the user id, or the system when the adapter does not say who changed a record.
    """
    taxonomy = field_map.taxonomy
    if taxonomy is None or field_map.salesforce_stage is SalesforceStage.CONVERSION:
        # A converted Contact's stage is carried by the lead it came from (the leads pipeline
        # reads it from the lead's opportunity); two pipelines must never both write it.
        return None
    step = _StageStep(taxonomy, field_map.lead_definition, people or {})
    return step.decide


@dataclass(frozen=True)
class _Move:
    """A side that shows another stage than the one last agreed."""

    side: Side
    previous: Mapped
    shown: Mapped
    accepted: bool
    why: str


class _StageStep:
    def __init__(
        self, taxonomy: Taxonomy, lead_definition: LeadDefinition | None, people: People
    ) -> None:
        self.taxonomy = taxonomy
        self.lead_definition = lead_definition
        self.people = people

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
                return self._unmapped(record, reading)
            readings[side] = reading
        previous = decode(pair.snapshot.get(STAGE_KEY)) if pair.snapshot else None
        agreed, moves = self._agree(readings, previous)
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
            recycle_on = self._recycle_date(pair, agreed, previous, now)
        except (ContractEndMissing, ValueRejected) as exc:
            side = Side.SALESFORCE if pair.salesforce is not None else Side.HUBSPOT
            return Rejection(side, exc.code, f"{_name(pair, side)}: {exc}", exc.field)
        settled = agreed
        connector_moves: list[tuple[Mapped, str, Actor]] = []
        if (
            agreed.stage is Stage.DISQUALIFIED
            and recycle_on is not None
            and recycle_on <= now.date()
        ):
            why = f"recycled: recycle date {recycle_on.isoformat()} reached"
            agreed, recycle_on = Mapped(Stage.PROSPECT), None
            connector_moves.append((agreed, why, Actor.RECYCLING))
        # The lead definition is evaluated after recycling, so one cycle converges.
        lifted = self._lead_definition(pair, agreed)
        if lifted is not None:
            agreed = lifted
            connector_moves.append((agreed, "lead definition met", Actor.CONNECTOR))
        t = self.taxonomy
        salesforce = t.salesforce_values(agreed.stage, agreed.reason, recycle_on)
        hubspot: Mapping[str, Any] = t.hubspot_values(agreed.stage, agreed.reason, recycle_on)
        if pair.salesforce is not None and readings[Side.SALESFORCE].stage in (
            Stage.OPPORTUNITY,
            Stage.CUSTOMER,
        ):
            # A converted lead cannot be written; its opportunity carries the stage.
            salesforce = {}
        create_allowed = True
        if pair.salesforce is None:
            # The handoff gate: sales never receives a lead the shared definition says is not
            # ready. Stages past sql belong to a converted lead, which only sales can make.
            create_allowed = agreed.stage in _HANDOFF_STAGES
        # A contact the gate keeps in HubSpot is the normal case, not news: no note for it.
        notes: tuple[str, ...] = ()
        events = self._events(pair, readings, previous, settled, agreed, moves, connector_moves)
        return StageDecision(
            salesforce=_changed(pair.salesforce, salesforce),
            hubspot=_changed(pair.hubspot, hubspot),
            agreed=encode(agreed),
            events=events if create_allowed else (),
            notes=notes,
            create_allowed=create_allowed,
        )

    # --- reading -------------------------------------------------------------------------------

    def _unmapped(self, record: Record, reading: Unmapped) -> Rejection:
        """A dead letter against the record holding the value, in words its owner understands."""
        fields = self.taxonomy.salesforce_fields
        name = f"{record.object} {record.id}"
        if record.side is Side.SALESFORCE and reading.field == fields.disposition_reason:
            reasons = ", ".join(r.salesforce for r in self.taxonomy.reasons.values())
            status = record.get(fields.status)
            if is_blank(reading.value):
                message = (
                    f"{name} is '{status}' but has no disposition reason ({_label(reading.field)} "
                    f"is empty). Pick one of: {reasons}; it tells marketing whether and when "
                    "to bring the lead back. crmsync syncs the lead once a reason is set."
                )
                return Rejection(record.side, "DISPOSITION_REASON_MISSING", message, reading.field)
            message = (
                f"{name}: disposition reason {reading.value!r} ({_label(reading.field)}) is not "
                f"one crmsync knows. Pick one of: {reasons}, or add it to [reasons] in "
                f"{self.taxonomy.path.name}."
            )
            return Rejection(record.side, "UNMAPPED_VALUE", message, reading.field)
        error = reading.rejection()
        message = (
            f"{name}: {error}. Nothing was written; map the value in {self.taxonomy.path.name} "
            "([aliases]) or change it in the record."
        )
        return Rejection(record.side, error.code, message, reading.field)

    # --- agreeing ------------------------------------------------------------------------------

    def _agree(
        self, readings: dict[Side, Mapped], previous: Mapped | None
    ) -> tuple[Mapped, list[_Move]]:
        """The stage both sides should hold, from what each shows and what was agreed last."""
        sf = readings.get(Side.SALESFORCE)
        hs = readings.get(Side.HUBSPOT)
        if previous is None:
            # First sync of this pair: Salesforce, the system of record for sales stages, wins,
            # except over a prospect that marketing already moved to mql (marketing's move).
            if sf is None:
                assert hs is not None
                return hs, []
            if hs is not None and sf.stage is Stage.PROSPECT and hs.stage is Stage.MQL:
                return hs, []
            return sf, []
        agreed = previous
        moves: list[_Move] = []
        for side in (Side.SALESFORCE, Side.HUBSPOT):
            shown = readings.get(side)
            if shown is None or shown == previous:
                continue
            if shown == agreed:
                # The other side made the same move first: nothing more to record.
                continue
            actor = _ACTOR[side]
            system = _SYSTEM[side]
            if not self.taxonomy.allowed(actor, previous.stage, shown.stage, shown.reason):
                why = (
                    f"{system} may not move {encode(previous)} → {encode(shown)}; "
                    f"restored to {encode(agreed)}"
                )
                moves.append(_Move(side, previous, shown, False, why))
            elif agreed != previous:
                why = (
                    f"{system}'s move to {encode(shown)} conflicts with the move to "
                    f"{encode(agreed)} made in Salesforce; restored to {encode(agreed)}"
                )
                moves.append(_Move(side, previous, shown, False, why))
            else:
                moves.append(_Move(side, previous, shown, True, f"moved in {system}"))
                agreed = shown
        return agreed, moves

    def _lead_definition(self, pair: Pair, agreed: Mapped) -> Mapped | None:
        if (
            agreed.stage is Stage.PROSPECT
            and self.lead_definition is not None
            and pair.hubspot is not None
            and self.lead_definition.evaluate(pair.hubspot.fields).matches
        ):
            return Mapped(Stage.MQL)
        return None

    def _recycle_date(
        self, pair: Pair, agreed: Mapped, previous: Mapped | None, now: datetime
    ) -> date | None:
        if agreed.stage is not Stage.DISQUALIFIED or agreed.reason is None:
            return None
        t = self.taxonomy
        contract_end = None
        if pair.salesforce is not None:
            contract_end = _as_date(pair.salesforce.get(t.salesforce_fields.contract_end_date))
        if contract_end is None and pair.hubspot is not None:
            contract_end = _as_date(pair.hubspot.get("contract_end_date"))
        computed = t.recycle_date(agreed.reason, now.date(), contract_end)
        if computed is None:
            return None
        reason = t.reasons[agreed.reason]
        if reason.recycle_after_days is None or previous not in (None, agreed):
            # Counted back from a contract end (always recomputed), or newly disqualified: the
            # disposition date is today.
            return computed
        # Counted from the disposition date, set when the record was disqualified; later
        # cycles keep it. Salesforce holds it, except on a converted lead (which cannot be
        # written): then HubSpot does.
        stored = _stored_recycle_date(pair, t)
        return stored if stored is not None else computed

    # --- the audit trail -----------------------------------------------------------------------

    def _events(
        self,
        pair: Pair,
        readings: Mapping[Side, Mapped],
        previous: Mapped | None,
        settled: Mapped,
        agreed: Mapped,
        moves: list[_Move],
        connector_moves: list[tuple[Mapped, str, Actor]],
    ) -> tuple[StageEvent, ...]:
        """The audit entries of a decision.

        ``settled`` is the stage the sides agreed on before crmsync's own moves, which follow
        from it in each system; ``agreed`` is the stage both systems are given.
        """
        events: list[StageEvent] = []
        for move in moves:
            record = pair.record(move.side)
            assert record is not None
            events.append(
                StageEvent(
                    move.side.value,
                    encode(move.previous),
                    encode(move.shown),
                    "written" if move.accepted else "rejected",
                    f"{move.why}{_when(record)}",
                    self._who(record),
                )
            )
        for side in Side:
            if pair.record(side) is None:
                events.append(
                    StageEvent(
                        side.value,
                        None,
                        encode(agreed),
                        "written",
                        f"created in {_SYSTEM[side]} at {encode(agreed)}",
                        Actor.CONNECTOR.value,
                    )
                )
                continue
            shown = readings[side]
            # crmsync's own moves are recorded from what the system showed.
            before = encode(shown)
            if previous is None and shown != settled:
                events.append(
                    StageEvent(
                        side.value,
                        before,
                        encode(settled),
                        "written",
                        f"first sync: {_SYSTEM[side.other]}'s stage taken",
                        Actor.CONNECTOR.value,
                    )
                )
                before = encode(settled)
            for target, why, actor in connector_moves:
                if encode(target) == before:
                    continue
                events.append(
                    StageEvent(side.value, before, encode(target), "written", why, actor.value)
                )
                before = encode(target)
        return tuple(events)

    def _who(self, record: Record) -> str:
        """Who last changed ``record``: a user's e-mail where the adapter says, else the system."""
        if record.side is Side.SALESFORCE:
            user = record.get(self.taxonomy.salesforce_fields.last_modified_by)
            if not is_blank(user):
                return self.people.get((Side.SALESFORCE, str(user)), f"Salesforce user {user}")
        return record.side.value


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


def _stored_recycle_date(pair: Pair, taxonomy: Taxonomy) -> date | None:
    if pair.salesforce is not None:
        stored = _as_date(pair.salesforce.get(taxonomy.salesforce_fields.recycle_date))
        if stored is not None:
            return stored
    if pair.hubspot is not None:
        return _as_date(pair.hubspot.get(taxonomy.hubspot_fields.recycle_date))
    return None


def _as_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    text = str(value)
    if text.isdigit():
        # HubSpot date properties may come as epoch milliseconds at midnight UTC.
        return datetime.fromtimestamp(int(text) / 1000, UTC).date()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _name(pair: Pair, side: Side) -> str:
    record = pair.record(side)
    return f"{record.object} {record.id}" if record is not None else pair.label


def _label(api_name: str) -> str:
    """``Disposition_Reason__c`` → ``Disposition Reason``, as a sales rep sees it on the page."""
    return api_name.removesuffix("__c").replace("_", " ")


def _when(record: Record) -> str:
    if record.modified_at is None:
        return ""
    stamp = record.modified_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f" (changed there at {stamp})"

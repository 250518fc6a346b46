"""The compiled taxonomy: reads each system's values as a canonical stage and writes them back.

Built once by :func:`connector.taxonomy.loader.load_taxonomy`; every method is pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from connector.errors import InvariantBroken
from connector.taxonomy import moves
from connector.taxonomy.moves import MoveRule
from connector.taxonomy.reasons import Reason
from connector.taxonomy.stages import FUNNEL, Actor, Mapped, Stage, StageReading, Unmapped
from connector.transforms import hubspot_wire, is_blank, salesforce_wire


@dataclass(frozen=True)
class SalesforceStageFields:
    """The Lead fields the taxonomy writes (status, reason, recycle date) and reads."""

    status: str
    disposition_reason: str
    recycle_date: str
    converted: str
    opportunity_stage: str
    contract_end_date: str
    # Who made the last change: the audit trail names them when a stage move is recorded.
    last_modified_by: str = "LastModifiedById"

    def written(self) -> tuple[str, ...]:
        return (self.status, self.disposition_reason, self.recycle_date)

    def read(self) -> tuple[str, ...]:
        return (
            *self.written(),
            self.converted,
            self.opportunity_stage,
            self.contract_end_date,
            self.last_modified_by,
        )


@dataclass(frozen=True)
class HubSpotStageFields:
    """The HubSpot contact properties the taxonomy writes and reads."""

    lifecyclestage: str
    lead_status: str
    disposition_reason: str
    recycle_date: str

    def written(self) -> tuple[str, ...]:
        return (self.lifecyclestage, self.lead_status, self.disposition_reason, self.recycle_date)

    def read(self) -> tuple[str, ...]:
        return self.written()


@dataclass(frozen=True)
class StageValues:
    """What a stage writes in each system (disqualified takes its lead status from the reason)."""

    salesforce_status: str
    hubspot_lifecyclestage: str
    hubspot_lead_status: str | None


class Outcome(StrEnum):
    """Where a converted lead's opportunity stands."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


@dataclass(frozen=True)
class Taxonomy:
    """Stages and their values in each system, disposition reasons, and who may move what."""

    path: Path
    version: int
    salesforce_fields: SalesforceStageFields
    hubspot_fields: HubSpotStageFields
    stages: Mapping[Stage, StageValues]
    reasons: Mapping[str, Reason]
    moves: tuple[MoveRule, ...]
    opportunity_outcomes: Mapping[str, Outcome]
    lost_reason: str
    without_opportunity: Stage | None
    salesforce_status_reads: Mapping[str, Stage]
    lifecyclestage_reads: Mapping[str, frozenset[Stage]]
    lead_status_reads: Mapping[str, frozenset[Stage]]
    # The longest an mql may wait for its first sales touch before the report calls it a breach.
    sla_mql_to_sal: timedelta = timedelta(hours=24)

    @property
    def funnel(self) -> tuple[Stage, ...]:
        """The stages in funnel order (``disqualified`` stands beside it)."""
        return FUNNEL

    def rank(self, stage: Stage) -> int | None:
        """A stage's place in the funnel (0 for prospect), ``None`` for disqualified."""
        return FUNNEL.index(stage) if stage in FUNNEL else None

    # --- reading ---------------------------------------------------------------------------

    def stage_from_salesforce(
        self,
        status: Any,
        disposition_label: Any,
        is_converted: bool,
        opportunity_stage: Any,
    ) -> StageReading:
        """A Lead's stage: its Status (and reason), or its opportunity once it is converted."""
        fields = self.salesforce_fields
        if is_converted:
            return self._from_opportunity(opportunity_stage)
        key = "" if is_blank(status) else str(status).strip()
        stage = self.salesforce_status_reads.get(key)
        if stage is None:
            if key and key in self._conversion_statuses():
                return Unmapped(
                    fields.status, status, f"{status!r} says the lead is converted, but it is not"
                )
            return Unmapped(
                fields.status,
                status,
                f"{status!r} maps to no stage (known: {_listing(self.salesforce_status_reads)})",
            )
        if stage is Stage.DISQUALIFIED:
            by_label = {r.salesforce: r.name for r in self.reasons.values()}
            return self._disqualified(fields.disposition_reason, disposition_label, by_label)
        return Mapped(stage)

    def stage_from_hubspot(
        self, lifecyclestage: Any, lead_status: Any, disposition: Any
    ) -> StageReading:
        """A contact's stage from ``lifecyclestage``, told apart by ``hs_lead_status`` if shared."""
        fields = self.hubspot_fields
        cycle = "" if is_blank(lifecyclestage) else str(lifecyclestage).strip()
        candidates = self.lifecyclestage_reads.get(cycle, frozenset())
        if not candidates:
            return Unmapped(
                fields.lifecyclestage,
                lifecyclestage,
                f"{lifecyclestage!r} maps to no stage "
                f"(known: {_listing(self.lifecyclestage_reads)})",
            )
        if len(candidates) == 1:
            (stage,) = candidates
        else:
            status = "" if is_blank(lead_status) else str(lead_status).strip()
            matches = candidates & self.lead_status_reads.get(status, frozenset())
            if len(matches) != 1:
                expected = sorted(
                    value
                    for value, stages in self.lead_status_reads.items()
                    if value and stages & candidates
                )
                return Unmapped(
                    fields.lead_status,
                    lead_status,
                    f"{lead_status!r} does not tell which stage a {cycle!r} contact is in "
                    f"(expected one of: {', '.join(expected)})",
                )
            (stage,) = matches
        if stage is Stage.DISQUALIFIED:
            by_value = {r.hubspot: r.name for r in self.reasons.values()}
            return self._disqualified(fields.disposition_reason, disposition, by_value)
        return Mapped(stage)

    def _from_opportunity(self, opportunity_stage: Any) -> StageReading:
        field = self.salesforce_fields.opportunity_stage
        if is_blank(opportunity_stage):
            if self.without_opportunity is not None:
                return Mapped(self.without_opportunity)
            return Unmapped(
                field,
                opportunity_stage,
                "the lead is converted without an opportunity, and the taxonomy's "
                "[opportunity] without_opportunity names no stage for that",
            )
        outcome = self.opportunity_outcomes.get(str(opportunity_stage).strip())
        if outcome is Outcome.WON:
            return Mapped(Stage.CUSTOMER)
        if outcome is Outcome.LOST:
            return Mapped(Stage.DISQUALIFIED, self.lost_reason)
        if outcome is Outcome.OPEN:
            return Mapped(Stage.OPPORTUNITY)
        return Unmapped(
            field,
            opportunity_stage,
            f"opportunity stage {opportunity_stage!r} is in none of the taxonomy's "
            "[opportunity] open, won or lost lists",
        )

    def _disqualified(self, field: str, value: Any, reasons: Mapping[str, str]) -> StageReading:
        if is_blank(value):
            return Unmapped(
                field,
                value,
                f"a disqualified lead needs a disposition reason (one of: {_listing(reasons)})",
            )
        reason = reasons.get(str(value).strip())
        if reason is None:
            return Unmapped(
                field, value, f"{value!r} is not a disposition reason (known: {_listing(reasons)})"
            )
        return Mapped(Stage.DISQUALIFIED, reason)

    def _conversion_statuses(self) -> frozenset[str]:
        return frozenset(
            self.stages[s].salesforce_status for s in (Stage.OPPORTUNITY, Stage.CUSTOMER)
        )

    # --- writing ---------------------------------------------------------------------------

    def salesforce_values(
        self, stage: Stage, reason: str | None = None, recycle_on: date | None = None
    ) -> dict[str, Any]:
        """The Lead fields to write for ``stage``, as Salesforce takes them (``None`` clears).

        Any stage but disqualified clears the reason and the recycle date.
        """
        disposition = self._reason_for(stage, reason)
        fields = self.salesforce_fields
        values: dict[str, Any] = {
            fields.status: self.stages[stage].salesforce_status,
            fields.disposition_reason: disposition.salesforce if disposition else None,
            fields.recycle_date: recycle_on if disposition else None,
        }
        return {name: salesforce_wire(value) for name, value in values.items()}

    def hubspot_values(
        self, stage: Stage, reason: str | None = None, recycle_on: date | None = None
    ) -> dict[str, str]:
        """The contact properties to write for ``stage``, as HubSpot takes them (``""`` clears)."""
        disposition = self._reason_for(stage, reason)
        values = self.stages[stage]
        fields = self.hubspot_fields
        lead_status = disposition.hubspot_lead_status if disposition else values.hubspot_lead_status
        written: dict[str, Any] = {
            fields.lifecyclestage: values.hubspot_lifecyclestage,
            fields.lead_status: lead_status,
            fields.disposition_reason: disposition.hubspot if disposition else None,
            fields.recycle_date: recycle_on if disposition else None,
        }
        return {name: hubspot_wire(value) for name, value in written.items()}

    def _reason_for(self, stage: Stage, reason: str | None) -> Reason | None:
        if stage is not Stage.DISQUALIFIED:
            return None
        if reason is None or reason not in self.reasons:
            raise InvariantBroken(f"disqualified needs a known reason, got {reason!r}")
        return self.reasons[reason]

    # --- moves and recycling ---------------------------------------------------------------

    def allowed(
        self, actor: Actor, from_stage: Stage, to_stage: Stage, reason: str | None = None
    ) -> bool:
        """Whether ``actor`` may move a record from ``from_stage`` to ``to_stage``."""
        return moves.allowed(self.moves, actor, from_stage, to_stage, reason)

    def is_backwards(self, from_stage: Stage, to_stage: Stage) -> bool:
        return moves.is_backwards(from_stage, to_stage)

    def recycle_date(
        self, reason: str, disposition_date: date, contract_end: date | None
    ) -> date | None:
        """When a record disqualified for ``reason`` returns to prospect (``None``: never).

        Raises ``ContractEndMissing`` (a dead letter) when the reason needs a contract end date
        and the record has none.
        """
        if reason not in self.reasons:
            raise InvariantBroken(f"unknown disposition reason {reason!r}")
        label = _field_label(self.salesforce_fields.contract_end_date)
        return self.reasons[reason].recycle_date(disposition_date, contract_end, label)


def _listing(values: Mapping[str, Any]) -> str:
    return ", ".join(repr(v) for v in values if v) or "none"


def _field_label(api_name: str) -> str:
    """``Contract_End_Date__c`` → ``Contract End Date``, as a sales rep sees it on the page."""
    return api_name.removesuffix("__c").replace("_", " ")

"""What a pipeline does besides syncing its own changes, chosen from its mapping.

- A leads pipeline (Salesforce ``Lead`` with the taxonomy on ``Status``): after its changes,
  the converted leads whose opportunity changed are re-synced (closed loop), then the records
  whose recycle date has come are brought back (recycling).
- An opportunities pipeline (Salesforce ``Opportunity`` → HubSpot ``deals``): after each
  chunk's writes, new deals are associated with their contacts.
- Any other pipeline: nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from connector.engine.closed_loop import DealAssociations, OpportunityWatch, opportunity_fields
from connector.engine.recycling import RecycleSweep
from connector.mapping import FieldMap, SalesforceStage

if TYPE_CHECKING:
    from connector.engine.cycle import AfterRun, AfterWrite, Cycle, CycleResult


@dataclass(frozen=True)
class Followups:
    """The two moments a cycle offers, filled in (or not) for one pipeline."""

    after_write: AfterWrite | None = None
    after_run: AfterRun | None = None


def followups_for(field_map: FieldMap) -> Followups:
    """The follow-ups of the pipeline ``field_map`` describes."""
    if (
        field_map.taxonomy is not None
        and field_map.salesforce_stage is SalesforceStage.LEAD_STATUS
        and field_map.salesforce_object == "Lead"
    ):
        steps: list[AfterRun] = []
        if opportunity_fields(field_map):
            steps.append(OpportunityWatch(field_map))
        steps.append(RecycleSweep(field_map.taxonomy))
        return Followups(after_run=_in_turn(steps))
    if field_map.salesforce_object == "Opportunity" and field_map.hubspot_object == "deals":
        return Followups(after_write=DealAssociations())
    return Followups()


def _in_turn(steps: list[AfterRun]) -> AfterRun:
    def run(cycle: Cycle, result: CycleResult) -> None:
        for step in steps:
            step(cycle, result)
            if cycle.should_stop():
                return

    return run

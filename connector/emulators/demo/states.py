"""The default taxonomy values (DESIGN.md section 3) that demo records are placed at.

The demo needs every value the shipped ``mappings/taxonomy.toml`` knows, on both sides, plus
values it does not know. These constants mirror that file's defaults; the demo data set is a
picture of the systems *before* crmsync, so it is drawn from vendor values, not from the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Stage(StrEnum):
    """Canonical funnel stages, in order, plus ``disqualified``."""

    PROSPECT = "prospect"
    MQL = "mql"
    SAL = "sal"
    SQL = "sql"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    DISQUALIFIED = "disqualified"


NURTURE: Final = "Nurture"
OPEN_NOT_CONTACTED: Final = "Open - Not Contacted"
WORKING_CONTACTED: Final = "Working - Contacted"
QUALIFIED: Final = "Qualified"
CLOSED_CONVERTED: Final = "Closed - Converted"
CLOSED_NOT_CONVERTED: Final = "Closed - Not Converted"

LEAD_STATUSES: Final = (
    NURTURE,
    OPEN_NOT_CONTACTED,
    WORKING_CONTACTED,
    QUALIFIED,
    CLOSED_CONVERTED,
    CLOSED_NOT_CONVERTED,
)

# A status from the org's previous sales process, still on old records but in no taxonomy.
UNMAPPED_LEAD_STATUS: Final = "Contacted - Old Process"

NOT_READY: Final = "Not Ready"
MID_CONTRACT: Final = "Mid-Contract with Competitor"
LOST_DEAL: Final = "Lost Deal"

DISPOSITIONS: Final = (
    NOT_READY,
    MID_CONTRACT,
    LOST_DEAL,
    "No Fit",
    "Bad Data",
    "Duplicate",
    "Unresponsive",
)

# HubSpot's custom ``lead_disposition_reason`` holds the canonical reason names.
CANONICAL_REASON: Final = {
    NOT_READY: "not_ready",
    MID_CONTRACT: "mid_contract_competitor",
    LOST_DEAL: "lost_deal",
    "No Fit": "no_fit",
    "Bad Data": "bad_data",
    "Duplicate": "duplicate",
    "Unresponsive": "unresponsive",
}

STAGE_OF_STATUS: Final = {
    NURTURE: Stage.PROSPECT,
    OPEN_NOT_CONTACTED: Stage.MQL,
    WORKING_CONTACTED: Stage.SAL,
    QUALIFIED: Stage.SQL,
    CLOSED_NOT_CONVERTED: Stage.DISQUALIFIED,
}

LIFECYCLE_STAGES: Final = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)

HS_LEAD_STATUSES: Final = (
    "NEW",
    "OPEN",
    "IN_PROGRESS",
    "OPEN_DEAL",
    "UNQUALIFIED",
    "ATTEMPTED_TO_CONTACT",
    "CONNECTED",
    "BAD_TIMING",
)

# (lifecyclestage, hs_lead_status) for each canonical stage short of disqualified.
HUBSPOT_VIEW: Final = {
    Stage.PROSPECT: ("lead", "NEW"),
    Stage.MQL: ("marketingqualifiedlead", "OPEN"),
    Stage.SAL: ("marketingqualifiedlead", "IN_PROGRESS"),
    Stage.SQL: ("salesqualifiedlead", "CONNECTED"),
    Stage.OPPORTUNITY: ("opportunity", "OPEN_DEAL"),
    Stage.CUSTOMER: ("customer", "OPEN_DEAL"),
}

FUNNEL: Final = (
    Stage.PROSPECT,
    Stage.MQL,
    Stage.SAL,
    Stage.SQL,
    Stage.OPPORTUNITY,
    Stage.CUSTOMER,
)


def disqualified_view(disposition: str | None) -> tuple[str, str]:
    """HubSpot's picture of a disqualified record: ``other``, and bad timing or unqualified."""
    timing = disposition in (NOT_READY, MID_CONTRACT)
    return "other", "BAD_TIMING" if timing else "UNQUALIFIED"


CLOSED_WON: Final = "Closed Won"
CLOSED_LOST: Final = "Closed Lost"

# Salesforce StageName -> HubSpot default pipeline dealstage.
DEAL_STAGE: Final = {
    "Prospecting": "appointmentscheduled",
    "Qualification": "qualifiedtobuy",
    "Needs Analysis": "presentationscheduled",
    "Value Proposition": "presentationscheduled",
    "Id. Decision Makers": "presentationscheduled",
    "Perception Analysis": "presentationscheduled",
    "Proposal/Price Quote": "decisionmakerboughtin",
    "Negotiation/Review": "contractsent",
    CLOSED_WON: "closedwon",
    CLOSED_LOST: "closedlost",
}

OPPORTUNITY_STAGES: Final = tuple(DEAL_STAGE)

# HubSpot's default sales pipeline, in order.
DEAL_PIPELINE: Final = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
    "closedwon",
    "closedlost",
)

LEAD_SOURCES: Final = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")


@dataclass(frozen=True)
class LeadState:
    """Where a Salesforce lead stands: its status and, when closed unconverted, why."""

    status: str
    disposition: str | None = None

    @property
    def stage(self) -> Stage | None:
        """The canonical stage, or None for a converted lead (its opportunity decides)."""
        return STAGE_OF_STATUS.get(self.status)


# Every status, and every disposition of a closed unconverted lead.
LEAD_STATES: Final = (
    LeadState(NURTURE),
    LeadState(OPEN_NOT_CONTACTED),
    LeadState(WORKING_CONTACTED),
    LeadState(QUALIFIED),
    LeadState(CLOSED_CONVERTED),
    *(LeadState(CLOSED_NOT_CONVERTED, reason) for reason in DISPOSITIONS),
)

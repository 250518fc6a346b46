"""Who is where before crmsync: the people in both systems, in one, and at which stage.

The demo's story needs the two systems to overlap a lot but not completely, and to disagree in
the ways real teams do: HubSpot lagging behind sales, a marketer moving a stage by hand, owners
assigned in one place only, scores that went stale in Salesforce.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final

from connector.emulators.demo.draws import moment_before, spread
from connector.emulators.demo.formats import parse_sf_datetime
from connector.emulators.demo.hubspot_side import ContactView, HubSpotBuilder, Record
from connector.emulators.demo.people import PeopleFactory, Person
from connector.emulators.demo.salesforce_side import SalesforceBuilder
from connector.emulators.demo.states import (
    CANONICAL_REASON,
    CLOSED_CONVERTED,
    CLOSED_LOST,
    CLOSED_WON,
    DEAL_PIPELINE,
    DEAL_STAGE,
    FUNNEL,
    HUBSPOT_VIEW,
    LEAD_STATES,
    LIFECYCLE_STAGES,
    LOST_DEAL,
    MID_CONTRACT,
    NOT_READY,
    NURTURE,
    OPEN_NOT_CONTACTED,
    OPPORTUNITY_STAGES,
    LeadState,
    Stage,
    disqualified_view,
)
from connector.emulators.demo.team import Team
from connector.emulators.demo.vocabulary import LOSS_REASONS

# Of the smaller of the two populations, this share are the same people in both systems.
SHARED_SHARE: Final = 2 / 3

# Relative weights of LEAD_STATES (same order): statuses, then the seven dispositions.
_SHARED_LEAD_WEIGHTS: Final = (10, 18, 17, 10, 23, 5, 3, 2, 3, 1, 1, 4)
_SALESFORCE_ONLY_WEIGHTS: Final = (40, 10, 12, 6, 10, 5, 3, 1, 4, 2, 2, 5)
_OPPORTUNITY_WEIGHTS: Final = (8, 8, 6, 6, 4, 3, 7, 6, 32, 20)
_HUBSPOT_ONLY_WEIGHTS: Final = (22, 50, 8, 3, 2, 4, 4, 7)

# hs_lead_status of HubSpot-only contacts per lifecycle stage, with relative weights.
_HUBSPOT_ONLY_STATUS: Final[dict[str, tuple[tuple[str | None, float], ...]]] = {
    "subscriber": ((None, 1.0),),
    "lead": (("NEW", 60.0), ("ATTEMPTED_TO_CONTACT", 20.0), (None, 20.0)),
    "marketingqualifiedlead": (("OPEN", 1.0),),
    "salesqualifiedlead": (("CONNECTED", 1.0),),
    "opportunity": (("OPEN_DEAL", 1.0),),
    "customer": (("OPEN_DEAL", 1.0),),
    "evangelist": (("CONNECTED", 1.0), (None, 1.0)),
    "other": (("UNQUALIFIED", 2.0), ("BAD_TIMING", 1.0)),
}
_TIMING_REASONS: Final = (CANONICAL_REASON[NOT_READY], CANONICAL_REASON[MID_CONTRACT])
_UNQUALIFIED_REASONS: Final = tuple(
    reason for reason in CANONICAL_REASON.values() if reason not in _TIMING_REASONS
)


@dataclass
class SharedPerson:
    """Someone who is a Salesforce lead and a HubSpot contact."""

    person: Person
    lead: Record
    contact: Record


@dataclass
class Population:
    """Everyone the demo made, grouped by where they live, for the problem-planting step."""

    shared: list[SharedPerson] = field(default_factory=list)
    salesforce_only: list[tuple[Person, Record]] = field(default_factory=list)
    hubspot_only: list[tuple[Person, Record]] = field(default_factory=list)


def _outcome(opportunity_stage: str) -> tuple[Stage, str | None]:
    """The canonical stage of a converted lead, decided by its opportunity."""
    if opportunity_stage == CLOSED_WON:
        return Stage.CUSTOMER, None
    if opportunity_stage == CLOSED_LOST:
        return Stage.DISQUALIFIED, LOST_DEAL
    return Stage.OPPORTUNITY, None


def _score(rng: random.Random, stage: Stage | None) -> int:
    if stage is Stage.PROSPECT or stage is None:
        return round(rng.triangular(0, 100, 45))
    if stage is Stage.DISQUALIFIED:
        return round(rng.triangular(0, 90, 35))
    # Past MQL: mostly above the lead definition's threshold, some from before it existed.
    return round(rng.triangular(40, 100, 75))


class PopulationBuilder:
    """Places people in both systems according to the demo's story."""

    def __init__(
        self,
        rng: random.Random,
        now: datetime,
        team: Team,
        people: PeopleFactory,
        salesforce: SalesforceBuilder,
        hubspot: HubSpotBuilder,
    ) -> None:
        self._rng = rng
        self._now = now
        self._team = team
        self._people = people
        self._sf = salesforce
        self._hs = hubspot
        self.population = Population()
        self._opportunity_stages: list[str] = []

    def build(
        self, shared: list[Person], salesforce_only: list[Person], hubspot_only: list[Person]
    ) -> Population:
        rng = self._rng
        shared_states = spread(
            rng, len(shared), list(zip(LEAD_STATES, _SHARED_LEAD_WEIGHTS, strict=True))
        )
        sf_states = spread(
            rng, len(salesforce_only), list(zip(LEAD_STATES, _SALESFORCE_ONLY_WEIGHTS, strict=True))
        )
        converted = sum(state.status == CLOSED_CONVERTED for state in [*shared_states, *sf_states])
        self._opportunity_stages = spread(
            rng, converted, list(zip(OPPORTUNITY_STAGES, _OPPORTUNITY_WEIGHTS, strict=True))
        )
        for person, state in zip(shared, shared_states, strict=True):
            self.add_shared(person, state)
        for person, state in zip(salesforce_only, sf_states, strict=True):
            self._add_salesforce_only(person, state)
        lifecycles = spread(
            rng, len(hubspot_only), list(zip(LIFECYCLE_STAGES, _HUBSPOT_ONLY_WEIGHTS, strict=True))
        )
        drawn = {
            stage: iter(spread(rng, lifecycles.count(stage), _HUBSPOT_ONLY_STATUS[stage]))
            for stage in LIFECYCLE_STAGES
        }
        for person, lifecycle in zip(hubspot_only, lifecycles, strict=True):
            self._add_hubspot_only(person, lifecycle, next(drawn[lifecycle]))
        self._sf.add_colleagues(self._people)
        self._add_deals()
        return self.population

    def add_shared(self, person: Person, state: LeadState) -> SharedPerson:
        rng = self._rng
        stage, disposition = state.stage, state.disposition
        opportunity_stage = self._opportunity_stage(state)
        if opportunity_stage is not None:
            stage, disposition = _outcome(opportunity_stage)
        score = _score(rng, stage)
        roll = rng.random()
        salesforce_score: int | None = score
        if roll < 0.2:
            salesforce_score = min(100, max(0, score + rng.choice((-1, 1)) * rng.randint(5, 25)))
        elif roll < 0.3:
            salesforce_score = None
        owner = self._lead_owner(state)
        lead = self._sf.lead(person, state, owner, salesforce_score)
        if opportunity_stage is not None:
            self._sf.convert(lead, person, opportunity_stage)
        # One form fill made both records; sales' last touch tells when marketing handed over.
        created = parse_sf_datetime(str(lead["CreatedDate"]))
        touched = parse_sf_datetime(str(lead["LastModifiedDate"]))
        person.created = created
        handed_over = touched if state.status == OPEN_NOT_CONTACTED else created
        if state.status != OPEN_NOT_CONTACTED:
            handed_over += (touched - created) * rng.uniform(0.1, 0.5)
        lifecycle, lead_status = self._hubspot_stage(stage or Stage.PROSPECT, disposition)
        view = ContactView(
            lifecyclestage=lifecycle,
            lead_status=lead_status,
            score=score,
            owner_id=self._hubspot_owner(owner),
            became_mql=handed_over.replace(microsecond=0),
        )
        contact = self._hs.contact(person, view, drift=True)
        shared = SharedPerson(person, lead, contact)
        self.population.shared.append(shared)
        return shared

    def _add_salesforce_only(self, person: Person, state: LeadState) -> None:
        rng = self._rng
        opportunity_stage = self._opportunity_stage(state)
        score = round(rng.triangular(0, 100, 40)) if rng.random() < 0.5 else None
        lead = self._sf.lead(person, state, self._lead_owner(state), score)
        if opportunity_stage is not None:
            self._sf.convert(lead, person, opportunity_stage)
        self.population.salesforce_only.append((person, lead))

    def _add_hubspot_only(self, person: Person, lifecycle: str, status: str | None) -> None:
        rng = self._rng
        early = lifecycle in ("subscriber", "lead")
        if early:
            score = round(rng.triangular(0, 100, 40))
            # Form fills leave fit fields blank; the lead definition must cope.
            if rng.random() < 0.15:
                person.title = None
            owner = rng.choice(self._team.hubspot_owner_ids()) if rng.random() < 0.15 else None
        else:
            score = round(rng.triangular(40, 100, 70))
            owner = rng.choice(self._team.hubspot_owner_ids()) if rng.random() < 0.8 else None
        reason = contract_end = None
        if lifecycle == "other" and rng.random() < 0.7:
            # Some marketers already record why; the reason agrees with the lead status.
            reason = rng.choice(_TIMING_REASONS if status == "BAD_TIMING" else _UNQUALIFIED_REASONS)
            if reason == CANONICAL_REASON[MID_CONTRACT]:
                contract_end = self._now.date() + timedelta(days=rng.randint(60, 500))
        view = ContactView(lifecycle, status, score, owner, reason, contract_end)
        blank_company = early and rng.random() < 0.1
        contact = self._hs.contact(person, view)
        if blank_company:
            del contact["properties"]["company"]
        self.population.hubspot_only.append((person, contact))

    def _opportunity_stage(self, state: LeadState) -> str | None:
        """The stage of the opportunity a converted lead became (None for other leads)."""
        if state.status != CLOSED_CONVERTED:
            return None
        # Drawn up front, one per converted lead, so every stage is present.
        return self._opportunity_stages.pop() if self._opportunity_stages else "Prospecting"

    def _hubspot_stage(self, stage: Stage, disposition: str | None) -> tuple[str, str | None]:
        """HubSpot mostly agrees with sales, often lags one stage, rarely runs ahead by hand."""
        rng = self._rng
        roll = rng.random()
        if stage is Stage.DISQUALIFIED:
            if roll < 0.7:
                lifecycle, status = disqualified_view(disposition)
                return lifecycle, status
            return HUBSPOT_VIEW[rng.choice((Stage.MQL, Stage.SAL))]
        if stage is Stage.PROSPECT:
            return ("subscriber", None) if roll < 0.2 else HUBSPOT_VIEW[stage]
        index = FUNNEL.index(stage)
        if roll < 0.72:
            return HUBSPOT_VIEW[stage]
        if roll < 0.95:
            return HUBSPOT_VIEW[FUNNEL[index - 1]]
        if stage is Stage.MQL:
            # A marketer set salesqualifiedlead by hand: a move made in the wrong system.
            return HUBSPOT_VIEW[Stage.SQL]
        return HUBSPOT_VIEW[stage]

    def _lead_owner(self, state: LeadState) -> str:
        rng = self._rng
        seats = self._team.sellers()
        choices = [str(seat.user_id) for seat in seats]
        weights = [
            (10.0 if seat.member.in_hubspot else 5.0) if seat.member.active else 2.0
            for seat in seats
        ]
        if state.status in (NURTURE, OPEN_NOT_CONTACTED):
            # Web-to-lead hands new leads to the newest SDR, who has no HubSpot seat yet.
            weights = [
                weight * (3.0 if not seat.member.in_hubspot else 1.0)
                for weight, seat in zip(weights, seats, strict=True)
            ]
        return rng.choices(choices, weights=weights)[0]

    def _hubspot_owner(self, user_id: str) -> str | None:
        rng = self._rng
        owner = self._team.owner_for_user(user_id)
        roll = rng.random()
        if owner is None:
            return None if roll < 0.8 else rng.choice(self._team.hubspot_owner_ids())
        if roll < 0.6:
            return owner
        if roll < 0.9:
            return None
        return rng.choice(self._team.hubspot_owner_ids())

    def _add_deals(self) -> None:
        """Deals typed into HubSpot by hand: copies of some Salesforce ones, and a few new ones."""
        rng = self._rng
        today = self._now.date()
        opportunities = self._sf.records.opportunities
        # The HubSpot contact of each converted lead's Salesforce contact.
        contact_of = {
            str(shared.lead["ConvertedContactId"]): shared.contact
            for shared in self.population.shared
            if shared.lead["IsConverted"]
        }
        copies = min(len(opportunities), max(4, len(opportunities) // 10))
        for opportunity in rng.sample(opportunities, k=copies):
            stage = DEAL_STAGE[str(opportunity["StageName"])]
            if rng.random() < 0.3:
                # Never updated since it was typed in.
                stage = _stage_before(stage)
            amount = float(opportunity["Amount"])
            if rng.random() < 0.3:
                amount = float(round(amount * rng.uniform(0.7, 1.3) / 100) * 100)
            self._hs.deal(
                name=str(opportunity["Name"]),
                stage=stage,
                amount=amount,
                close_date=date.fromisoformat(str(opportunity["CloseDate"])),
                owner_id=self._team.owner_for_user(str(opportunity["OwnerId"])),
                lost_reason=opportunity.get("Loss_Reason__c") if stage == "closedlost" else None,
                created=parse_sf_datetime(str(opportunity["CreatedDate"])),
                contact=contact_of.get(str(opportunity["ContactId"])),
            )
        hubspot_only = self.population.hubspot_only
        own = min(len(hubspot_only), max(3, len(hubspot_only) // 50))
        for person, contact in rng.sample(hubspot_only, k=own):
            stage = rng.choice(DEAL_PIPELINE)
            opened = moment_before(rng, self._now, 5, 200)
            closing = opened.date() + timedelta(days=rng.randint(20, 120))
            if stage in ("closedwon", "closedlost"):
                closing = min(closing, today - timedelta(days=1))
            else:
                closing = max(closing, today + timedelta(days=7))
            self._hs.deal(
                name=f"{person.company.name} - Trial",
                stage=stage,
                amount=float(rng.randrange(2_000, 30_000, 500)),
                close_date=closing,
                owner_id=rng.choice(self._team.hubspot_owner_ids()),
                lost_reason=rng.choice(LOSS_REASONS) if stage == "closedlost" else None,
                created=opened,
                contact=contact,
            )


def _stage_before(stage: str) -> str:
    """The pipeline stage a deal was at before ``stage`` (a closed deal was at contract sent)."""
    index = DEAL_PIPELINE.index(stage)
    return DEAL_PIPELINE[max(0, min(index, DEAL_PIPELINE.index("closedwon")) - 1)]

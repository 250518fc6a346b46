"""HubSpot as the demo portal looks before crmsync: contacts at every lifecycle stage, a few deals.

HubSpot answers every property as a string, so every value here is one; an unset property is left
out rather than sent empty, except where the demo means an empty string on purpose.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from connector.emulators.demo.draws import moment_after
from connector.emulators.demo.formats import hs_datetime, iso_date
from connector.emulators.demo.people import Person
from connector.emulators.demo.vocabulary import TITLES

Record = dict[str, Any]

_MQL_OR_LATER = ("marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")


def number_text(value: float) -> str:
    """HubSpot's rendering of a number property: no trailing ``.0`` on whole numbers."""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


@dataclass
class HubSpotRecords:
    """Every record of the demo portal, per object, in seed order."""

    owners: list[Record]
    contacts: list[Record] = field(default_factory=list)
    deals: list[Record] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {"objects": {"owners": self.owners, "contacts": self.contacts, "deals": self.deals}}


@dataclass(frozen=True)
class ContactView:
    """How HubSpot sees one person: stage, status, score, owner, and marketing's notes."""

    lifecyclestage: str
    lead_status: str | None
    score: int
    owner_id: str | None
    disposition_reason: str | None = None
    contract_end: date | None = None
    # When the contact became an MQL, if the story knows (the SLA clock starts there).
    became_mql: datetime | None = None


class HubSpotBuilder:
    """Renders people as HubSpot contacts, with the small drifts two-way editing leaves."""

    def __init__(self, rng: random.Random, now: datetime, owners: list[Record]) -> None:
        self._rng = rng
        self._now = now
        self.records = HubSpotRecords(owners=owners)

    def contact(self, person: Person, view: ContactView, *, drift: bool = False) -> Record:
        """A contact for ``person``; ``drift`` lets title and company differ from Salesforce's."""
        rng = self._rng
        title = person.title
        company = person.company.name
        if drift:
            roll = rng.random()
            if roll < 0.08:
                title = rng.choice(TITLES)  # a promotion marketing heard of first
            elif roll < 0.13:
                company = person.company.other_spelling()
        source = person.lead_source if rng.random() < 0.9 else None
        properties: dict[str, str | None] = {
            "email": person.email,
            "firstname": person.first_name,
            "lastname": person.last_name,
            "company": company,
            "jobtitle": title,
            "phone": person.phone,
            "hubspotscore": str(view.score),
            "lifecyclestage": view.lifecyclestage,
            "hs_lead_status": view.lead_status,
            "hubspot_owner_id": view.owner_id,
            "lead_source": source,
            "lead_disposition_reason": view.disposition_reason,
            "contract_end_date": iso_date(view.contract_end) if view.contract_end else None,
            "createdate": hs_datetime(person.created),
        }
        if view.lifecyclestage in _MQL_OR_LATER:
            # HubSpot stamps the date a contact first entered each stage.
            entered = view.became_mql or min(moment_after(rng, person.created, 0, 30), self._now)
            properties["hs_lifecyclestage_marketingqualifiedlead_date"] = hs_datetime(entered)
        record: Record = {
            "properties": {key: value for key, value in properties.items() if value is not None}
        }
        self.records.contacts.append(record)
        return record

    def deal(
        self,
        name: str,
        stage: str,
        amount: float,
        close_date: date,
        owner_id: str | None,
        lost_reason: str | None,
        created: datetime,
    ) -> Record:
        properties: dict[str, str | None] = {
            "dealname": name,
            "dealstage": stage,
            "pipeline": "default",
            "amount": number_text(amount),
            # closedate is a datetime property; a date typed in the UI is stored as UTC midnight.
            "closedate": hs_datetime(datetime.combine(close_date, time(0, 0), tzinfo=UTC)),
            "closed_lost_reason": lost_reason,
            "hubspot_owner_id": owner_id,
            "createdate": hs_datetime(created),
        }
        record: Record = {
            "properties": {key: value for key, value in properties.items() if value is not None}
        }
        self.records.deals.append(record)
        return record

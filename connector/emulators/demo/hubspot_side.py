"""HubSpot as the demo portal looks before crmsync: contacts at every lifecycle stage, a few deals.

HubSpot answers every property as a string, so every value here is one; an unset property is left
out rather than sent empty, except where the demo means an empty string on purpose.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from connector.emulators.demo.draws import moment_after
from connector.emulators.demo.formats import hs_datetime, iso_date
from connector.emulators.demo.people import Person
from connector.emulators.demo.vocabulary import TITLES

Record = dict[str, Any]

_CLOSED = ("closedwon", "closedlost")
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
        # Contacts with explicit ids go first: a server numbering the rest after them can then
        # never hand out one of theirs, whatever number it starts from.
        contacts = sorted(self.contacts, key=lambda record: "id" not in record)
        return {"objects": {"owners": self.owners, "contacts": contacts, "deals": self.deals}}


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
        self._next_id = rng.randrange(20_000_000_000, 90_000_000_000)

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
        last_change = person.created
        if view.lifecyclestage in _MQL_OR_LATER:
            # HubSpot stamps the date a contact first entered each stage.
            entered = view.became_mql or min(moment_after(rng, person.created, 0, 30), self._now)
            properties["hs_lifecyclestage_marketingqualifiedlead_date"] = hs_datetime(entered)
            last_change = entered
        properties["lastmodifieddate"] = hs_datetime(self._later(last_change))
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
        contact: Record | None = None,
    ) -> Record:
        """A deal in the default pipeline, associated with ``contact`` when one is given."""
        closes = datetime.combine(close_date, time(0, 0), tzinfo=UTC)
        # Closing a deal is an edit: a closed deal changed on or after its close date.
        last_change = max(created, min(closes, self._now)) if stage in _CLOSED else created
        properties: dict[str, str | None] = {
            "dealname": name,
            "dealstage": stage,
            "pipeline": "default",
            "amount": number_text(amount),
            # closedate is a datetime property; a date typed in the UI is stored as UTC midnight.
            "closedate": hs_datetime(closes),
            "closed_lost_reason": lost_reason,
            "hubspot_owner_id": owner_id,
            "createdate": hs_datetime(created),
            "hs_lastmodifieddate": hs_datetime(self._later(last_change)),
        }
        record: Record = {
            "properties": {key: value for key, value in properties.items() if value is not None}
        }
        if contact is not None:
            record["associations"] = {"contacts": [self.contact_id(contact)]}
        self.records.deals.append(record)
        return record

    def contact_id(self, contact: Record) -> str:
        """The contact's id, given one now if it had none (only referenced contacts need one)."""
        if "id" not in contact:
            contact["id"] = str(self._next_id)
            self._next_id += 1
        return str(contact["id"])

    def _later(self, instant: datetime) -> datetime:
        """A last-change time after ``instant`` and not after now: records get touched."""
        gap = max(self._now - instant, timedelta())
        return (instant + gap * self._rng.random() ** 3).replace(microsecond=0)

"""How the report reads one record: its canonical stage, lead source, name and dates.

The stage is read exactly as the engine's taxonomy step reads it (``Taxonomy.stage_from_*``),
so a record the report counts as ``mql`` is one the next sync treats as ``mql``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from connector.model import Record, Side
from connector.report.model import NO_SOURCE, Person
from connector.taxonomy import Mapped, Stage, StageReading, Taxonomy, Unmapped
from connector.transforms import is_blank

LEAD_SOURCE = {Side.SALESFORCE: "LeadSource", Side.HUBSPOT: "lead_source"}
# Standard fields on a Salesforce Lead and standard HubSpot contact properties.
NAME_FIELDS = {
    Side.SALESFORCE: ("FirstName", "LastName", "Company", "Email"),
    Side.HUBSPOT: ("firstname", "lastname", "company", "email"),
}
# The HubSpot property the engine reads a contract end date from when Salesforce has none.
HUBSPOT_CONTRACT_END = "contract_end_date"


@dataclass(frozen=True)
class Classified:
    """A record with its stage reading and lead source."""

    record: Record
    reading: StageReading
    source: str

    @property
    def stage(self) -> Stage | None:
        return self.reading.stage if isinstance(self.reading, Mapped) else None

    @property
    def reason(self) -> str | None:
        return self.reading.reason if isinstance(self.reading, Mapped) else None


def fields_for_stage(taxonomy: Taxonomy, side: Side) -> tuple[str, ...]:
    """What the report reads of a record to classify, group and name it."""
    if side is Side.SALESFORCE:
        stage = taxonomy.salesforce_fields.read()
    else:
        stage = (*taxonomy.hubspot_fields.read(), HUBSPOT_CONTRACT_END)
    return (*stage, LEAD_SOURCE[side], *NAME_FIELDS[side])


def classify(taxonomy: Taxonomy, record: Record) -> Classified:
    return Classified(record, read_stage(taxonomy, record), lead_source(record))


def read_stage(taxonomy: Taxonomy, record: Record) -> StageReading:
    if record.side is Side.SALESFORCE:
        sf = taxonomy.salesforce_fields
        return taxonomy.stage_from_salesforce(
            record.get(sf.status),
            record.get(sf.disposition_reason),
            bool(record.get(sf.converted)),
            record.get(sf.opportunity_stage),
        )
    hs = taxonomy.hubspot_fields
    return taxonomy.stage_from_hubspot(
        record.get(hs.lifecyclestage), record.get(hs.lead_status), record.get(hs.disposition_reason)
    )


def lead_source(record: Record) -> str:
    value = record.get(LEAD_SOURCE[record.side])
    return NO_SOURCE if is_blank(value) else str(value).strip()


def person(record: Record) -> Person:
    first, last, company, email = (_text(record.get(f)) for f in NAME_FIELDS[record.side])
    name = " ".join(part for part in (first, last) if part)
    # Records that are not people (opportunities, deals) and Contacts name themselves otherwise.
    name = name or _first_text(record, ("Name", "dealname"))
    company = company or _first_text(record, ("Account.Name",))
    return Person(
        system=record.side,
        object=record.object,
        id=record.id,
        name=name,
        company=company,
        email=email,
    )


def recycle_date(taxonomy: Taxonomy, record: Record) -> date | None:
    if record.side is Side.SALESFORCE:
        return as_date(record.get(taxonomy.salesforce_fields.recycle_date))
    return as_date(record.get(taxonomy.hubspot_fields.recycle_date))


def contract_end(taxonomy: Taxonomy, record: Record) -> date | None:
    if record.side is Side.SALESFORCE:
        return as_date(record.get(taxonomy.salesforce_fields.contract_end_date))
    return as_date(record.get(HUBSPOT_CONTRACT_END))


def stage_label(reading: StageReading) -> str:
    """``"disqualified/not_ready"``, ``"sql"``, or ``"unmapped"``: as the audit trail writes it."""
    if isinstance(reading, Unmapped):
        return "unmapped"
    return f"{reading.stage.value}/{reading.reason}" if reading.reason else reading.stage.value


def as_date(value: Any) -> date | None:
    """A date as either system sends it: ``YYYY-MM-DD``, an ISO instant, or epoch milliseconds.

    HubSpot's date properties can come back as midnight UTC in epoch milliseconds.
    """
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC).date()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _first_text(record: Record, names: tuple[str, ...]) -> str:
    return next((text for n in names if (text := _text(record.get(n)))), "")


def _text(value: Any) -> str:
    return "" if is_blank(value) else str(value).strip()


def parse_stage_label(text: str | None) -> Mapped | None:
    """The audit trail's ``"stage"`` or ``"stage/reason"`` as a reading (None if not a stage)."""
    if not text:
        return None
    name, _, reason = text.partition("/")
    try:
        return Mapped(Stage(name), reason or None)
    except ValueError:
        return None

"""The report's data: every number ``crmsync report`` shows, as frozen values.

Collected once (``collect.py``) and rendered as a table, JSON or HTML: the renderers compute
nothing, so all three formats always tell the same story.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from connector.model import Side

# A record whose values read as no stage is counted under this column beside the stages.
UNMAPPED = "unmapped"
# A record without a lead source is grouped under this name.
NO_SOURCE = "(none)"


@dataclass(frozen=True)
class StateSummary:
    """What the state store knows: whether any sync ran, and what it left behind."""

    store: str
    runs: int
    last_run_at: datetime | None
    links: int
    open_dead_letters: int

    @property
    def has_state(self) -> bool:
        return self.runs > 0 or self.links > 0


@dataclass(frozen=True)
class UnmappedValue:
    """A value the taxonomy maps to no stage, and how many records hold it."""

    field: str
    value: str
    records: int


@dataclass(frozen=True)
class SystemFunnel:
    """Records per canonical stage in one system.

    ``stages`` holds every funnel stage, ``disqualified`` and ``unmapped``, in that order,
    zeros included.
    """

    system: Side
    objects: tuple[str, ...]
    records: int
    stages: Mapping[str, int]
    unmapped: tuple[UnmappedValue, ...] = ()


@dataclass(frozen=True)
class ConversionStep:
    """How many records that reached ``source`` went on to reach ``target``."""

    source: str
    target: str
    entered: int
    advanced: int

    @property
    def rate(self) -> float | None:
        """The share that advanced; ``None`` when none entered (no rate, rather than 0 %)."""
        return self.advanced / self.entered if self.entered else None


@dataclass(frozen=True)
class SystemConversions:
    """Records that reached each stage from mql on, and the rate of each step."""

    system: Side
    reached: Mapping[str, int]
    steps: tuple[ConversionStep, ...]
    overall: ConversionStep


@dataclass(frozen=True)
class SourceDispositions:
    """One lead source: its records, how many were disqualified, and why.

    ``not_a_lead`` counts the reasons that are never recycled (no fit, bad data, duplicate,
    unresponsive): what the source is held to account for.
    """

    source: str
    records: int
    disqualified: int
    not_a_lead: int
    by_reason: Mapping[str, int]


@dataclass(frozen=True)
class SystemDispositions:
    """Disqualified records of one system by reason, and by lead source."""

    system: Side
    by_reason: Mapping[str, int]
    by_source: tuple[SourceDispositions, ...]


@dataclass(frozen=True)
class Person:
    """How a record is named in a list: which one it is, and who."""

    system: Side
    object: str
    id: str
    name: str
    company: str
    email: str


@dataclass(frozen=True)
class RecycleEntry:
    """A disqualified record that returns to prospect on ``recycle_on``.

    ``days`` counts from today; zero or less means the next sync recycles it.
    """

    person: Person
    reason: str
    recycle_on: date
    days: int


@dataclass(frozen=True)
class RenewalEntry:
    """A record whose contract (with a competitor, usually) ends within the window."""

    person: Person
    stage: str
    contract_end: date
    days: int


@dataclass(frozen=True)
class RecycleQueue:
    """Who comes back, and when: recycle dates in order, and contracts ending soon."""

    returns: tuple[RecycleEntry, ...]
    renewals: tuple[RenewalEntry, ...]
    window_days: int


class SlaState(StrEnum):
    """A breach is either a late first touch, or an mql still waiting past the SLA."""

    LATE = "late"
    WAITING = "waiting"


@dataclass(frozen=True)
class SlaBreach:
    """An mql whose first sales touch came (or is still due) after the SLA."""

    pipeline: str
    record: str
    link_id: int
    name: str
    mql_at: datetime
    touched_at: datetime | None
    hours: float
    state: SlaState


@dataclass(frozen=True)
class SlaSummary:
    """Time from mql to the first sales touch, from the audit trail.

    ``measured`` counts mql periods that ended in a touch; ``within`` those on time.
    """

    hours: float
    measured: int
    within: int
    breaches: tuple[SlaBreach, ...]


@dataclass(frozen=True)
class FieldDrift:
    """One mapped field (or the stage) on which a linked pair disagrees, in compared form."""

    salesforce_field: str
    hubspot_field: str
    salesforce: str | None
    hubspot: str | None

    @property
    def key(self) -> str:
        """``"Company|company"``, as the snapshots key a row; ``"stage"`` for the stage."""
        if self.salesforce_field == self.hubspot_field:
            return self.salesforce_field
        return f"{self.salesforce_field}|{self.hubspot_field}"


@dataclass(frozen=True)
class DriftRecord:
    """A linked pair whose two sides disagree, with the fields that differ."""

    pipeline: str
    salesforce: str
    hubspot: str
    name: str
    fields: tuple[FieldDrift, ...]


@dataclass(frozen=True)
class DriftSummary:
    """Linked pairs whose two sides disagree: counts, by field, and a sample to look at."""

    pairs_checked: int
    records: int
    by_field: Mapping[str, int]
    by_pipeline: Mapping[str, int]
    sample: tuple[DriftRecord, ...]


@dataclass(frozen=True)
class Report:
    """Everything ``crmsync report`` shows."""

    generated_at: datetime
    today: date
    state: StateSummary
    notices: tuple[str, ...]
    funnel: tuple[SystemFunnel, ...]
    conversions: tuple[SystemConversions, ...]
    dispositions: tuple[SystemDispositions, ...]
    recycle: RecycleQueue
    sla: SlaSummary
    drift: DriftSummary

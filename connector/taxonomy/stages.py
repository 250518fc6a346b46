"""The canonical stages, who can move them, and what a system's values read as.

Stages are a closed set fixed by the product (the engine's handoff gate, recycling and
conversion hang on their names); the values each system uses for them are data, in
``mappings/taxonomy.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from connector.transforms import UnmappedValue


class Stage(StrEnum):
    """Where a lead stands; the first six in funnel order, ``disqualified`` beside the funnel."""

    PROSPECT = "prospect"
    MQL = "mql"
    SAL = "sal"
    SQL = "sql"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    DISQUALIFIED = "disqualified"


FUNNEL: tuple[Stage, ...] = (
    Stage.PROSPECT,
    Stage.MQL,
    Stage.SAL,
    Stage.SQL,
    Stage.OPPORTUNITY,
    Stage.CUSTOMER,
)

# A converted lead's Salesforce stage is read from its opportunity, never from Lead.Status.
CONVERSION_STAGES = frozenset({Stage.OPPORTUNITY, Stage.CUSTOMER})


class Actor(StrEnum):
    """Who made a move: a person in one of the systems, or crmsync itself."""

    SALESFORCE = "salesforce"
    HUBSPOT = "hubspot"
    CONNECTOR = "connector"
    RECYCLING = "recycling"


@dataclass(frozen=True)
class Mapped:
    """A record's values read as ``stage`` (with its disposition ``reason`` if disqualified)."""

    stage: Stage
    reason: str | None = None

    @property
    def is_mapped(self) -> bool:
        return True


@dataclass(frozen=True)
class Unmapped:
    """A record's value maps to no stage: the record goes to dead letters, never a guess."""

    field: str
    value: Any
    message: str

    @property
    def is_mapped(self) -> bool:
        return False

    def rejection(self) -> UnmappedValue:
        """The dead-letter reason, naming the field and the value."""
        return UnmappedValue(f"{self.field}: {self.message}", field=self.field)


StageReading = Mapped | Unmapped

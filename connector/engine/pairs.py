"""What the planner works on: a Salesforce record and a HubSpot record believed to be one person.

A pair comes from an id link (the state store) or, failing that, from the match key (e-mail,
trimmed and lower-cased). Either side may be missing: that is a create, subject to the handoff
gate. ``snapshot`` holds the values both sides agreed on after the last sync, in comparable form;
it is how the engine tells a real change from the echo of its own write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connector.model import Record, Side, WriteOp

STAGE_KEY = "__stage__"


@dataclass(frozen=True)
class Pair:
    """One entity as both systems hold it (either side may be absent)."""

    salesforce: Record | None
    hubspot: Record | None
    link_id: int | None = None
    snapshot: Mapping[str, Any] | None = None
    match_key: str | None = None

    def record(self, side: Side) -> Record | None:
        return self.salesforce if side is Side.SALESFORCE else self.hubspot

    @property
    def label(self) -> str:
        """How messages name the pair: ids where known, else the match key."""
        parts = []
        if self.salesforce is not None:
            parts.append(f"{self.salesforce.object} {self.salesforce.id}")
        if self.hubspot is not None:
            parts.append(f"{self.hubspot.object} {self.hubspot.id}")
        if not parts and self.match_key:
            parts.append(self.match_key)
        return " / ".join(parts)


@dataclass(frozen=True)
class FieldChange:
    """One field a write changes: the value the target holds and the value it will hold."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class PlannedWrite:
    """A write to one side for one pair, with the field-by-field changes it makes."""

    side: Side
    op: WriteOp
    changes: tuple[FieldChange, ...]
    reason: str


@dataclass(frozen=True)
class Rejection:
    """Why a pair cannot be synced as it stands; it becomes a dead letter."""

    side: Side
    code: str
    message: str
    field: str | None = None


@dataclass(frozen=True)
class StageEvent:
    """A stage move the engine wrote or refused, for the audit trail."""

    system: str
    from_stage: str | None
    to_stage: str | None
    outcome: str
    why: str
    actor: str | None = None


@dataclass(frozen=True)
class PairPlan:
    """Everything one pair needs: writes per side, the snapshot after them, or a rejection."""

    pair: Pair
    writes: tuple[PlannedWrite, ...] = ()
    agreed: Mapping[str, Any] = field(default_factory=dict)
    rejection: Rejection | None = None
    notes: tuple[str, ...] = ()
    events: tuple[StageEvent, ...] = ()

    @property
    def is_noop(self) -> bool:
        return not self.writes and self.rejection is None

    def write_for(self, side: Side) -> PlannedWrite | None:
        return next((w for w in self.writes if w.side is side), None)

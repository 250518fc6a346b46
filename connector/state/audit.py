"""The audit trail of stage changes: every move crmsync wrote, and every one it rejected.

The taxonomy decides; this keeps its decisions with who made the move, in which system, when,
and why it was written or refused, for ``crmsync report`` and for the people who ask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from connector.model import Side
from connector.state.tables import audit
from connector.state.txbase import TxBase


class AuditOutcome(StrEnum):
    """Whether a stage change was written through or refused (and restored)."""

    WRITTEN = "written"
    REJECTED = "rejected"


@dataclass(frozen=True)
class AuditEntry:
    """One stage change, written through or refused.

    ``record`` names it ("Lead 00Q...", "contact 501"); ``system`` is where the change was
    made; ``at`` is when it was made there; ``id`` is set once stored.
    """

    pipeline: str
    system: Side
    record: str
    from_stage: str | None
    to_stage: str | None
    outcome: AuditOutcome
    why: str
    at: datetime
    actor: str | None = None
    link_id: int | None = None
    id: int | None = None


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        pipeline=row.pipeline,
        system=Side(row.system),
        record=row.record,
        from_stage=row.from_stage,
        to_stage=row.to_stage,
        outcome=AuditOutcome(row.outcome),
        why=row.why,
        at=row.at,
        actor=row.actor,
        link_id=row.link_id,
    )


class AuditMixin(TxBase):
    """Append to and read the audit trail."""

    def add_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append entries (one executemany); an ``id`` given is ignored."""
        if not entries:
            return
        rows = [
            {
                "pipeline": e.pipeline,
                "link_id": e.link_id,
                "system": e.system.value,
                "record": e.record,
                "from_stage": e.from_stage,
                "to_stage": e.to_stage,
                "outcome": e.outcome.value,
                "why": e.why,
                "actor": e.actor,
                "at": e.at,
            }
            for e in entries
        ]
        self._conn.execute(sa.insert(audit), rows)

    def list_audit(
        self,
        pipeline: str | None = None,
        *,
        since: datetime | None = None,
        outcome: AuditOutcome | None = None,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """Entries in the order the changes were made (then stored)."""
        query = sa.select(audit).order_by(audit.c.at, audit.c.id)
        if pipeline is not None:
            query = query.where(audit.c.pipeline == pipeline)
        if since is not None:
            query = query.where(audit.c.at >= since)
        if outcome is not None:
            query = query.where(audit.c.outcome == outcome.value)
        if limit is not None:
            query = query.limit(limit)
        return [_entry(row) for row in self._conn.execute(query)]

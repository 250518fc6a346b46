"""Last-synced snapshots: the values crmsync last wrote to, or read from, each side of a link.

The connector's own writes come back as changes on the next read. Comparing a fresh read with
the snapshot (and its modification time) is how the engine recognises its echo and writes
nothing, so two systems never ping-pong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from connector.model import Side
from connector.state.dialect import upsert
from connector.state.tables import snapshots
from connector.state.txbase import TxBase, chunked


@dataclass(frozen=True)
class NewSnapshot:
    """Values to remember for one side of a link; ``fields`` must be JSON values."""

    link_id: int
    side: Side
    fields: Mapping[str, Any]
    modified_at: datetime | None = None


@dataclass(frozen=True)
class Snapshot:
    """A stored snapshot; ``synced_at`` is when crmsync stored it."""

    link_id: int
    side: Side
    fields: Mapping[str, Any]
    modified_at: datetime | None
    synced_at: datetime


def _snapshot(row: Any) -> Snapshot:
    return Snapshot(
        link_id=row.link_id,
        side=Side(row.side),
        fields=row.fields,
        modified_at=row.modified_at,
        synced_at=row.synced_at,
    )


class SnapshotsMixin(TxBase):
    """Read and replace snapshots, in bulk."""

    def get_snapshot(self, link_id: int, side: Side) -> Snapshot | None:
        return self.snapshots_for([link_id]).get((link_id, side))

    def snapshots_for(self, link_ids: Iterable[int]) -> dict[tuple[int, Side], Snapshot]:
        """Both sides' snapshots of these links, by (link id, side); missing ones are absent."""
        found: dict[tuple[int, Side], Snapshot] = {}
        for batch in chunked(dict.fromkeys(link_ids)):
            for row in self._conn.execute(
                sa.select(snapshots).where(snapshots.c.link_id.in_(batch))
            ):
                snap = _snapshot(row)
                found[(snap.link_id, snap.side)] = snap
        return found

    def put_snapshot(
        self,
        link_id: int,
        side: Side,
        fields: Mapping[str, Any],
        modified_at: datetime | None = None,
    ) -> None:
        self.put_snapshots([NewSnapshot(link_id, side, fields, modified_at)])

    def put_snapshots(self, new: Sequence[NewSnapshot]) -> None:
        """Replace the snapshots of these links' sides (one executemany)."""
        if not new:
            return
        now = self._now()
        # The last one wins for a (link, side) given twice, as if written one after the other.
        rows = {
            (n.link_id, n.side): {
                "link_id": n.link_id,
                "side": n.side.value,
                "fields": dict(n.fields),
                "modified_at": n.modified_at,
                "synced_at": now,
            }
            for n in new
        }
        upsert(
            self._conn,
            snapshots,
            list(rows.values()),
            keys=("link_id", "side"),
            update=("fields", "modified_at", "synced_at"),
        )

    def delete_snapshots(self, link_ids: Iterable[int]) -> int:
        """Forget the snapshots of these links (the next cycle compares with nothing)."""
        removed = 0
        for batch in chunked(link_ids):
            stmt = sa.delete(snapshots).where(snapshots.c.link_id.in_(batch))
            removed += self._conn.execute(stmt).rowcount
        return removed

"""Read positions: incremental cursors and backfill checkpoints.

A cursor is how far a pipeline has read one object of one system (``connector.model.Cursor``:
a modification time plus the ids already processed at that exact time). A checkpoint is where
an interrupted backfill resumes; its token is opaque JSON chosen by the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from connector.model import Cursor, Side
from connector.state.dialect import upsert
from connector.state.tables import checkpoints, cursors
from connector.state.txbase import TxBase


@dataclass(frozen=True)
class CursorState:
    """A stored cursor with what it belongs to and when it last moved (for ``status``)."""

    pipeline: str
    side: Side
    object: str
    cursor: Cursor
    updated_at: datetime


class CursorsMixin(TxBase):
    """Cursors: read, move, list."""

    def get_cursor(self, pipeline: str, side: Side, object: str) -> Cursor:
        """The stored cursor, or an empty one (read everything) when none was stored."""
        row = self._conn.execute(
            sa.select(cursors.c.position, cursors.c.seen_ids).where(
                cursors.c.pipeline == pipeline,
                cursors.c.side == side.value,
                cursors.c.object == object,
            )
        ).one_or_none()
        if row is None:
            return Cursor()
        return Cursor(position=row.position, seen_ids=frozenset(row.seen_ids))

    def set_cursor(self, pipeline: str, side: Side, object: str, cursor: Cursor) -> None:
        """Move a cursor; it becomes durable with everything else when the transaction commits."""
        upsert(
            self._conn,
            cursors,
            [
                {
                    "pipeline": pipeline,
                    "side": side.value,
                    "object": object,
                    "position": cursor.position,
                    "seen_ids": sorted(cursor.seen_ids),
                    "updated_at": self._now(),
                }
            ],
            keys=("pipeline", "side", "object"),
            update=("position", "seen_ids", "updated_at"),
        )

    def list_cursors(self, pipeline: str | None = None) -> list[CursorState]:
        """Every stored cursor (of one pipeline when given), ordered by pipeline, side, object."""
        query = sa.select(cursors).order_by(cursors.c.pipeline, cursors.c.side, cursors.c.object)
        if pipeline is not None:
            query = query.where(cursors.c.pipeline == pipeline)
        return [
            CursorState(
                pipeline=row.pipeline,
                side=Side(row.side),
                object=row.object,
                cursor=Cursor(position=row.position, seen_ids=frozenset(row.seen_ids)),
                updated_at=row.updated_at,
            )
            for row in self._conn.execute(query)
        ]


class CheckpointsMixin(TxBase):
    """Backfill checkpoints: an opaque JSON token per pipeline, side and object."""

    def get_checkpoint(self, pipeline: str, side: Side, object: str) -> Any | None:
        """The stored token, or None when the backfill has no checkpoint there."""
        row = self._conn.execute(
            sa.select(checkpoints.c.token).where(
                checkpoints.c.pipeline == pipeline,
                checkpoints.c.side == side.value,
                checkpoints.c.object == object,
            )
        ).one_or_none()
        return None if row is None else row.token

    def set_checkpoint(self, pipeline: str, side: Side, object: str, token: Any) -> None:
        """Store where a backfill stands; ``token`` must be JSON (dicts, lists, str, numbers)."""
        if token is None:
            raise ValueError("a checkpoint token cannot be None; use clear_checkpoint")
        upsert(
            self._conn,
            checkpoints,
            [
                {
                    "pipeline": pipeline,
                    "side": side.value,
                    "object": object,
                    "token": token,
                    "updated_at": self._now(),
                }
            ],
            keys=("pipeline", "side", "object"),
            update=("token", "updated_at"),
        )

    def clear_checkpoint(
        self, pipeline: str, side: Side | None = None, object: str | None = None
    ) -> int:
        """Forget checkpoints of a pipeline (of one side, or one object, when given).

        Answers how many were removed; a finished backfill clears all of its pipeline's.
        """
        stmt = sa.delete(checkpoints).where(checkpoints.c.pipeline == pipeline)
        if side is not None:
            stmt = stmt.where(checkpoints.c.side == side.value)
        if object is not None:
            stmt = stmt.where(checkpoints.c.object == object)
        return self._conn.execute(stmt).rowcount

"""Dead letters: records a target system refused, with its own error, kept until retried.

A record that fails again while its letter is still open does not add a row: the open letter
takes the new error and counts one more attempt (a partial unique index allows one open letter
per pipeline, side, object and record key).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from connector.model import Side
from connector.state.dialect import upsert
from connector.state.tables import OPEN_DEAD_LETTER, dead_letters
from connector.state.txbase import TxBase


class DeadLetterStatus(StrEnum):
    """Where a dead letter stands: open until retried successfully or dropped by an admin."""

    OPEN = "open"
    RETRIED = "retried"
    DROPPED = "dropped"


@dataclass(frozen=True)
class NewDeadLetter:
    """A record that could not be written.

    ``side`` is the target system; ``record_key`` identifies the record across retries (the
    source record's id); ``record_id`` is the target's id when the record exists there;
    ``payload`` the fields that were to be written (JSON values); ``error_code`` and
    ``error_message`` are the target system's own.
    """

    side: Side
    object: str
    record_key: str
    payload: Mapping[str, Any]
    error_code: str
    error_message: str
    record_id: str | None = None


@dataclass(frozen=True)
class DeadLetter:
    """A stored dead letter."""

    id: int
    pipeline: str
    run_id: uuid.UUID | None
    side: Side
    object: str
    record_key: str
    record_id: str | None
    payload: Mapping[str, Any]
    error_code: str
    error_message: str
    attempts: int
    status: DeadLetterStatus
    created_at: datetime
    updated_at: datetime


def _dead_letter(row: Any) -> DeadLetter:
    return DeadLetter(
        id=row.id,
        pipeline=row.pipeline,
        run_id=row.run_id,
        side=Side(row.side),
        object=row.object,
        record_key=row.record_key,
        record_id=row.record_id,
        payload=row.payload,
        error_code=row.error_code,
        error_message=row.error_message,
        attempts=row.attempts,
        status=DeadLetterStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class DeadLettersMixin(TxBase):
    """Add, list and settle dead letters."""

    def add_dead_letter(
        self, pipeline: str, run_id: uuid.UUID | None, letter: NewDeadLetter
    ) -> DeadLetter:
        """Open a dead letter, or count another attempt on the record's open one."""
        self.add_dead_letters(pipeline, run_id, [letter])
        found = self.list_dead_letters(
            pipeline,
            status=DeadLetterStatus.OPEN,
            side=letter.side,
            object=letter.object,
            record_key=letter.record_key,
        )
        return found[0]

    def add_dead_letters(
        self, pipeline: str, run_id: uuid.UUID | None, letters: Sequence[NewDeadLetter]
    ) -> None:
        """``add_dead_letter`` for many records at once (one executemany)."""
        if not letters:
            return
        now = self._now()
        rows = [
            {
                "pipeline": pipeline,
                "run_id": run_id,
                "side": x.side.value,
                "object": x.object,
                "record_key": x.record_key,
                "record_id": x.record_id,
                "payload": dict(x.payload),
                "error_code": x.error_code,
                "error_message": x.error_message,
                "attempts": 1,
                "status": DeadLetterStatus.OPEN.value,
                "created_at": now,
                "updated_at": now,
            }
            for x in letters
        ]
        upsert(
            self._conn,
            dead_letters,
            rows,
            keys=("pipeline", "side", "object", "record_key"),
            index_where=OPEN_DEAD_LETTER,
            update={
                "attempts": dead_letters.c.attempts + 1,
                "run_id": lambda new: new.run_id,
                "record_id": lambda new: sa.func.coalesce(new.record_id, dead_letters.c.record_id),
                "payload": lambda new: new.payload,
                "error_code": lambda new: new.error_code,
                "error_message": lambda new: new.error_message,
                "updated_at": lambda new: new.updated_at,
            },
        )

    def get_dead_letter(self, letter_id: int) -> DeadLetter | None:
        query = sa.select(dead_letters).where(dead_letters.c.id == letter_id)
        row = self._conn.execute(query).one_or_none()
        return None if row is None else _dead_letter(row)

    def list_dead_letters(
        self,
        pipeline: str | None = None,
        *,
        status: DeadLetterStatus | None = DeadLetterStatus.OPEN,
        side: Side | None = None,
        object: str | None = None,
        record_key: str | None = None,
        limit: int | None = None,
    ) -> list[DeadLetter]:
        """Dead letters, oldest first; open ones unless ``status`` says otherwise (None: all)."""
        query = sa.select(dead_letters).order_by(dead_letters.c.id)
        conditions = {
            dead_letters.c.pipeline: pipeline,
            dead_letters.c.status: status.value if status else None,
            dead_letters.c.side: side.value if side else None,
            dead_letters.c.object: object,
            dead_letters.c.record_key: record_key,
        }
        for column, value in conditions.items():
            if value is not None:
                query = query.where(column == value)
        if limit is not None:
            query = query.limit(limit)
        return [_dead_letter(row) for row in self._conn.execute(query)]

    def count_dead_letters(self) -> Mapping[str, int]:
        """Open dead letters per pipeline (pipelines with none are absent)."""
        query = (
            sa.select(dead_letters.c.pipeline, sa.func.count().label("letters"))
            .where(dead_letters.c.status == DeadLetterStatus.OPEN.value)
            .group_by(dead_letters.c.pipeline)
        )
        return {row.pipeline: row.letters for row in self._conn.execute(query)}

    def mark_dead_letter(self, letter_id: int, status: DeadLetterStatus) -> bool:
        """Settle an open letter as retried or dropped; False when it is not open (or absent).

        Only an open letter changes: settling twice, or reopening, is refused, so a letter's
        outcome is written once.
        """
        if status is DeadLetterStatus.OPEN:
            raise ValueError("a dead letter is reopened by failing again, not by marking it")
        result = self._conn.execute(
            sa.update(dead_letters)
            .where(
                dead_letters.c.id == letter_id,
                dead_letters.c.status == DeadLetterStatus.OPEN.value,
            )
            .values(status=status.value, updated_at=self._now())
        )
        return result.rowcount == 1

"""What every part of a state transaction shares: one connection and one clock.

``StateTx`` is assembled from one mixin per kind of state (cursors, links, snapshots, runs,
dead letters, audit, leases); each reaches the database only through ``self._conn``, inside
the single transaction ``StateStore.transaction`` opened.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.engine import Connection

from connector.clock import Clock

T = TypeVar("T")

# Bound parameters per IN list: far below SQLite's and PostgreSQL's limits, large enough that
# a batch of a few hundred ids is one query.
IN_CHUNK = 500


class TxBase:
    """The connection and clock of one open transaction."""

    def __init__(self, conn: Connection, clock: Clock) -> None:
        self._conn = conn
        self._clock = clock

    @property
    def connection(self) -> Connection:
        """The SQLAlchemy connection, for reports that need a query of their own."""
        return self._conn

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)


def chunked(items: Iterable[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in lists of at most ``size``."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch

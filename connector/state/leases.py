"""Leases: which replica runs a pipeline, so that each pipeline runs on exactly one at a time.

A lease is taken, renewed and handed over by one conditional upsert, atomic on both dialects:
insert the lease, or on conflict take it over only when it has expired or is already ours.
The row comes back only when the upsert wrote it, which is how the caller knows it won.
A killed replica stops renewing; its lease expires and another replica takes the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from connector.state.dialect import advisory_lock, upsert
from connector.state.tables import leases
from connector.state.txbase import TxBase


@dataclass(frozen=True)
class Lease:
    """Who holds a pipeline, since when, and until when unless renewed."""

    pipeline: str
    holder: str
    acquired_at: datetime
    expires_at: datetime


class LeasesMixin(TxBase):
    """Acquire, renew, release and inspect leases; lock a pipeline for one transaction."""

    def acquire_lease(self, pipeline: str, holder: str, ttl: timedelta) -> bool:
        """Take a free or expired lease, or renew our own, for ``ttl`` from now.

        Answers whether ``holder`` now holds it. ``acquired_at`` survives renewals, so it tells
        how long a holder has had the pipeline.
        """
        if ttl <= timedelta(0):
            raise ValueError("a lease needs a positive ttl")
        now = self._now()
        won = upsert(
            self._conn,
            leases,
            [{"pipeline": pipeline, "holder": holder, "acquired_at": now, "expires_at": now + ttl}],
            keys=("pipeline",),
            update={
                "holder": lambda new: new.holder,
                "expires_at": lambda new: new.expires_at,
                "acquired_at": lambda new: sa.case(
                    (leases.c.holder == new.holder, leases.c.acquired_at),
                    else_=new.acquired_at,
                ),
            },
            where=lambda new: sa.or_(
                leases.c.holder == new.holder, leases.c.expires_at <= new.acquired_at
            ),
            returning=(leases.c.holder,),
        ).first()
        return won is not None and won.holder == holder

    def release_lease(self, pipeline: str, holder: str) -> bool:
        """Give a lease up at once (clean shutdown); only its holder can. Answers if it did."""
        result = self._conn.execute(
            sa.delete(leases).where(leases.c.pipeline == pipeline, leases.c.holder == holder)
        )
        return result.rowcount == 1

    def get_lease(self, pipeline: str) -> Lease | None:
        """The stored lease, expired or not (compare ``expires_at`` with the clock)."""
        row = self._conn.execute(
            sa.select(leases).where(leases.c.pipeline == pipeline)
        ).one_or_none()
        return None if row is None else _lease(row)

    def holds_lease(self, pipeline: str, holder: str) -> bool:
        """Whether ``holder`` holds an unexpired lease now.

        Checked inside the transaction that moves a cursor, it keeps a replica that lost its
        lease (paused past the ttl) from committing over the new holder's work.
        """
        lease = self.get_lease(pipeline)
        return lease is not None and lease.holder == holder and lease.expires_at > self._now()

    def lock_pipeline(self, pipeline: str) -> None:
        """Serialise this transaction with every other one that locks the same pipeline.

        For read-modify-write of a pipeline's state by concurrent writers; released at commit
        or rollback.
        """
        advisory_lock(self._conn, f"crmsync.pipeline:{pipeline}")


def _lease(row: Any) -> Lease:
    return Lease(
        pipeline=row.pipeline,
        holder=row.holder,
        acquired_at=row.acquired_at,
        expires_at=row.expires_at,
    )

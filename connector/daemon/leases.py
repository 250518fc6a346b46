"""Leases as a daemon holds them: who it is, taking a lease, keeping it while a run goes on.

A lease is taken (or renewed, when already ours) at every scheduled tick, kept alive by a
background renewal while the run goes on, and given back when the daemon stops cleanly. Between
runs it is left to expire on its own: a replica that stops ticking loses its pipelines after
``ttl`` and another takes them. If a renewal finds the lease gone to someone else (this process
was paused past the ttl), the run is told to stop after the chunk it is committing.
"""

from __future__ import annotations

import contextvars
import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from connector.state import StateStore

log = logging.getLogger(__name__)


def holder_id() -> str:
    """``hostname:pid:random``: unique per process, readable in the leases table."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class LeaseHold:
    """A lease kept alive for the length of one run."""

    def __init__(self) -> None:
        self.lost = threading.Event()
        self.done = threading.Event()


class Leases:
    """Take, keep and give back the leases of the pipelines this daemon runs."""

    def __init__(self, store: StateStore, holder: str, ttl: timedelta) -> None:
        self.store = store
        self.holder = holder
        self.ttl = ttl
        self._held: set[str] = set()
        self._lock = threading.Lock()

    def acquire(self, pipeline: str) -> bool:
        """Take the lease of ``pipeline`` (or renew ours); False when another daemon holds it."""
        won = self.store.acquire_lease(pipeline, self.holder, self.ttl)
        with self._lock:
            if won:
                self._held.add(pipeline)
            else:
                self._held.discard(pipeline)
        return won

    def current_holder(self, pipeline: str) -> str | None:
        with self.store.transaction(readonly=True) as tx:
            lease = tx.get_lease(pipeline)
        return lease.holder if lease is not None else None

    @contextmanager
    def kept(self, pipeline: str) -> Iterator[LeaseHold]:
        """Renew the lease every third of its ttl until the block ends."""
        hold = LeaseHold()
        # The renewal's log lines carry the run's id and pipeline, like the run's own.
        context = contextvars.copy_context()
        thread = threading.Thread(
            target=context.run,
            args=(self._renew, pipeline, hold),
            name=f"crmsync-lease-{pipeline}",
            daemon=True,
        )
        thread.start()
        try:
            yield hold
        finally:
            hold.done.set()
            thread.join(timeout=5)

    def release_all(self) -> None:
        """Give back every lease this daemon holds (clean shutdown): replicas take over at once."""
        with self._lock:
            held = sorted(self._held)
            self._held.clear()
        for pipeline in held:
            try:
                self.store.release_lease(pipeline, self.holder)
            except Exception as exc:
                # It expires after the ttl anyway; a failed release only delays the hand-over.
                log.warning("could not release the lease of %s: %s", pipeline, exc)

    def _renew(self, pipeline: str, hold: LeaseHold) -> None:
        interval = self.ttl.total_seconds() / 3
        while not hold.done.wait(interval):
            try:
                won = self.store.acquire_lease(pipeline, self.holder, self.ttl)
            except Exception as exc:
                # The run's own commits meet the same trouble; the next renewal tries again.
                log.warning("could not renew the lease of %s: %s", pipeline, exc)
                continue
            if not won:
                log.error(
                    "lost the lease of %s to another daemon; stopping this run after the "
                    "chunk being committed",
                    pipeline,
                )
                with self._lock:
                    self._held.discard(pipeline)
                hold.lost.set()
                return

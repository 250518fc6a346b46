"""The chunks of one side, prepared and written in overlap, committed one at a time in order.

A chunk's life is: prepare (pair and plan: state reads, partner look-ups), write (batches,
then the follow-ups that tell the source its partner's new id), commit (links, snapshots,
dead letters, cursor). Done one chunk after another, every call waits for the one before, and
the network's latency, not the services' rate limits, sets the pace. Here the next chunk is
prepared while up to ``DEPTH`` chunks are being written, each on a thread of its own.

What may not change, and does not:

- Commits happen one at a time and in the chunks' order, each in its own transaction with its
  cursor: a chunk whose writes are done waits for the one before it to commit first, and
  does not commit at all if that one failed. A crash or a stop leaves what it always left:
  committed chunks, and writes not yet committed that the next run sees as echoes.
- No two chunks in flight touch the same record: a chunk is prepared against what the
  chunks still being written may claim (a partner, a match key they are creating a record
  for). If it shares a record id or a match key with any of them, it is prepared again once
  they are committed, exactly as it would have been one after the other.
- A stop or a failure waits for the chunks being written to commit (or fail) before it is
  raised; the first failure in chunk order is the one raised.
- Each chunk counts into a result of its own, merged into the run's under a lock once it
  has committed.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from connector.model import Cursor, Record, Side

if TYPE_CHECKING:
    from connector.engine.cycle import Cycle, CycleResult, Prepared

log = logging.getLogger(__name__)

# Chunks being written at once: two let one chunk's Salesforce follow-ups and commit overlap
# the next chunk's HubSpot writes, which is where a serial cycle waits longest.
DEPTH = 2


@dataclass
class _InFlight:
    claims: set[str]
    done: Future[Cursor | None]


class ChunkPipeline:
    """Feeds one side's chunks through ``Cycle.prepare``, then ``Cycle.finish`` in overlap."""

    def __init__(self, cycle: Cycle, result: CycleResult, depth: int = DEPTH) -> None:
        self.cycle = cycle
        self.result = result
        self.depth = max(depth, 1)
        self.prepared_again = 0
        self._writers = ThreadPoolExecutor(
            max_workers=self.depth, thread_name_prefix="crmsync-write"
        )
        self._in_flight: deque[_InFlight] = deque()
        self._merge_lock = threading.Lock()

    def __enter__(self) -> ChunkPipeline:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if error is None:
                self.wait()
            else:
                self._settle_behind(error)
        finally:
            self._writers.shutdown(wait=True)

    def submit(self, side: Side, chunk: list[Record], cursor: Cursor | None) -> Cursor | None:
        """Prepare ``chunk`` now and hand it to a writer; the side's cursor after it.

        Raises what writing an earlier chunk raised, if it failed.
        """
        cycle = self.cycle
        prepared = cycle.prepare(side, chunk, cursor)
        while len(self._in_flight) >= self.depth:
            self._wait_oldest()
        claimed: set[str] = set()
        for flight in self._in_flight:
            claimed |= flight.claims
        if claimed and claimed & prepared.identities(cycle.identity_key):
            # It was paired against what chunks still being written may claim.
            self.wait()
            self.prepared_again += 1
            prepared = cycle.prepare(side, chunk, cursor)
        self._start(prepared)
        return prepared.cursor

    def wait(self) -> None:
        """Until every chunk being written is committed; raises the first failure."""
        while self._in_flight:
            self._wait_oldest()

    def _wait_oldest(self) -> None:
        self._in_flight.popleft().done.result()

    def _start(self, prepared: Prepared) -> None:
        behind = self._in_flight[-1].done if self._in_flight else None

        def write() -> Cursor | None:
            mine = type(self.result)(self.cycle.pipeline)

            def after_the_one_behind() -> None:
                if behind is not None:
                    # Raises, so nothing of this chunk is committed, if that chunk failed.
                    behind.result()

            cursor = self.cycle.finish(prepared, mine, before_commit=after_the_one_behind)
            with self._merge_lock:
                self.result.merge(mine)
            return cursor

        context = contextvars.copy_context()
        done = self._writers.submit(context.run, write)
        self._in_flight.append(_InFlight(prepared.identities(self.cycle.identity_key), done))

    def _settle_behind(self, error: BaseException) -> None:
        """The chunks being written commit (or fail) before ``error`` goes on."""
        while self._in_flight:
            try:
                self._wait_oldest()
            except BaseException as behind:  # the error already raising is the one reported
                if behind is not error:
                    log.error("a chunk being written failed as well: %s", behind)

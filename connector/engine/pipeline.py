"""The chunks of one side, each prepared while the one before it is written and committed.

Preparing a chunk (pairing and planning: state reads, partner look-ups) needs nothing from
the chunk being written except what that chunk may claim: a partner, or a match key it is
about to create a record for. So chunk k+1 is prepared while chunk k is written on a second
thread, and then checked: if the two share a record or a match key, chunk k+1 is prepared
again once chunk k is committed, exactly as it would have been one after the other.

What does not change: chunks are written and committed one at a time and in order, each in
its own transaction with its cursor, so a crash or a stop leaves what it always left. A stop
or a failure waits for the chunk being written to be committed before it is raised.
"""

from __future__ import annotations

import contextvars
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING

from connector.model import Cursor, Record, Side

if TYPE_CHECKING:
    from connector.engine.cycle import Cycle, CycleResult, Prepared

log = logging.getLogger(__name__)


class ChunkPipeline:
    """Feeds one side's chunks through ``Cycle.prepare`` and, a step behind, ``Cycle.finish``."""

    def __init__(self, cycle: Cycle, result: CycleResult) -> None:
        self.cycle = cycle
        self.result = result
        self.prepared_again = 0
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crmsync-write")
        self._pending: tuple[set[str], Future[Cursor | None]] | None = None

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
            self._writer.shutdown(wait=True)

    def submit(self, side: Side, chunk: list[Record], cursor: Cursor | None) -> Cursor | None:
        """Prepare ``chunk`` now and hand it to the writer; the side's cursor after it.

        Raises what writing the previous chunk raised, if it failed.
        """
        cycle = self.cycle
        prepared = cycle.prepare(side, chunk, cursor)
        if self._pending is not None:
            claimed, _ = self._pending
            self.wait()
            if claimed & prepared.identities(cycle.identity_key):
                # It was paired against what the previous chunk was still writing.
                self.prepared_again += 1
                prepared = cycle.prepare(side, chunk, cursor)
        self._start(prepared)
        return prepared.cursor

    def wait(self) -> None:
        """Until the chunk being written is committed; raises what writing it raised."""
        if self._pending is None:
            return
        _, future = self._pending
        self._pending = None
        future.result()

    def _start(self, prepared: Prepared) -> None:
        context = contextvars.copy_context()
        future = self._writer.submit(context.run, self.cycle.finish, prepared, self.result)
        self._pending = (prepared.identities(self.cycle.identity_key), future)

    def _settle_behind(self, error: BaseException) -> None:
        """The chunk being written is committed (or fails) before ``error`` goes on."""
        try:
            self.wait()
        except BaseException as behind:  # the error already raising is the one reported
            log.error("writing the previous chunk failed as well: %s", behind)

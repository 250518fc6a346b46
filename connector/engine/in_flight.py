"""Calls that need not wait for each other: batches side by side, reads ahead of their use.

A call spends most of its time waiting for the network, so a cycle that makes one call at a
time is bound by latency long before the services' rate limits. Two helpers overlap them
without changing what is sent or in which order results are used:

- ``side_by_side`` runs independent calls of one system (the batches of one chunk) on up to
  ``SystemLimits.in_flight`` threads and hands the answers back in order;
- ``read_ahead`` fetches the next items of a read (pages, chunks) on a thread of its own while
  the current ones are processed, holding at most ``depth`` of them.

The adapters' budgets and counters are shared by those threads (``systems/budget.py`` and
``systems/retry.py`` lock them), so the rate limits are kept however many calls are in flight.
Each thread runs in a copy of the caller's context, so log lines keep their run id.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")

# How long the reading thread waits to hand over an item before checking whether the reader
# has gone away (stopped early, or failed).
_HANDOVER_S = 0.2


def side_by_side(call: Callable[[T], R], items: Sequence[T], width: int) -> list[R]:
    """``call`` on each item, up to ``width`` at once; the answers in the items' order.

    Every call finishes before this returns, so no request is left running behind a failure;
    the first failure in the items' order is then raised.
    """
    if width <= 1 or len(items) <= 1:
        return [call(item) for item in items]
    with ThreadPoolExecutor(
        max_workers=min(width, len(items)), thread_name_prefix="crmsync-call"
    ) as pool:
        futures = [pool.submit(contextvars.copy_context().run, call, item) for item in items]
    return [future.result() for future in futures]


class _Failed:
    """What the reading thread hands over when the read raised."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


def read_ahead(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """The items of ``items``, fetched on another thread up to ``depth`` ahead of their use.

    A failure of the read is raised here, where the item would have been. Closing this
    iterator early (a stop, an error in the caller) stops the reading thread at its next
    item; the thread is a daemon, so a process stopping mid-call is not held up by it.
    """
    handover: queue.Queue[object] = queue.Queue(maxsize=max(depth, 1))
    gone = threading.Event()

    def hand(item: object) -> bool:
        while not gone.is_set():
            try:
                handover.put(item, timeout=_HANDOVER_S)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        try:
            for item in items:
                if not hand(item):
                    return
        except BaseException as exc:  # handed to the reader, which raises it
            hand(_Failed(exc))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
        hand(_END)

    context = contextvars.copy_context()
    thread = threading.Thread(
        target=context.run, args=(fetch,), name="crmsync-read-ahead", daemon=True
    )
    thread.start()
    try:
        while True:
            item = handover.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield cast(T, item)
    finally:
        gone.set()

"""Overlapped calls: answers in order, failures where they belong, nothing left running."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator

import pytest

from connector.engine.in_flight import read_ahead, side_by_side

WAIT_S = 10.0
tag: contextvars.ContextVar[str] = contextvars.ContextVar("tag", default="none")


def test_side_by_side_runs_calls_together_and_answers_in_order() -> None:
    # Both calls must be running at once to pass the barrier; one at a time would break it.
    barrier = threading.Barrier(2, timeout=WAIT_S)

    def call(item: int) -> int:
        barrier.wait()
        return item * 10

    assert side_by_side(call, [1, 2], width=2) == [10, 20]


def test_side_by_side_keeps_to_its_width() -> None:
    running = 0
    most = 0
    lock = threading.Lock()
    release = threading.Event()

    def call(item: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            if running == 2:
                release.set()
        release.wait(WAIT_S)
        with lock:
            running -= 1
        return item

    assert side_by_side(call, list(range(7)), width=2) == list(range(7))
    assert most == 2


def test_width_one_is_one_call_after_another_on_the_callers_thread() -> None:
    threads = side_by_side(lambda _: threading.current_thread(), [1, 2, 3], width=1)
    assert set(threads) == {threading.current_thread()}


def test_side_by_side_raises_the_first_failure_once_every_call_has_finished() -> None:
    finished: list[int] = []

    def call(item: int) -> int:
        if item == 1:
            raise ValueError("batch 1 refused")
        finished.append(item)
        return item

    with pytest.raises(ValueError, match="batch 1 refused"):
        side_by_side(call, [0, 1, 2, 3], width=2)
    assert sorted(finished) == [0, 2, 3]


def test_calls_see_the_callers_context() -> None:
    tag.set("run-7")
    assert side_by_side(lambda _: tag.get(), [1, 2], width=2) == ["run-7", "run-7"]


def test_read_ahead_yields_every_item_in_order() -> None:
    assert list(read_ahead(iter(range(1000)), depth=3)) == list(range(1000))


def test_read_ahead_fetches_the_next_item_while_the_current_one_is_used() -> None:
    second_fetched = threading.Event()

    def source() -> Iterator[int]:
        yield 1
        second_fetched.set()
        yield 2

    reader = read_ahead(source(), depth=2)
    assert next(reader) == 1
    # Nothing more is asked of the reader, yet the next item is fetched.
    assert second_fetched.wait(WAIT_S)
    assert list(reader) == [2]


def test_a_failed_read_is_raised_where_its_item_would_have_been() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise ConnectionError("page 3 failed")

    got: list[int] = []
    with pytest.raises(ConnectionError, match="page 3 failed"):
        for item in read_ahead(source()):
            got.append(item)
    assert got == [1, 2]


def test_stopping_early_stops_the_read_and_closes_it() -> None:
    closed = threading.Event()
    fetched: list[int] = []

    def source() -> Iterator[int]:
        try:
            for n in range(1_000_000):
                fetched.append(n)
                yield n
        finally:
            closed.set()

    reader = read_ahead(source(), depth=2)
    assert next(reader) == 0
    reader.close()
    assert closed.wait(WAIT_S)
    # At most the items handed over plus the one waiting to be: never the whole source.
    assert len(fetched) <= 5


def test_the_reading_thread_sees_the_callers_context() -> None:
    tag.set("run-9")

    def source() -> Iterator[str]:
        yield tag.get()

    assert list(read_ahead(source())) == ["run-9"]

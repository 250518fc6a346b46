"""Weighted random draws that still guarantee every value shows up.

A demo that happens to contain no ``Duplicate`` disposition cannot show what the connector does
with one, so every value of a closed set is placed at least once before the rest is drawn by
weight. The same ``random.Random`` always yields the same list.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TypeVar

T = TypeVar("T")


def spread(rng: random.Random, count: int, weighted: Sequence[tuple[T, float]]) -> list[T]:
    """``count`` values: each value once (while there is room), the rest by weight, shuffled."""
    values = [value for value, _ in weighted]
    if count < len(values):
        return rng.sample(values, count)
    chosen = values + rng.choices(
        values, weights=[weight for _, weight in weighted], k=count - len(values)
    )
    rng.shuffle(chosen)
    return chosen


def moment_before(
    rng: random.Random, instant: datetime, min_days: float, max_days: float
) -> datetime:
    """A whole-second instant between ``max_days`` and ``min_days`` before ``instant``."""
    seconds = rng.uniform(min_days * 86400, max_days * 86400)
    return (instant - timedelta(seconds=seconds)).replace(microsecond=0)


def moment_after(
    rng: random.Random, instant: datetime, min_days: float, max_days: float
) -> datetime:
    """A whole-second instant between ``min_days`` and ``max_days`` after ``instant``."""
    seconds = rng.uniform(min_days * 86400, max_days * 86400)
    return (instant + timedelta(seconds=seconds)).replace(microsecond=0)

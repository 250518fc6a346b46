"""Diagnosis for ``bench.backfill_memory --diagnose``: crmsync with cycle results keeping no plans.

Run as ``python -m bench.diag_no_plans <crmsync arguments>``: the CLI, unchanged, except that
``CycleResult.plans`` drops what is added to it. A backfill keeps every non-empty plan there
(for ``--dry-run`` printing), so comparing peak memory with and without shows what that list
costs. This changes nothing in the product; it is a measurement.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from connector.engine import cycle


class _Dropped(list[Any]):
    """A list that stays empty."""

    def append(self, item: Any) -> None:
        pass

    def extend(self, items: Iterable[Any]) -> None:
        for _ in items:
            pass


def _result_init(original: Any) -> Any:
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.plans = _Dropped()

    return init


cycle.CycleResult.__init__ = _result_init(cycle.CycleResult.__init__)  # type: ignore[method-assign]

if __name__ == "__main__":
    from connector.cli import main

    main()

"""Diagnosis for ``bench.backfill_memory``: where a backfill's Python heap peaks, by source line.

Run as ``python -m bench.diag_memory_peak <crmsync arguments>``: the CLI, unchanged, under
``tracemalloc``. After every tenth chunk a cycle processes, the heap in use is checked; when it
is the highest yet, a snapshot is kept. At exit the peak and the ten source lines holding most
of the heap in that snapshot are printed. This changes nothing in the product.
"""

from __future__ import annotations

import atexit
import sys
import tracemalloc
from typing import Any

from connector.engine import cycle

EVERY = 10
_state: dict[str, Any] = {"chunks": 0, "best": 0, "snapshot": None}


def _process(original: Any) -> Any:
    def process(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        _state["chunks"] += 1
        if _state["chunks"] % EVERY == 0:
            current, _ = tracemalloc.get_traced_memory()
            if current > _state["best"]:
                _state["best"] = current
                _state["snapshot"] = tracemalloc.take_snapshot()
        return result

    return process


def _report() -> None:
    _, peak = tracemalloc.get_traced_memory()
    print(f"tracemalloc peak {peak / 2**20:.1f} MiB; largest sampled {_state['best'] / 2**20:.1f}")
    snapshot = _state["snapshot"]
    if snapshot is None:
        return
    for stat in snapshot.statistics("lineno")[:10]:
        frame = stat.traceback[0]
        where = f"{frame.filename}:{frame.lineno}"
        print(f"  {stat.size / 2**20:8.1f} MiB {stat.count:9d} blocks  {where}")
    sys.stdout.flush()


cycle.Cycle.process = _process(cycle.Cycle.process)  # type: ignore[method-assign]

if __name__ == "__main__":
    from connector.cli import main

    tracemalloc.start()
    atexit.register(_report)
    main()

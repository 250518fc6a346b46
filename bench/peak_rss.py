"""Run a module as ``python -m`` would, and write its own peak RSS to a file when it ends.

Run: ``BENCH_PEAK_RSS_FILE=<path> python -m bench.peak_rss <module> <arguments>``

Why not ``wait4``'s ``ru_maxrss``: Linux folds the parent's high-water mark into the child's at
``exec`` (the forked child shares the parent's pages until then; CPython spawns with ``vfork``),
so a child of a bench process that holds both emulators' records reports the bench's peak, not
its own. ``VmHWM`` in ``/proc/self/status`` belongs to the address space ``exec`` created, so
read at the end it is the peak of this program alone.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

ENV_VAR = "BENCH_PEAK_RSS_FILE"


def high_water_kib() -> int:
    """This process's peak resident set, in KiB, as the kernel counts it."""
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("/proc/self/status has no VmHWM line")


def main() -> None:
    module, *args = sys.argv[1:]
    sys.argv = [module, *args]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        target = os.environ.get(ENV_VAR)
        if target:
            Path(target).write_text(str(high_water_kib()), encoding="utf-8")


if __name__ == "__main__":
    main()
